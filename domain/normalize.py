"""Normalising book titles, authors and ISBNs so an Audible item and a tracker book compare fairly.

Pure Python (stdlib only): the matcher, the CLI preview and the tests all use it
without Dagster or a database.

Audible titles carry a lot that the reader's tracker usually does not:
"(Unabridged)", "[Naxos AudioBooks Edition]", "A Novel", series markers
("The Stormlight Archive, Book 1", "Book Three of The Wheel of Time"),
subtitles the tracker may or may not keep, and authors with roles
("Bibek Debroy - translator"). What is noise is dropped; what tells two books
of one series apart (volume and part numbers, omnibus ranges, companion words)
is *extracted* rather than thrown away, because losing it is how a matcher
links Book 2 to Book 3.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

# Longest input we look at. Real titles are far shorter; capping keeps the
# regexes linear-time cheap on garbage (a 10 kB "title" must not stall a sync).
MAX_INPUT = 1000

_TRANSLATE = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "‘": "'",
        "’": "'",
        "ʼ": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "–": " - ",
        "—": " - ",
        "―": " - ",
        "‐": "-",
        "‑": "-",
        "‒": "-",
    }
)

ARTICLES = frozenset({"the", "a", "an"})
# Words too common to identify a title on their own (used for blocking and for
# "is this title distinctive enough" checks, never removed from the title).
STOPWORDS = frozenset(
    {"the", "a", "an", "of", "and", "to", "in", "on", "for", "with", "at", "by", "from", "or", "is"}
)

_WORD_NUMBERS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
}
_WORD_NUMBERS.update(
    {
        w: str(i)
        for i, w in enumerate(
            "zeroth first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
            "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split()
        )
    }
)
_ROMAN_VALUES = {"i": 1, "v": 5, "x": 10, "l": 50, "c": 100}
_DECIMAL = re.compile(r"\d+(?:\.\d+)?")


def roman_to_int(text: str) -> int | None:
    """Value of a well-formed Roman numeral made of I, V, X, L, C (1..399); None otherwise."""
    text = text.lower()
    if not text or len(text) > 9 or any(ch not in _ROMAN_VALUES for ch in text):
        return None
    total = 0
    for i, ch in enumerate(text):
        value = _ROMAN_VALUES[ch]
        if i + 1 < len(text) and _ROMAN_VALUES[text[i + 1]] > value:
            total -= value
        else:
            total += value
    # Round-trip check rejects malformed forms such as "iiii" or "vx".
    return total if 0 < total < 400 and int_to_roman(total) == text else None


def int_to_roman(value: int) -> str:
    parts = []
    for number, numeral in (
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while value >= number:
            parts.append(numeral)
            value -= number
    return "".join(parts)


@lru_cache(maxsize=1024)  # marker numbers are a small, often repeated set ("1", "ii", "three")
def number_value(token: str) -> str | None:
    """'3', 'three', 'third', 'III', '2.5' -> canonical digits ('3', '2.5'); None if not a number."""
    token = token.strip().lower().rstrip(".")
    if not token:
        return None
    if _DECIMAL.fullmatch(token):
        whole, _, frac = token.partition(".")
        whole = str(int(whole))
        frac = frac.rstrip("0")
        return f"{whole}.{frac}" if frac else whole
    if token in _WORD_NUMBERS:
        return _WORD_NUMBERS[token]
    roman = roman_to_int(token)
    return None if roman is None else str(roman)


def fold(text: str) -> str:
    """Lower-case, strip diacritics, unify quotes and dashes; keeps punctuation."""
    text = text[:MAX_INPUT]
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_TRANSLATE))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
        text = text.translate(_TRANSLATE)
    # Control and format characters become spaces rather than glueing words together.
    text = "".join(ch if ch.isprintable() else " " for ch in text) if not text.isprintable() else text
    return text.casefold()


_DIGIT_GROUP = re.compile(r"(?<=\d)[,.](?=\d{3}\b)")
_NON_WORD = re.compile(r"[\W_]+")  # letters of every script survive, punctuation goes
# Standalone Roman numerals II..XXXIX become digits so "Rocky II" equals "Rocky 2".
# A lone "i" is left alone (far more often the pronoun); larger numerals are rare
# in titles and collide with words and names ("li", "cc").
# Cardinal number words become digits so "Around the World in Eighty Days" equals
# "... in 80 Days". Ordinals stay words: "Second Foundation" is not "Foundation 2".
_CARDINALS = {
    w: str(i)
    for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
        "fifteen sixteen seventeen eighteen nineteen".split()
    )
}
_CARDINALS.update(
    {w: str(10 * i) for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
)


# Roman numeral and cardinal-word tokens -> digits, looked up word by word (a dict
# lookup is far cheaper than another regex pass over every title).
_WORD_TO_DIGITS = {int_to_roman(v): str(v) for v in range(2, 40)}
_WORD_TO_DIGITS.update(_CARDINALS)


def _ascii_table(to_space: str) -> bytes:
    """A bytes.translate table turning the characters of `to_space` into spaces."""
    return bytes(32 if chr(c) in to_space else c for c in range(256))


# ASCII text needs no Unicode-aware regex: every ASCII character that _NON_WORD
# would remove (punctuation, "_", controls) becomes a space in one bytes.translate
# (str.translate with a dict is several times slower: it looks up every character).
_ASCII_NON_WORD = _ascii_table("".join(chr(c) for c in range(128) if not chr(c).isalnum()))


def clean_words(text: str, *, roman: bool = True) -> str:
    """Folded text -> space-separated [0-9a-z] words; '&' is 'and', apostrophes vanish."""
    if "&" in text:
        text = text.replace("&", " and ")
    text = text.replace("'", "")
    if "," in text or "." in text:
        text = _DIGIT_GROUP.sub("", text)
    if text.isascii():
        words = text.encode("ascii").translate(_ASCII_NON_WORD).decode("ascii").split()
    else:
        words = _NON_WORD.sub(" ", text).split()
    if roman:
        lookup = _WORD_TO_DIGITS
        words = [lookup.get(w, w) for w in words]
    return " ".join(words)


def strip_articles(text: str) -> str:
    words = text.split()
    while len(words) > 1 and words[0] in ARTICLES:
        words.pop(0)
    return " ".join(words)


_ARTICLE_PREFIXES = tuple(f"{article} " for article in ARTICLES)


def _strip_articles_clean(words: str) -> str:
    """strip_articles for clean_words output (single spaces, no edge spaces), without re-splitting."""
    while words.startswith(_ARTICLE_PREFIXES):
        words = words[words.index(" ") + 1 :]
    return words


# --- series, volume and part markers -------------------------------------------------

_NUM = r"\d+(?:\.\d+)?|[ivxlc]{1,9}|" + "|".join(sorted(_WORD_NUMBERS, key=len, reverse=True))
# "Book 3", "Vol. 2", "Volume II", "Book Three", "Books 1-3", "Part 1", "Series 2",
# "#4", "Book #4". Ranges make an omnibus. Keywords "no."/"number" are left out on
# purpose: "The No. 1 Ladies' Detective Agency" is a title, not a volume.
_MARKER = re.compile(
    rf"(?:(?P<kw>books?|bk|volumes?|vols?|tomes?|series|seasons?|episodes?|acts?|parts?|pt)\.?\s*#?\s*|#\s*)"
    rf"(?P<num>{_NUM})(?:\s*(?:-|to|through|&|and)\s*(?P<num2>{_NUM}))?"
    r"(?=$|[\s,;:.)\]}])"
)
_MARKER_START = re.compile(r"(?:^|(?<=[\s,(\[{:;.-]))")
_SERIES_WORDS = re.compile(
    r"\b(?:series|trilogy|saga|chronicles|cycle|sequence|quartet|prequel|novella|novel)\s*$"
)
_COMPANION = re.compile(
    r"\b(?:making of|companion|behind the scenes|workbook|"
    r"screenplay|annotated|unofficial guide|official guide|illustrated guide|reader'?s guide|"
    r"analysis of|the art of the (?:film|movie)|the science of the|critical guide|"
    r"graphic (?:novel|history|adaptation)|coloring book|colouring book|quiz book|cookbook|trivia)\b"
)
# Another form of the same work (performed, cut or summarised), by kind. Unlike a companion
# work a reader may well log it as the book itself, so it is never linked to a plain book
# but left for a person to decide. "Full cast" alone is not one: full-cast readings of the
# unabridged text are common.
_ADAPTATION = re.compile(
    r"\b(?:(?P<dramatisation>dramati[sz](?:ed|ations?)|radio (?:drama|play|adaptation|production|series|serial)s?|"
    r"audio (?:drama|play)s?|bbc radio|adaptations?)|"
    r"(?P<abridged>abridged)|"
    r"(?P<summary>summary|summaries|sparknotes|cliffsnotes|study guide|literature guide))\b"
)
_OMNIBUS = re.compile(
    r"\b(?:box(?:ed)? set|omnibus|collection|anthology|complete (?:works|novels|series|stories|saga|trilogy|collection)|"
    r"collected (?:works|stories|novels)|\d+[- ]book|\d+ books? in (?:1|one)|(?:two|three|four|five|\d+) novels|"
    r"trilogy of \w+|the (?:complete|whole) (?:trilogy|series|saga|cycle))\b"
)
_OMNIBUS_MAIN = re.compile(r"\b(?:trilogy|quartet|quintet)\s*$")
_EDITION = re.compile(
    r"\b(?:(?:anniversary|special|revised|updated|expanded|deluxe|collector'?s|illustrated|definitive|classic tales|"
    r"naxos audio ?books|naxos|audible|audio|new|\d+(?:st|nd|rd|th)|first|second|third|international|"
    r"movie tie-in|tie-in|media tie-in|unabridged|abridged|bbc|radio|reprint|paperback|hardcover|"
    r"library|enhanced|uk|us|american|british)\s+)+edition\b"
)
_NOISE_PHRASES = re.compile(
    r"\b(?:unabridged|abridged|dramati[sz]ed(?: adaptation)?|dramati[sz]ations?|adaptations?|"
    r"full[- ]cast(?: recording| production)?|radio (?:drama|dramati[sz]ation|play|adaptation|series)s?|"
    r"bbc(?: radio)?(?: \d+)?|audible (?:original|edition|exclusive|studios)|audio ?(?:book|drama|edition)s?|"
    r"original recording|recording|narrated by .*|read by .*|with an introduction by .*|penguin classics|"
    r"updated|expanded|revised|edition|version|a novel|novel|a memoir|a thriller|a mystery|"
    r"a novella|a romance|a love story|book club|selections?|complete and)\b"
)
_FILLER = frozenset({"a", "an", "the", "and", "with", "of", "by", "in", "new", "s", "4", "4s"})
_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_PUNCT_TO_SPACE = str.maketrans({ch: " " for ch in _PUNCT})
_ASCII_PUNCT_TO_SPACE = _ascii_table(_PUNCT)
# Every word the noise patterns can remove: a segment with any other word is not noise.
_NOISE_VOCAB = frozenset(
    """unabridged abridged dramatized dramatised adaptation adaptations dramatization dramatisation
    dramatizations dramatisations full cast recording production radio drama play series bbc audible
    original edition exclusive studios audio audiobook audiobooks book books original penguin classics
    updated expanded revised version novel memoir thriller mystery novella romance love story club
    selection selections complete and anniversary special deluxe collector collectors illustrated
    definitive classic tales naxos new first second third international movie tie in media reprint
    paperback hardcover library enhanced uk us american british a an the with of by s""".split()
)
_NOISE_TRIGGERS = frozenset({"narrated", "read", "introduction"})
_SERIES_LAST_WORDS = frozenset(
    {"series", "trilogy", "saga", "chronicles", "cycle", "sequence", "quartet", "prequel", "novella", "novel"}
)
_OMNIBUS_TRIGGERS = frozenset(
    {"box", "boxed", "omnibus", "collection", "anthology", "complete", "collected", "book", "books", "novels",
     "trilogy", "quartet", "quintet", "whole"}
)  # fmt: skip
_COMPANION_TRIGGERS = frozenset(
    """making companion behind workbook screenplay annotated unofficial official illustrated reader readers
    analysis art science critical graphic coloring colouring quiz cookbook trivia""".split()
)
_ADAPTATION_TRIGGERS = frozenset(
    """dramatised dramatized dramatisation dramatization dramatisations dramatizations radio audio bbc
    adaptation adaptations abridged summary summaries sparknotes cliffsnotes study literature""".split()
)
_MARKER_TRIGGERS = frozenset(
    "book books bk volume volumes vol vols tome tomes series season seasons episode episodes act acts part parts pt".split()
)


def _punct_to_space(text: str) -> str:
    if text.isascii():  # the common case, and much faster as bytes
        return text.encode("ascii").translate(_ASCII_PUNCT_TO_SPACE).decode("ascii")
    return text.translate(_PUNCT_TO_SPACE)


def _word_set(text: str) -> set[str]:
    return set(_punct_to_space(text).split())


@dataclass(frozen=True, slots=True)
class Marker:
    kind: str  # "volume" or "part"
    values: tuple[str, ...]
    is_range: bool


def _marker_kind(keyword: str | None) -> str:
    if keyword and keyword.startswith(("part", "pt")):
        return "part"
    return "volume"


def extract_markers(text: str) -> tuple[str, list[Marker]]:
    """Remove series/volume/part markers from folded text; return the rest and the markers."""
    return _extract_markers(text, None)


def _extract_markers(text: str, words: set[str] | None) -> tuple[str, list[Marker]]:
    """extract_markers with the caller's _word_set(text), when it has one, for the pre-check.

    With no marker found the rest is `text` itself, so the caller can keep its word set.
    """
    found: list[Marker] = []
    if "#" not in text and _MARKER_TRIGGERS.isdisjoint(_word_set(text) if words is None else words):
        return text, found  # cheap pre-check: most titles have no marker at all

    def replace(match: re.Match[str]) -> str:
        start = match.start()
        if start > 0 and not (text[start - 1].isspace() or text[start - 1] in ",([{:;.-"):
            return match.group(0)
        kw = match.group("kw")
        first = number_value(match.group("num"))
        if first is None or (kw is None and not _DECIMAL.fullmatch(match.group("num"))):
            return match.group(0)
        second = number_value(match.group("num2")) if match.group("num2") else None
        if match.group("num2") and second is None:
            return match.group(0)
        if second is not None:
            found.append(Marker(_marker_kind(kw), (first, second), True))
        else:
            found.append(Marker(_marker_kind(kw), (first,), False))
        return " "

    rest = _MARKER.sub(replace, text)
    return rest, found


# --- ISBN ------------------------------------------------------------------------------


_ISBN_PREFIX = re.compile(r"^\s*ISBN(?:-1[03])?:?")
_ISBN_SEPARATORS = re.compile(r"[\s\-‐‑–.]")
_ISBN10 = re.compile(r"\d{9}[\dX]")
_ISBN13 = re.compile(r"97[89]\d{10}")


_ASCII_DIGIT_VALUES = bytes.maketrans(b"0123456789", bytes(range(10)))


def _digit_values(digits: str) -> bytes | list[int]:
    """The values of a string of decimal digits (an int() per character is the slow part)."""
    if digits.isascii():
        return digits.encode("ascii").translate(_ASCII_DIGIT_VALUES)
    return [int(ch) for ch in digits]  # other scripts' digits, which \d also accepts


def _isbn10_valid(digits: str) -> bool:
    # Only an ISBN-10 that passed _ISBN10 gets here: "X" can only be the last character.
    total = sum(map(operator.mul, range(10, 1, -1), _digit_values(digits[:9])))
    total += 10 if digits[9] == "X" else int(digits[9])
    return total % 11 == 0


def _isbn13_check(first12: str) -> str:
    # Weights alternate 1, 3, 1, 3...: sum the even and the odd positions separately.
    values = _digit_values(first12)
    total = sum(values[::2]) + 3 * sum(values[1::2])
    return str((10 - total % 10) % 10)


def normalize_isbn(raw: object) -> str | None:
    """ISBN-13 digits for a valid ISBN-10 or ISBN-13 (hyphens, spaces, 'ISBN' prefix ignored).

    ISBN-10 and ISBN-13 of one book normalise to the same string. Anything that
    fails its checksum returns None: a mistyped ISBN must not link two books.
    """
    if raw is None:
        return None
    text = str(raw)[:64].upper()
    # Most stored ISBNs are already bare ASCII digits: nothing to strip then.
    if not (text.isascii() and text.isdigit()):
        if "ISBN" in text:
            text = _ISBN_PREFIX.sub("", text)
        text = _ISBN_SEPARATORS.sub("", text)
    # Both forms have a fixed length: compare it before running a pattern.
    if len(text) == 10 and _ISBN10.fullmatch(text):
        if not _isbn10_valid(text):
            return None
        first12 = "978" + text[:9]
        return first12 + _isbn13_check(first12)
    if len(text) == 13 and _ISBN13.fullmatch(text):
        return text if _isbn13_check(text[:12]) == text[12] else None
    return None


# --- titles ----------------------------------------------------------------------------

_BRACKETS = re.compile(r"[(\[{]([^()\[\]{}]*)[)\]}]")
_SEPARATORS = re.compile(r"\s*:\s*|\s+-\s+|\s*;\s*|\s*\|\s*|\s*/\s+")


def _split_segments(text: str) -> list[str]:
    if ":" in text or " - " in text or ";" in text or "|" in text or "/ " in text:
        if "-" not in text and ";" not in text and "|" not in text and "/" not in text:
            # Only colons can separate: split and strip the whitespace _SEPARATORS's
            # \s* would take around each colon, several times faster than the regex.
            parts = text.split(":")
            return [parts[0].rstrip(), *(p.strip() for p in parts[1:-1]), parts[-1].lstrip()]
        return _SEPARATORS.split(text)
    return [text]


@dataclass(frozen=True, slots=True)
class TitleInfo:
    """What a title says, split into the parts the matcher compares separately."""

    main: str  # normalised main title (before the first subtitle separator), articles dropped
    full: str  # main + kept subtitle, normalised
    subtitle: str  # normalised kept subtitle ("" when none)
    volumes: frozenset[str] = frozenset()  # volume/book numbers ("2", "2.5", "0")
    parts: frozenset[str] = frozenset()  # "Part 1" of a split volume
    essential: bool = False  # a volume/part number sits in the main title ("Mahabharata Vol 4")
    # A volume/part number stands in the title on its own: in the main title, or as a whole
    # subtitle or bracket ("Star Wars: Episode V", "The Sandman: Act II"), not as a position
    # in a named series ("The Stormlight Archive, Book 1").
    numbered_title: bool = False
    omnibus: bool = False  # box set, collection, "Books 1-3", series range "1-6"
    omnibus_range: tuple[str, ...] = ()
    companion: frozenset[str] = frozenset()  # companion-work words ("making of", "workbook"...)
    adaptation: frozenset[str] = frozenset()  # "dramatisation", "abridged", "summary"
    numbers: tuple[str, ...] = ()  # digit tokens of the main title ("Rocky 2" -> ("2",))
    tokens: frozenset[str] = field(default=frozenset())  # content words of main and full
    series: frozenset[str] = frozenset()  # series names seen in markers or series_title
    # The subtitle alone, when the main title is only the series name
    # ("Mistborn: The Final Empire: Mistborn, Book 1" -> "final empire"); "" otherwise.
    alt: str = ""


def _is_noise_segment(segment: str, words: set[str] | None = None) -> bool:
    if words is None:
        words = _word_set(segment)
    if _NOISE_TRIGGERS.isdisjoint(words) and any(
        w not in _NOISE_VOCAB and not w.isdigit() and not w[:1].isdigit() for w in words
    ):
        return False  # a word no noise pattern can remove: real content
    rest = _EDITION.sub(" ", segment)
    rest = _NOISE_PHRASES.sub(" ", rest)
    words = [w for w in clean_words(rest).split() if w not in _FILLER]
    return not words


def _adaptation_kinds(text: str, words: set[str]) -> tuple[str, ...]:
    if _ADAPTATION_TRIGGERS.isdisjoint(words):
        return ()
    return tuple(sorted({m.lastgroup or "" for m in _ADAPTATION.finditer(text)} - {""}))


def _segment_is_series_name(segment: str, series_title: str | None) -> bool:
    plain = _punct_to_space(segment).split()
    if plain and not series_title and plain[-1] not in _SERIES_LAST_WORDS:
        return False
    words = clean_words(segment)
    if not words:
        return True
    if series_title:
        series = _series_key(series_title)
        if series and strip_articles(words) == series:
            return True
    # "HBR Emotional Intelligence Series", "A Wheel of Time Novel", "The Wheel of Time Prequel"
    return bool(_SERIES_WORDS.search(words)) and len(words.split()) <= 6


@lru_cache(maxsize=1024)
def _series_adaptation(series_title: str) -> tuple[str, ...]:
    """Adaptation kinds a series title names ("Neil Gaiman Full-Cast Radio Adaptations")."""
    folded = fold(series_title)
    return _adaptation_kinds(folded, _word_set(folded))


@lru_cache(maxsize=1024)
def _series_key(series_title: str) -> str:
    """A series title as compared with title segments ("The Wheel of Time" -> "wheel of time")."""
    return strip_articles(clean_words(fold(series_title)))


@dataclass(frozen=True, slots=True)
class _Segment:
    """What one subtitle or bracket segment contributes to a TitleInfo (see _subtitle_segment)."""

    markers: tuple[Marker, ...]
    name: str  # the segment without its markers, as a series name ("" unless markers)
    omnibus: bool
    companion: tuple[str, ...]  # companion phrases, in order of appearance
    adaptation: tuple[str, ...]  # adaptation kinds (see _ADAPTATION)
    kept: str | None  # clean_words of a segment kept as subtitle; None when dropped


# Subtitle segments repeat across a library ("A Novel", "Unabridged", "The Wheel of
# Time, Book 3") and the noise check on them runs several regexes: analyse each
# distinct (segment, series_title) once. The result depends on nothing else.
@lru_cache(maxsize=4096)
def _subtitle_segment(segment: str, series_title: str | None) -> _Segment:
    words = _word_set(segment)
    seg_rest, markers = _extract_markers(segment, words)
    if markers:
        words = _word_set(seg_rest)
    omnibus = not _OMNIBUS_TRIGGERS.isdisjoint(words) and _OMNIBUS.search(seg_rest) is not None
    companion = (
        tuple(m.group(0) for m in _COMPANION.finditer(seg_rest))
        if not _COMPANION_TRIGGERS.isdisjoint(words)
        else ()
    )
    dropped = (
        bool(markers) or _is_noise_segment(seg_rest, words) or _segment_is_series_name(seg_rest, series_title)
    )
    return _Segment(
        markers=tuple(markers),
        name=strip_articles(clean_words(seg_rest)) if markers else "",
        omnibus=omnibus,
        companion=companion,
        adaptation=_adaptation_kinds(seg_rest, words),
        kept=None if dropped else clean_words(seg_rest),
    )


_SEQUENCE_RANGE = re.compile(r"(?:book\s*|#)?([\d.]+)\s*(?:-|to|,|&)\s*([\d.]+)")
_SEQUENCE_PREFIX = re.compile(r"^(?:book|volume|vol\.?|#)\s*")


def _take_brackets(text: str, taken: list[str]) -> str:
    """Replace bracketed chunks by a space, innermost first, appending their contents to `taken`."""

    def take_bracket(match: re.Match[str]) -> str:
        taken.append(match.group(1))
        return " "

    for _ in range(3):  # nested brackets
        new = _BRACKETS.sub(take_bracket, text)
        if new == text:
            break
        text = new
    return text


def _parse_sequence(sequence: str | None) -> tuple[list[str], tuple[str, ...]]:
    """series_sequence '3' -> (['3'], ()); '1-6' -> ([], ('1', '6')) an omnibus range."""
    if not sequence:
        return [], ()
    text = fold(str(sequence)).strip()
    match = _SEQUENCE_RANGE.fullmatch(text)
    if match:
        first, second = number_value(match.group(1)), number_value(match.group(2))
        if first and second:
            return [], (first, second)
    value = number_value(_SEQUENCE_PREFIX.sub("", text))
    return ([value] if value is not None else []), ()


@dataclass(slots=True)
class _Numbering:
    """What a title's segments say about volumes, parts, collections and companions."""

    volumes: list[str] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)
    essential: bool = False
    numbered_title: bool = False
    omnibus: bool = False
    omnibus_range: tuple[str, ...] = ()
    companion: set[str] = field(default_factory=set)
    adaptation: set[str] = field(default_factory=set)

    def add_markers(self, markers: Iterable[Marker]) -> None:
        for marker in markers:
            if marker.is_range:
                self.omnibus, self.omnibus_range = True, marker.values
            elif marker.kind == "part":
                self.parts.extend(marker.values)
            else:
                self.volumes.extend(marker.values)


def parse_title(
    title: str | None,
    subtitle: str | None = None,
    *,
    series_title: str | None = None,
    series_sequence: str | None = None,
    authors: tuple[str, ...] | list[str] = (),
) -> TitleInfo:
    """Parse a title (and an optional separate subtitle) into a TitleInfo.

    `authors` are normalised author names: a main title that is only the
    author's name ("David Attenborough - Life on Air") gives way to what follows.
    """
    main_raw, sub_raw, first_bracketed = _title_segments(fold(title or ""), subtitle)
    found = _Numbering()
    main_rest, main_words = _read_main_markers(main_raw, found)
    kept_subs: list[str] = []
    series_names: set[str] = set()
    if sub_raw or series_title:  # most tracker titles have neither
        kept_subs, series_names = _read_subtitles(sub_raw, first_bracketed, series_title, found)
    if series_sequence:
        _read_sequence(series_sequence, found)
    _read_main_kinds(main_rest, main_words, found)
    main = _main_title(main_rest, kept_subs, authors)
    return _title_info(main, kept_subs, series_names, found)


def _title_segments(text: str, subtitle: str | None) -> tuple[str, list[str], int]:
    """Folded title -> (main title, subtitle segments, index of the first bracketed segment).

    Bracketed chunks come last: noise among them is dropped later, markers are
    extracted, anything else becomes a subtitle segment ("(Series 1)" -> volume 1).
    """
    bracketed: list[str] = []
    if "(" in text or "[" in text or "{" in text:
        text = _take_brackets(text, bracketed)
    segments = [s for s in _split_segments(text) if s.strip()] or [""]
    sub_raw = segments[1:]
    if subtitle:
        sub_raw += [s for s in _split_segments(fold(subtitle)) if s.strip()]
    return segments[0], sub_raw + bracketed, len(sub_raw)


def _read_main_markers(main_raw: str, found: _Numbering) -> tuple[str, set[str]]:
    """Markers in the main title are essential ("Mahabharata Vol 4" is nothing but the
    volume); returns the main title without them, and its words."""
    words = _word_set(main_raw)
    rest, markers = _extract_markers(main_raw, words)
    if markers:
        words = _word_set(rest)
        found.essential = found.numbered_title = True
        found.add_markers(markers)
    return rest, words


def _read_subtitles(
    sub_raw: list[str], first_bracketed: int, series_title: str | None, found: _Numbering
) -> tuple[list[str], set[str]]:
    """Markers in subtitles only confirm ("Book Three of The Wheel of Time"); returns the
    clean_words of each kept segment and the series names seen."""
    kept: list[str] = []
    series_names: set[str] = set()
    if series_title:
        series_names.add(_series_key(series_title))
        found.adaptation.update(_series_adaptation(series_title))
    for position, segment in enumerate(sub_raw):
        seg = _subtitle_segment(segment, series_title)
        if seg.markers:
            series_names.add(seg.name)
            # "Fry's English Delight (Series 2)": a bracket holding only a number qualifies
            # the title itself, unlike "(Harry Potter, #2)" which names the series.
            if not seg.name:
                found.numbered_title = True
                if position >= first_bracketed:
                    found.essential = True
            found.add_markers(seg.markers)
        if seg.omnibus:
            found.omnibus = True
        found.companion.update(seg.companion)
        found.adaptation.update(seg.adaptation)
        if seg.kept is not None:
            kept.append(seg.kept)
    return kept, series_names


def _read_sequence(series_sequence: str | None, found: _Numbering) -> None:
    values, series_range = _parse_sequence(series_sequence)
    found.volumes.extend(values)
    if series_range:
        found.omnibus, found.omnibus_range = True, found.omnibus_range or series_range


def _read_main_kinds(main_rest: str, main_words: set[str], found: _Numbering) -> None:
    """An omnibus ("The Hunger Games Trilogy") or companion ("The Hobbit Companion") by its main title."""
    # isdisjoint: no intersection set is built for every title.
    if not _OMNIBUS_TRIGGERS.isdisjoint(main_words) and (
        _OMNIBUS_MAIN.search(main_rest) or _OMNIBUS.search(main_rest)
    ):
        found.omnibus = True
    if not _COMPANION_TRIGGERS.isdisjoint(main_words):
        found.companion.update(m.group(0) for m in _COMPANION.finditer(main_rest))
    if not _ADAPTATION_TRIGGERS.isdisjoint(main_words):
        found.adaptation.update(_adaptation_kinds(main_rest, main_words))


def _main_title(main_rest: str, kept_subs: list[str], authors: tuple[str, ...] | list[str]) -> str:
    """The comparable main title; takes the first kept subtitle (off `kept_subs`) when the
    main title is empty or only names the author."""
    # Edition words glued to the main title ("Hamlet Anniversary Edition").
    if "edition" in main_rest:
        main_rest = _EDITION.sub(" ", main_rest)
    main = _strip_articles_clean(clean_words(main_rest))
    if kept_subs and main and main in authors:
        main = _strip_articles_clean(kept_subs.pop(0))
    if not main and kept_subs:
        main = _strip_articles_clean(kept_subs.pop(0))
    return main


def _title_info(main: str, kept_subs: list[str], series_names: set[str], found: _Numbering) -> TitleInfo:
    sub = " ".join(kept_subs).strip()
    full = f"{main} {sub}".strip() if sub else main
    alt = _strip_articles_clean(kept_subs[0]) if kept_subs and main in series_names else ""
    main_split = main.split()
    numbers = tuple(sorted([w for w in main_split if w.isdigit()]))
    all_words = main_split + sub.split() if sub else main_split
    tokens = frozenset([w for w in all_words if w not in STOPWORDS]) or frozenset(main_split)
    return TitleInfo(
        main=main,
        full=full,
        subtitle=sub,
        volumes=_frozen(found.volumes),
        parts=_frozen(found.parts),
        essential=found.essential,
        numbered_title=found.numbered_title,
        omnibus=found.omnibus,
        omnibus_range=found.omnibus_range,
        companion=_frozen(found.companion),
        adaptation=_frozen(found.adaptation),
        numbers=numbers,
        tokens=tokens | frozenset(alt.split()) if alt else tokens,
        series=_frozen([n for n in series_names if n]),
        alt=alt,
    )


_EMPTY: frozenset[str] = frozenset()


def _frozen(values: Collection[str]) -> frozenset[str]:
    # Most titles have no volumes, parts, companion words or series: one shared empty
    # set instead of four new ones (216 bytes each) saves ~85 MB on a 100k-book index.
    return frozenset(values) if values else _EMPTY


def title_words(title: str | None) -> frozenset[str]:
    """Every word a title can be looked up by: a superset of ``parse_title(title).tokens``.

    parse_title reads markers, subtitles, noise and adaptations, and costs several times
    more than this: indexing a large tracker needs only the words. The extra words this
    keeps (a series name, "unabridged", a volume number) only add a book to lists the
    matcher may look in; what decides is still the full parse, of the few books looked at.
    """
    text = fold(title or "")
    words = clean_words(text).split()
    if "," in text or "." in text:
        # "1,000" is one number, but the full parse may first read "Book 1" as a volume
        # and keep "000": both readings are words of the title.
        words += clean_words(text.replace(",", " ").replace(".", " ")).split()
    # Stop words too: a title of nothing else ("The #2") is found by them.
    return frozenset(words)


def normalize_title(title: str | None, subtitle: str | None = None) -> str:
    """The comparable main title: "The Way of Kings: The Stormlight Archive, Book 1 (Unabridged)" -> "way of kings".

    Idempotent: normalising a normalised title changes nothing.
    """
    result = parse_title(title, subtitle).main
    # Rare inputs ("book book 1 1") only settle after a second pass; iterate to a fixed point.
    for _ in range(8):
        again = parse_title(result).main
        if again == result:
            break
        result = again
    return result


# --- authors ---------------------------------------------------------------------------

_ROLE = re.compile(
    r"\s+-\s+(?:translator|translated|editor|edited|introduction|introductions|foreword|afterword|"
    r"adaptation|adapted|contributor|illustrator|narrator|compiler|reteller|retold|preface|notes)\w*.*$"
)
_ROLE_PAREN = re.compile(r"\((?:translator|trans|editor|ed|introduction|foreword|adapter|illustrator)[^)]*\)")
_HONORIFICS = frozenset(
    {"dr", "mr", "mrs", "ms", "prof", "professor", "sir", "dame", "rev", "lord", "lady", "phd", "md", "psyd",
     "jr", "sr", "esq", "lcsw", "rn", "msc", "mba", "dphil", "frs", "obe", "mbe", "cbe", "lmft", "lpc"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    """One author name split for comparison: 'J.R.R. Tolkien' -> given ('j','r','r'), surname 'tolkien'."""

    given: tuple[str, ...]
    surname: str
    role: str | None = None  # "translator", "introductions", ... (a contributor, not the writer)

    @property
    def key(self) -> str:
        return " ".join((*self.given, self.surname)).strip()


def _name_words(name: str) -> list[str]:
    text = fold(name).replace(".", ". ")
    # No Roman-numeral rewriting in names: "Lindsay C. Gibson" is not "Lindsay 100 Gibson".
    words = clean_words(text, roman=False).split()
    return [w for w in words if w not in _HONORIFICS]


def parse_person(name: str, *, last_first: bool = False) -> Person | None:
    """'J. R. R. Tolkien' or ('Tolkien, J.R.R.', last_first=True) -> Person; None if nothing is left."""
    role = None
    folded = fold(name)
    # Both role patterns need a literal "-" or "(": most names have neither.
    role_match = _ROLE.search(folded) if "-" in folded else None
    if role_match:
        role = role_match.group(0).strip(" -").split()[0]
        folded = folded[: role_match.start()]
    paren = _ROLE_PAREN.search(folded) if "(" in folded else None
    if paren:
        role = role or paren.group(0).strip("()").split()[0]
        folded = _ROLE_PAREN.sub(" ", folded)
    if last_first and "," in folded:
        last, _, first = folded.partition(",")
        words_last, words_first = _name_words(last), _name_words(first)
        if not words_last:
            return None
        return Person(tuple(words_first) + tuple(words_last[:-1]), words_last[-1], role)
    words = _name_words(folded)
    if not words:
        return None
    return Person(tuple(words[:-1]), words[-1], role)


def normalize_author(name: str | None) -> str:
    """'J.R.R. Tolkien', 'J. R. R. Tolkien' and 'Tolkien, J.R.R.' -> 'j r r tolkien'."""
    if not name:
        return ""
    person = parse_person(name, last_first="," in name)
    return person.key if person else ""


_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s+&\s+|\s+and\s+|\s*/\s*|\s+with\s+")
_ITEM_AUTHOR_SPLIT = re.compile(r"\s*,\s*|\s*;\s*|\s+&\s+")

# The same author fields come back again and again (one author writes many books;
# a tracker of 100k books has far fewer distinct author fields), so each distinct
# field is split and parsed once. The cached value is a tuple of frozen Persons,
# safe to share; the public functions hand out a new list each call so a caller
# that mutates its list cannot corrupt the cache. Bounded LRUs keep the frequent
# authors and the memory small (a few hundred bytes an entry, about 6 MB when the
# tracker cache is full; a tracker index holds these Persons anyway).
_TRACKER_AUTHOR_CACHE_SIZE = 16384  # index build: one call per tracker book
_ITEM_AUTHOR_CACHE_SIZE = 4096  # matching: one call per library item


def split_item_authors(field_value: str | None) -> list[Person]:
    """An Audible authors field ('First Last, First Last - translator') -> people, in order.

    Audible never writes "Last, First", so every comma separates two people.
    """
    if not field_value:
        return []
    return list(_item_people(field_value))


@lru_cache(maxsize=_ITEM_AUTHOR_CACHE_SIZE)
def _item_people(field_value: str) -> tuple[Person, ...]:
    people = []
    for piece in _ITEM_AUTHOR_SPLIT.split(field_value):
        person = parse_person(piece) if piece.strip() else None
        if person:
            people.append(person)
    return tuple(people)


def split_tracker_authors(field_value: str | None) -> list[Person]:
    """A tracker author field -> every plausible person in it.

    The tracker joins authors with ", " or " & " but readers also type
    "Tolkien, J.R.R.". A two-part comma field is ambiguous ("Le Guin, Ursula K."
    vs "Chris Voss, Tahl Raz"), so both readings are returned: a spurious extra
    reading can only make an author *match*, never invent a mismatch.
    """
    if not field_value:
        return []
    return list(_tracker_people(field_value))


@lru_cache(maxsize=_TRACKER_AUTHOR_CACHE_SIZE)
def _tracker_people(field_value: str) -> tuple[Person, ...]:
    people: list[Person] = []
    for chunk in _tracker_author_chunks(field_value):
        if chunk.strip():
            people.extend(_chunk_people(chunk))
    seen: set[tuple[tuple[str, ...], str]] = set()
    unique = []
    for person in people:
        if (person.given, person.surname) not in seen:
            seen.add((person.given, person.surname))
            unique.append(person)
    return tuple(unique)


def _tracker_author_chunks(field_value: str) -> list[str]:
    # Every separator needs one of these; a single author needs no regex split.
    if (
        ";" in field_value
        or "&" in field_value
        or "/" in field_value
        or "and" in field_value
        or "with" in field_value
    ):
        return _AUTHOR_SPLIT.split(field_value)
    return [field_value]


def _chunk_people(chunk: str) -> list[Person]:
    """One author chunk; a two-part comma chunk gives both of its readings."""
    people = []
    pieces = [p for p in chunk.split(",") if p.strip()]
    if len(pieces) == 2:
        person = parse_person(chunk, last_first=True)
        if person:
            people.append(person)
    for piece in pieces:
        person = parse_person(piece)
        if person and _stands_alone(person, pieces):
            people.append(person)
    return people


def _stands_alone(person: Person, pieces: list[str]) -> bool:
    """False for the leftovers of a "Last, First" chunk read as two names."""
    # A lone "J.R.R." left from "Tolkien, J.R.R." is not a person.
    if all(len(w) == 1 for w in (*person.given, person.surname)):
        return False
    # Nor is a lone "Tolkien" taken from it.
    return not (len(pieces) == 2 and not person.given and len(pieces[0].split()) == 1)
