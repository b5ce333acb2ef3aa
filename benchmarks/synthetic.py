"""Deterministic synthetic Audible libraries and tracker books for benchmarks.

`generate(items, books, seed)` returns (library item dicts in the audible-cli
export shape, tracker book dicts {id, title, author, isbn}). Titles and authors
have realistic shapes: articles, subtitles, series volumes ("The Ember Crown,
Book 3"), titles shared by different authors, "Last, First" authors, ISBN-10
and ISBN-13 with hyphens. Of the library items about 30% carry the ISBN of
their tracker book, 50% only a noisy title/author, 20% are absent from the
tracker.

That is the ``baseline`` mix. ``generate(..., mix=NAME)`` draws another one from
MIXES (``long_titles``, ``series_heavy``, ``common_words``), each varying title
length, the share of series volumes, how many words titles share, the author
name forms ("Last, First", initials, several authors), the share of ISBNs and
the share of titles absent from the tracker, so that the matcher's speed is
measured on data it was not tuned on.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

ADJECTIVES = (
    "silent hidden broken golden crimson last first burning frozen lost secret silver iron wild dark bright "
    "quiet endless hollow bitter sacred fallen rising distant ancient little wandering restless shattered "
    "northern southern eastern western forgotten invisible emerald scarlet midnight winter summer autumn "
    "spring stolen painted wicked gentle brave lonely crooked perfect savage radiant weary narrow deep "
    "velvet copper glass paper stone salt black white blue green red amber ashen gilded haunted twisted "
    "drowned burning sleeping waking hungry honest careless clever curious dangerous elegant fearless"
).split()
NOUNS = (
    "garden river kingdom crown house road sea mountain city forest island night storm fire shadow star "
    "heart song letter daughter son king queen empire war peace bridge tower library map clock mirror "
    "door window harbor valley desert ocean winter summer dream memory promise secret lie truth journey "
    "voyage widow orphan soldier sailor thief witch wolf raven fox lion tiger serpent dragon ghost angel "
    "saint sinner stranger traveller keeper hunter painter doctor teacher gardener lighthouse orchard "
    "vineyard cathedral palace prison market circus theatre museum station engine machine compass anchor "
    "lantern feather blade arrow shield throne chalice scroll cipher oracle prophecy rebellion exile "
    "inheritance reckoning silence thunder rain snow tide dawn dusk twilight horizon"
).split()
PLACES = (
    "Paris London Venice Kyoto Cairo Lisbon Prague Vienna Havana Delhi Lagos Oslo Dublin Rome Athens "
    "Istanbul Marrakesh Bombay Shanghai Berlin Madrid Sydney Boston Chicago Memphis Savannah Yorkshire "
    "Cornwall Provence Tuscany Patagonia Siberia Bengal Kashmir Andalusia Bohemia Galicia Normandy"
).split()
FIRST_NAMES = (
    "James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony Margaret Mark Sandra "
    "Donald Ashley Steven Kimberly Paul Emily Andrew Donna Joshua Michelle Kenneth Carol Kevin Amanda "
    "Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Sharon Edward Laura Jeffrey "
    "Cynthia Ryan Kathleen Jacob Amy Gary Angela Nicholas Shirley Eric Anna Jonathan Brenda Stephen "
    "Pamela Larry Emma Justin Nicole Scott Helen Brandon Samantha Benjamin Katherine Samuel Christine "
    "Gregory Debra Alexander Rachel Frank Carolyn Patrick Janet Raymond Catherine Jack Maria Dennis Heather "
    "Ingrid Søren Zoë José Chloé Björn Anaïs Jürgen Léa Mikhail Aiko Kenji Priya Arjun Wei Olumide Chidi"
).split()
LAST_NAMES = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster Jimenez "
    "Müller Schäfer Dubois Lefèvre Novák Kowalski Johansson Okafor Adeyemi Tanaka Suzuki Chen Wang Singh"
).split()
NARRATORS = ("Kate Reading", "Michael Kramer", "Simon Vance", "Julia Whelan", "Scott Brick", "Ray Porter")
SUBTITLES = (
    "A Novel",
    "A Memoir",
    "A Thriller",
    "The Untold Story",
    "A History",
    "Stories",
    "An Investigation",
    "A Love Story",
)
# Key of an item's true tracker book id while it is drawn; never left in the generated items.
TRUE_BOOK = "_true_book_id"
ORDINALS = "One Two Three Four Five Six Seven Eight Nine Ten".split()


def _isbn13(rng: random.Random) -> str:
    body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum((1 if i % 2 == 0 else 3) * int(ch) for i, ch in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _isbn10(isbn13: str) -> str:
    core = isbn13[3:12]
    check = (11 - sum((10 - i) * int(ch) for i, ch in enumerate(core)) % 11) % 11
    text = core + ("X" if check == 10 else str(check))
    return f"{text[0]}-{text[1:4]}-{text[4:9]}-{text[9]}"


def _title(rng: random.Random) -> str:
    adj, noun, noun2 = rng.choice(ADJECTIVES), rng.choice(NOUNS), rng.choice(NOUNS)
    pattern = rng.randrange(8)
    if pattern == 0:
        return f"The {adj.title()} {noun.title()}"
    if pattern == 1:
        return f"The {noun.title()} of {rng.choice(PLACES)}"
    if pattern == 2:
        return f"A {noun.title()} for the {adj.title()} {noun2.title()}"
    if pattern == 3:
        return f"{adj.title()} {noun.title()}s"
    if pattern == 4:
        return f"The {noun.title()} and the {noun2.title()}"
    if pattern == 5:
        return f"The {adj.title()} {noun.title()} of {rng.choice(PLACES)}"
    if pattern == 6:
        return f"{noun.title()} of {adj.title()} {noun2.title()}s"
    return f"The {noun.title()}'s {noun2.title()}"


def _person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 8:
        return text
    i = rng.randrange(1, len(text) - 1)
    return (
        text[:i] + text[i + 1 :] if rng.random() < 0.5 else text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    )


def _series_volumes(rng: random.Random, first: str, last: str, room: int) -> list[tuple[dict, dict]]:
    """A series: several volumes by one author, numbered in the tracker title; at most ``room`` of them."""
    series = _title(rng).replace("The ", "")
    volumes = []
    for volume in range(1, rng.randrange(3, 8)):
        if len(volumes) >= room:
            break
        title = _title(rng)
        shape = rng.randrange(3)
        if shape == 0:
            shown = f"{title} ({series}, #{volume})"
        elif shape == 1:
            shown = f"{series}, Book {volume}: {title}"
        else:
            shown = title
        info = {"title": title, "first": first, "last": last, "series": series, "volume": volume}
        volumes.append(({"title": shown}, info))
    return volumes


def _single_book(rng: random.Random, roll: float, titles_seen: list[str], first: str, last: str):
    """A book of its own, now and then sharing its title with another author's."""
    if roll < 0.15 and titles_seen:
        title = rng.choice(titles_seen)
    else:
        title = _title(rng)
        titles_seen.append(title)
    subtitle = rng.choice(SUBTITLES) if rng.random() < 0.25 else None
    shown = f"{title}: {subtitle}" if subtitle and rng.random() < 0.5 else title
    return {"title": shown}, {"title": title, "first": first, "last": last, "subtitle": subtitle}


def _tracker_titles(rng: random.Random, books: int) -> tuple[list[dict], list[dict]]:
    """Tracker book titles, and beside each what the library side needs to know about it."""
    tracker: list[dict] = []
    meta: list[dict] = []
    titles_seen: list[str] = []
    while len(tracker) < books:
        first, last = _person(rng)
        roll = rng.random()
        if roll < 0.12:
            pairs = _series_volumes(rng, first, last, books - len(tracker))
        else:
            pairs = [_single_book(rng, roll, titles_seen, first, last)]
        for book, info in pairs:
            tracker.append(book)
            meta.append(info)
    return tracker, meta


def _add_ids_authors_isbns(rng: random.Random, tracker: list[dict], meta: list[dict]) -> None:
    for index, (book, info) in enumerate(zip(tracker, meta, strict=True)):
        book["id"] = index + 1
        style = rng.random()
        book["author"] = (
            f"{info['last']}, {info['first']}"
            if style < 0.15
            else None
            if style < 0.2
            else f"{info['first']} {info['last']}"
        )
        isbn13 = _isbn13(rng)
        info["isbn13"] = isbn13
        roll = rng.random()
        book["isbn"] = isbn13 if roll < 0.4 else _isbn10(isbn13) if roll < 0.7 else None


def _audible_spelling(rng: random.Random, title: str) -> str:
    """Audible's own spelling of a tracker title: a suffix, no article, a typo or another case."""
    noise = rng.random()
    if noise < 0.2:
        return title + " (Unabridged)"
    if noise < 0.3:
        return title.replace("The ", "", 1)
    if noise < 0.4:
        return _typo(rng, title)
    if noise < 0.5:
        return title.upper() if rng.random() < 0.3 else title.lower()
    return title


def _describe_tracker_book(rng: random.Random, item: dict, info: dict, roll: float) -> None:
    """Fill ``item`` as the library's record of the tracker book ``info`` (with its ISBN when roll < 0.3)."""
    title = info["title"]
    item["title"] = _audible_spelling(rng, title) if roll >= 0.3 else title
    item["authors"] = f"{info['first']} {info['last']}"
    if info.get("series"):
        item["subtitle"] = f"{info['series']}, Book {info['volume']}"
        if rng.random() < 0.5:
            item["subtitle"] = f"Book {ORDINALS[info['volume'] - 1]} of {info['series']}"
        item["series_title"] = info["series"]
        item["series_sequence"] = str(info["volume"])
    elif info.get("subtitle"):
        item["subtitle"] = info["subtitle"]
    if roll < 0.3:
        item["isbn"] = info["isbn13"] if rng.random() < 0.5 else _isbn10(info["isbn13"])


def _library_items(rng: random.Random, items: int, meta: list[dict]) -> list[dict]:
    library: list[dict] = []
    used: set[str] = set()
    for _ in range(items):
        asin = _asin(rng, used)
        roll = rng.random()
        item: dict = {
            "asin": asin,
            "narrators": rng.choice(NARRATORS),
            "percent_complete": round(rng.random() * 100, 1),
        }
        item["is_finished"] = item["percent_complete"] > 97
        item["runtime_length_min"] = rng.randrange(90, 2400)
        if roll < 0.8 and meta:
            book = rng.randrange(len(meta))
            _describe_tracker_book(rng, item, meta[book], roll)
            item[TRUE_BOOK] = book + 1
        else:
            first, last = _person(rng)
            item["title"] = _title(rng)
            item["authors"] = f"{first} {last}"
        library.append(item)
    return library


def generate(items: int, books: int, seed: int = 7, mix: str = "baseline") -> tuple[list[dict], list[dict]]:
    """(library items, tracker books): deterministic for a given (items, books, seed, mix).

    ``mix`` names one of MIXES; ``baseline`` is the original distribution described
    at the top of this module, kept exactly so earlier figures stay comparable.
    """
    library, tracker, _ = generate_labelled(items, books, seed, mix)
    return library, tracker


def generate_labelled(
    items: int, books: int, seed: int = 7, mix: str = "baseline"
) -> tuple[list[dict], list[dict], dict[str, int | None]]:
    """`generate`'s data and, per ASIN, the id of the tracker book the item was drawn from
    (None for an item absent from the tracker): the truth a matcher is scored against."""
    if mix == "baseline":
        rng = random.Random(seed)
        tracker, meta = _tracker_titles(rng, books)
        _add_ids_authors_isbns(rng, tracker, meta)
        library = _library_items(rng, items, meta)
    elif mix in MIXES:
        library, tracker = _generate_mix(items, books, seed, MIXES[mix])
    else:
        raise ValueError(f"unknown mix {mix!r}; known: {', '.join(MIX_NAMES)}")
    # The label rides on the item while it is drawn (the draws stay exactly as before).
    labels = {item["asin"]: item.pop(TRUE_BOOK, None) for item in library}
    return library, tracker, labels


# --- other mixes ------------------------------------------------------------------------
#
# Each mix draws its title words from one Zipf-like law over a ranked vocabulary: the
# common words first (so a steeper law shares more words between titles), then the
# adjectives, nouns and places above, then a long tail of coined words standing for
# names ("Karamazov") that make a title distinctive.

COMMON_WORDS = (
    "life world history story love war time man woman house day night book art science secret power "
    "girl boy little great last new guide home family mother father city death light dark game end "
    "way mind body people road water heart king blood gold year summer murder case mystery letters "
    "children stories age body truth lady god american english lives dead good old three memory"
).split()
SYLLABLES = (
    "ka ra mo zo vel an th is or en dri mar co li sa to ne bel gar ul fen quor ix ash tal win ber on "
    "ly su pe dra mi ko na ve ri sto lan cha"
).split()
LONG_SUBTITLE_OPENINGS = (
    "A History of",
    "The Untold Story of",
    "How",
    "Why",
    "The Science of",
    "A Guide to",
    "Inside",
    "The Rise and Fall of",
    "Lessons from",
    "",
)
AUTHOR_FORMS = ("first_last", "last_first", "initials", "several", "none")


@dataclass(frozen=True)
class Mix:
    """How one synthetic library and tracker are drawn (every share is of 1)."""

    description: str
    title_words: tuple[int, int]  # words in a title, fewest and most
    zipf: float  # exponent of the word-frequency law: higher shares more words between titles
    coined_words: int  # size of the long tail of rare words
    subtitle_share: float  # books with a subtitle
    long_subtitles: bool  # subtitles of their own words rather than "A Novel"
    series_share: float  # draws that open a series rather than a single book
    series_volumes: tuple[int, int]  # volumes in a series, fewest and most
    shared_title_share: float  # single books reusing an earlier title under another author
    author_forms: tuple[float, ...]  # weights of AUTHOR_FORMS in the tracker
    book_isbn_share: float  # tracker books with an ISBN stored
    item_isbn_share: float  # library items carrying an ISBN
    absent_share: float  # library items whose book is not in the tracker
    sibling_share: float  # of the absent ones, another volume of a series the tracker has
    noise_share: float  # present items whose Audible title is spelt differently


MIXES: dict[str, Mix] = {
    "long_titles": Mix(
        description="non-fiction shapes: 4-12 word titles, long subtitles, several authors, 15 % ISBNs, 25 % absent",
        title_words=(4, 12),
        zipf=1.0,
        coined_words=3000,
        subtitle_share=0.6,
        long_subtitles=True,
        series_share=0.03,
        series_volumes=(2, 4),
        shared_title_share=0.05,
        author_forms=(0.3, 0.3, 0.15, 0.2, 0.05),
        book_isbn_share=0.6,
        item_isbn_share=0.15,
        absent_share=0.25,
        sibling_share=0.1,
        noise_share=0.5,
    ),
    "series_heavy": Mix(
        description="half the books in series of 3-20 volumes, 1-3 word titles, 'Last, First' and initials, "
        "5 % ISBNs, 15 % absent (most of them other volumes)",
        title_words=(1, 3),
        zipf=0.9,
        coined_words=20000,
        subtitle_share=0.1,
        long_subtitles=False,
        series_share=0.08,
        series_volumes=(3, 20),
        shared_title_share=0.1,
        author_forms=(0.25, 0.5, 0.2, 0.0, 0.05),
        book_isbn_share=0.5,
        item_isbn_share=0.05,
        absent_share=0.15,
        sibling_share=0.6,
        noise_share=0.5,
    ),
    "common_words": Mix(
        description="2-5 words from a small vocabulary (most titles share words), several authors, "
        "no ISBNs, 40 % absent",
        title_words=(2, 5),
        zipf=1.2,
        coined_words=500,
        subtitle_share=0.3,
        long_subtitles=False,
        series_share=0.05,
        series_volumes=(2, 6),
        shared_title_share=0.15,
        author_forms=(0.4, 0.2, 0.0, 0.3, 0.1),
        book_isbn_share=0.0,
        item_isbn_share=0.0,
        absent_share=0.4,
        sibling_share=0.2,
        noise_share=0.6,
    ),
}
MIX_NAMES = ("baseline", *MIXES)


class _Words:
    """Title words drawn from the mix's Zipf-like law over the ranked vocabulary."""

    def __init__(self, rng: random.Random, mix: Mix):
        coined: dict[str, None] = {}
        while len(coined) < mix.coined_words:
            word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 4)))
            coined[word] = None
        self.vocabulary = [*COMMON_WORDS, *ADJECTIVES, *NOUNS, *(p.lower() for p in PLACES), *coined]
        self.cum_weights = list(
            itertools.accumulate(1.0 / (rank + 2) ** mix.zipf for rank in range(len(self.vocabulary)))
        )
        self.rng = rng
        self.mix = mix

    def title(self, low: int | None = None, high: int | None = None) -> str:
        low = low or self.mix.title_words[0]
        high = high or self.mix.title_words[1]
        count = self.rng.randint(low, high)
        words: list[str] = []
        while len(words) < count:
            # Repeats are redrawn: a title seldom says the same word twice.
            word = self.rng.choices(self.vocabulary, cum_weights=self.cum_weights)[0]
            if word not in words:
                words.append(word)
        if count >= 3 and self.rng.random() < 0.5:
            words.insert(self.rng.randrange(1, count), self.rng.choice(("of", "and", "of the", "in the")))
        if self.rng.random() < 0.35:
            words.insert(0, "The")
        return " ".join(w if w in ("of", "and", "of the", "in the") else w.title() for w in words)

    def subtitle(self) -> str:
        if not self.mix.long_subtitles:
            return self.rng.choice(SUBTITLES)
        opening = self.rng.choice(LONG_SUBTITLE_OPENINGS)
        return f"{opening} {self.title(3, 8)}".strip()


@dataclass
class _Author:
    """One book's authors, as the tracker stores them and as Audible lists them."""

    tracker: str | None
    audible: str


def _author(rng: random.Random, mix: Mix) -> _Author:
    form = rng.choices(AUTHOR_FORMS, weights=mix.author_forms)[0]
    first, last = _person(rng)
    if form == "first_last":
        return _Author(f"{first} {last}", f"{first} {last}")
    if form == "last_first":
        return _Author(f"{last}, {first}", f"{first} {last}")
    if form == "initials":
        initials = f"{first[0]}. {rng.choice(FIRST_NAMES)[0]}."
        tracker = f"{last}, {initials}" if rng.random() < 0.5 else f"{initials.replace(' ', '')} {last}"
        return _Author(tracker, f"{initials} {last}")
    if form == "several":
        people = [(first, last)] + [_person(rng) for _ in range(rng.randrange(1, 3))]
        joiner = " & " if rng.random() < 0.5 else ", "
        tracker = joiner.join(f"{f} {la}" for f, la in people)
        # Audible lists every author; some trackers keep only the first.
        return _Author(
            tracker if rng.random() < 0.8 else f"{first} {last}", ", ".join(f"{f} {la}" for f, la in people)
        )
    return _Author(None, f"{first} {last}")


def _series_title_shape(rng: random.Random, title: str, series: str, volume: int) -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return f"{title} ({series}, #{volume})"
    if shape == 1:
        return f"{series}, Book {volume}: {title}"
    if shape == 2:
        return f"{title} ({series} Book {volume})"
    return title


def _noisy(rng: random.Random, title: str) -> str:
    noise = rng.random()
    if noise < 0.3:
        return title + " (Unabridged)"
    if noise < 0.45:
        return title.replace("The ", "", 1)
    if noise < 0.7:
        return _typo(rng, title)
    return title.upper() if noise < 0.8 else title.lower()


def _asin(rng: random.Random, used: set[str]) -> str:
    while True:
        asin = "B0" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))
        if asin not in used:
            used.add(asin)
            return asin


def _series_item(rng: random.Random, item: dict, series: str, volume: int) -> None:
    item["subtitle"] = (
        f"{series}, Book {volume}"
        if rng.random() < 0.5 or volume > len(ORDINALS)
        else f"Book {ORDINALS[volume - 1]} of {series}"
    )
    item["series_title"] = series
    item["series_sequence"] = str(volume)


def _mix_series(
    rng: random.Random, words: _Words, mix: Mix, author: _Author, room: int, series_seen: list[dict]
):
    """A series of the mix's length by one author (at most ``room`` volumes): tracker books and their meta."""
    series = {"name": words.title(1, 3), "author": author, "volumes": 0}
    series_seen.append(series)
    volumes = []
    for volume in range(1, rng.randint(*mix.series_volumes) + 1):
        if len(volumes) >= room:
            break
        title = words.title()
        series["volumes"] = volume
        shown = _series_title_shape(rng, title, series["name"], volume)
        volumes.append(
            ({"title": shown}, {"title": title, "author": author, "series": series["name"], "volume": volume})
        )
    return volumes


def _mix_single_book(rng: random.Random, words: _Words, mix: Mix, author: _Author, titles_seen: list[str]):
    if titles_seen and rng.random() < mix.shared_title_share:
        title = rng.choice(titles_seen)
    else:
        title = words.title()
        titles_seen.append(title)
    subtitle = words.subtitle() if rng.random() < mix.subtitle_share else None
    shown = f"{title}: {subtitle}" if subtitle and rng.random() < 0.6 else title
    return {"title": shown}, {"title": title, "author": author, "subtitle": subtitle}


def _mix_tracker(rng: random.Random, words: _Words, mix: Mix, books: int):
    """The mix's tracker books with ids, authors and ISBNs; their meta; the series they hold."""
    tracker: list[dict] = []
    meta: list[dict] = []
    titles_seen: list[str] = []
    series_seen: list[dict] = []
    while len(tracker) < books:
        author = _author(rng, mix)
        if rng.random() < mix.series_share:
            pairs = _mix_series(rng, words, mix, author, books - len(tracker), series_seen)
        else:
            pairs = [_mix_single_book(rng, words, mix, author, titles_seen)]
        for book, info in pairs:
            tracker.append(book)
            meta.append(info)
    for index, (book, info) in enumerate(zip(tracker, meta, strict=True)):
        book["id"] = index + 1
        book["author"] = info["author"].tracker
        info["isbn13"] = _isbn13(rng)
        if rng.random() < mix.book_isbn_share:
            book["isbn"] = info["isbn13"] if rng.random() < 0.5 else _isbn10(info["isbn13"])
        else:
            book["isbn"] = None
    return tracker, meta, series_seen


def _mix_item_title(
    rng, words: _Words, mix: Mix, item: dict, meta: list[dict], series_seen: list[dict]
) -> str:
    """Title, authors and series of one library item; returns the ISBN-13 it would carry."""
    if rng.random() >= mix.absent_share and meta:
        book = rng.randrange(len(meta))
        info = meta[book]
        item[TRUE_BOOK] = book + 1
        title = info["title"]
        item["title"] = _noisy(rng, title) if rng.random() < mix.noise_share else title
        item["authors"] = info["author"].audible
        if info.get("series"):
            _series_item(rng, item, info["series"], info["volume"])
        elif info.get("subtitle"):
            item["subtitle"] = info["subtitle"]
        return info["isbn13"]
    if series_seen and rng.random() < mix.sibling_share:
        # A later volume of a series the tracker holds: same author, same series, new title.
        series = rng.choice(series_seen)
        item["title"] = words.title()
        item["authors"] = series["author"].audible
        _series_item(rng, item, series["name"], series["volumes"] + rng.randint(1, 3))
        return _isbn13(rng)
    item["title"] = words.title()
    item["authors"] = _author(rng, mix).audible
    if rng.random() < mix.subtitle_share:
        item["subtitle"] = words.subtitle()
    return _isbn13(rng)


def _generate_mix(items: int, books: int, seed: int, mix: Mix) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    words = _Words(rng, mix)
    tracker, meta, series_seen = _mix_tracker(rng, words, mix, books)
    library: list[dict] = []
    used: set[str] = set()
    for _ in range(items):
        percent = round(rng.random() * 100, 1)
        item: dict = {
            "asin": _asin(rng, used),
            "narrators": rng.choice(NARRATORS),
            "percent_complete": percent,
            "is_finished": percent > 97,
            "runtime_length_min": rng.randrange(90, 2400),
        }
        isbn13 = _mix_item_title(rng, words, mix, item, meta, series_seen)
        if rng.random() < mix.item_isbn_share:
            item["isbn"] = isbn13 if rng.random() < 0.5 else _isbn10(isbn13)
        library.append(item)
    return library, tracker
