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

What one comparison says (similarities, guards, penalties) lives in
`domain.match_scoring`; this module indexes the books, gathers that evidence for
the few books worth comparing and decides. Reasons are named values until the
sentence for people is worded, last, by the `_explain_*` functions.

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
from enum import Enum

import numpy as np
from rapidfuzz import fuzz, process

from domain.library_items import LibraryItem
from domain.match_scoring import (
    AUTHOR_GUARDS,
    CERTAIN_GUARDS,
    AuthorAgreement,
    Evidence,
    Guard,
    Penalties,
    Side,
    compare,
    main_words_contained,
    narrator_named_as_author,
    subtitle_variant,
    title_variants,
)
from domain.normalize import (
    TitleInfo,
    normalize_isbn,
    parse_title,
    split_item_authors,
    split_tracker_authors,
    title_words,
)

LINKED, CONFLICT, UNMATCHED = "linked", "conflict", "unmatched"


class Doubt(Enum):
    """Why the best candidate is not linked."""

    GUARDED = "guarded"  # a guard holds (see match_scoring.Guard)
    LOW_CONFIDENCE = "low_confidence"  # below MatchSettings.link_threshold
    AMBIGUOUS = "ambiguous"  # the runner-up is within MatchSettings.margin


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
    plausible_threshold  a candidate with nothing against it but its score must reach this for a
                         person to be asked about it; below it the item is unmatched (a near-miss).
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
    plausible_threshold: float = 0.80
    max_candidates: int = 5
    block_limit: int = 30
    isbn_title_floor: float = 0.6
    author_unknown_factor: float = 0.93
    author_mismatch_factor: float = 0.6
    guard_factor: float = 0.75
    subtitle_factor: float = 0.95
    asin_as_isbn: bool = True
    # The four factors above, as match_scoring takes them (derived, not a setting of its own).
    penalties: Penalties = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (
            "link_threshold",
            "margin",
            "conflict_threshold",
            "plausible_threshold",
            "isbn_title_floor",
            "author_unknown_factor",
            "author_mismatch_factor",
            "guard_factor",
            "subtitle_factor",
        ):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"MatchSettings.{name} must be between 0 and 1, got {value}")
        if not self.conflict_threshold <= self.plausible_threshold <= self.link_threshold:
            raise ValueError(
                "MatchSettings.conflict_threshold must not exceed plausible_threshold, "
                "nor plausible_threshold link_threshold"
            )
        if self.max_candidates < 1 or self.block_limit < 1:
            raise ValueError("MatchSettings.max_candidates and block_limit must be at least 1")
        penalties = Penalties(
            self.author_unknown_factor, self.author_mismatch_factor, self.guard_factor, self.subtitle_factor
        )
        object.__setattr__(self, "penalties", penalties)


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
class _Entry(Side):
    """A tracker book, parsed once when the index is built."""

    book: TrackerBook
    # What _title_prefilter compares: the variants, then the subtitle alone when it is a
    # title of its own. Worked out once here rather than for every query it meets.
    score_variants: tuple[str, ...]


@dataclass(slots=True)
class _Query(Side):
    item: LibraryItem


def _entry(book: TrackerBook) -> _Entry:
    people = tuple(split_tracker_authors(book.author))
    keys = tuple([p.key for p in people])  # Person.key joins its words on every call
    info = parse_title(book.title, authors=keys)
    variants = tuple(title_variants(info))
    sub = subtitle_variant(info)
    score_variants = variants + (sub,) if sub else variants
    return _Entry(info, people, " ".join(keys), variants, sub, book, score_variants)


def _rank_key(scored: Evidence) -> tuple[float, float, int]:
    return (-scored.score, -scored.title_sim, scored.entry.book.id)


# Postings read in full per item (see BookIndex._block). Up to about 100,000 books every
# list of a distinctive word fits; past that, common words are looked up instead of read.
POSTING_BUDGET = 4000


def _lists_to_read(keys: list[tuple[str, float]], lists: list[np.ndarray]) -> list[int]:
    """Which of the (rarest-first) keys' lists to read in full: the rarest title word and the
    rarest surname whatever their length (a misspelt title still has its author, a book
    without an author its title), then the others while the total stays within the budget."""
    read = {next((i for i, (token, _) in enumerate(keys) if not token.startswith("@")), 0)}
    read.add(next((i for i, (token, _) in enumerate(keys) if token.startswith("@")), 0))
    size = sum(len(lists[i]) for i in read)
    for i, posting in enumerate(lists):
        if i not in read and size + len(posting) <= POSTING_BUDGET:
            read.add(i)
            size += len(posting)
    return sorted(read)  # the order the weights are summed in: the same in every process


def _add_where_listed(found: np.ndarray, totals: np.ndarray, posting: np.ndarray, weight: float) -> None:
    """Add `weight` to the totals of the found books that are in `posting` (both sorted,
    unique): a binary search of the shorter array in the longer one."""
    if len(posting) < len(found):
        at = np.minimum(np.searchsorted(found, posting), len(found) - 1)
        totals[at[found[at] == posting]] += weight
    else:
        at = np.minimum(np.searchsorted(posting, found), len(posting) - 1)
        totals += weight * (posting[at] == found)


def _sorted_overlap(ids: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct book ids and their summed weights (a stable sort groups each book's postings
    in key order; summing each group is cheaper than np.unique's inverse plus a bincount)."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_ids[1:] != sorted_ids[:-1])))
    return sorted_ids[starts], np.add.reduceat(weights[order], starts)


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
        # Only the words are read now. The full parse of a book (variants, volumes, people)
        # is made the first time an item's block holds it: a few new titles against a large
        # tracker meet few of its books. A batch that meets most of them parses them all
        # first (prepare_for).
        self._books: list[TrackerBook] = []
        self._by_isbn: dict[str, list[int]] = defaultdict(list)
        postings: dict[str, list[int]] = defaultdict(list)
        title_lengths: list[int] = []
        for book in books:
            idx = len(self._books)
            self._books.append(book)
            isbn = normalize_isbn(book.isbn)
            if isbn:
                self._by_isbn[isbn].append(idx)
            words = title_words(book.title)
            title_lengths.append(len(words))
            for token in words:
                postings[token].append(idx)
            for surname in {p.surname for p in split_tracker_authors(book.author) if len(p.surname) > 1}:
                postings["@" + surname].append(idx)
        self._entries: list[_Entry | None] = [None] * len(self._books)
        self._all_parsed = False
        n = max(len(self._books), 1)
        # Built in tracker order, so every list is sorted: _block looks books up in them.
        self._postings = {t: np.asarray(ids, dtype=np.int32) for t, ids in postings.items()}
        # IDF: a shared rare word ("karamazov") says far more than a shared common one ("life").
        self._idf = {t: math.log(1.0 + n / len(ids)) for t, ids in postings.items()}
        self._title_lengths = np.asarray(title_lengths, dtype=np.int16)
        # Words in more than 5% of titles only block when the title has nothing rarer.
        self._common_df = max(50, n // 20)

    def parse_all(self) -> None:
        """Parse every book not parsed yet (see prepare_for)."""
        if self._all_parsed:
            return
        with _no_cyclic_gc():
            for index in range(len(self._books)):
                self._entry_at(index)
        self._all_parsed = True

    def _entry_at(self, index: int) -> _Entry:
        entry = self._entries[index]
        if entry is None:
            entry = self._entries[index] = _entry(self._books[index])
        return entry

    def __len__(self) -> int:
        return len(self._books)

    # -- public ------------------------------------------------------------------------

    def match_all(self, items: Iterable[LibraryItem]) -> list[MatchDecision]:
        items = list(items)
        self.prepare_for(len(items))
        # Same reason as in __init__: with 100k indexed books alive, every full collection
        # triggered by matching's short-lived objects would rescan them all.
        with _no_cyclic_gc():
            return [self.match(item) for item in items]

    def prepare_for(self, item_count: int) -> None:
        """Parse every book up front when `item_count` items will meet most of them anyway.

        Each item's block holds `block_limit` books, so a batch that large meets most of
        the tracker: parsing all of it in one pass costs about half as much per book as
        parsing them one by one as blocks first hold them (measured: 23 vs 41 µs), and
        before forking workers it lets them share the parsed books instead of each parsing
        (and holding) its own. A few new titles against a large tracker parse only the
        books they meet. The decisions are the same either way: a book parses the same
        whenever it is parsed.
        """
        if item_count * self.settings.block_limit >= len(self._books):
            self.parse_all()

    def match(self, item: LibraryItem) -> MatchDecision:
        if not (item.title or "").strip():
            return _unmatched(item.asin, "unmatched: the item has no title")
        query = self._query(item)
        if not query.title.main:
            return _unmatched(item.asin, "unmatched: nothing is left of the title once normalised")
        isbn_decision = self._match_isbn(query)
        if isbn_decision is not None:
            return isbn_decision
        scored = self._score(query, self._block(query))
        return self._decide(query, scored)

    # -- gathering evidence ------------------------------------------------------------

    def _query(self, item: LibraryItem) -> _Query:
        people = tuple(split_item_authors(item.authors))
        keys = tuple([p.key for p in people])
        info = parse_title(
            item.title,
            item.subtitle,
            series_title=item.series_title,
            series_sequence=item.series_sequence,
            authors=keys,
        )
        variants = tuple(title_variants(info))
        return _Query(info, people, " ".join(keys), variants, subtitle_variant(info), item)

    def _isbn_books(self, query: _Query) -> tuple[str, list[int]] | None:
        """The first of the item's ISBNs (its own, else its ASIN) that tracker books carry."""
        own = normalize_isbn(query.item.isbn)
        isbns = [own]
        if self.settings.asin_as_isbn and own is None:
            isbns.append(normalize_isbn(query.item.asin))
        for isbn in isbns:
            if isbn is not None and isbn in self._by_isbn:
                return isbn, self._by_isbn[isbn]
        return None

    def _match_isbn(self, query: _Query) -> MatchDecision | None:
        found = self._isbn_books(query)
        if found is None:
            return None
        isbn, indexes = found
        scored = [compare(query, self._entry_at(i), self.settings.penalties) for i in indexes]
        scored.sort(key=lambda s: -s.title_sim)
        return self._decide_isbn(query.item.asin, isbn, scored)

    def _block(self, query: _Query) -> list[int]:
        """The `block_limit` books sharing most with the item (IDF-weighted title words and
        author surnames), best overlap first.

        A key's posting list is read in full only while the lists read stay within
        POSTING_BUDGET (the rarest title word and the rarest surname always are); every
        other key adds its weight to the books already found by binary search in its list.
        A common word thus costs a lookup per candidate rather than a pass over a list that
        grows with the tracker, so the work per item stays bounded as the tracker grows.
        """
        keys = self._block_keys(query)
        if not keys:
            return []
        keys.sort(key=lambda key: len(self._postings[key[0]]))  # rarest first
        lists = [self._postings[token] for token, _ in keys]
        weights = [self._idf[token] * weight for token, weight in keys]
        read = _lists_to_read(keys, lists)
        read_set = set(read)
        ids = np.concatenate([lists[i] for i in read]) if len(read) > 1 else lists[read[0]]
        found, totals = _sorted_overlap(
            ids, np.repeat([weights[i] for i in read], [len(lists[i]) for i in read])
        )
        for i in range(len(lists)):
            if i not in read_set:
                _add_where_listed(found, totals, lists[i], weights[i])
        return self._best_overlaps(found, totals, len(query.title.tokens))

    def _best_overlaps(self, found: np.ndarray, totals: np.ndarray, title_length: int) -> list[int]:
        """The `block_limit` largest overlaps, largest first. Many books tie on overlap (all
        that share only "garden" with the item): among them the books whose title has as many
        words as the item's come first, then tracker order, so the cut is the same on every
        run and in every process."""
        # One integer per book orders all three at once: the overlap to 1/10,000 (an overlap
        # is a sum of at most a few dozen IDF weights, so it fits 26 bits), the distance in
        # title length (8 bits), the book's place in the tracker (29 bits). Each key is
        # unique, so partitioning on it cannot depend on the order ties arrive in.
        overlap = np.rint(totals * 1e4).astype(np.int64)
        distance = np.minimum(np.abs(self._title_lengths[found].astype(np.int64) - title_length), 255)
        key = ((overlap.max() - overlap) << 37) | (distance << 29) | found
        limit = self.settings.block_limit
        if len(key) > limit:
            key = key[np.argpartition(key, limit - 1)[:limit]]
        return (np.sort(key) & ((1 << 29) - 1)).tolist()

    def _block_keys(self, query: _Query) -> list[tuple[str, float]]:
        """Posting keys with their weight: the title's rarest words, then author surnames."""
        tokens = list(query.title.tokens)
        rare = [t for t in tokens if t in self._postings and len(self._postings[t]) <= self._common_df]
        chosen = rare or [t for t in tokens if t in self._postings]
        keys = [(t, 1.0) for t in chosen]
        # Surnames bring in the author's books even when the title has a typo in every word.
        keys += [("@" + p.surname, 0.5) for p in query.people if "@" + p.surname in self._postings]
        return keys

    def _score(self, query: _Query, candidate_ids: list[int]) -> list[Evidence]:
        keep = self._title_prefilter(query, candidate_ids)
        penalties = self.settings.penalties
        scored = [compare(query, self._entry_at(i), penalties) for i in keep]
        scored.sort(key=_rank_key)
        return scored

    def _title_prefilter(self, query: _Query, candidate_ids: list[int]) -> list[int]:
        """The candidates whose best title similarity could still reach the conflict threshold.

        Title similarity of every candidate in two vectorised rapidfuzz calls. A book's
        final score never exceeds its title similarity, so books below the threshold are
        dropped before the (slower) per-book comparison, and only the best few go on.
        """
        if not candidate_ids:
            return []
        q_vars = list(query.variants)
        q_sub = query.subtitle_alone
        if q_sub:
            q_vars.append(q_sub)
        candidate_ids, entries = self._comparable(candidate_ids)
        if not q_vars or not entries:
            return []
        b_vars = [variant for entry in entries for variant in entry.score_variants]
        counts = np.fromiter((len(e.score_variants) for e in entries), dtype=np.int64, count=len(entries))
        matrix = np.maximum(
            process.cdist(q_vars, b_vars, scorer=fuzz.ratio, dtype=np.uint8),
            process.cdist(q_vars, b_vars, scorer=fuzz.token_sort_ratio, dtype=np.uint8),
        )
        if q_sub:
            # Subtitle against subtitle is not a title match ("An Investigation" is shared
            # by hundreds of books): title_similarity never pairs them, neither may this.
            # A book's subtitle variant is its last one.
            has_sub = np.fromiter((e.subtitle_alone != "" for e in entries), dtype=bool, count=len(entries))
            matrix[-1, (np.cumsum(counts) - 1)[has_sub]] = 0
        sims = matrix.max(axis=0)
        # A book's variants sit next to each other: the best of each run is its best.
        best = np.maximum.reduceat(sims, np.cumsum(counts) - counts).astype(np.int32)
        floor = int(self.settings.conflict_threshold * 100) - 1  # uint8 scores are rounded
        passing = np.nonzero(best >= floor)[0]
        limit = max(20, 4 * self.settings.max_candidates)
        if len(passing) > limit:
            passing = passing[np.argsort(-best[passing], kind="stable")[:limit]]
        return [candidate_ids[p] for p in passing.tolist()]

    def _comparable(self, candidate_ids: list[int]) -> tuple[list[int], list[_Entry]]:
        """The candidates with a title to compare, and their entries. A book whose title is
        nothing but noise ("Unabridged") has none; it must not take part in the prefilter,
        whose reduceat needs every book to bring at least one variant."""
        pairs = [(i, entry) for i in candidate_ids if (entry := self._entry_at(i)).score_variants]
        return [i for i, _ in pairs], [entry for _, entry in pairs]

    # -- deciding ----------------------------------------------------------------------

    def _decide_isbn(self, asin: str, isbn: str, scored: list[Evidence]) -> MatchDecision:
        best = scored[0]
        candidates = tuple(Candidate(s.entry.book.id, 1.0) for s in scored)[: self.settings.max_candidates]
        if len(scored) > 1:
            reason = _explain_shared_isbn(isbn, len(scored), best)
            return MatchDecision(asin, CONFLICT, None, "isbn", 1.0, candidates, reason)
        # An equal ISBN is the strongest evidence there is, but a typo in the tracker can
        # put one book's ISBN on another: a totally different title makes us ask.
        if self._isbn_title_doubt(best):
            reason = _explain_isbn_title_check(isbn, best)
            return MatchDecision(asin, CONFLICT, None, "isbn", 1.0, candidates, reason)
        reason = f"ISBN {isbn} matches {_label(best.entry)}"
        return MatchDecision(asin, LINKED, best.entry.book.id, "isbn", 1.0, candidates[:1], reason)

    def _isbn_title_doubt(self, evidence: Evidence) -> bool:
        floor = self.settings.isbn_title_floor
        if evidence.title_sim < floor:
            return True
        disagree = evidence.author is AuthorAgreement.MISMATCH or evidence.author is AuthorAgreement.NEAR
        return disagree and evidence.title_sim < (1.0 + floor) / 2

    def _decide(self, query: _Query, scored: list[Evidence]) -> MatchDecision:
        s = self.settings
        asin = query.item.asin
        worth = [c for c in scored if c.score >= s.conflict_threshold]
        if not worth:
            closest = _candidates(scored, s.max_candidates)
            return _unmatched(asin, _explain_nothing_similar(scored[0] if scored else None), closest)
        candidates = _candidates(worth, s.max_candidates)
        best = worth[0]
        runner = worth[1] if len(worth) > 1 else None
        doubt = self._doubt(best, runner)
        if doubt is None:
            reason = _explain_fuzzy_link(best, runner)
            return MatchDecision(asin, LINKED, best.entry.book.id, "fuzzy", best.score, candidates, reason)
        _recognise_narrators(query, worth)
        # A tracker that numbers this series' volumes ("Mahabharata Volume 6") lacks the item's
        # volume; its plain "The Mahabharata" is then some other book.
        numbered = any(Guard.OTHER_VOLUME in c.guards for c in worth)
        position = next((i for i, c in enumerate(worth) if self._plausible(query, c, numbered)), None)
        if position is None:
            # Every candidate is certainly another book, or too far off to ask about.
            return _unmatched(asin, _explain_absent(query, best, s), candidates)
        if position:
            best = worth[position]
            runner = worth[position + 1] if position + 1 < len(worth) else None
            doubt = self._doubt(best, runner) or Doubt.LOW_CONFIDENCE
        reason = _explain_doubt(doubt, query, best, runner, s)
        return MatchDecision(asin, CONFLICT, None, "fuzzy", best.score, candidates, reason)

    def _doubt(self, best: Evidence, runner: Evidence | None) -> Doubt | None:
        """Why the best candidate must not be linked, or None to link it."""
        s = self.settings
        if best.guards:
            return Doubt.GUARDED
        if best.score < s.link_threshold:
            return Doubt.LOW_CONFIDENCE
        if runner is not None and best.score - runner.score < s.margin:
            return Doubt.AMBIGUOUS
        return None

    def _plausible(self, query: _Query, candidate: Evidence, volumes_numbered: bool) -> bool:
        """Whether a person might take this candidate for the item's book."""
        if CERTAIN_GUARDS.intersection(candidate.guards):
            return False
        if volumes_numbered and Guard.VOLUME_UNSTATED in candidate.guards:
            return False
        if candidate.guards or candidate.score >= self.settings.plausible_threshold:
            return True
        # Below the bar only a variant of the title is worth a question (see main_words_contained).
        return main_words_contained(query.title, candidate.entry.title)


def match_library(
    items: Iterable[LibraryItem], books: Iterable[TrackerBook], settings: MatchSettings | None = None
) -> list[MatchDecision]:
    """Convenience: index `books` and decide every item (see BookIndex)."""
    return BookIndex(books, settings).match_all(items)


def _unmatched(asin: str, reason: str, closest: tuple[Candidate, ...] = ()) -> MatchDecision:
    return MatchDecision(asin, UNMATCHED, None, None, 0.0, closest, reason)


def _recognise_narrators(query: _Query, worth: list[Evidence]) -> None:
    """Turn DIFFERENT_AUTHOR into NARRATOR_AS_AUTHOR where the tracker names the narrator.

    Left to the decision, and to items it cannot link: it is the same penalty, and
    most candidates never need the narrators parsed.
    """
    if not query.item.narrators:
        return
    narrators = split_item_authors(query.item.narrators)
    for candidate in worth:
        if Guard.DIFFERENT_AUTHOR in candidate.guards and narrator_named_as_author(narrators, candidate):
            candidate.guards[candidate.guards.index(Guard.DIFFERENT_AUTHOR)] = Guard.NARRATOR_AS_AUTHOR


def _candidates(scored: list[Evidence], limit: int) -> tuple[Candidate, ...]:
    return tuple(Candidate(c.entry.book.id, c.score) for c in scored[:limit])


# --- the sentences people read -----------------------------------------------------------


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _label(entry: _Entry) -> str:
    label = f"'{_short(entry.book.title)}'"
    if entry.book.author:
        label += f" by {_short(entry.book.author, 40)}"
    return label


def _num_key(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return math.inf


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


def _explain_shared_isbn(isbn: str, books: int, best: Evidence) -> str:
    return f"ambiguous: ISBN {isbn} is on {books} tracker books ({_label(best.entry)}, …)"


def _explain_isbn_title_check(isbn: str, best: Evidence) -> str:
    return (
        f"ISBN check: ISBN {isbn} matches {_label(best.entry)} but the titles differ "
        f"(title similarity {best.title_sim:.2f})"
    )


def _explain_nothing_similar(closest: Evidence | None) -> str:
    near = f"; closest was {_label(closest.entry)} ({closest.score:.2f})" if closest else ""
    return f"unmatched: no similar tracker book{near}"


def _explain_fuzzy_link(best: Evidence, runner: Evidence | None) -> str:
    lead = f"; next best {runner.score:.2f}" if runner else ""
    if best.author is AuthorAgreement.MATCH:
        how = "title and author match"
    else:
        how = "title matches (no author to compare)"
    return f"{how} {_label(best.entry)} ({best.score:.2f}{lead})"


def _explain_low_confidence(best: Evidence, link_threshold: float) -> str:
    return (
        f"low confidence: best candidate {_label(best.entry)} scores {best.score:.2f} "
        f"(needs {link_threshold:.2f})"
    )


def _explain_ambiguous(best: Evidence, runner: Evidence, margin: float) -> str:
    return (
        f"ambiguous: {_label(best.entry)} ({best.score:.2f}) and {_label(runner.entry)} "
        f"({runner.score:.2f}) are within {margin:.2f}"
    )


GUARD_LABELS = {
    Guard.DIFFERENT_AUTHOR: "different author",
    Guard.SIMILAR_AUTHOR: "different author",
    Guard.NARRATOR_AS_AUTHOR: "different author",
    Guard.OTHER_VOLUME: "volume mismatch",
    Guard.SERIES_POSITION: "volume mismatch",
    Guard.VOLUME_UNSTATED: "volume mismatch",
    Guard.OTHER_PART: "part mismatch",
    Guard.PART_UNSTATED: "part mismatch",
    Guard.OTHER_NUMBER: "number mismatch",
    Guard.NUMBER_UNSTATED: "number mismatch",
    Guard.OMNIBUS_VS_SINGLE: "omnibus vs single volume",
    Guard.COLLECTION_UNSTATED: "collection or single book",
    Guard.OMNIBUS_RANGES: "different omnibus ranges",
    Guard.SERIES_NAME: "series name",
    Guard.OTHER_COLLECTION: "different collections",
    Guard.COMPANION: "companion work",
    Guard.ADAPTATION: "adaptation",
    Guard.ONE_WORD_NO_AUTHOR: "no author to confirm a one-word title",
}
_VOLUME_SENTENCE_GUARDS = frozenset(
    {
        Guard.OTHER_VOLUME,
        Guard.SERIES_POSITION,
        Guard.VOLUME_UNSTATED,
        Guard.OTHER_PART,
        Guard.PART_UNSTATED,
        Guard.OMNIBUS_VS_SINGLE,
        Guard.OMNIBUS_RANGES,
    }
)
_ADAPTATION_WORDS = {
    "dramatisation": "a dramatisation",
    "abridged": "abridged",
    "summary": "a summary or study guide",
}


def _adaptation_text(info: TitleInfo) -> str:
    if not info.adaptation:
        return "the book itself"
    return " and ".join(_ADAPTATION_WORDS.get(kind, kind) for kind in sorted(info.adaptation))


def _explain_doubt(
    doubt: Doubt, query: _Query, best: Evidence, runner: Evidence | None, settings: MatchSettings
) -> str:
    if doubt is Doubt.GUARDED:
        return _explain_guard(query, best)
    if doubt is Doubt.AMBIGUOUS and runner is not None:
        return _explain_ambiguous(best, runner, settings.margin)
    return _explain_low_confidence(best, settings.link_threshold)


def _explain_absent(query: _Query, best: Evidence, settings: MatchSettings) -> str:
    """Why the item is taken to be absent from the tracker, naming its closest book."""
    if best.guards:
        return f"{_explain_guard(query, best)}; not in the tracker"
    return (
        f"unmatched: the closest tracker book {_label(best.entry)} scores {best.score:.2f} "
        f"(a person is asked from {settings.plausible_threshold:.2f})"
    )


def _explain_author(query: _Query, best: Evidence, guard: Guard, label: str, score: str) -> str:
    who = _short(query.item.authors or "unknown", 40)
    if guard is Guard.NARRATOR_AS_AUTHOR:
        who += f", read by {_short(query.item.narrators or '', 40)}"
    sentence = f"different author: the audiobook is by {who}, the closest book is {label} ({score})"
    if guard is Guard.SIMILAR_AUTHOR:
        sentence += "; the names are close"
    return sentence


def _explain_guard(query: _Query, best: Evidence) -> str:
    """The first guard of the best candidate, in words."""
    guard = best.guards[0]
    name = GUARD_LABELS[guard]
    label = _label(best.entry)
    score = f"{best.score:.2f}"
    if guard in AUTHOR_GUARDS:
        return _explain_author(query, best, guard, label, score)
    if guard in _VOLUME_SENTENCE_GUARDS:
        return (
            f"{name}: the audiobook is {_volume_text(query.title)}, {label} is "
            f"{_volume_text(best.entry.title)} ({score})"
        )
    if guard is Guard.OTHER_NUMBER or guard is Guard.NUMBER_UNSTATED:
        return f"{name}: the titles carry different numbers ({label}, {score})"
    if guard is Guard.COMPANION:
        words = sorted(query.title.companion ^ best.entry.title.companion)
        return f"{name}: {label} differs by '{', '.join(words)}' ({score})"
    if guard is Guard.ADAPTATION:
        return (
            f"{name}: the audiobook is {_adaptation_text(query.title)}, {label} is "
            f"{_adaptation_text(best.entry.title)} ({score})"
        )
    if guard is Guard.COLLECTION_UNSTATED:
        return (
            f"{name}: the audiobook is {_volume_text(query.title)}; {label} has its title but does "
            f"not say whether it is the collection or one book of it ({score})"
        )
    if guard is Guard.SERIES_NAME:
        series = _short(query.item.series_title or "its series", 40)
        return f"{name}: {label} is named after the series ({series}), not this book ({score})"
    if guard is Guard.OTHER_COLLECTION:
        return f"{name}: the audiobook and {label} are different collections under one name ({score})"
    return f"{name}: {label} ({score})"
