"""Builds the tracker side of the real-export check (books.csv, labels.json).

Run `python tests/data/real_export/build.py` from the repository root; the output
is deterministic and committed next to this script.

`library.tsv` holds seven columns of a genuine 104-title audible-cli
`library export` (TSV), published in the public repository
stonecharioteer/scripts (file `library.tsv`, commit 9e61357485afb8f5de3fab629fd3138913555c8a).
The tracker below was written by hand the way a reader keeps one, independently
of the export's spelling: 85 of its books in other casing, "Last, First" authors,
without subtitles, some with Goodreads-style series words, plus a few books the
library does not have that share a title or a name with it. Eighteen titles are
absent from it, eleven of them Mahabharata volumes besides the one it holds.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (asin of the item that is this book, or None; title; author)
TRACKER = [
    ("0143500023", "Mahabharata: Volume 1", "Debroy, Bibek"),
    ("1405951508", "Why Has Nobody Told Me This Before", "Dr. Julie Smith"),
    ("1469078635", "HBR's 10 Must Reads on Negotiation", "Harvard Business Review"),
    ("1473575346", "Never Split the Difference", "Voss, Chris"),
    ("1663710651", "Mindfulness (HBR Emotional Intelligence Series)", "Harvard Business Review"),
    ("1663710716", "harvard business review emotional intelligence collection", "Harvard Business Review"),
    ("1663712301", "HBR's 10 Must Reads on Managing Yourself (Vol. 2)", "Harvard Business Review"),
    ("9354222129", "How To Be A Writer", "Bond, Ruskin"),
    ("B01MQYCOUY", "The 33 Strategies of War", "Robert Greene"),
    ("B01N0T6BLH", "The Practicing Mind", "Sterner, Thomas M."),
    ("B01N145RIT", "An Era of Darkness", "Shashi Tharoor"),
    ("B01N1UNFN7", "Man's Search For Meaning", "Frankl, Viktor E."),
    ("B01N5HP6HL", "The Art of War", "Sun Tzu"),
    ("B01N5HQIUW", "The Art of Seduction", "Robert Greene"),
    ("B01N7KKVCI", "Adult Children of Emotionally Immature Parents", "Lindsay C. Gibson"),
    ("B01N9JVGZM", "The 48 Laws of Power", "Greene, Robert"),
    ("B01NCMMQRM", "A History of British India", "Hayden J. Bellenoit"),
    ("B01NCO21DU", "the great gatsby", "F. Scott Fitzgerald"),
    ("B01NCOGYVL", "The Bipolar Disorder Survival Guide", "Miklowitz, David J."),
    ("B06WW85WTL", "Feeling Good: The New Mood Therapy", "David D. Burns"),
    ("B06WWN96LC", "Norse Mythology", "Gaiman, Neil"),
    ("B071952L2Q", "Cosmos", "Carl Sagan"),
    ("B0788ZVXL9", "No More Mr Nice Guy", "Robert A. Glover"),
    ("B078Z5YC15", "Crossroads of Twilight (The Wheel of Time, #10)", "Robert Jordan"),
    ("B0793D7365", "The Dragon Reborn", "Jordan, Robert"),
    ("B079B59VKY", "The Daily Stoic", "Ryan Holiday"),
    ("B079BCHG7K", "Self-Compassion Step by Step", "Kristin Neff"),
    ("B079BD2VFV", "Decline and Fall of the Roman Empire", "Gibbon, Edward"),
    ("B079BG853Q", "Arsène Lupin, Gentleman Burglar", "Maurice Leblanc"),
    ("B079CG74RL", "An Economic History of the World Since 1400", "Donald J. Harreld"),
    ("B079J3VN3J", "The Brothers Karamazov", "Fyodor Dostoyevsky"),
    ("B079SKQZYZ", "Les Miserables", "Victor Hugo"),
    ("B079TKVWDQ", "The Shadow Rising (Wheel of Time #4)", "Robert Jordan"),
    ("B079TLLXYX", "The Great Hunt", "Robert Jordan"),
    ("B079TN3JQZ", "lord of chaos", "Robert Jordan"),
    ("B079TN3VGM", "The Eye of the World (The Wheel of Time, #1)", "Robert Jordan"),
    ("B079TP4Q4K", "The Path of Daggers", "Robert Jordan"),
    ("B079V61CW1", "New Spring: The Novel", "Robert Jordan"),
    ("B079VQZD5B", "Rapt: Attention and the Focused Life", "Winifred Gallagher"),
    ("B079WXF1QG", "The Fires of Heaven", "Jordan, Robert"),
    ("B079X4ZZ42", "Matilda", "Roald Dahl"),
    ("B079X8NNP3", "Debt: The First 5,000 Years", "David Graeber"),
    ("B07B4K379R", "Inglorious Empire", "Shashi Tharoor"),
    ("B07B8MFMZC", "Life on Air", "David Attenborough"),
    ("B07D15933K", "Fry's English Delight - Series 1", "Stephen Fry"),
    ("B07DQW9CGC", "A Fine Balance", "Rohinton Mistry"),
    ("B07FW4FP2S", "Terry Pratchett BBC Radio Drama Collection", "Terry Pratchett"),
    ("B07G3G444L", "101 Essays That Will Change The Way You Think", "Wiest, Brianna"),
    ("B07J1PK5Q7", "atomic habits", "James Clear"),
    ("B07K8X92Y1", "Panchatantra", "Vishnu Sharma"),
    ("B07S2YZTNW", "Wuthering Heights", "Bronte, Emily"),
    ("B07VP9FT7M", "Meditations", "Marcus Aurelius"),
    ("B07XYDDX6G", "The Body Keeps the Score", "Bessel van der Kolk"),
    ("B07YZRB2PX", "The Anarchy", "William Dalrymple"),
    ("B08233RHH9", "Recovering from Emotionally Immature Parents", "Lindsay Gibson"),
    ("B082T3GSG9", "HBR's 10 Must Reads on Mental Toughness", "Harvard Business Review"),
    ("B085DL23SL", "The Alignment Problem", "Brian Christian"),
    ("B085KCMDFF", "The Monkey and the Crocodile", "Shobha Viswanath"),
    ("B086MC8XPH", "Hanuman The Mighty", "Shobha Viswanath"),
    ("B086MJRDQT", "Abhijnanashakuntalam", "Kalidasa"),
    ("B086VTHFQK", "Why I Am an Atheist", "Bhagat Singh"),
    ("B086WQYZCV", "The Sandman", "Neil Gaiman"),
    ("B086XHG8DN", "What We Talk About When We Talk About Rape", "Sohaila Abdulali"),
    ("B0897V2QL5", "A Life on Our Planet", "Attenborough, David"),
    ("B089KVG9T6", "Attached", "Amir Levine & Rachel Heller"),
    ("B08BG56HZK", "Heist", "Michael Caine"),
    ("B08FV8MXVP", "The Velveteen Rabbit", "Margery Williams"),
    ("B08NK6S2XR", "gutfull", "Joanna McMillan"),
    ("B08VKM4CWP", "Designing Data-Intensive Applications", "Martin Kleppmann"),
    ("B096H14G49", "Many Ramayanas Many Lessons", "Anand Neelakantan"),
    ("B09CQF1T1K", "Self-Care for Adult Children of Emotionally Immature Parents", "Gibson, Lindsay C."),
    ("B09DYZB32D", "Valmiki's Women", "Anand Neelakantan"),
    ("B09PNVJ2SB", "Bulls, Bears and Other Beasts", "Santosh Nair"),
    ("B09RBG9PXX", "Ambedkar's India", "B. R. Ambedkar"),
    ("B09WFVS56M", "HBR at 100", "Harvard Business Review"),
    ("B0B1958HW6", "HBR's 10 Must Reads on High Performance", "Harvard Business Review"),
    ("B0B922FNWW", "Mindful Listening", "Harvard Business Review"),
    ("B0BB8FM3VV", "Purpose, Meaning and Passion", "Harvard Business Review"),
    ("B0BDJF3HTZ", "Dealing With Difficult People", "Harvard Business Review"),
    ("B0C79HSDKS", "Disentangling From Emotionally Immature People", "Lindsay C. Gibson"),
    ("B0CLVQFZ7D", "Why Machines Learn", "Anil Ananthaswamy"),
    ("B0CN9RCRCL", "Brave New Words", "Sal Khan"),
    ("B0CNRXL1BS", "The Day I Became a Runner", "Sohini Chattopadhyay"),
    ("B0D8BTT5B9", "AI Snake Oil", "Arvind Narayanan & Sayash Kapoor"),
    ("B0DJ1R5NTX", "The Next Conversation", "Jefferson Fisher"),
    # Books of the reader's that are not in this library, some sharing a title or a name with it.
    (None, "Empathy", "Roman Krznaric"),
    (None, "Happiness", "Matthieu Ricard"),
    (None, "The Lion & the Mouse", "Jerry Pinkney"),
    (None, "A Study in Scarlet", "Arthur Conan Doyle"),
    (None, "Animal Farm", "George Orwell"),
    (None, "Mindfulness: An Eight-Week Plan for Finding Peace in a Frantic World", "Mark Williams"),
]


def main() -> None:
    with (HERE / "library.tsv").open(newline="", encoding="utf-8") as handle:
        asins = [row["asin"] for row in csv.DictReader(handle, delimiter="\t")]
    labels: dict[str, int | None] = {asin: None for asin in asins}
    with (HERE / "books.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "author", "isbn"], lineterminator="\n")
        writer.writeheader()
        for book_id, (asin, title, author) in enumerate(TRACKER, start=1):
            writer.writerow({"id": book_id, "title": title, "author": author, "isbn": ""})
            if asin:
                labels[asin] = book_id
    # The radio dramatisation of a book the reader logged: a person decides, and would pick that book.
    labels["B07LGXFYY5"] = labels["B06WWN96LC"]
    (HERE / "labels.json").write_text(json.dumps(labels, indent=1) + "\n", encoding="utf-8")
    present = sum(v is not None for v in labels.values())
    print(f"{len(asins)} library items ({present} in the tracker), {len(TRACKER)} tracker books")


if __name__ == "__main__":
    main()
