"""What one comparison of an Audible item with a tracker book says, apart from the decision.

Like beets' distance module: named similarities (title, author), named guards
(reasons two similar titles are nevertheless different books) and the penalty
each one costs the score. `domain.matching` turns the evidence of every
candidate into a decision (linked / conflict / unmatched) and words the reason.

Pure Python (rapidfuzz only).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from domain.normalize import Person, TitleInfo, strip_articles

# --- named values ----------------------------------------------------------------------


class AuthorAgreement(Enum):
    MATCH = "match"  # some item author is some tracker author
    UNKNOWN = "unknown"  # one side names nobody: nothing to compare
    MISMATCH = "mismatch"  # both name people, and none agree


class Guard(Enum):
    """A reason two similar titles are different books: while one holds, nothing links."""

    DIFFERENT_AUTHOR = "different author"
    OMNIBUS_VS_SINGLE = "omnibus vs single volume"
    OMNIBUS_RANGES = "different omnibus ranges"
    VOLUME = "volume mismatch"
    PART = "part mismatch"
    NUMBER = "number mismatch"  # "Rocky II" vs "Rocky III"
    COMPANION = "companion work"
    ONE_WORD_NO_AUTHOR = "no author to confirm a one-word title"


# Guards about volumes and collections: their reason names what each side is.
VOLUME_GUARDS = frozenset({Guard.VOLUME, Guard.PART, Guard.OMNIBUS_VS_SINGLE, Guard.OMNIBUS_RANGES})


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


def same_person(a: Person, b: Person) -> bool:
    if a.surname != b.surname and Indel.normalized_similarity(a.surname, b.surname) < 0.85:
        return False
    if not a.given or not b.given:
        return True  # "Tolkien" vs "J.R.R. Tolkien"
    # Same surname, same first initial: "J." vs "John", and translated names ("Leo" /
    # "Lev" Tolstoy) agree; "Brian" vs "Frank" Herbert do not.
    return a.given[0][0] == b.given[0][0]


def author_agreement(
    q_people: Iterable[Person], q_words: str, b_people: Iterable[Person], b_words: str
) -> AuthorAgreement:
    """MATCH when any item author is any tracker author, UNKNOWN when a side has none."""
    q_list, b_list = list(q_people), list(b_people)
    if not q_list or not b_list:
        return AuthorAgreement.UNKNOWN
    for a in q_list:
        for b in b_list:
            if same_person(a, b):
                return AuthorAgreement.MATCH
    # Orders and separators nobody anticipated ("Le Guin Ursula K"): compare the word bags.
    if q_words and b_words and fuzz.token_set_ratio(q_words, b_words) >= 95:
        return AuthorAgreement.MATCH
    return AuthorAgreement.MISMATCH


# --- guards ----------------------------------------------------------------------------


def structural_guards(q: TitleInfo, b: TitleInfo) -> list[Guard]:
    """Reasons two similar titles are nevertheless different books (empty: no objection)."""
    if q.omnibus or b.omnibus:
        guards = _omnibus_guards(q, b)
    elif q.volumes or b.volumes or q.parts or b.parts:
        guards = _volume_guards(q, b)
    else:
        guards = []
    if q.numbers != b.numbers and Guard.VOLUME not in guards:
        guards.append(Guard.NUMBER)
    if q.companion != b.companion:
        guards.append(Guard.COMPANION)
    return guards


def _omnibus_guards(q: TitleInfo, b: TitleInfo) -> list[Guard]:
    if q.omnibus != b.omnibus:
        return [Guard.OMNIBUS_VS_SINGLE]
    if q.omnibus and q.omnibus_range and b.omnibus_range and q.omnibus_range != b.omnibus_range:
        return [Guard.OMNIBUS_RANGES]
    return []


def _volume_guards(q: TitleInfo, b: TitleInfo) -> list[Guard]:
    guards = []
    if q.volumes and b.volumes:
        if not (q.volumes & b.volumes):
            guards.append(Guard.VOLUME)
    elif (q.essential and q.volumes) or (b.essential and b.volumes):
        # "Mahabharata Vol 4" against a plain "Mahabharata": the number is the whole difference.
        guards.append(Guard.VOLUME)
    if q.parts != b.parts and (q.parts or b.parts):
        guards.append(Guard.PART)
    return guards


def one_word_without_author(q: TitleInfo, b: TitleInfo, author: AuthorAgreement) -> bool:
    """One-word titles ("Stand", "Empathy") are shared by many books: without an author
    to confirm, they cannot be linked automatically."""
    return author is AuthorAgreement.UNKNOWN and (len(q.main.split()) < 2 or len(b.main.split()) < 2)


# --- penalties -------------------------------------------------------------------------


def author_penalty(author: AuthorAgreement, penalties: Penalties) -> float:
    if author is AuthorAgreement.MISMATCH:
        return penalties.author_mismatch_factor
    if author is AuthorAgreement.UNKNOWN:
        return penalties.author_unknown_factor
    return 1.0


def guard_penalty(guard: Guard, q: TitleInfo, b: TitleInfo, penalties: Penalties) -> float:
    """The cost of a structural guard (the author guards are paid for by author_penalty)."""
    if guard is Guard.PART and not (q.parts and b.parts):
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
    if author is AuthorAgreement.MISMATCH:
        guards.insert(0, Guard.DIFFERENT_AUTHOR)
    elif one_word_without_author(qt, bt, author):
        guards.append(Guard.ONE_WORD_NO_AUTHOR)
    if both_mains and qt.subtitle and bt.subtitle:  # most pairs: no subtitle to compare
        score *= subtitle_penalty(qt, bt, title_sim, both_mains, penalties)
    return Evidence(b, round(score, 3), title_sim, author, guards)
