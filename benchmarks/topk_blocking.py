"""Prototype: blocking whose cost follows an item's rare words, not the tracker's size.

    .venv/bin/python benchmarks/topk_blocking.py                      # every mix, 100k and 500k books
    .venv/bin/python benchmarks/topk_blocking.py --books 100000,250000 --mix common_words --items 3000

`BookIndex._block` keeps the `block_limit` books with the largest IDF-weighted
overlap with the item's keys (its distinctive title words and author surnames).
It concatenates the posting lists of every key and sorts them, so its cost is
the sum of those lists' lengths. A word counts as distinctive while it is in at
most 1/20 of the titles, a bound that grows with the tracker: the same words
stay "rare" at 500k books as at 100k, with lists five times as long. Profiling
(CPU time, 2,000 items per point) finds the block step 3-4x slower per item at
500k books than at 100k on every mix, while scoring the 30 books it keeps grows
only 1.1-1.4x.

`TopKBlockingIndex` returns the same top books by overlap (ties broken by
tracker order) without reading every list in full, as information retrieval's
max-score evaluation does: keys are taken heaviest (rarest) first, their books
become candidates, and once `block_limit` candidates are known and the keys not
yet taken weigh less in total than the current `block_limit`-th best overlap,
no book outside the candidates can enter the top. Candidates' overlaps with the
remaining keys are looked up by binary search in those keys' sorted lists, so a
common word costs a lookup per candidate instead of a pass over its list.

This overrides a private method of the matcher and is meant to be folded into
domain/matching.py by whoever owns it; it lives here so the figures can be
reproduced. See benchmarks/results/blocking.md.
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

# Float sums taken in a different order may differ in the last bits.
_EPSILON = 1e-9


class TopKBlockingIndex(BookIndex):
    """BookIndex whose blocking adds up overlaps in place instead of sorting every posting."""

    def _block(self, query) -> list[int]:
        tokens = list(query.title.tokens)
        rare = [t for t in tokens if t in self._postings and len(self._postings[t]) <= self._common_df]
        chosen = rare or [t for t in tokens if t in self._postings]
        keys = [(t, 1.0) for t in chosen]
        keys += [("@" + p.surname, 0.5) for p in query.people if "@" + p.surname in self._postings]
        if not keys:
            return []
        lists = [self._postings[t] for t, _ in keys]
        overlap = self._overlap_buffer()
        # A posting list holds each book once, so a fancy-indexed add is exact.
        for (token, weight), ids in zip(keys, lists, strict=True):
            overlap[ids] += self._idf[token] * weight
        touched = np.concatenate(lists) if len(lists) > 1 else lists[0]
        totals = overlap[touched]
        overlap[touched] = 0.0
        limit = self.settings.block_limit
        # A book appears once per key it shares: the best limit x keys entries hold the
        # best `limit` books.
        wide = limit * len(lists)
        if len(touched) > wide:
            best = np.argpartition(-totals, wide)[:wide]
            touched, totals = touched[best], totals[best]
        ids, first = np.unique(touched, return_index=True)
        order = np.lexsort((ids, -totals[first]))[:limit]
        return ids[order].tolist()

    def _overlap_buffer(self) -> np.ndarray:
        """One float per book, all zero between calls (each call clears what it wrote)."""
        buffer = getattr(self, "_overlap_scratch", None)
        if buffer is None:
            buffer = self._overlap_scratch = np.zeros(max(len(self), 1))
        return buffer


# --- comparison with the current matcher -------------------------------------------------


def _tracker(books_raw: list[dict]) -> list[TrackerBook]:
    return [TrackerBook(b["id"], b["title"], b.get("author"), b.get("isbn")) for b in books_raw]


def _timed(index: BookIndex, items) -> tuple[list, float]:
    started = time.process_time()
    decisions = index.match_all(items)
    return decisions, time.process_time() - started


def compare(items: int, books: int, mix: str, seed: int = 7) -> dict:
    """CPU time per item of both blockings on the same data, and how many decisions differ."""
    library_raw, books_raw = generate(items, books, seed, mix)
    library = parse_library(library_raw).items
    tracker = _tracker(books_raw)
    current = BookIndex(tracker)
    topk = TopKBlockingIndex(tracker)
    # Warm the normalising caches once, so neither side pays for them first.
    current.match_all(library[:200])
    old, old_s = _timed(current, library)
    new, new_s = _timed(topk, library)
    differing = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    outcome = sum(1 for a, b in differing if (a.decision, a.book_id) != (b.decision, b.book_id))
    return {
        "mix": mix,
        "items": len(library),
        "books": books,
        "current_ms_per_item": round(old_s / len(library) * 1000, 4),
        "topk_ms_per_item": round(new_s / len(library) * 1000, 4),
        "decisions_differing": len(differing),
        "outcomes_differing": outcome,
    }


def compare_eval_set() -> dict:
    from benchmarks.matching_eval import DEFAULT_DIR, load_books, score

    library = parse_library(json.loads((DEFAULT_DIR / "library.json").read_text(encoding="utf-8"))).items
    books = load_books(DEFAULT_DIR / "books.csv")
    labels = json.loads((DEFAULT_DIR / "labels.json").read_text(encoding="utf-8"))
    titles = {b.id: b.title for b in books}
    item_titles = {i.asin: i.title for i in library}
    old = BookIndex(books).match_all(library)
    new = TopKBlockingIndex(books).match_all(library)
    old_report, new_report = (score(d, labels, titles, item_titles) for d in (old, new))
    return {
        "items": len(library),
        "decisions_differing": sum(1 for a, b in zip(old, new, strict=True) if a != b),
        "current": {k: round(getattr(old_report, k), 4) for k in ("precision", "recall", "top3")},
        "topk": {k: round(getattr(new_report, k), 4) for k in ("precision", "recall", "top3")},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--books", default="100000,500000", help="comma-separated tracker sizes")
    parser.add_argument(
        "--mix", default="all", help=f"one of {', '.join(MIX_NAMES)}, comma-separated, or all"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    mixes = list(MIX_NAMES) if args.mix == "all" else args.mix.split(",")
    results = {"eval_set": compare_eval_set(), "points": []}
    if not args.json:
        print("evaluation set:", json.dumps(results["eval_set"]))
        print(f"{'mix':<14} {'books':>8} {'current ms':>10} {'top-k ms':>9} {'differ':>6} {'outcome':>7}")
    for mix in mixes:
        for books in (int(n) for n in args.books.split(",")):
            point = compare(args.items, books, mix)
            results["points"].append(point)
            if not args.json:
                print(
                    f"{mix:<14} {books:>8,} {point['current_ms_per_item']:>10.3f} {point['topk_ms_per_item']:>9.3f} "
                    f"{point['decisions_differing']:>6} {point['outcomes_differing']:>7}",
                    flush=True,
                )
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
