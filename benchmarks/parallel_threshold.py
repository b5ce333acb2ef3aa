"""Where matching on every core starts to pay: wall time of one vs. all processes per batch size.

    .venv/bin/python benchmarks/parallel_threshold.py                       # 100k books, baseline mix
    .venv/bin/python benchmarks/parallel_threshold.py --books 500000 --sizes 100,400,1600

For each batch size the same items are decided by `BookIndex.match_all` and by
`match_all_parallel` (forcing the workers), each `--repeat` times; the fastest
of each is kept, as the machine may be shared. The CPU time the workers add
(forking, copy-on-write faults, sending decisions back) is reported apart: it
depends far less on the machine's load than the wall time does, and the
break-even on an idle machine is where half the single-process time exceeds it. Forking costs more as the
parent grows (its page tables are copied), so the break-even depends on the
tracker's size; domain/parallel_matching.PARALLEL_MIN_ITEMS is set from it.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import MIX_NAMES, generate  # noqa: E402
from domain.library_items import parse_library  # noqa: E402
from domain.matching import BookIndex, TrackerBook  # noqa: E402
from domain.parallel_matching import match_all_parallel, usable_cores  # noqa: E402


def cpu_seconds() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def fastest(run, repeat: int) -> tuple[float, float]:
    """The least wall time and the least CPU time (this process and its workers) of ``repeat`` runs."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        cpu_started, started = cpu_seconds(), time.perf_counter()
        run()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, cpu_seconds() - cpu_started)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=100_000)
    parser.add_argument("--sizes", default="50,100,200,400,800,1600,3200", help="batch sizes to time")
    parser.add_argument("--mix", default="baseline", choices=MIX_NAMES)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]
    library, books = generate(max(sizes), args.books, 7, args.mix)
    items = parse_library(library).items
    index = BookIndex(TrackerBook(b["id"], b["title"], b.get("author"), b.get("isbn")) for b in books)
    index.match_all(items)  # warm the normalising caches for both sides
    processes = usable_cores()
    print(f"{args.books:,} books ({args.mix}), {processes} processes, load {os.getloadavg()}")
    print(
        f"{'items':>6} {'1 process s':>12} {f'{processes} processes s':>14} {'speed-up':>8} "
        f"{'CPU 1 s':>8} {f'CPU {processes} s':>8} {'CPU added s':>11}"
    )
    for size in sizes:
        batch = items[:size]
        single, single_cpu = fastest(lambda batch=batch: index.match_all(batch), args.repeat)
        parallel, parallel_cpu = fastest(
            lambda batch=batch: match_all_parallel(index, batch, processes=processes, min_items=0),
            args.repeat,
        )
        print(
            f"{size:>6} {single:>12.3f} {parallel:>14.3f} {single / parallel:>7.2f}x "
            f"{single_cpu:>8.3f} {parallel_cpu:>8.3f} {parallel_cpu - single_cpu:>11.3f}",
            flush=True,
        )
    print(f"load {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
