"""Reviewing the real audible-cli export's conflicts: how many there are and how many keys clear them.

    .venv/bin/python benchmarks/review_real_export.py
    .venv/bin/python benchmarks/review_real_export.py --server-url postgresql://root@127.0.0.1:5432/test
    .venv/bin/python benchmarks/review_real_export.py --json

Loads the reader's tracker of benchmarks/real_export_tracker.py into a fresh database
(embedded PostgreSQL, or a new database on --server-url), syncs the real 104-title export
(../shared/data/real-audible-export/library.tsv, converted to the export's JSON form) with
the real `audible_sync` job, then answers `audible-tracker review` the way a reader who
knows their books would: the number of the right book when it is listed, a search then its
number when it is not, `c` for a started title the tracker lacks and `i` for an untouched
one. The answers go through the real command with standard input piped, one per line; the
keys are counted as on a terminal (one per answer; a search or #ID costs its characters
plus Enter). It reports the conflicts, the keys, whether every conflict was cleared with
the right decision, and what pasting the check's run config unchanged would have decided.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXPORT = ROOT.parent / "shared" / "data" / "real-audible-export" / "library.tsv"
_NUMBERS = {"runtime_length_min": int, "percent_complete": float}


def export_as_json(path: Path) -> list[dict[str, Any]]:
    """The TSV export in the shape of `audible library export --format json` (empty fields dropped)."""
    items = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            item: dict[str, Any] = {}
            for key, value in row.items():
                if value in ("", None):
                    continue
                if key == "is_finished":
                    item[key] = value.strip().lower() == "true"
                elif key in _NUMBERS:
                    item[key] = _NUMBERS[key](value)
                else:
                    item[key] = value
            items.append(item)
    return items


def drop_database(server_url: str | None, url: str) -> None:
    import sqlalchemy as sa

    from resources.postgres import sqlalchemy_url

    if not server_url:
        return  # the embedded server's files go with the temporary directory
    admin = sa.create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{sa.make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(server_url: str | None, work: Path) -> str:
    import sqlalchemy as sa

    from resources.postgres import embedded_database_url, sqlalchemy_url

    if not server_url:
        os.environ["AUDIBLE_TRACKER_HOME"] = str(work / "home")
        return sqlalchemy_url(embedded_database_url(work / "home"))
    name = f"review_real_export_{os.getpid()}"
    admin = sa.create_engine(sqlalchemy_url(server_url), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(sqlalchemy_url(server_url)).set(database=name).render_as_string(hide_password=False)


def load_tracker(engine, tracker) -> None:
    import sqlalchemy as sa

    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO books (id, title, author, status) VALUES (:id, :title, :author, 'to_read')"),
            [{"id": i, "title": t, "author": a} for i, t, a, _ in tracker],
        )
        conn.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('books', 'id'), (SELECT max(id) FROM books))")
        )


def sync(url: str, library_file: Path) -> Any:
    import dagster as dg

    from pipelines.definitions import build_definitions
    from resources import build_resources

    defs = build_definitions(
        build_resources(database_url=url, library_source="file", library_file=str(library_file))
    )
    return defs.resolve_job_def("audible_sync").execute_in_process(
        run_config={"ops": {"audible_library": {"config": {"force": True}}}},
        instance=dg.DagsterInstance.ephemeral(),
    )


def _started(conflict: dict[str, Any]) -> bool:
    return bool(conflict["is_finished"]) or float(conflict["percent_complete"] or 0) > 0


def reader_answer(
    conflict: dict[str, Any], truth: dict[str, int], titles: dict[int, str], engine
) -> list[str]:
    """The answers a reader who knows their books gives to one conflict's screen."""
    from domain.review import rank_search_results, search_terms
    from resources.queries import books as books_sql

    book_id = truth.get(conflict["asin"])
    if book_id is None:
        return ["c" if _started(conflict) else "i"]
    listed = [int(c["book_id"]) for c in conflict["candidates"]][:9]
    if book_id in listed:
        return [str(listed.index(book_id) + 1)]
    words = " ".join(search_terms(titles[book_id])[:2])
    with engine.connect() as conn:
        found = [
            r["book_id"]
            for r in rank_search_results(words, books_sql.search_books(conn, search_terms(words)))
        ]
    if book_id in found:
        return [f"/{words}", str(found.index(book_id) + 1)]
    return [f"#{book_id}"]


def keys(answer: str) -> int:
    """Keys on a terminal: one for a one-key answer; a search or #ID is typed out and ends with Enter."""
    return 1 if len(answer) == 1 else len(answer) + 1


def pasted_config_outcome(conflicts, truth) -> dict[str, int]:
    from domain.review import suggested_resolution

    outcome = {"linked_right": 0, "linked_wrong": 0, "create": 0, "ignore": 0, "create_for_a_tracker_book": 0}
    for conflict in conflicts:
        suggestion = suggested_resolution(conflict)
        if suggestion.kind == "link":
            outcome[
                "linked_right" if truth.get(conflict["asin"]) == suggestion.book_id else "linked_wrong"
            ] += 1
        else:
            outcome[suggestion.kind] += 1
            if suggestion.kind == "create" and conflict["asin"] in truth:
                outcome["create_for_a_tracker_book"] += 1
    return outcome


def _mappings(engine) -> dict[str, int]:
    import sqlalchemy as sa

    with engine.connect() as conn:
        return {
            r.asin: r.book_id
            for r in conn.execute(sa.text("SELECT asin, book_id FROM audible_book_mappings"))
        }


def review_with(url: str, answers: list[str]) -> tuple[int, str, float]:
    """`audible-tracker review` with the answers piped in, one per line: exit code, transcript, seconds."""
    from pipelines.cli import main

    os.environ["AUDIBLE_TRACKER_DATABASE_URL"] = url
    stdin, sys.stdin = sys.stdin, io.StringIO("\n".join(answers) + "\n")
    transcript = io.StringIO()
    started = time.perf_counter()
    try:
        with redirect_stdout(transcript):
            code = main(["review"])
    finally:
        sys.stdin = stdin
    return code, transcript.getvalue(), time.perf_counter() - started


def measure(server_url: str | None) -> dict[str, Any]:
    from benchmarks.real_export_tracker import READER_TRACKER
    from resources.postgres import get_engine
    from resources.queries import conflicts as cq

    work = Path(tempfile.mkdtemp(prefix="at-review-"))
    url = fresh_database(server_url, work)
    engine = get_engine(url)
    load_tracker(engine, READER_TRACKER)
    library = export_as_json(EXPORT)
    library_file = work / "library.json"
    library_file.write_text(json.dumps(library))
    truth = {asin: book_id for book_id, _, _, asin in READER_TRACKER if asin}
    titles = {book_id: title for book_id, title, _, _ in READER_TRACKER}

    started = time.perf_counter()
    assert sync(url, library_file).success
    sync_s = time.perf_counter() - started
    mappings = _mappings(engine)
    with engine.connect() as conn:
        conflicts = cq.open_conflicts(conn)
        unmapped = cq.unmapped_titles(conn)
    answers = [a for conflict in conflicts for a in reader_answer(conflict, truth, titles, engine)]
    code, transcript, review_s = review_with(url, answers)
    with engine.connect() as conn:
        left = len(cq.open_conflicts(conn))
    after = _mappings(engine)
    engine.dispose()
    drop_database(server_url, url)
    return {
        "library_titles": len(library),
        "tracker_books": len(READER_TRACKER),
        "export_titles_in_tracker": len(truth),
        "sync_s": round(sync_s, 2),
        **_sync_outcome(mappings, conflicts, unmapped, truth),
        "review_exit_code": code,
        "answers": answers,
        "keystrokes": sum(keys(a) for a in answers),
        "one_key_answers": sum(1 for a in answers if len(a) == 1),
        "review_s": round(review_s, 2),
        "conflicts_left": left,
        "tracker_books_linked_right": _linked_right(conflicts, after, truth),
        "summary_line": next((line for line in transcript.splitlines() if line.startswith("Reviewed:")), ""),
        "pasted_run_config": pasted_config_outcome(conflicts, truth),
    }


def _sync_outcome(mappings, conflicts, unmapped, truth) -> dict[str, Any]:
    in_tracker = sum(1 for c in conflicts if c["asin"] in truth)
    return {
        "auto_linked": len(mappings),
        "auto_linked_wrong": sorted(asin for asin, book in mappings.items() if truth.get(asin) != book),
        "conflicts": len(conflicts),
        "conflicts_whose_book_is_in_the_tracker": in_tracker,
        "conflicts_whose_book_is_absent": len(conflicts) - in_tracker,
        "unmatched_without_conflict": sum(1 for u in unmapped if u["open_conflict_id"] is None),
        "reasons": sorted({c["reason"].split(":", 1)[0] for c in conflicts}),
    }


def _linked_right(conflicts, after, truth) -> str:
    in_tracker = [c["asin"] for c in conflicts if c["asin"] in truth]
    return f"{sum(1 for asin in in_tracker if after.get(asin) == truth[asin])}/{len(in_tracker)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server-url",
        default=os.environ.get("AUDIBLE_TRACKER_TEST_DATABASE_URL"),
        help="a PostgreSQL server to create a scratch database on (default: embedded)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not EXPORT.exists():
        print(f"error: the real export is not at {EXPORT}", file=sys.stderr)
        return 2
    report = measure(args.server_url)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for key, value in report.items():
        if key != "answers":
            print(f"{key:<42} {value}")
    print(f"{'answers':<42} {' '.join(report['answers'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
