"""The matcher on labelled synthetic data: precision, recall, speed and memory at several tracker sizes.

    .venv/bin/python benchmarks/synthetic_eval.py                                  # every mix, 100k and 500k books
    .venv/bin/python benchmarks/synthetic_eval.py --mix long_titles --books 100000 --items 3000
    .venv/bin/python benchmarks/synthetic_eval.py --save-decisions /tmp/before.json   # keep the outcomes ...
    .venv/bin/python benchmarks/synthetic_eval.py --compare-decisions /tmp/before.json  # ... and diff a change

`benchmarks/synthetic.py` knows, for every item it draws, the tracker book it was
drawn from (or that it is absent). This scores `BookIndex` against that truth on
trackers far larger than the hand-labelled evaluation set
(`benchmarks/matching_eval.py`): a blocking or indexing change that only pays off
past 100,000 books is judged here on the books it would miss.

A link counts as **wrong** when it names another book than the one drawn, unless
that book has exactly the same title and author in the tracker (two copies of one
book are not told apart by anyone). A link to a book with the item's very title
and no author recorded is counted apart, as *indistinguishable*: random titles
from a small vocabulary collide, and nothing in such a pair tells the two apart. Recall is the share of present items linked
to their book; precision the share of links that are not wrong. Every point runs
in a fresh process, so its peak RSS and timings are its own; times are CPU time
of the matching process (the figures stay comparable on a busy machine) and the
wall time of the index build.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import MIX_NAMES, generate_labelled  # noqa: E402


def evaluate(items: int, books: int, mix: str, seed: int = 7) -> tuple[dict, dict[str, list]]:
    """One point: the figures, and each item's (decision, book id) for comparing two versions."""
    from domain.library_items import parse_library
    from domain.matching import BookIndex, TrackerBook
    from domain.normalize import normalize_title

    library_raw, books_raw, labels = generate_labelled(items, books, seed, mix)
    library = parse_library(library_raw).items
    tracker = [TrackerBook(b["id"], b["title"], b.get("author"), b.get("isbn")) for b in books_raw]
    same_book = {b.id: (b.title, b.author) for b in tracker}
    titles = {item.asin: normalize_title(item.title) for item in library}
    started, cpu = time.perf_counter(), time.process_time()
    index = BookIndex(tracker)
    build_s, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    cpu = time.process_time()
    decisions = index.match_all(library)
    match_cpu = time.process_time() - cpu
    outcome: Counter[str] = Counter()
    for decision in decisions:
        truth = labels[decision.asin]
        if decision.decision != "linked":
            outcome[f"{decision.decision} ({'present' if truth else 'absent'})"] += 1
        elif decision.book_id == truth:
            outcome["linked right"] += 1
        elif truth is not None and same_book[decision.book_id] == same_book[truth]:
            outcome["linked to a copy"] += 1
        elif same_book[decision.book_id][1] is None and titles[decision.asin] == normalize_title(
            same_book[decision.book_id][0]
        ):
            outcome["linked indistinguishable"] += 1
        else:
            outcome["linked wrong"] += 1
    linked = sum(count for name, count in outcome.items() if name.startswith("linked"))
    present = sum(1 for truth in labels.values() if truth is not None)
    figures = {
        "mix": mix,
        "items": len(library),
        "books": len(tracker),
        "present": present,
        "outcomes": dict(sorted(outcome.items())),
        # Indistinguishable links count against precision only in "precision_strict".
        "precision": round((linked - outcome["linked wrong"]) / linked, 4) if linked else None,
        "precision_strict": round(
            (linked - outcome["linked wrong"] - outcome["linked indistinguishable"]) / linked, 4
        )
        if linked
        else None,
        "recall": round((outcome["linked right"] + outcome["linked to a copy"]) / present, 4)
        if present
        else None,
        "index_build_s": round(build_s, 2),
        "index_build_cpu_s": round(build_cpu, 2),
        "match_cpu_ms_per_item": round(match_cpu / len(library) * 1000, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    return figures, {d.asin: [d.decision, d.book_id] for d in decisions}


def _changes(before: dict[str, list], after: dict[str, list]) -> dict[str, int]:
    changed: Counter[str] = Counter()
    for asin, (decision, book) in after.items():
        old_decision, old_book = before[asin]
        if (old_decision, old_book) != (decision, book):
            changed[
                f"{old_decision} -> {decision}" + (" (other book)" if decision == old_decision else "")
            ] += 1
    return dict(changed)


def _point_in_fresh_process(items: int, books: int, mix: str, seed: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--items",
        str(items),
        "--books",
        str(books),
        "--mix",
        mix,
    ]
    output = subprocess.run(
        [*command, "--seed", str(seed)], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--books", default="100000,500000", help="comma-separated tracker sizes")
    parser.add_argument(
        "--mix", default="all", help=f"one of {', '.join(MIX_NAMES)}, comma-separated, or all"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--save-decisions", type=Path, help="write every point's decisions to this JSON file")
    parser.add_argument("--compare-decisions", type=Path, help="count outcomes that differ from a saved file")
    parser.add_argument("--output", type=Path, help="also write the figures as JSON to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        figures, decisions = evaluate(args.items, int(args.books), args.mix, args.seed)
        print(json.dumps({"figures": figures, "decisions": decisions}))
        return 0
    mixes = list(MIX_NAMES) if args.mix == "all" else args.mix.split(",")
    saved = json.loads(args.compare_decisions.read_text()) if args.compare_decisions else {}
    points, kept = [], {}
    print(
        f"{'mix':<14} {'books':>8} {'precision':>9} {'recall':>7} {'build s':>7} {'CPU ms/item':>11} "
        f"{'RSS MB':>6}  outcomes"
    )
    for mix in mixes:
        for books in (int(n) for n in args.books.split(",")):
            result = _point_in_fresh_process(args.items, books, mix, args.seed)
            figures, decisions = result["figures"], result["decisions"]
            key = f"{mix}:{books}:{args.items}:{args.seed}"
            kept[key] = decisions
            if key in saved:
                figures["changed_from_saved"] = _changes(saved[key], decisions)
            points.append(figures)
            print(
                f"{mix:<14} {books:>8,} {figures['precision']:>9} {figures['recall']:>7} "
                f"{figures['index_build_s']:>7} {figures['match_cpu_ms_per_item']:>11.3f} "
                f"{figures['peak_rss_mb']:>6}  {figures['outcomes']}"
                + (f"  changed: {figures['changed_from_saved']}" if key in saved else ""),
                flush=True,
            )
    if args.save_decisions:
        args.save_decisions.write_text(json.dumps(kept) + "\n")
    if args.output:
        args.output.write_text(json.dumps(points, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
