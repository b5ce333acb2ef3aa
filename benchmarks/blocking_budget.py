"""Prototype: blocking whose cost follows an item's rare words, not the tracker's size.

    .venv/bin/python benchmarks/blocking_budget.py                      # every mix, 100k and 500k books
    .venv/bin/python benchmarks/blocking_budget.py --books 100000,250000 --mix common_words --items 3000

`BookIndex._block` keeps the `block_limit` books with the largest IDF-weighted
overlap with the item's keys (its distinctive title words and author surnames).
It concatenates the posting lists of every key and sorts them, so its cost is
the sum of those lists' lengths. A word counts as distinctive while it is in at
most 1/20 of the titles, a bound that grows with the tracker: the same words
stay "distinctive" at 500k books as at 100k, with lists five times as long.

`BudgetBlockingIndex` reads posting lists rarest first, whole, while their total
length stays within a budget (always at least the rarest list): those books are
the candidates. Every key, taken or not, then adds its weight to the candidates
it contains, found by binary search in its sorted list, so a common word costs a
lookup per candidate instead of a pass over its list. The best `block_limit`
candidates by overlap are kept, ties broken by tracker order. The work per item
is bounded by the budget for every item with one key rarer than it, whatever
the tracker's size; what it gives up is a book that shares only words commoner
than the budget with the item (its author's surname usually brings it back).

This overrides a private method of the matcher and is meant to be folded into
domain/matching.py by whoever owns it; it lives here so the figures can be
reproduced. Findings and figures: benchmarks/results/blocking.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import MIX_NAMES, generate  # noqa: E402
from domain.library_items import parse_library  # noqa: E402
from domain.matching import BookIndex, TrackerBook  # noqa: E402

# Postings read in full per item; past it, keys are only looked up for the candidates.
POSTING_BUDGET = 4000


class BudgetBlockingIndex(BookIndex):
    """BookIndex whose blocking reads at most POSTING_BUDGET postings per item in full."""

    postings_read = 0  # instrumentation: postings read or looked up, summed over calls

    def _keys(self, query) -> list[tuple[str, float]]:
        """The current matcher's blocking keys, unchanged: distinctive words, then surnames."""
        tokens = list(query.title.tokens)
        rare = [t for t in tokens if t in self._postings and len(self._postings[t]) <= self._common_df]
        chosen = rare or [t for t in tokens if t in self._postings]
        keys = [(t, 1.0) for t in chosen]
        keys += [("@" + p.surname, 0.5) for p in query.people if "@" + p.surname in self._postings]
        return keys

    def _block(self, query) -> list[int]:
        keys = sorted(self._keys(query), key=lambda key: len(self._postings[key[0]]))
        if not keys:
            return []
        lists = [self._postings[token] for token, _ in keys]
        weights = [self._idf[token] * weight for token, weight in keys]
        taken, size = 1, len(lists[0])
        while taken < len(lists) and size + len(lists[taken]) <= POSTING_BUDGET:
            size += len(lists[taken])
            taken += 1
        candidates = np.unique(np.concatenate(lists[:taken])) if taken > 1 else lists[0]
        totals = np.zeros(len(candidates))
        for weight, ids in zip(weights, lists, strict=True):
            # Posting lists are built in tracker order, so they are sorted.
            where = np.minimum(np.searchsorted(ids, candidates), len(ids) - 1)
            totals += weight * (ids[where] == candidates)
        self.postings_read += size + len(candidates) * (len(lists) - 1)
        order = np.lexsort((candidates, -totals))[: self.settings.block_limit]
        return candidates[order].tolist()


class CountingIndex(BookIndex):
    """The current matcher, counting the postings its blocking reads."""

    postings_read = 0

    def _block(self, query) -> list[int]:
        keys = BudgetBlockingIndex._keys(self, query)
        self.postings_read += sum(len(self._postings[token]) for token, _ in keys)
        return super()._block(query)


class TieOrderIndex(BookIndex):
    """The current blocking (every posting read), with ties at the cut broken by tracker order.

    The current code cuts with argpartition, which keeps an arbitrary subset of the
    books tied at the `block_limit`-th overlap. Comparing with this one shows how many
    decisions hang on that arbitrary choice, apart from any change of the budget.
    """

    def _block(self, query) -> list[int]:
        keys = BudgetBlockingIndex._keys(self, query)
        if not keys:
            return []
        ids = np.concatenate([self._postings[token] for token, _ in keys])
        weights = np.repeat([self._idf[t] * w for t, w in keys], [len(self._postings[t]) for t, _ in keys])
        books, where = np.unique(ids, return_inverse=True)
        totals = np.bincount(where, weights=weights)
        return books[np.lexsort((books, -totals))[: self.settings.block_limit]].tolist()


# --- comparison with the current matcher -------------------------------------------------


def _tracker(books_raw: list[dict]) -> list[TrackerBook]:
    return [TrackerBook(b["id"], b["title"], b.get("author"), b.get("isbn")) for b in books_raw]


def _timed(index: BookIndex, items) -> tuple[list, float]:
    started = time.process_time()
    decisions = index.match_all(items)
    return decisions, time.process_time() - started


def _changes(before: list, after: list) -> dict[str, int]:
    """Decisions whose outcome (decision, linked book) differs, by 'old -> new' decision."""
    changes: dict[str, int] = {}
    for a, b in zip(before, after, strict=True):
        if (a.decision, a.book_id) != (b.decision, b.book_id):
            key = f"{a.decision} -> {b.decision}"
            changes[key] = changes.get(key, 0) + 1
    return changes


def compare(items: int, books: int, mix: str, seed: int = 7) -> dict:
    """Per item: postings read and CPU time of each blocking; outcomes that differ from the current one."""
    library_raw, books_raw = generate(items, books, seed, mix)
    library = parse_library(library_raw).items
    tracker = _tracker(books_raw)
    # One index, three blockings: the variants add no state, so the built index changes
    # class instead of being built three times (500k books take a minute each).
    index = CountingIndex(tracker)
    index.match_all(library[:200])  # warm the normalising caches, so no side pays for them
    index.postings_read = 0
    old, old_s = _timed(index, library)
    current_postings = index.postings_read
    index.__class__ = TieOrderIndex
    tied, _ = _timed(index, library)
    index.__class__ = BudgetBlockingIndex
    index.postings_read = 0
    new, new_s = _timed(index, library)
    count = len(library)
    return {
        "mix": mix,
        "items": count,
        "books": books,
        "current_postings_per_item": round(current_postings / count),
        "budget_postings_per_item": round(index.postings_read / count),
        "current_cpu_ms_per_item": round(old_s / count * 1000, 4),
        "budget_cpu_ms_per_item": round(new_s / count * 1000, 4),
        "outcomes_changed_by_tie_order": _changes(old, tied),
        "outcomes_changed_by_budget": _changes(tied, new),
    }


def compare_eval_set() -> dict:
    from benchmarks.matching_eval import DEFAULT_DIR, load_books, score

    library = parse_library(json.loads((DEFAULT_DIR / "library.json").read_text(encoding="utf-8"))).items
    books = load_books(DEFAULT_DIR / "books.csv")
    labels = json.loads((DEFAULT_DIR / "labels.json").read_text(encoding="utf-8"))
    titles = {b.id: b.title for b in books}
    item_titles = {i.asin: i.title for i in library}
    old = BookIndex(books).match_all(library)
    new = BudgetBlockingIndex(books).match_all(library)
    old_report, new_report = (score(d, labels, titles, item_titles) for d in (old, new))
    return {
        "items": len(library),
        "decisions_differing": sum(1 for a, b in zip(old, new, strict=True) if a != b),
        "current": {k: round(getattr(old_report, k), 4) for k in ("precision", "recall", "top3")},
        "budget": {k: round(getattr(new_report, k), 4) for k in ("precision", "recall", "top3")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--books", default="100000,500000", help="comma-separated tracker sizes")
    parser.add_argument(
        "--mix", default="all", help=f"one of {', '.join(MIX_NAMES)}, comma-separated, or all"
    )
    parser.add_argument("--output", type=Path, help="also write the JSON document to this file")
    args = parser.parse_args(argv)
    mixes = list(MIX_NAMES) if args.mix == "all" else args.mix.split(",")
    results = {"budget": POSTING_BUDGET, "eval_set": compare_eval_set(), "points": []}
    print("evaluation set:", json.dumps(results["eval_set"]))
    print(
        f"{'mix':<14} {'books':>8} {'postings/item':>13} {'budget':>7} {'CPU ms/item':>11} {'budget':>7}  "
        "outcomes changed by tie order | by the budget"
    )
    for mix in mixes:
        for books in (int(n) for n in args.books.split(",")):
            point = compare(args.items, books, mix)
            results["points"].append(point)
            print(
                f"{mix:<14} {books:>8,} {point['current_postings_per_item']:>13,} "
                f"{point['budget_postings_per_item']:>7,} {point['current_cpu_ms_per_item']:>11.3f} "
                f"{point['budget_cpu_ms_per_item']:>7.3f}  {point['outcomes_changed_by_tie_order']} | "
                f"{point['outcomes_changed_by_budget']}",
                flush=True,
            )
    if args.output:
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
