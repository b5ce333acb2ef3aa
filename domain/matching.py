"""Matching Audible library items to tracker books: ISBN first, then fuzzy title/author.

Pure Python (rapidfuzz + numpy, no Dagster or database import). The
`audible_book_matches` asset and the `audible-tracker match` command both call
`BookIndex(books).match_all(items)`.

Every item gets one of three decisions:

* ``linked``    one book, by ``isbn`` (equal ISBN after ISBN-10/13 normalising) or
                ``fuzzy`` (title + author), when the best candidate is confident
                *and* clearly ahead of the runner-up;
* ``conflict``  ranked candidates for a person to resolve, with the reason
                (ambiguous, low confidence, volume mismatch, different author...);
* ``unmatched`` nothing in the tracker looks like it.

A wrong automatic link silently moves a reader's progress onto the wrong book,
while a conflict only costs them a click, so every rule here leans towards
conflict when unsure. Hard guards (different volume or part, different author,
omnibus vs single volume, companion work) never auto-link whatever the score.

Confirmed and manual mappings are not this module's concern: the caller filters
out items that already have one before matching, so they are never overridden.

Scale: books are indexed once (ISBN dict + inverted index of title words and
author surnames, as numpy arrays). Each item looks up only books sharing a
distinctive word with it, keeps the best `block_limit` by IDF overlap, and
scores that handful with rapidfuzz. No item × book matrix is ever built.
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel

from domain.library_items import LibraryItem
from domain.normalize import (
    Person,
    TitleInfo,
    normalize_isbn,
    parse_title,
    split_item_authors,
    split_tracker_authors,
    strip_articles,
)

LINKED, CONFLICT, UNMATCHED = "linked", "conflict", "unmatched"


@dataclass(frozen=True)
class TrackerBook:
    id: int
    title: str
    author: str | None = None
    isbn: str | None = None


@dataclass(frozen=True)
class Candidate:
    book_id: int
    score: float  # 0..1, rounded to 3 places

    def to_json(self) -> dict:
        return {"book_id": self.book_id, "score": self.score}


@dataclass(frozen=True)
class MatchSettings:
    """Thresholds of the decision. Defaults were tuned on tests/data/matching_eval.

    link_threshold       a fuzzy candidate must score at least this to be linked.
    margin               ...and lead the runner-up by at least this much, else "ambiguous".
    conflict_threshold   below this the best candidate is not worth a person's time: unmatched.
    max_candidates       candidates reported per decision.
    block_limit          books scored per item after blocking (speed vs. recall of odd titles).
    isbn_title_floor     an equal ISBN links unless the title similarity is below this (or halfway
                         to 1 when the authors disagree too): a data-entry error in the tracker is
                         likelier than a retitled book, so that case becomes a conflict.
    author_unknown_factor   score multiplier when one side has no author (can't confirm).
    author_mismatch_factor  multiplier when both have authors and none agree (also never links).
    guard_factor         multiplier for a volume/part/omnibus/companion mismatch (never links).
    subtitle_factor      multiplier when both sides keep subtitles and they disagree.
    asin_as_isbn         Audible ASINs of older titles are ISBN-10s; use them as an ISBN when
                         the item carries none.
    """

    link_threshold: float = 0.90
    margin: float = 0.05
    conflict_threshold: float = 0.55
    max_candidates: int = 5
    block_limit: int = 30
    isbn_title_floor: float = 0.6
    author_unknown_factor: float = 0.93
    author_mismatch_factor: float = 0.6
    guard_factor: float = 0.75
    subtitle_factor: float = 0.95
    asin_as_isbn: bool = True

    def __post_init__(self) -> None:
        for name in (
            "link_threshold",
            "margin",
            "conflict_threshold",
            "isbn_title_floor",
            "author_unknown_factor",
            "author_mismatch_factor",
            "guard_factor",
            "subtitle_factor",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"MatchSettings.{name} must be between 0 and 1, got {value}")
        if self.conflict_threshold > self.link_threshold:
            raise ValueError("MatchSettings.conflict_threshold must not exceed link_threshold")
        if self.max_candidates < 1 or self.block_limit < 1:
            raise ValueError("MatchSettings.max_candidates and block_limit must be at least 1")


@dataclass(frozen=True)
class MatchDecision:
    asin: str
    decision: str  # "linked" | "conflict" | "unmatched"
    book_id: int | None  # set when linked
    method: str | None  # "isbn" | "fuzzy" when linked; for conflicts the best candidate's method
    confidence: float  # best candidate's score; 0 for unmatched
    candidates: tuple[Candidate, ...]  # best first
    reason: str  # one readable sentence for the conflict table

    def to_json(self) -> dict:
        data: dict = {"asin": self.asin, "decision": self.decision}
        if self.decision == LINKED:
            data["book_id"] = self.book_id
        data["method"] = self.method
        data["confidence"] = self.confidence
        data["candidates"] = [c.to_json() for c in self.candidates]
        data["reason"] = self.reason
        return data


# --- internals -------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    """A tracker book, parsed once when the index is built."""

    book: TrackerBook
    title: TitleInfo
    people: tuple[Person, ...]
    author_words: str
    variants: tuple[str, ...]
    # What _score compares: the variants, then the subtitle alone when it is a title of its
    # own. Worked out once here rather than for every query it meets.
    score_variants: tuple[str, ...]


@dataclass(slots=True)
class _Query:
    item: LibraryItem
    title: TitleInfo
    people: tuple[Person, ...]
    author_words: str


@dataclass(slots=True)
class _Scored:
    entry: _Entry
    score: float
    title_sim: float
    author: str  # "match" | "unknown" | "mismatch"
    guards: list[str] = field(default_factory=list)  # reasons that forbid linking
    method: str = "fuzzy"


def _variants(info: TitleInfo) -> list[str]:
    variants = [info.main]
    if info.full != info.main:
        variants.append(info.full)
    if info.alt:
        variants.append(info.alt)
    return [v for v in variants if v]


def _pair_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    # ratio catches typos and small edits; token_sort catches reordered words. Not
    # token_set: it scores "the hobbit" vs "the history of the hobbit" as identical.
    return max(Indel.normalized_similarity(a, b), fuzz.token_sort_ratio(a, b) / 100.0)


def title_similarity(
    q: TitleInfo, b: TitleInfo, b_variants: tuple[str, ...] | None = None
) -> tuple[float, bool]:
    """Best similarity over (main | main+subtitle | subtitle-alone) of both sides.

    Returns (similarity, both_mains) where both_mains says the best pair was
    main-title vs main-title (so differing subtitles were not looked at).
    """
    best, best_mains = 0.0, False
    q_variants = _variants(q)
    b_variants = list(b_variants if b_variants is not None else _variants(b))
    # One side's main title is the other's series name ("Mistborn: The Final Empire" vs
    # "The Final Empire (Mistborn, #1)"): compare the subtitle on its own as well.
    if q.subtitle and q.main in b.series:
        q_variants.append(strip_articles(q.subtitle))
    if b.subtitle and b.main in q.series:
        b_variants.append(strip_articles(b.subtitle))
    for i, qv in enumerate(q_variants):
        for j, bv in enumerate(b_variants):
            sim = _pair_similarity(qv, bv)
            if sim > best or (sim == best and i == 0 and j == 0):
                best, best_mains = sim, (i == 0 and j == 0)
    if best < 1.0:
        # A series or umbrella name in front of the real title ("The Lord of the Rings:
        # The Fellowship of the Ring" vs "The Fellowship of the Ring"): the subtitle alone
        # may be the other side's title. Slightly discounted, as it is the weaker reading.
        for sub, others in ((_subtitle_variant(b), q_variants), (_subtitle_variant(q), b_variants)):
            if sub:
                for other in others:
                    sim = _pair_similarity(other, sub) * SUBTITLE_ONLY_FACTOR
                    if sim > best:
                        best, best_mains = sim, False
    return best, best_mains


SUBTITLE_ONLY_FACTOR = 0.97


def _subtitle_variant(info: TitleInfo) -> str:
    """The subtitle as a title of its own, when it has the substance of one (2+ words)."""
    sub = strip_articles(info.subtitle) if info.subtitle else ""
    return sub if " " in sub else ""


def _same_person(a: Person, b: Person) -> bool:
    if a.surname != b.surname and Indel.normalized_similarity(a.surname, b.surname) < 0.85:
        return False
    if not a.given or not b.given:
        return True  # "Tolkien" vs "J.R.R. Tolkien"
    # Same surname, same first initial: "J." vs "John", and translated names ("Leo" /
    # "Lev" Tolstoy) agree; "Brian" vs "Frank" Herbert do not.
    return a.given[0][0] == b.given[0][0]


def author_agreement(
    q_people: Iterable[Person], q_words: str, b_people: Iterable[Person], b_words: str
) -> str:
    """'match' when any item author is any tracker author, 'unknown' when a side has none."""
    q_list, b_list = list(q_people), list(b_people)
    if not q_list or not b_list:
        return "unknown"
    for a in q_list:
        for b in b_list:
            if _same_person(a, b):
                return "match"
    # Orders and separators nobody anticipated ("Le Guin Ursula K"): compare the word bags.
    if q_words and b_words and fuzz.token_set_ratio(q_words, b_words) >= 95:
        return "match"
    return "mismatch"


def _volume_text(info: TitleInfo) -> str:
    if info.omnibus:
        if info.omnibus_range:
            return f"an omnibus of volumes {info.omnibus_range[0]}-{info.omnibus_range[-1]}"
        return "an omnibus/collection"
    bits = []
    if info.volumes:
        bits.append("volume " + "/".join(sorted(info.volumes, key=_num_key)))
    if info.parts:
        bits.append("part " + "/".join(sorted(info.parts, key=_num_key)))
    return ", ".join(bits) if bits else "no volume number"


def _num_key(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.inf


def structural_guards(q: TitleInfo, b: TitleInfo) -> list[str]:
    """Reasons two similar titles are nevertheless different books (empty: no objection)."""
    guards = []
    if q.omnibus != b.omnibus:
        guards.append("omnibus vs single volume")
    elif (
        q.omnibus and b.omnibus and q.omnibus_range and b.omnibus_range and q.omnibus_range != b.omnibus_range
    ):
        guards.append("different omnibus ranges")
    if not (q.omnibus or b.omnibus):
        if q.volumes and b.volumes and not (q.volumes & b.volumes):
            guards.append("volume mismatch")
        elif (q.essential and q.volumes and not b.volumes) or (b.essential and b.volumes and not q.volumes):
            # "Mahabharata Vol 4" against a plain "Mahabharata": the number is the whole difference.
            guards.append("volume mismatch")
        if q.parts != b.parts and (q.parts or b.parts):
            guards.append("part mismatch")
    if q.numbers != b.numbers and "volume mismatch" not in guards:
        guards.append("number mismatch")  # "Rocky II" vs "Rocky III"
    if q.companion != b.companion:
        guards.append("companion work")
    return guards


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(entry: _Entry) -> str:
    label = f"'{_short(entry.book.title)}'"
    if entry.book.author:
        label += f" by {_short(entry.book.author, 40)}"
    return label


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees everything).

    On the way out the objects made meanwhile are frozen before collection resumes:
    otherwise the first collection after re-enabling walks every one of them (about
    0.7 s for an index of 100k books). Frozen objects are still freed by reference
    counting when the index goes away; only cycles among them would outlive it, and
    the index holds none.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()


class BookIndex:
    """All tracker books, parsed and indexed once; `match`/`match_all` decide per item.

    Items whose ASIN already has a confirmed or manual mapping must be filtered
    out by the caller: the matcher proposes, it never overrides a person's choice.
    """

    def __init__(self, books: Iterable[TrackerBook], settings: MatchSettings | None = None):
        self.settings = settings or MatchSettings()
        # Indexing allocates a few small objects per book and nothing cyclic; with the
        # cyclic GC running, 100k books trigger repeated full collections that cost
        # more than the parsing itself.
        with _no_cyclic_gc():
            self._build(books)

    def _build(self, books: Iterable[TrackerBook]) -> None:
        self._entries: list[_Entry] = []
        self._by_isbn: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, list[int]] = defaultdict(list)
        for book in books:
            idx = len(self._entries)
            people = tuple(split_tracker_authors(book.author))
            info = parse_title(book.title, authors=tuple(p.key for p in people))
            variants = tuple(_variants(info))
            sub = _subtitle_variant(info)
            entry = _Entry(
                book,
                info,
                people,
                " ".join(p.key for p in people),
                variants,
                variants + (sub,) if sub else variants,
            )
            self._entries.append(entry)
            isbn = normalize_isbn(book.isbn)
            if isbn:
                self._by_isbn[isbn].append(idx)
            for token in info.tokens:
                postings[token].append(idx)
            for surname in {p.surname for p in people if len(p.surname) > 1}:
                postings["@" + surname].append(idx)
        n = max(len(self._entries), 1)
        self._postings = {t: np.asarray(ids, dtype=np.int32) for t, ids in postings.items()}
        # IDF: a shared rare word ("karamazov") says far more than a shared common one ("life").
        self._idf = {t: math.log(1.0 + n / len(ids)) for t, ids in postings.items()}
        self._n_score_variants = np.fromiter(
            (len(e.score_variants) for e in self._entries), dtype=np.int64, count=len(self._entries)
        )
        # A book whose score variants outnumber its variants has a subtitle variant, last.
        self._has_sub = self._n_score_variants > np.fromiter(
            (len(e.variants) for e in self._entries), dtype=np.int64, count=len(self._entries)
        )
        # Words in more than 5% of titles only block when the title has nothing rarer.
        self._common_df = max(50, n // 20)

    def __len__(self) -> int:
        return len(self._entries)

    # -- public ------------------------------------------------------------------------

    def match_all(self, items: Iterable[LibraryItem]) -> list[MatchDecision]:
        # Same reason as in __init__: with 100k indexed books alive, every full collection
        # triggered by matching's short-lived objects would rescan them all.
        with _no_cyclic_gc():
            return [self.match(item) for item in items]

    def match(self, item: LibraryItem) -> MatchDecision:
        if not (item.title or "").strip():
            return MatchDecision(
                item.asin, UNMATCHED, None, None, 0.0, (), "unmatched: the item has no title"
            )
        query = self._query(item)
        if not query.title.main:
            return MatchDecision(
                item.asin,
                UNMATCHED,
                None,
                None,
                0.0,
                (),
                "unmatched: nothing is left of the title once normalised",
            )
        isbn_decision = self._match_isbn(query)
        if isbn_decision is not None:
            return isbn_decision
        scored = self._score(query, self._block(query))
        return self._decide(query, scored)

    # -- steps -------------------------------------------------------------------------

    def _query(self, item: LibraryItem) -> _Query:
        people = tuple(split_item_authors(item.authors))
        info = parse_title(
            item.title,
            item.subtitle,
            series_title=item.series_title,
            series_sequence=item.series_sequence,
            authors=tuple(p.key for p in people),
        )
        return _Query(item, info, people, " ".join(p.key for p in people))

    def _match_isbn(self, query: _Query) -> MatchDecision | None:
        item = query.item
        isbns = [normalize_isbn(item.isbn)]
        if self.settings.asin_as_isbn and isbns[0] is None:
            isbns.append(normalize_isbn(item.asin))
        for isbn in isbns:
            if isbn is None or isbn not in self._by_isbn:
                continue
            scored = [self._compare(query, self._entries[i]) for i in self._by_isbn[isbn]]
            scored.sort(key=lambda s: -s.title_sim)
            best = scored[0]
            candidates = tuple(Candidate(s.entry.book.id, 1.0) for s in scored)[
                : self.settings.max_candidates
            ]
            if len(scored) > 1:
                return MatchDecision(
                    item.asin, CONFLICT, None, "isbn", 1.0, candidates,
                    f"ambiguous: ISBN {isbn} is on {len(scored)} tracker books ({_label(best.entry)}, …)",
                )  # fmt: skip
            # An equal ISBN is the strongest evidence there is, but a typo in the tracker
            # can put one book's ISBN on another: a totally different title makes us ask.
            if best.title_sim < self.settings.isbn_title_floor or (
                best.author == "mismatch" and best.title_sim < (1.0 + self.settings.isbn_title_floor) / 2
            ):
                return MatchDecision(
                    item.asin, CONFLICT, None, "isbn", 1.0, candidates,
                    f"ISBN check: ISBN {isbn} matches {_label(best.entry)} but the titles differ "
                    f"(title similarity {best.title_sim:.2f})",
                )  # fmt: skip
            return MatchDecision(
                item.asin, LINKED, best.entry.book.id, "isbn", 1.0, candidates[:1],
                f"ISBN {isbn} matches {_label(best.entry)}",
            )  # fmt: skip
        return None

    def _block(self, query: _Query) -> list[int]:
        """Books sharing a distinctive title word or an author surname, best overlap first."""
        tokens = list(query.title.tokens)
        rare = [t for t in tokens if t in self._postings and len(self._postings[t]) <= self._common_df]
        chosen = rare or [t for t in tokens if t in self._postings]
        keys = [(t, 1.0) for t in chosen]
        # Surnames bring in the author's books even when the title has a typo in every word.
        keys += [("@" + p.surname, 0.5) for p in query.people if "@" + p.surname in self._postings]
        if not keys:
            return []
        arrays = [self._postings[t] for t, _ in keys]
        weights = np.repeat([self._idf[t] * w for t, w in keys], [len(a) for a in arrays])
        ids = np.concatenate(arrays)
        # Overlap per book: a stable sort groups each book's postings in key order, and
        # summing each group is cheaper than np.unique's inverse plus a bincount.
        order = np.argsort(ids, kind="stable")
        sorted_ids = ids[order]
        starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
        unique = sorted_ids[starts]
        totals = np.add.reduceat(weights[order], starts)
        limit = self.settings.block_limit
        if len(unique) > limit:
            top = np.argpartition(-totals, limit)[:limit]
            unique, totals = unique[top], totals[top]
        order = np.argsort(-totals, kind="stable")
        return unique[order].tolist()

    def _compare(self, query: _Query, entry: _Entry) -> _Scored:
        q, b = query.title, entry.title
        title_sim, both_mains = title_similarity(q, b, entry.variants)
        author = author_agreement(query.people, query.author_words, entry.people, entry.author_words)
        s = self.settings
        score = title_sim
        guards = structural_guards(q, b)
        if author == "mismatch":
            guards.insert(0, "different author")
            score *= s.author_mismatch_factor
        elif author == "unknown":
            score *= s.author_unknown_factor
            # One-word titles ("Stand", "Empathy") are shared by many books: without an
            # author to confirm, they cannot be linked automatically.
            if len(q.main.split()) < 2 or len(b.main.split()) < 2:
                guards.append("no author to confirm a one-word title")
        for guard in guards:
            if guard == "part mismatch" and not (q.parts and b.parts):
                # "Vol 3 (Part 1)" against a plain "Vol 3" is probably the right book split
                # in two by the publisher: never linked, but ranked above other volumes.
                score *= (1.0 + s.guard_factor) / 2
            elif guard != "different author" and not guard.startswith("no author"):
                score *= s.guard_factor
        if both_mains and q.subtitle and b.subtitle and title_sim > 0.0:
            if fuzz.token_set_ratio(q.subtitle, b.subtitle) < 60:
                score *= s.subtitle_factor
        return _Scored(entry, round(score, 3), title_sim, author, guards)

    def _score(self, query: _Query, candidate_ids: list[int]) -> list[_Scored]:
        if not candidate_ids:
            return []
        # Title similarity of every candidate in two vectorised rapidfuzz calls. A book's
        # final score never exceeds its title similarity, so books below the conflict
        # threshold can be dropped before the (slower) per-book comparison.
        q_vars = _variants(query.title)
        q_sub = _subtitle_variant(query.title)
        if q_sub:
            q_vars.append(q_sub)
        entries = [self._entries[i] for i in candidate_ids]
        b_vars = [variant for entry in entries for variant in entry.score_variants]
        if not q_vars or not b_vars:
            return []
        counts = self._n_score_variants[candidate_ids]
        matrix = np.maximum(
            process.cdist(q_vars, b_vars, scorer=fuzz.ratio, dtype=np.uint8),
            process.cdist(q_vars, b_vars, scorer=fuzz.token_sort_ratio, dtype=np.uint8),
        )
        if q_sub:
            # Subtitle against subtitle is not a title match ("An Investigation" is shared
            # by hundreds of books): title_similarity never pairs them, neither may this.
            # A book's subtitle variant is its last one.
            matrix[-1, (np.cumsum(counts) - 1)[self._has_sub[candidate_ids]]] = 0
        sims = matrix.max(axis=0)
        # A book's variants sit next to each other: the best of each run is its best.
        best = np.maximum.reduceat(sims, np.cumsum(counts) - counts).astype(np.int32)
        floor = int(self.settings.conflict_threshold * 100) - 1  # uint8 scores are rounded
        passing = np.nonzero(best >= floor)[0]
        # Only the best few by title go on to the full comparison: the final score never
        # exceeds the title similarity, so a book far down this list cannot win.
        limit = max(20, 4 * self.settings.max_candidates)
        if len(passing) > limit:
            passing = passing[np.argsort(-best[passing], kind="stable")[:limit]]
        keep = [candidate_ids[p] for p in passing.tolist()]
        scored = [self._compare(query, self._entries[i]) for i in keep]
        scored.sort(key=lambda s: (-s.score, -s.title_sim, s.entry.book.id))
        return scored

    def _decide(self, query: _Query, scored: list[_Scored]) -> MatchDecision:
        s = self.settings
        asin = query.item.asin
        worth = [c for c in scored if c.score >= s.conflict_threshold]
        if not worth:
            near = f"; closest was {_label(scored[0].entry)} ({scored[0].score:.2f})" if scored else ""
            return MatchDecision(
                asin, UNMATCHED, None, None, 0.0, (), f"unmatched: no similar tracker book{near}"
            )
        candidates = tuple(Candidate(c.entry.book.id, c.score) for c in worth[: s.max_candidates])
        best = worth[0]
        runner = worth[1] if len(worth) > 1 else None
        if best.guards:
            reason = self._guard_reason(query, best)
        elif best.score < s.link_threshold:
            reason = (
                f"low confidence: best candidate {_label(best.entry)} scores {best.score:.2f} "
                f"(needs {s.link_threshold:.2f})"
            )
        elif runner is not None and best.score - runner.score < s.margin:
            reason = (
                f"ambiguous: {_label(best.entry)} ({best.score:.2f}) and {_label(runner.entry)} "
                f"({runner.score:.2f}) are within {s.margin:.2f}"
            )
        else:
            lead = f"; next best {runner.score:.2f}" if runner else ""
            how = (
                "title and author match" if best.author == "match" else "title matches (no author to compare)"
            )
            return MatchDecision(
                asin, LINKED, best.entry.book.id, "fuzzy", best.score, candidates,
                f"{how} {_label(best.entry)} ({best.score:.2f}{lead})",
            )  # fmt: skip
        return MatchDecision(asin, CONFLICT, None, best.method, best.score, candidates, reason)

    def _guard_reason(self, query: _Query, best: _Scored) -> str:
        guard = best.guards[0]
        label = _label(best.entry)
        if guard == "different author":
            who = query.item.authors or "unknown"
            return f"different author: the audiobook is by {_short(who, 40)}, the closest book is {label} ({best.score:.2f})"
        if guard in (
            "volume mismatch",
            "part mismatch",
            "omnibus vs single volume",
            "different omnibus ranges",
        ):
            return (
                f"{guard}: the audiobook is {_volume_text(query.title)}, {label} is "
                f"{_volume_text(best.entry.title)} ({best.score:.2f})"
            )
        if guard == "number mismatch":
            return f"number mismatch: the titles carry different numbers ({label}, {best.score:.2f})"
        if guard == "companion work":
            words = sorted(query.title.companion ^ best.entry.title.companion)
            return f"companion work: {label} differs by '{', '.join(words)}' ({best.score:.2f})"
        return f"{guard}: {label} ({best.score:.2f})"


def match_library(
    items: Iterable[LibraryItem], books: Iterable[TrackerBook], settings: MatchSettings | None = None
) -> list[MatchDecision]:
    """Convenience: index `books` and decide every item (see BookIndex)."""
    return BookIndex(books, settings).match_all(items)
