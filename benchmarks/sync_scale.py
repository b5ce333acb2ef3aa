"""The sync at scale: first sync, unchanged re-sync, 1 % progress re-sync, against a row-by-row baseline.

    .venv/bin/python benchmarks/sync_scale.py                         # 10,000 items x 100,000 books
    .venv/bin/python benchmarks/sync_scale.py --items 1000 --books 10000
    .venv/bin/python benchmarks/sync_scale.py --curve 1000,10000,50000 # books = 10 x items
    .venv/bin/python benchmarks/sync_scale.py --json                   # one JSON document on stdout
    .venv/bin/python benchmarks/sync_scale.py --mix all                # every data mix, then a summary
    .venv/bin/python benchmarks/sync_scale.py --curve-books 10000,100000,250000,500000 --mix all
    .venv/bin/python benchmarks/sync_scale.py --mix all --output benchmarks/results/run.json

Generates deterministic synthetic data (benchmarks/synthetic.py; the `baseline`
mix is ~30 % ISBN matches, ~50 % fuzzy, ~20 % absent, and `--mix` picks other
distributions of title length, series, shared words, author forms, ISBNs and
absent titles), loads the tracker books into a fresh
embedded PostgreSQL (a temporary AUDIBLE_TRACKER_HOME) and runs the real
`audible_sync` job (execute_in_process with the filesystem IO manager, as
`dagster job execute` uses) once per scenario, each in a fresh process so that
its peak RSS is its own, all against one Dagster instance directory that lives
across the scenarios as a user's DAGSTER_HOME does. For every scenario it reports
the job's wall time (interpreter start and the code location's import excluded;
imports made during the run, such as matplotlib's, included), SQL statements sent
to PostgreSQL (every execute and COPY on a psycopg cursor; the migration check
and Dagster's own storage are not counted), rows inserted/updated per table and
peak RSS. The
row-by-row baseline ("seed-style" in the report: one fuzzy candidate query per title, one
statement per row written)
runs on a subset of the items against all the books, and is extrapolated
linearly to the whole library. Finally it times `dagster job execute` on the
unchanged library and reports the share of start-up in its wall time.

`--curve-books` measures the matcher alone (index build and parse of every book, then deciding every item)
at several tracker sizes for a fixed library, each size in a fresh process, to
show how the time per item grows with the tracker. Every figure carries the
machine's load average when it was taken: on a shared machine, compare minima
over `--repeat` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.synthetic import MIX_NAMES  # noqa: E402

ACCOUNT = "default"  # the account a sync from a library file uses
BASELINE_ACCOUNT = "seed_style"
WATCHED_TABLES = (
    "audible_library_items",
    "audible_book_mappings",
    "audible_conflicts",
    "books",
    "audible_progress_history",
    "audible_sync_logs",
)
# The tables the "no writes when nothing changed" target is about.
NO_WRITE_TABLES = ("audible_book_mappings", "audible_conflicts", "books", "audible_progress_history")


# --- statement counting ------------------------------------------------------------------


class StatementCounter:
    """Counts the statements this process sends to PostgreSQL, whoever sends them.

    Counted on psycopg's cursor (execute, executemany, copy) rather than on
    SQLAlchemy's events: COPY and the queries that read rows on the driver's cursor
    bypass SQLAlchemy, and must count all the same. An executemany counts once (it
    is one pipelined batch). ``engine`` is accepted for symmetry; every psycopg
    cursor in the process is counted while the counter is attached.
    """

    _METHODS = ("execute", "executemany", "copy")

    def __init__(self) -> None:
        self.statements = 0
        self.copies = 0
        self.pings = 0
        self.by_kind: dict[str, int] = {}
        self._originals: dict[str, Any] = {}

    def _count(self, statement: Any) -> None:
        text = (
            statement if isinstance(statement, str) else getattr(statement, "as_string", lambda _: "")(None)
        )
        kind = text.lstrip().split(None, 1)[0].upper() if text.strip(" ;\n") else "PING"
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if kind == "PING":
            # SQLAlchemy's pre-ping (";") on checking a connection out of the pool: a
            # round trip, reported apart from the statements.
            self.pings += 1
        elif kind == "COPY":
            self.copies += 1
        else:
            self.statements += 1

    def attach(self, engine=None) -> StatementCounter:
        import psycopg

        counter = self
        for name in self._METHODS:
            original = getattr(psycopg.Cursor, name)
            self._originals[name] = original

            def counting(cursor, statement, *args, __original=original, **kwargs):
                counter._count(statement)
                return __original(cursor, statement, *args, **kwargs)

            setattr(psycopg.Cursor, name, counting)
        return self

    def detach(self) -> None:
        import psycopg

        for name, original in self._originals.items():
            setattr(psycopg.Cursor, name, original)
        self._originals = {}

    @property
    def total(self) -> int:
        return self.statements + self.copies


def note(message: str) -> None:
    """Progress on stderr, so that --json output stays clean."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages: what else the machine was doing meanwhile."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not on every platform
        return None


def cpu_seconds() -> float:
    """CPU time used so far by this process and its finished children (user + system).

    On a shared machine the wall time depends on what else runs; the CPU time
    much less, so both are reported.
    """
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def children_peak_rss_mb() -> float:
    """The largest peak RSS among this process's finished children (forked matching workers)."""
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale


def peak_rss_mb() -> float:
    # Linux reports ru_maxrss in KiB, macOS in bytes.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale


# --- data --------------------------------------------------------------------------------


def change_progress(library: list[dict], share: float, seed: int) -> list[dict]:
    """A copy of ``library`` in which ``share`` of the items moved on (deterministic)."""
    rng = random.Random(seed)
    changed = [dict(item) for item in library]
    count = max(1, round(len(changed) * share))
    for index in rng.sample(range(len(changed)), count):
        item = changed[index]
        percent = float(item.get("percent_complete") or 0)
        percent = round(min(100.0, percent + 0.5 + rng.random() * 10), 1) if percent < 99 else 12.5
        item["percent_complete"] = percent
        item["is_finished"] = percent > 97
    return changed


def load_books(url: str, books: list[dict]) -> None:
    """COPY the tracker books into ``books`` (the tracker owns this table, not the sync)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        with conn.cursor() as cursor:
            with cursor.copy("COPY books (id, title, author, isbn, status) FROM STDIN") as copy:
                for book in books:
                    copy.write_row(
                        (book["id"], book["title"], book.get("author"), book.get("isbn"), "to_read")
                    )
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('books', 'id'), (SELECT max(id) FROM books))"
            )
            cursor.execute("ANALYZE books")


# --- write accounting (run by the parent around each scenario) --------------------------


def table_marks(engine) -> dict[str, Any]:
    import sqlalchemy as sa

    with engine.begin() as conn:
        xid = int(conn.execute(sa.text("SELECT pg_current_xact_id()::text")).scalar_one())
        counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in WATCHED_TABLES}
    return {"xid": xid, "counts": counts}


def writes_since(engine, marks: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Rows inserted and updated per table since ``marks`` (xmin newer than the mark = written)."""
    import sqlalchemy as sa

    result = {}
    with engine.connect() as conn:
        for table in WATCHED_TABLES:
            written, total = conn.execute(
                sa.text(f"SELECT count(*) FILTER (WHERE xmin::text::bigint > :x), count(*) FROM {table}"),
                {"x": marks["xid"]},
            ).one()
            inserted = max(0, total - marks["counts"][table])
            result[table] = {"inserted": inserted, "updated": written - inserted}
    return result


# --- one sync in this process (the worker) ---------------------------------------------


# The run config of each job the benchmark times.
JOB_CONFIG = {
    "audible_sync": {"ops": {"audible_library": {"config": {"account": ACCOUNT, "force": True}}}},
    "audible_charts": {"ops": {"audible_listening_charts": {"config": {"account": ACCOUNT}}}},
}


def run_sync_once(
    database_url: str, library_file: str, storage_dir: str, job_name: str = "audible_sync"
) -> dict[str, Any]:
    """Run a real job (the sync, or the charts drawn after it) once in this process; figures for the job alone."""
    import dagster as dg

    from pipelines.definitions import build_definitions
    from resources import build_resources
    from resources.postgres import get_engine

    engine = get_engine(database_url)  # connects and checks migrations before counting starts
    resources = build_resources(database_url=database_url, library_file=library_file)
    # `dagster job execute` pickles step outputs through the filesystem IO manager;
    # execute_in_process would otherwise keep them in memory.
    resources["io_manager"] = dg.FilesystemIOManager(base_dir=os.path.join(storage_dir, "io"))
    job = build_definitions(resources).resolve_job_def(job_name)
    os.makedirs(os.path.join(storage_dir, "instance"), exist_ok=True)
    instance = dg.DagsterInstance.local_temp(os.path.join(storage_dir, "instance"))
    counter = StatementCounter().attach(engine)
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    try:
        result = job.execute_in_process(
            run_config=JOB_CONFIG[job_name],
            instance=instance,
            raise_on_error=True,
        )
    finally:
        wall = time.perf_counter() - started
        cpu = cpu_seconds() - cpu_started
        counter.detach()
    steps = step_durations(instance, result.run_id)
    instance.dispose()
    return {
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "statements": counter.total,
        "pings": counter.pings,
        "statements_by_kind": dict(sorted(counter.by_kind.items())),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "workers_peak_rss_mb": round(children_peak_rss_mb(), 1),
        "steps_s": steps,
    }


def step_durations(instance, run_id: str) -> dict[str, float]:
    starts: dict[str, float] = {}
    durations: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            starts[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in starts:
            durations[event.step_key] = round(entry.timestamp - starts[event.step_key], 3)
    return durations


def worker_main(args: argparse.Namespace) -> int:
    figures = run_sync_once(args.database_url, args.library_file, args.storage_dir, args.job)
    print(json.dumps(figures))
    return 0


def run_in_subprocess(
    database_url: str, library_file: Path, storage_dir: Path, job_name: str = "audible_sync"
) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "--database-url",
        database_url,
        "--library-file",
        str(library_file),
        "--storage-dir",
        str(storage_dir),
        "--job",
        job_name,
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=_child_env())
    if done.returncode != 0:
        raise RuntimeError(f"sync worker failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIBLE_TRACKER_")}
    env.update(extra)
    env.setdefault("PYTHONWARNINGS", "ignore")
    return env


# --- the row-by-row way, for comparison --------------------------------------------------


def _fresh_database(url: str, name: str) -> str:
    import sqlalchemy as sa

    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return sa.make_url(url).set(database=name).render_as_string(hide_password=False)


def seed_style_sync(engine, library: list[dict]) -> dict[str, Any]:
    """Per title one fuzzy candidate query, then one statement per written row.

    The embedded PostgreSQL ships without pg_trgm, so the candidate query is the
    same shape with what is there: books whose title contains the item's longest
    word (case-insensitive), ranked in Python with rapidfuzz. Every library row,
    mapping, conflict, book update and history row is its own statement.
    """
    import sqlalchemy as sa
    from rapidfuzz import fuzz

    from domain.library_items import parse_library
    from domain.normalize import normalize_isbn

    items = parse_library(library).items
    counter = StatementCounter().attach(engine)
    started = time.perf_counter()
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO audible_config (account, source) VALUES (:a, 'file') "
                    "ON CONFLICT (account) DO NOTHING"
                ),
                {"a": BASELINE_ACCOUNT},
            )
            for item in items:
                conn.execute(
                    sa.text(
                        "INSERT INTO audible_library_items (account, asin, title, authors, percent_complete, "
                        "is_finished) VALUES (:a, :asin, :title, :authors, :p, :f) ON CONFLICT (account, asin) "
                        "DO UPDATE SET title = EXCLUDED.title, authors = EXCLUDED.authors, "
                        "percent_complete = EXCLUDED.percent_complete, is_finished = EXCLUDED.is_finished"
                    ),
                    {
                        "a": BASELINE_ACCOUNT,
                        "asin": item.asin,
                        "title": item.title,
                        "authors": item.authors,
                        "p": item.percent_complete,
                        "f": item.is_finished,
                    },
                )
                book_id, method, score = None, None, 0.0
                isbn = normalize_isbn(item.isbn)
                if isbn:
                    rows = conn.execute(
                        sa.text("SELECT id FROM books WHERE regexp_replace(isbn, '[^0-9Xx]', '', 'g') = :i"),
                        {"i": isbn},
                    ).all()
                    if len(rows) == 1:
                        book_id, method, score = rows[0].id, "isbn", 1.0
                if book_id is None:
                    word = max(item.title.split(), key=len)
                    rows = conn.execute(
                        sa.text("SELECT id, title, author FROM books WHERE title ILIKE :w LIMIT 200"),
                        {"w": f"%{word}%"},
                    ).all()
                    wanted = f"{item.title} {item.authors or ''}".lower()
                    ranked = sorted(
                        (
                            (fuzz.token_sort_ratio(wanted, f"{r.title} {r.author or ''}".lower()), r.id)
                            for r in rows
                        ),
                        reverse=True,
                    )
                    if ranked and ranked[0][0] >= 90:
                        book_id, method, score = ranked[0][1], "fuzzy", ranked[0][0] / 100
                    elif ranked and ranked[0][0] >= 60:
                        conn.execute(
                            sa.text(
                                "INSERT INTO audible_conflicts (account, asin, audible_item, candidates, reason) "
                                "VALUES (:a, :asin, '{}'::jsonb, :c, 'low confidence') "
                                "ON CONFLICT (account, asin) WHERE NOT resolved DO NOTHING"
                            ),
                            {
                                "a": BASELINE_ACCOUNT,
                                "asin": item.asin,
                                "c": json.dumps([{"book_id": b, "score": r / 100} for r, b in ranked[:5]]),
                            },
                        )
                if book_id is None:
                    continue
                conn.execute(
                    sa.text(
                        "INSERT INTO audible_book_mappings (account, asin, book_id, match_method, confidence, "
                        "last_percent_complete, last_is_finished) VALUES (:a, :asin, :b, :m, :c, :p, :f) "
                        "ON CONFLICT (account, asin, book_id) DO UPDATE SET "
                        "last_percent_complete = EXCLUDED.last_percent_complete"
                    ),
                    {
                        "a": BASELINE_ACCOUNT,
                        "asin": item.asin,
                        "b": book_id,
                        "m": method,
                        "c": score,
                        "p": item.percent_complete,
                        "f": item.is_finished,
                    },
                )
                conn.execute(
                    sa.text(
                        "UPDATE books SET progress_percent = :p, status = CASE WHEN :f THEN 'finished' "
                        "WHEN :p > 0 THEN 'reading' ELSE status END, updated_at = now() WHERE id = :b"
                    ),
                    {"p": item.percent_complete, "f": item.is_finished, "b": book_id},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO audible_progress_history (account, asin, book_id, percent_complete, "
                        "is_finished) VALUES (:a, :asin, :b, :p, :f)"
                    ),
                    {
                        "a": BASELINE_ACCOUNT,
                        "asin": item.asin,
                        "b": book_id,
                        "p": item.percent_complete,
                        "f": item.is_finished,
                    },
                )
    finally:
        wall = time.perf_counter() - started
        counter.detach()
    return {"items": len(items), "wall_s": round(wall, 3), "statements": counter.total}


# --- dagster job execute -----------------------------------------------------------------


def time_cli_run(home: Path, library_file: Path, storage_dir: Path) -> dict[str, Any]:
    """Wall time of `dagster job execute` and how much of it is the run itself."""
    dagster_home = storage_dir / "dagster" / "instance"  # the scenarios' instance
    dagster_home.mkdir(parents=True, exist_ok=True)
    config = storage_dir / "force.yaml"
    config.write_text(f"ops: {{audible_library: {{config: {{account: {ACCOUNT}, force: true}}}}}}\n")
    env = _child_env(
        AUDIBLE_TRACKER_HOME=str(home),
        AUDIBLE_TRACKER_LIBRARY_FILE=str(library_file),
        DAGSTER_HOME=str(dagster_home),
    )
    dagster = Path(sys.executable).with_name("dagster")
    command = [str(dagster), *"job execute -m pipelines.definitions -j audible_sync -c".split(), str(config)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"dagster job execute failed:\n{done.stderr[-4000:]}")
    # The run's own span, from the instance the CLI wrote to.
    probe = (
        "import dagster as dg, json\n"
        "i = dg.DagsterInstance.get()\n"
        "r = i.get_runs(limit=1)[0]\n"
        "s = i.get_run_stats(r.run_id)\n"
        "print(json.dumps({'start': s.start_time, 'end': s.end_time, 'launch': s.launch_time}))\n"
    )
    stats = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env)
    span = json.loads(stats.stdout.strip().splitlines()[-1])
    run_s = (span["end"] or 0) - (span["start"] or 0)
    import_s = _import_time(env)
    return {
        "wall_s": round(wall, 3),
        "run_s": round(run_s, 3),
        "startup_s": round(wall - run_s, 3),
        "startup_share": round((wall - run_s) / wall, 3) if wall else None,
        "import_definitions_s": import_s,
    }


def _import_time(env: dict[str, str]) -> float:
    """Seconds to import the code location (what every `dagster` command pays first)."""
    probe = (
        "import time; t = time.perf_counter(); import pipelines.definitions; print(time.perf_counter() - t)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env)
    try:
        return round(float(done.stdout.strip().splitlines()[-1]), 3)
    except (ValueError, IndexError):
        return float("nan")


# --- the matcher alone at several tracker sizes -------------------------------------------


def match_once(items: int, books: int, seed: int, mix: str, processes: int = 1) -> dict[str, Any]:
    """Index ``books`` tracker books, then decide ``items`` library items; figures for each part."""
    from benchmarks.synthetic import generate
    from domain.library_items import parse_library
    from domain.matching import BookIndex, TrackerBook

    library_raw, books_raw = generate(items, books, seed, mix)
    library = parse_library(library_raw).items
    tracker = [TrackerBook(b["id"], b["title"], b.get("author"), b.get("isbn")) for b in books_raw]
    del library_raw, books_raw
    load = load_average()
    cpu_started = cpu_seconds()
    started = time.perf_counter()
    index = BookIndex(tracker)
    # Every book parsed before deciding (a sync of this many items at most sizes does the
    # same): the index figure is then the whole per-book cost, and the per-item figure only
    # what grows with the tracker through blocking and scoring, comparable across sizes.
    index.parse_all()
    built = time.perf_counter()
    cpu_built = cpu_seconds()
    if processes > 1:
        from domain.parallel_matching import match_all_parallel

        decisions = match_all_parallel(index, library, processes=processes, min_items=0)
    else:
        decisions = index.match_all(library)
    done = time.perf_counter()
    cpu_done = cpu_seconds()
    counts: dict[str, int] = {}
    for decision in decisions:
        counts[decision.decision] = counts.get(decision.decision, 0) + 1
    return {
        "items": len(library),
        "books": len(tracker),
        "mix": mix,
        "processes": processes,
        "index_s": round(built - started, 3),
        "match_s": round(done - built, 3),
        "match_ms_per_item": round((done - built) / max(len(library), 1) * 1000, 4),
        "index_us_per_book": round((built - started) / max(len(tracker), 1) * 1e6, 2),
        "index_cpu_s": round(cpu_built - cpu_started, 3),
        "match_cpu_s": round(cpu_done - cpu_built, 3),
        "match_cpu_ms_per_item": round((cpu_done - cpu_built) / max(len(library), 1) * 1000, 4),
        "decisions": counts,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "workers_peak_rss_mb": round(children_peak_rss_mb(), 1),
        "load_before": load,
    }


def match_in_subprocess(items: int, books: int, seed: int, mix: str, processes: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--match-worker",
        *("--items", str(items), "--books", str(books), "--seed", str(seed)),
        *("--mix", mix, "--processes", str(processes)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=_child_env())
    if done.returncode != 0:
        raise RuntimeError(f"matching worker failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_books_curve(
    items: int, book_sizes: list[int], *, seed: int, mix: str, processes: list[int]
) -> list[dict[str, Any]]:
    points = []
    for books in book_sizes:
        for count in processes:
            note(f"matcher curve ({mix}): {items} items x {books} books, {count} process(es)")
            points.append(match_in_subprocess(items, books, seed, mix, count))
    return points


def print_curve(points: list[dict[str, Any]]) -> None:
    if not points:
        return
    print(f"\nmatcher alone, {points[0]['items']:,} library items, mix {points[0]['mix']}")
    print(
        f"{'books':>8} {'procs':>5} {'index s':>8} {'us/book':>8} {'match s':>8} {'ms/item':>8} "
        f"{'vs 100k':>7} {'CPU ms/item':>11} {'vs 100k':>7} {'RSS MB':>7}  load"
    )
    wall_ref = {p["processes"]: p["match_ms_per_item"] for p in points if p["books"] == 100_000}
    cpu_ref = {p["processes"]: p["match_cpu_ms_per_item"] for p in points if p["books"] == 100_000}

    def ratio(value: float, reference: dict[int, float], processes: int) -> str:
        return f"{value / reference[processes]:.2f}x" if reference.get(processes) else "-"

    for p in points:
        print(
            f"{p['books']:>8,} {p['processes']:>5} {p['index_s']:>8.2f} {p['index_us_per_book']:>8.1f} "
            f"{p['match_s']:>8.2f} {p['match_ms_per_item']:>8.3f} "
            f"{ratio(p['match_ms_per_item'], wall_ref, p['processes']):>7} {p['match_cpu_ms_per_item']:>11.3f} "
            f"{ratio(p['match_cpu_ms_per_item'], cpu_ref, p['processes']):>7} {p['peak_rss_mb']:>7.0f}  "
            f"{p['load_before']}"
        )


# --- one size, all scenarios -------------------------------------------------------------


def run_size(
    items: int,
    books: int,
    *,
    seed: int,
    baseline_items: int,
    cli: bool,
    keep: bool,
    mix: str = "baseline",
) -> dict[str, Any]:
    import sqlalchemy as sa

    from benchmarks.synthetic import generate
    from resources.postgres import embedded_database_url, get_engine, sqlalchemy_url

    work = Path(tempfile.mkdtemp(prefix="at-bench-"))
    home = work / "home"
    home.mkdir()
    report: dict[str, Any] = {"items": items, "books": books, "seed": seed, "mix": mix, "scenarios": {}}
    try:
        note(f"{items} x {books} ({mix}): generating and loading data")
        t0 = time.perf_counter()
        library, tracker = generate(items, books, seed, mix)
        report["generate_s"] = round(time.perf_counter() - t0, 2)
        url = sqlalchemy_url(embedded_database_url(home))
        engine = get_engine(url)  # migrates the fresh database
        t0 = time.perf_counter()
        load_books(url, tracker)
        report["load_books_s"] = round(time.perf_counter() - t0, 2)

        library_file = work / "library.json"
        library_file.write_text(json.dumps(library))
        changed = change_progress(library, 0.01, seed)
        changed_file = work / "library_1pct.json"
        changed_file.write_text(json.dumps(changed))

        scenarios = [
            ("first_sync", library_file),
            ("resync_unchanged", library_file),
            ("resync_1pct_progress", changed_file),
        ]
        for name, path in scenarios:
            note(f"{items} x {books} ({mix}): {name}")
            marks = table_marks(engine)
            load = load_average()
            figures = run_in_subprocess(url, path, work / "dagster")
            figures["load_before"] = load
            figures["rows"] = writes_since(engine, marks)
            report["scenarios"][name] = figures

        # What the automation then runs after a sync that moved progress: the history charts.
        note(f"{items} x {books}: audible_charts after the 1 % re-sync")
        report["charts_after_sync"] = run_in_subprocess(url, changed_file, work / "dagster", "audible_charts")

        with engine.connect() as conn:
            mix = dict(
                conn.execute(
                    sa.text(
                        "SELECT 'mapped_' || match_method, count(*) FROM audible_book_mappings "
                        "WHERE account = :a GROUP BY 1 UNION ALL "
                        "SELECT 'open_conflicts', count(*) FROM audible_conflicts WHERE account = :a AND NOT resolved"
                    ),
                    {"a": ACCOUNT},
                ).all()
            )
        report["outcome"] = {k: int(v) for k, v in mix.items()}

        if cli:
            note(f"{items} x {books}: dagster job execute")
            # The library as the last scenario left it: nothing changes in this run.
            report["cli_resync_unchanged"] = time_cli_run(home, changed_file, work)

        if baseline_items:
            # Its own database on the same server, with the same books: the baseline's rows
            # must not become part of what the real sync (or its checks) sees.
            note(f"{items} x {books}: seed-style baseline on {min(baseline_items, items)} items")
            baseline_url = _fresh_database(url, "seed_style_baseline")
            baseline_engine = get_engine(baseline_url)  # migrates
            load_books(baseline_url, tracker)
            subset = library[: min(baseline_items, items)]
            baseline = seed_style_sync(baseline_engine, subset)
            per_item = baseline["wall_s"] / max(baseline["items"], 1)
            baseline["extrapolated_wall_s"] = round(per_item * items, 1)
            baseline["extrapolated_statements"] = round(
                baseline["statements"] / max(baseline["items"], 1) * items
            )
            ours = report["scenarios"]["first_sync"]["wall_s"]
            baseline["speedup_vs_first_sync"] = round(baseline["extrapolated_wall_s"] / ours, 1)
            report["seed_style_baseline"] = baseline
        return report
    finally:
        if keep:
            report["work_dir"] = str(work)
        else:
            shutil.rmtree(work, ignore_errors=True)


# --- output -----------------------------------------------------------------------------------


TARGETS = {
    "first_sync": 10.0,
    "resync_unchanged": 2.0,
    "resync_1pct_progress": 3.0,
}


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\n{report['items']:,} library items x {report['books']:,} tracker books, mix {report['mix']} "
        f"(generated in {report['generate_s']} s, books loaded in {report['load_books_s']} s)"
    )
    print(
        f"{'scenario':<22} {'wall s':>7} {'target':>7} {'stmts':>6} {'pings':>5} {'RSS MB':>7}  rows written (inserted/updated)"
    )
    for name, s in report["scenarios"].items():
        rows = ", ".join(
            f"{t.replace('audible_', '')} {r['inserted']}/{r['updated']}"
            for t, r in s["rows"].items()
            if r["inserted"] or r["updated"]
        )
        print(
            f"{name:<22} {s['wall_s']:>7.2f} {TARGETS.get(name, 0):>7.1f} {s['statements']:>6} "
            f"{s['pings']:>5} {s['peak_rss_mb']:>7.0f}  {rows or 'none'}"
        )
        print(f"{'':<22} steps: " + ", ".join(f"{k} {v:.2f}s" for k, v in s["steps_s"].items()))
        print(
            f"{'':<22} CPU {s.get('cpu_s', float('nan')):.2f} s, matching workers' peak RSS "
            f"{s.get('workers_peak_rss_mb', 0):.0f} MB, load average before: {s.get('load_before')}"
        )
    charts = report.get("charts_after_sync")
    if charts:
        print(
            f"{'charts after the sync':<22} {charts['wall_s']:>7.2f} {'':>7} {charts['statements']:>6} "
            f"{charts['pings']:>5} {charts['peak_rss_mb']:>7.0f}  (the audible_charts run the automation launches)"
        )
    if "outcome" in report:
        print("outcome: " + ", ".join(f"{k} {v}" for k, v in sorted(report["outcome"].items())))
    base = report.get("seed_style_baseline")
    if base:
        print(
            f"seed-style baseline: {base['items']} items in {base['wall_s']:.2f} s with {base['statements']} "
            f"statements -> {report['items']:,} items ~ {base['extrapolated_wall_s']:.0f} s, "
            f"~{base['extrapolated_statements']:,} statements (extrapolated linearly); "
            f"first sync is {base['speedup_vs_first_sync']}x faster"
        )
    cli = report.get("cli_resync_unchanged")
    if cli:
        print(
            f"`dagster job execute` (unchanged library): {cli['wall_s']:.2f} s wall, run {cli['run_s']:.2f} s, "
            f"start-up {cli['startup_s']:.2f} s ({cli['startup_share']:.0%}); "
            f"importing pipelines.definitions alone {cli['import_definitions_s']:.2f} s"
        )


MATCH_STEP = "audible_book_matches"


def summarize(reports: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per mix, the fastest of the repeated runs for each figure (and the load it ran under)."""
    by_mix: dict[str, list[dict[str, Any]]] = {}
    for report in reports:
        by_mix.setdefault(report["mix"], []).append(report)
    rows = []
    for mix, runs in by_mix.items():
        first = min(runs, key=lambda r: r["scenarios"]["first_sync"]["wall_s"])["scenarios"]["first_sync"]
        unchanged = min(runs, key=lambda r: r["scenarios"]["resync_unchanged"]["wall_s"])["scenarios"][
            "resync_unchanged"
        ]
        matching = min(r["scenarios"]["first_sync"]["steps_s"].get(MATCH_STEP, float("nan")) for r in runs)
        rows.append(
            {
                "mix": mix,
                "runs": len(runs),
                "first_sync_s": first["wall_s"],
                "first_sync_cpu_s": min(
                    r["scenarios"]["first_sync"].get("cpu_s", float("nan")) for r in runs
                ),
                "first_sync_load": first.get("load_before"),
                "matching_step_s": matching,
                "resync_unchanged_s": unchanged["wall_s"],
                "resync_unchanged_rows": sum(
                    unchanged["rows"][t]["inserted"] + unchanged["rows"][t]["updated"]
                    for t in NO_WRITE_TABLES
                ),
                "resync_unchanged_statements": unchanged["statements"],
                "peak_rss_mb": max(r["scenarios"]["first_sync"]["peak_rss_mb"] for r in runs),
                "resync_peak_rss_mb": max(r["scenarios"]["resync_unchanged"]["peak_rss_mb"] for r in runs),
                "outcome": runs[0].get("outcome", {}),
            }
        )
    return rows


def print_summary(rows: list[dict[str, Any]], items: int, books: int) -> None:
    print(f"\nsummary, {items:,} x {books:,} (fastest of the runs per figure)")
    print(
        f"{'mix':<14} {'runs':>4} {'first s':>8} {'CPU s':>6} {'match s':>8} {'RSS MB':>7} {'unchanged s':>11} "
        f"{'rows':>4} {'stmts':>5} {'RSS MB':>7}  load at first sync"
    )
    for r in rows:
        print(
            f"{r['mix']:<14} {r['runs']:>4} {r['first_sync_s']:>8.2f} {r['first_sync_cpu_s']:>6.2f} "
            f"{r['matching_step_s']:>8.2f} "
            f"{r['peak_rss_mb']:>7.0f} {r['resync_unchanged_s']:>11.2f} {r['resync_unchanged_rows']:>4} "
            f"{r['resync_unchanged_statements']:>5} {r['resync_peak_rss_mb']:>7.0f}  {r['first_sync_load']}"
        )


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),  # noqa: UP017 (Python 3.10)
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000, help="library items (default 10,000)")
    parser.add_argument("--books", type=int, help="tracker books (default 10 x items)")
    parser.add_argument(
        "--curve", help="comma-separated item counts to run one after another, books = 10 x items"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--mix",
        default="baseline",
        help=f"data mix: one of {', '.join(MIX_NAMES)}, several comma-separated, or 'all'",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per size and mix (the summary keeps minima)"
    )
    parser.add_argument(
        "--curve-books",
        help="comma-separated tracker sizes: time the matcher alone on --items library items at each "
        "(instead of the sync scenarios)",
    )
    parser.add_argument(
        "--processes",
        default="1",
        help="with --curve-books: comma-separated process counts to match with (1 = single process)",
    )
    parser.add_argument("--output", type=Path, help="also write the JSON document to this file")
    parser.add_argument(
        "--baseline-items",
        type=int,
        default=300,
        help="items the seed-style baseline syncs before extrapolating (0: skip it)",
    )
    parser.add_argument("--no-cli", action="store_true", help="skip timing `dagster job execute`")
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and files")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")
    # Internal: one sync in a fresh process.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--library-file", help=argparse.SUPPRESS)
    parser.add_argument("--storage-dir", help=argparse.SUPPRESS)
    parser.add_argument("--job", default="audible_sync", help=argparse.SUPPRESS)
    parser.add_argument("--match-worker", action="store_true", help=argparse.SUPPRESS)
    return parser


def _matcher_curves(args: argparse.Namespace, mixes: list[str]) -> list:
    book_sizes = [int(n) for n in args.curve_books.split(",")]
    processes = [int(n) for n in args.processes.split(",")]
    curves = []
    for _ in range(args.repeat):
        for mix in mixes:
            points = run_books_curve(args.items, book_sizes, seed=args.seed, mix=mix, processes=processes)
            curves.append(points)
            if not args.json:
                print_curve(points)
                sys.stdout.flush()
    return curves


def _sync_scenarios(args: argparse.Namespace, mixes: list[str], document: dict[str, Any]) -> None:
    """Run the sync scenarios for each size, repeat and mix; summaries and runs go into ``document``."""
    sizes = (
        [(int(n), 10 * int(n)) for n in args.curve.split(",")]
        if args.curve
        else [(args.items, args.books or 10 * args.items)]
    )
    reports = []
    for items, books in sizes:
        for _ in range(args.repeat):
            for mix in mixes:
                report = run_size(
                    items,
                    books,
                    seed=args.seed,
                    baseline_items=args.baseline_items,
                    cli=not args.no_cli,
                    keep=args.keep,
                    mix=mix,
                )
                reports.append(report)
                if not args.json:
                    print_report(report)
                    sys.stdout.flush()
        summary = summarize([r for r in reports if (r["items"], r["books"]) == (items, books)])
        document.setdefault("summaries", []).append({"items": items, "books": books, "mixes": summary})
        if not args.json:
            print_summary(summary, items, books)
    document["runs"] = reports


def _publish(args: argparse.Namespace, document: dict[str, Any]) -> None:
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(document, indent=2, default=str) + "\n")
    if args.json:
        print(json.dumps(document, indent=2, default=str))
    else:
        m = document["machine"]
        print(f"\nmachine: {m['cpus']} CPUs, {m['processor']}, Python {m['python']}, {m['date']}")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(args)
    mixes = list(MIX_NAMES) if args.mix == "all" else args.mix.split(",")
    unknown = [m for m in mixes if m not in MIX_NAMES]
    if unknown:
        parser.error(f"unknown mix {', '.join(unknown)}; choose from {', '.join(MIX_NAMES)} or 'all'")
    if args.match_worker:
        print(json.dumps(match_once(args.items, args.books, args.seed, mixes[0], int(args.processes))))
        return 0

    document: dict[str, Any] = {"machine": machine(), "load_at_start": load_average()}
    if args.curve_books:
        document["matcher_curves"] = _matcher_curves(args, mixes)
    else:
        _sync_scenarios(args, mixes, document)
    document["load_at_end"] = load_average()
    _publish(args, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
