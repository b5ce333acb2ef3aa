"""Real sync processes and the database-side signals used to pause, watch and compare them.

A sync is paused without any test hook in the code: the test holds a lock
that one write-phase statement needs, and waits (polling pg_locks and
pg_stat_activity with a deadline, never sleeping for a fixed time) until the
sync's backend is blocked on it while holding the account's write lock.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from resources.library_source import demo_books
from resources.queries import accounts as accounts_sql
from resources.queries import sync_logs as sync_logs_sql
from tests.support.environment import subprocess_env
from tests.support.process_tree import kill_tree

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO_LIBRARY = REPO_ROOT / "resources" / "demo_data" / "library.json"
ACCOUNT = "default"  # the account a sync of an export file into a real database uses
DEADLINE_SECONDS = 120


def prepare_tracker(engine: sa.Engine) -> None:
    """The tracker before any sync: the demo books and the account row of the export-file sync."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO books (id, title, author, isbn, status) "
                "VALUES (:id, :title, :author, :isbn, :status)"
            ),
            demo_books(),
        )
        accounts_sql.ensure_account(conn, ACCOUNT, "file")


def _start_sync_process(database_url: str, home: Path, library_file: Path = DEMO_LIBRARY) -> subprocess.Popen:
    """`dagster job execute … -j audible_sync` in a new process, as a user or cron runs it.

    Start it through ``SyncProcesses`` (the ``sync_processes`` fixture), which stops it whatever
    the test's outcome.
    """
    env = subprocess_env(
        AUDIBLE_TRACKER_DATABASE_URL=database_url,
        AUDIBLE_TRACKER_LIBRARY_FILE=str(library_file),
        AUDIBLE_TRACKER_HOME=str(home),
        # A killed process cannot clean up the temporary instance Dagster would create in the repo.
        DAGSTER_HOME=str(home / "dagster"),
    )
    (home / "dagster").mkdir(parents=True, exist_ok=True)
    dagster = Path(sys.executable).with_name("dagster")
    return subprocess.Popen(
        [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "audible_sync"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


class SyncProcesses:
    """The sync processes of one test. Leaving the ``with`` block kills every one still running,
    with its children, so a failed assertion never leaves a sync writing into the test's database
    while the database is dropped."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen] = []

    def start(self, database_url: str, home: Path, library_file: Path = DEMO_LIBRARY) -> subprocess.Popen:
        process = _start_sync_process(database_url, home, library_file)
        self.started.append(process)
        return process

    def stop_all(self) -> list[int]:
        """Kill what still runs; returns the pids that had to be killed."""
        killed = []
        for process in self.started:
            if process.poll() is None:
                killed.append(process.pid)
                try:
                    children = psutil.Process(process.pid).children(recursive=True)
                except psutil.NoSuchProcess:
                    children = []
                process.kill()
                kill_tree(children)
            process.communicate()  # reaps it and closes its pipe
        return killed

    def __enter__(self) -> SyncProcesses:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_all()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE_SECONDS) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)  # polling interval, not a timing assumption


def write_lock_holder(engine: sa.Engine) -> int | None:
    """Backend pid holding the account's write-phase advisory lock (pg_try_advisory_xact_lock)."""
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted "
                "AND l.classid = :ns AND l.objid = (hashtext(:a)::bigint & 4294967295)::oid "
                "AND l.objsubid = 2"
            ),
            {"ns": sync_logs_sql.SYNC_LOCK_NAMESPACE, "a": ACCOUNT},
        ).scalar()


def sync_log_lock_holders(engine: sa.Engine) -> list[int]:
    """Backend pids holding a sync-log liveness lock (one per running sync)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT l.pid FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.granted "
                    "AND l.classid = 4242006 AND l.objsubid = 2"
                )
            ).scalars()
        )


def blocked_by(engine: sa.Engine, pid: int) -> list[int]:
    """Backends that ``pid`` is waiting for (pg_blocking_pids)."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT pg_blocking_pids(:p)"), {"p": pid}).scalar() or [])


def backends_alive(engine: sa.Engine, pids: list[int]) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:p)"), {"p": list(pids)}
            ).scalar()
        )


def backend_pid(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()


def paused_writer(engine: sa.Engine, blocker_pid: int) -> int | None:
    """pid of the sync that holds the write lock and waits for the test's ``blocker_pid``, else None."""
    pid = write_lock_holder(engine)
    return pid if pid is not None and blocker_pid in blocked_by(engine, pid) else None


# What a sync leaves in the database, without ids and timestamps: equal for equal outcomes.
_STATE_QUERIES = {
    "books": "SELECT id, title, status, progress_percent, started_at IS NOT NULL AS started, "
    "finished_at IS NOT NULL AS finished FROM books ORDER BY id",
    "library": "SELECT account, asin, title, percent_complete, is_finished FROM audible_library_items "
    "ORDER BY account, asin",
    "mappings": "SELECT account, asin, book_id, match_method, confidence, confirmed, last_percent_complete, "
    "last_is_finished FROM audible_book_mappings ORDER BY account, asin, book_id",
    "conflicts": "SELECT account, asin, candidates::text, reason, resolved FROM audible_conflicts "
    "ORDER BY account, asin, id",
    "history": "SELECT account, asin, book_id, percent_complete, is_finished FROM audible_progress_history "
    "ORDER BY account, asin, book_id, id",
    "counters": "SELECT account, syncs_today, last_sync_at IS NOT NULL AS synced FROM audible_config "
    "ORDER BY account",
}


def tracker_state(engine: sa.Engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        return {
            name: [tuple(row) for row in conn.execute(sa.text(sql))] for name, sql in _STATE_QUERIES.items()
        }


def sync_logs(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            dict(row._mapping)
            for row in conn.execute(
                sa.text("SELECT id, status, error, dagster_run_id FROM audible_sync_logs ORDER BY id")
            )
        ]
