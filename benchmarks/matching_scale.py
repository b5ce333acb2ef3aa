"""Matching throughput on synthetic data: items per second at 1k x 10k and 10k x 100k.

    python benchmarks/matching_scale.py                    # both standard sizes
    python benchmarks/matching_scale.py --items 5000 --books 50000
    python benchmarks/matching_scale.py --mix common_words      # another data mix (benchmarks/synthetic.py)

Prints the index build time, the matching time and rate, the decision mix and
the peak resident memory of the process (Linux: ru_maxrss).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import MIX_NAMES, generate  # noqa: E402
from domain.library_items import parse_library  # noqa: E402
from domain.matching import BookIndex, TrackerBook  # noqa: E402


def run(items: int, books: int, seed: int = 7, mix: str = "baseline") -> dict:
    library_raw, books_raw = generate(items, books, seed, mix)
    library = parse_library(library_raw).items
    tracker = [TrackerBook(b["id"], b["title"], b.get("author"), b.get("isbn")) for b in books_raw]
    started = time.perf_counter()
    index = BookIndex(tracker)
    built = time.perf_counter()
    decisions = index.match_all(library)
    done = time.perf_counter()
    mix = Counter(d.decision for d in decisions)
    methods = Counter(d.method for d in decisions if d.decision == "linked")
    return {
        "items": len(library),
        "books": len(tracker),
        "index_s": built - started,
        "match_s": done - built,
        "items_per_s": len(library) / max(done - built, 1e-9),
        "total_items_per_s": len(library) / max(done - started, 1e-9),
        "mix": dict(mix),
        "methods": dict(methods),
    }


def report(result: dict) -> None:
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{result['items']:>6} items x {result['books']:>7} books: index {result['index_s']:.2f} s, "
        f"match {result['match_s']:.2f} s = {result['items_per_s']:,.0f} items/s "
        f"({result['total_items_per_s']:,.0f} items/s including the index); "
        f"{result['mix']} linked by {result['methods']}; peak RSS so far {peak_mb:.0f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, help="library items (default: run 1k x 10k and 10k x 100k)")
    parser.add_argument("--books", type=int, help="tracker books")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--mix", default="baseline", choices=MIX_NAMES, help="data mix (default baseline)")
    args = parser.parse_args(argv)
    if args.items or args.books:
        sizes = [(args.items or 1000, args.books or 10 * (args.items or 1000))]
    else:
        sizes = [(1_000, 10_000), (10_000, 100_000)]
    for items, books in sizes:
        report(run(items, books, args.seed, args.mix))
    return 0


if __name__ == "__main__":
    sys.exit(main())
