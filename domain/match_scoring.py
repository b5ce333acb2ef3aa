"""What one comparison of an Audible item with a tracker book says, apart from the decision.

Like beets' distance module: named similarities (title, author), named guards
(reasons two similar titles are nevertheless different books) and the penalty
each one costs the score. `domain.matching` turns the evidence of every
candidate into a decision (linked / conflict / unmatched) and words the reason.

Pure Python (rapidfuzz only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from domain.normalize import STOPWORDS, Person, TitleInfo, strip_articles

# --- named values ----------------------------------------------------------------------


class AuthorAgreement(Enum):
    MATCH = "match"  # some item author is some tracker author
    UNKNOWN = "unknown"  # one side names nobody: nothing to compare
    NEAR = "near"  # none agree, but a surname is (nearly) shared: a typo, a relative
    MISMATCH = "mismatch"  # clearly different people


class Guard(Enum):
    """A reason two similar titles may be different books: while one holds, nothing links.

    Each guard either says the candidate is certainly another book (CERTAIN_GUARDS:
    the item is then left unmatched when no other candidate is plausible) or only
    that a person must look (the item becomes a conflict).
    """

    # Certainly another book.
    DIFFERENT_AUTHOR = "different_author"
    OTHER_VOLUME = "other_volume"  # "Mahabharata Vol 9" vs "Mahabharata Volume 1"
    OTHER_PART = "other_part"  # "Henry VI, Part 3" vs "Henry VI, Part 1"
    OTHER_NUMBER = "other_number"  # "Rocky II" vs "Rocky III"
    OMNIBUS_VS_SINGLE = "omnibus_vs_single"  # "The Hunger Games Trilogy" vs "The Hunger Games"
    OMNIBUS_RANGES = "omnibus_ranges"  # "Books 1-3" vs "Books 4-6"
    SERIES_NAME = "series_name"  # "The Lord of the Rings" vs "The Return of the King" of that series
    COMPANION = "companion"  # "The Hobbit: The Making of the Movie" vs "The Hobbit"
    # A person decides.
    SIMILAR_AUTHOR = "similar_author"  # "Brian Herbert" vs "Frank Herbert", "Jordon" vs "Jordan"
    NARRATOR_AS_AUTHOR = "narrator_as_author"  # the tracker names the audiobook's narrator
    SERIES_POSITION = "series_position"  # only the series numbers differ
    VOLUME_UNSTATED = "volume_unstated"  # "Mahabharata Vol 6" vs "The Mahabharata"
    PART_UNSTATED = "part_unstated"  # "Vol 3 (Part 1)" vs "Vol 3"
    NUMBER_UNSTATED = "number_unstated"  # a number on one side only
    COLLECTION_UNSTATED = (
        "collection_unstated"  # "Sherlock Holmes: The Definitive Collection" vs "Sherlock Holmes"
    )
    OTHER_COLLECTION = "other_collection"  # two collections under one umbrella name
    ADAPTATION = "adaptation"  # a dramatisation, abridgement or summary vs the plain book
    ONE_WORD_NO_AUTHOR = "one_word_no_author"


CERTAIN_GUARDS = frozenset(
    {
        Guard.DIFFERENT_AUTHOR,
        Guard.OTHER_VOLUME,
        Guard.OTHER_PART,
        Guard.OTHER_NUMBER,
        Guard.OMNIBUS_VS_SINGLE,
        Guard.OMNIBUS_RANGES,
        Guard.SERIES_NAME,
        Guard.COMPANION,
    }
)
AUTHOR_GUARDS = frozenset({Guard.DIFFERENT_AUTHOR, Guard.SIMILAR_AUTHOR, Guard.NARRATOR_AS_AUTHOR})
_VOLUME_NUMBER_GUARDS = frozenset({Guard.OTHER_VOLUME, Guard.SERIES_POSITION, Guard.VOLUME_UNSTATED})
# A surname this close to another (or equal, with other given names) is not clearly another person.
NEAR_SURNAME = 0.7


@dataclass(frozen=True)
class Penalties:
    """Score multipliers (0..1) for what weakens a candidate.

    author_unknown_factor   one side has no author (can't confirm).
    author_mismatch_factor  both have authors and none agree.
    guard_factor            a volume/part/omnibus/companion mismatch.
    subtitle_factor         both sides keep subtitles and they disagree.
    """

    author_unknown_factor: float = 0.93
    author_mismatch_factor: float = 0.6
    guard_factor: float = 0.75
    subtitle_factor: float = 0.95


@dataclass(slots=True)
class Side:
    """One side of a comparison, with what every comparison of it needs worked out once."""

    title: TitleInfo
    people: tuple[Person, ...]
    author_words: str  # the people's keys, space-separated
    variants: tuple[str, ...]  # title_variants(title)
    subtitle_alone: str  # subtitle_variant(title)


def side(title: TitleInfo, people: Sequence[Person] = ()) -> Side:
    people = tuple(people)
    return Side(
        title, people, " ".join(p.key for p in people), tuple(title_variants(title)), subtitle_variant(title)
    )


@dataclass(slots=True)
class Evidence:
    """What comparing an item with one candidate book found."""

    entry: Side  # the candidate book's side
    score: float  # 0..1, the title similarity after every penalty, rounded to 3 places
    title_sim: float
    author: AuthorAgreement
    guards: list[Guard]  # every reason that forbids linking


# --- similarities ----------------------------------------------------------------------

SUBTITLE_ONLY_FACTOR = 0.97


def title_variants(info: TitleInfo) -> list[str]:
    """The readings of a title compared: main, main + subtitle, the subtitle after a series name."""
    variants = [info.main]
    if info.full != info.main:
        variants.append(info.full)
    if info.alt:
        variants.append(info.alt)
    return [v for v in variants if v]


def subtitle_variant(info: TitleInfo) -> str:
    """The subtitle as a title of its own, when it has the substance of one (2+ words)."""
    sub = strip_articles(info.subtitle) if info.subtitle else ""
    return sub if " " in sub else ""


def pair_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    # ratio catches typos and small edits; token_sort catches reordered words. Not
    # token_set: it scores "the hobbit" vs "the history of the hobbit" as identical.
    return max(Indel.normalized_similarity(a, b), fuzz.token_sort_ratio(a, b) / 100.0)


def title_similarity(q: Side, b: Side) -> tuple[float, bool]:
    """Best similarity over (main | main+subtitle | subtitle-alone) of both sides.

    Returns (similarity, both_mains) where both_mains says the best pair was
    main-title vs main-title (so differing subtitles were not looked at).
    """
    q_variants, b_variants = q.variants, b.variants
    # One side's main title is the other's series name ("Mistborn: The Final Empire" vs
    # "The Final Empire (Mistborn, #1)"): compare the subtitle on its own as well.
    if q.title.subtitle and q.title.main in b.title.series:
        q_variants += (strip_articles(q.title.subtitle),)
    if b.title.subtitle and b.title.main in q.title.series:
        b_variants += (strip_articles(b.title.subtitle),)
    best, best_mains = _best_variant_pair(q_variants, b_variants)
    if best < 1.0:
        behind_umbrella = _subtitle_as_title_similarity(q, b, q_variants, b_variants)
        if behind_umbrella > best:
            best, best_mains = behind_umbrella, False
    return best, best_mains


def _best_variant_pair(q_variants: tuple[str, ...], b_variants: tuple[str, ...]) -> tuple[float, bool]:
    """Best pair similarity, and whether the main titles (the first variants) gave it."""
    if not q_variants or not b_variants:
        return 0.0, False
    best = pair_similarity(q_variants[0], b_variants[0])
    best_mains = True
    for i, qv in enumerate(q_variants):
        for j, bv in enumerate(b_variants):
            if i or j:
                sim = pair_similarity(qv, bv)
                if sim > best:
                    best, best_mains = sim, False
    return best, best_mains


def _subtitle_as_title_similarity(
    q: Side, b: Side, q_variants: tuple[str, ...], b_variants: tuple[str, ...]
) -> float:
    """A series or umbrella name in front of the real title ("The Lord of the Rings: The
    Fellowship of the Ring" vs "The Fellowship of the Ring"): one side's subtitle alone may
    be the other side's title. Slightly discounted, as it is the weaker reading."""
    best = 0.0
    for sub, others in ((b.subtitle_alone, q_variants), (q.subtitle_alone, b_variants)):
        if sub:
            for other in others:
                sim = pair_similarity(other, sub) * SUBTITLE_ONLY_FACTOR
                if sim > best:
                    best = sim
    return best


def main_words_contained(q: TitleInfo, b: TitleInfo) -> bool:
    """Every content word of one main title is in the other, give or take a letter or two:
    "Alice in Wonderland" in "Alice's Adventures in Wonderland", "The Wizard of Oz" in "The
    Wonderful Wizard of Oz". Sibling titles differ by a word of their own ("Harry Potter and
    the Half-Blood Prince" / "... the Philosopher's Stone")."""
    q_words = [w for w in q.main.split() if w not in STOPWORDS]
    b_words = [w for w in b.main.split() if w not in STOPWORDS]
    shorter, longer = (q_words, b_words) if len(q_words) <= len(b_words) else (b_words, q_words)
    return bool(shorter) and all(
        any(w == other or Indel.normalized_similarity(w, other) >= 0.8 for other in longer) for w in shorter
    )


def same_person(a: Person, b: Person) -> bool:
    return _surname_similarity(a, b) >= 0.85 and _given_names_agree(a, b)


def _surname_similarity(a: Person, b: Person) -> float:
    return 1.0 if a.surname == b.surname else Indel.normalized_similarity(a.surname, b.surname)


def _given_names_agree(a: Person, b: Person) -> bool:
    if not a.given or not b.given:
        return True  # "Tolkien" vs "J.R.R. Tolkien"
    # Same surname, same first initial: "J." vs "John", and translated names ("Leo" /
    # "Lev" Tolstoy) agree; "Brian" vs "Frank" Herbert do not.
    return a.given[0][0] == b.given[0][0]


def author_agreement(
    q_people: Sequence[Person], q_words: str, b_people: Sequence[Person], b_words: str
) -> AuthorAgreement:
    """MATCH when any item author is any tracker author, UNKNOWN when a side has none,
    NEAR when the names are close without agreeing, else MISMATCH."""
    if not q_people or not b_people:
        return AuthorAgreement.UNKNOWN
    near = False
    for a in q_people:
        for b in b_people:
            # _surname_similarity, written out: this loop runs for every candidate.
            closeness = 1.0 if a.surname == b.surname else Indel.normalized_similarity(a.surname, b.surname)
            if closeness >= 0.85 and _given_names_agree(a, b):
                return AuthorAgreement.MATCH
            near = near or closeness >= NEAR_SURNAME
    # Orders and separators nobody anticipated ("Le Guin Ursula K"): compare the word bags.
    if q_words and b_words:
        bags = fuzz.token_set_ratio(q_words, b_words)
        if bags >= 95:
            return AuthorAgreement.MATCH
        near = near or bags >= 80
    return AuthorAgreement.NEAR if near else AuthorAgreement.MISMATCH


def author_guard(q: Side, b: Side, author: AuthorAgreement) -> Guard | None:
    """The guard an author disagreement raises, if any."""
    if author is AuthorAgreement.MISMATCH:
        return Guard.DIFFERENT_AUTHOR
    if author is AuthorAgreement.NEAR:
        return Guard.SIMILAR_AUTHOR
    if one_word_without_author(q.title, b.title, author):
        return Guard.ONE_WORD_NO_AUTHOR
    return None


def narrator_named_as_author(narrators: Sequence[Person], evidence: Evidence) -> bool:
    """Whether the candidate of a DIFFERENT_AUTHOR guard names one of the item's narrators as its
    author: readers do type the voice they heard ("Matilda" by Kate Winslet). Asked only when
    a decision needs it (see matching), which then holds NARRATOR_AS_AUTHOR instead."""
    return any(same_person(narrator, person) for narrator in narrators for person in evidence.entry.people)


# --- guards ----------------------------------------------------------------------------


def structural_guards(q: TitleInfo, b: TitleInfo) -> list[Guard]:
    """Reasons two similar titles may nevertheless be different books (empty: no objection)."""
    if q.omnibus or b.omnibus:
        guards = _omnibus_guards(q, b)
    elif q.volumes or b.volumes or q.parts or b.parts:
        guards = _volume_guards(q, b)
    else:
        guards = []
    # A volume guard already says what the numbers say (it comes first from _volume_guards).
    if q.numbers != b.numbers and not (guards and guards[0] in _VOLUME_NUMBER_GUARDS):
        guards.append(_number_guard(q, b))
    if (q.series or b.series) and _named_after_series(q, b):
        guards.append(Guard.SERIES_NAME)
    if q.companion != b.companion:
        guards.append(Guard.COMPANION)
    if q.adaptation != b.adaptation:
        guards.append(Guard.ADAPTATION)
    return guards


def _omnibus_guards(q: TitleInfo, b: TitleInfo) -> list[Guard]:
    if q.omnibus != b.omnibus:
        # Equal main titles: the single side may be the collection with its subtitle dropped
        # ("Sherlock Holmes" for "Sherlock Holmes: The Definitive Collection").
        return [Guard.COLLECTION_UNSTATED if q.main == b.main else Guard.OMNIBUS_VS_SINGLE]
    if q.omnibus_range and b.omnibus_range and q.omnibus_range != b.omnibus_range:
        return [Guard.OMNIBUS_RANGES]
    if q.subtitle and b.subtitle and pair_similarity(q.subtitle, b.subtitle) < 0.9:
        # Under one umbrella name the subtitle is all that tells collections apart: "Sherlock
        # Holmes: The Complete Stories" is not "...: The Complete Novels and Stories".
        return [Guard.OTHER_COLLECTION]
    return []


def _volume_guards(q: TitleInfo, b: TitleInfo) -> list[Guard]:
    guards = []
    if q.volumes and b.volumes:
        if not (q.volumes & b.volumes):
            guards.append(_volume_guard(q, b))
    elif (q.essential and q.volumes) or (b.essential and b.volumes):
        # "Mahabharata Vol 4" against a plain "Mahabharata": the number is the whole difference.
        guards.append(Guard.VOLUME_UNSTATED)
    if q.parts != b.parts and (q.parts or b.parts):
        guards.append(Guard.OTHER_PART if q.parts and b.parts else Guard.PART_UNSTATED)
    return guards


def _volume_guard(q: TitleInfo, b: TitleInfo) -> Guard:
    """Both sides numbered, differently."""
    # A number in a main title, or standing alone in both titles, names the volume itself,
    # and so do different positions under different titles. One title at two positions
    # may just be counted differently ("The Magician's Nephew" is Narnia #1 or #6).
    if q.essential or b.essential or (q.numbered_title and b.numbered_title) or q.main != b.main:
        return Guard.OTHER_VOLUME
    return Guard.SERIES_POSITION


def _named_after_series(q: TitleInfo, b: TitleInfo) -> bool:
    """One side is titled with nothing but the other's series name, while the other has a
    title of its own: "The Lord of the Rings" beside "The Return of the King" of that
    series is the whole series or another book of it."""
    if b.main in q.series:
        one, other = q, b
    elif q.main in b.series:
        one, other = b, q
    else:
        return False
    return not other.subtitle and one.main != other.main and one.main not in one.series


def _number_guard(q: TitleInfo, b: TitleInfo) -> Guard:
    # As many numbers on each side, and different ("Rocky 2" / "Rocky 3"): another book.
    # Otherwise a number may be a spelling ("Nineteen Eighty-Four" / "1984").
    if q.numbers and len(q.numbers) == len(b.numbers):
        return Guard.OTHER_NUMBER
    return Guard.NUMBER_UNSTATED


def one_word_without_author(q: TitleInfo, b: TitleInfo, author: AuthorAgreement) -> bool:
    """One-word titles ("Stand", "Empathy") are shared by many books: without an author
    to confirm, they cannot be linked automatically."""
    return author is AuthorAgreement.UNKNOWN and (len(q.main.split()) < 2 or len(b.main.split()) < 2)


# --- penalties -------------------------------------------------------------------------


def author_penalty(author: AuthorAgreement, penalties: Penalties) -> float:
    if author is AuthorAgreement.MISMATCH or author is AuthorAgreement.NEAR:
        return penalties.author_mismatch_factor
    if author is AuthorAgreement.UNKNOWN:
        return penalties.author_unknown_factor
    return 1.0


def guard_penalty(guard: Guard, q: TitleInfo, b: TitleInfo, penalties: Penalties) -> float:
    """The cost of a structural guard (the author guards are paid for by author_penalty)."""
    if guard is Guard.PART_UNSTATED:
        # "Vol 3 (Part 1)" against a plain "Vol 3" is probably the right book split in two
        # by the publisher: never linked, but ranked above other volumes.
        return (1.0 + penalties.guard_factor) / 2
    return penalties.guard_factor


def subtitle_penalty(
    q: TitleInfo, b: TitleInfo, title_sim: float, both_mains: bool, penalties: Penalties
) -> float:
    """Equal main titles whose kept subtitles disagree are less likely one book."""
    if both_mains and q.subtitle and b.subtitle and title_sim > 0.0:
        if fuzz.token_set_ratio(q.subtitle, b.subtitle) < 60:
            return penalties.subtitle_factor
    return 1.0


# --- one comparison --------------------------------------------------------------------


def compare(q: Side, b: Side, penalties: Penalties) -> Evidence:
    """Every similarity, guard and penalty of one item (q) against one book (b)."""
    title_sim, both_mains = title_similarity(q, b)
    author = author_agreement(q.people, q.author_words, b.people, b.author_words)
    qt, bt = q.title, b.title
    score = title_sim
    if author is not AuthorAgreement.MATCH:
        score *= author_penalty(author, penalties)
    guards = structural_guards(qt, bt)
    for guard in guards:
        score *= guard_penalty(guard, qt, bt, penalties)
    if author is not AuthorAgreement.MATCH:
        from_author = author_guard(q, b, author)
        if from_author is Guard.ONE_WORD_NO_AUTHOR:
            guards.append(from_author)
        elif from_author is not None:
            guards.insert(0, from_author)
    if both_mains and qt.subtitle and bt.subtitle:  # most pairs: no subtitle to compare
        score *= subtitle_penalty(qt, bt, title_sim, both_mains, penalties)
    return Evidence(b, round(score, 3), title_sim, author, guards)
