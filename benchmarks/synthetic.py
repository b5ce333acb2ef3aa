"""Deterministic synthetic Audible libraries and tracker books for benchmarks.

`generate(items, books, seed)` returns (library item dicts in the audible-cli
export shape, tracker book dicts {id, title, author, isbn}). Titles and authors
have realistic shapes: articles, subtitles, series volumes ("The Ember Crown,
Book 3"), titles shared by different authors, "Last, First" authors, ISBN-10
and ISBN-13 with hyphens. Of the library items about 30% carry the ISBN of
their tracker book, 50% only a noisy title/author, 20% are absent from the
tracker.
"""

from __future__ import annotations

import random

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


def _new_asin(rng: random.Random, used: set[str]) -> str:
    while True:
        asin = "B0" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))
        if asin not in used:
            used.add(asin)
            return asin


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
        asin = _new_asin(rng, used)
        roll = rng.random()
        item: dict = {
            "asin": asin,
            "narrators": rng.choice(NARRATORS),
            "percent_complete": round(rng.random() * 100, 1),
        }
        item["is_finished"] = item["percent_complete"] > 97
        item["runtime_length_min"] = rng.randrange(90, 2400)
        if roll < 0.8 and meta:
            _describe_tracker_book(rng, item, meta[rng.randrange(len(meta))], roll)
        else:
            first, last = _person(rng)
            item["title"] = _title(rng)
            item["authors"] = f"{first} {last}"
        library.append(item)
    return library


def generate(items: int, books: int, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """(library items, tracker books): deterministic for a given (items, books, seed)."""
    rng = random.Random(seed)
    tracker, meta = _tracker_titles(rng, books)
    _add_ids_authors_isbns(rng, tracker, meta)
    return _library_items(rng, items, meta), tracker
