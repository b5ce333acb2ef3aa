"""SQL of audible_sync_logs and the rate limit: one row per sync (running → success/failed/skipped),
audible_can_sync(), the write phase's account lock, and upkeep (stale rows, retention, daily counters).

A running sync proves it is alive by holding a session-level advisory lock
keyed by its log id, on a connection of its own that stays checked out of the
pool while it is held (a ``LiveSyncLog``). ``open_running_sync_log`` takes the
lock in the same transaction that inserts the 'running' row, so no other
session ever sees the row without the lock. When the process dies the server
drops the connection and the lock with it, and ``recover_stale_sync_logs``
marks the row 'abandoned'. Who holds a ``LiveSyncLog`` and for how long is the
sync log resource's business (``resources.sync_log``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

# Advisory-lock namespace of the write phase; the second key is the account's hash.
SYNC_LOCK_NAMESPACE = 4_242_002

# Advisory-lock namespace of sync log liveness, as in sql/006_reliability.sql.
SYNC_LOG_LOCK_NAMESPACE = 4_242_006
# SQLSTATE of a lock wait that ran past lock_timeout.
LOCK_NOT_AVAILABLE = "55P03"


@dataclass(frozen=True)
class SyncPermission:
    can_sync: bool
    reason: str
    next_allowed_sync: Any
    syncs_remaining_today: int


def can_sync(conn: sa.Connection, account: str) -> SyncPermission:
    row = conn.execute(sa.text("SELECT * FROM audible_can_sync(:a)"), {"a": account}).one()
    return SyncPermission(row.can_sync, row.reason, row.next_allowed_sync, row.syncs_remaining_today)


def try_lock_account(conn: sa.Connection, account: str) -> bool:
    """Transaction-scoped advisory lock: released by commit, rollback or a dead connection."""
    return bool(
        conn.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:a))"),
            {"ns": SYNC_LOCK_NAMESPACE, "a": account},
        ).scalar()
    )


def start_sync_log(
    conn: sa.Connection, *, account: str, run_id: str, trigger: str, forced: bool, source: str | None
) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO audible_sync_logs (account, dagster_run_id, trigger, forced, source) "
            "VALUES (:account, :run_id, :trigger, :forced, :source) RETURNING id"
        ),
        {"account": account, "run_id": run_id, "trigger": trigger, "forced": forced, "source": source},
    ).scalar_one()


def record_skipped_sync(conn: sa.Connection, *, account: str, run_id: str, trigger: str, reason: str) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO audible_sync_logs (account, dagster_run_id, trigger, status, finished_at, error) "
            "VALUES (:account, :run_id, :trigger, 'skipped', now(), :reason) RETURNING id"
        ),
        {"account": account, "run_id": run_id, "trigger": trigger, "reason": reason},
    ).scalar_one()


def sync_log_status(conn: sa.Connection, log_id: int) -> str | None:
    """The row's status ('running', 'success', …), or None when there is no such row."""
    return conn.execute(
        sa.text("SELECT status FROM audible_sync_logs WHERE id = :id"), {"id": log_id}
    ).scalar()


def sync_log_for_run(conn: sa.Connection, run_id: str) -> Any:
    """The latest log row of a Dagster run: what `audible-tracker sync` reports once its run is over."""
    return conn.execute(
        sa.text("SELECT * FROM audible_sync_logs WHERE dagster_run_id = :r ORDER BY id DESC LIMIT 1"),
        {"r": run_id},
    ).one_or_none()


def update_sync_log_fetch(
    conn: sa.Connection,
    log_id: int,
    *,
    source: str,
    fetched: int,
    rejected: int,
    api_calls: int,
    page_size: int | None = None,
) -> None:
    """The fetch's figures; ``page_size``: titles per page of an API fetch (None for other sources)."""
    conn.execute(
        sa.text(
            "UPDATE audible_sync_logs SET source = :source, items_fetched = :fetched, "
            "items_rejected = :rejected, api_calls = :api_calls, page_size = :page_size WHERE id = :id"
        ),
        {
            "id": log_id,
            "source": source,
            "fetched": fetched,
            "rejected": rejected,
            "api_calls": api_calls,
            "page_size": page_size,
        },
    )


def fail_running_sync_log(conn: sa.Connection, log_id: int, error: str) -> bool:
    """Close a 'running' row as 'failed' with the error; False when it was not running any more."""
    return (
        conn.execute(
            sa.text(
                "UPDATE audible_sync_logs SET status = 'failed', finished_at = now(), error = :error "
                "WHERE id = :id AND status = 'running'"
            ),
            {"id": log_id, "error": error[:2000]},
        ).rowcount
        == 1
    )


def fail_running_sync_logs_of_run(conn: sa.Connection, run_id: str, error: str) -> int:
    """Close a run's rows still 'running' as 'failed', from outside the run (after an interrupt)."""
    return conn.execute(
        sa.text(
            "UPDATE audible_sync_logs SET status = 'failed', finished_at = now(), error = :error "
            "WHERE dagster_run_id = :run_id AND status = 'running'"
        ),
        {"run_id": run_id, "error": error[:2000]},
    ).rowcount


def complete_sync_log(conn: sa.Connection, log_id: int, account: str, counts: dict[str, int]) -> None:
    conn.execute(sa.text("SELECT record_audible_sync(:a)"), {"a": account})
    conn.execute(
        sa.text(
            "UPDATE audible_sync_logs SET status = 'success', finished_at = now(), "
            "items_matched = :items_matched, mappings_created = :mappings_created, "
            "conflicts_opened = :conflicts_opened, progress_updates = :progress_updates, "
            "books_auto_added = :books_auto_added WHERE id = :id"
        ),
        {"id": log_id, "books_auto_added": 0, **counts},
    )


class SyncLogNotRunning(RuntimeError):
    """The sync log row is no longer 'running': recovered as abandoned, closed, or gone."""


class LiveSyncLog:
    """The liveness lock of one 'running' sync log row, held on a connection of its own.

    ``release()`` (or leaving a ``with`` block) drops the lock and returns the
    connection; until then the row cannot be marked abandoned.
    """

    def __init__(self, log_id: int, conn: sa.Connection):
        self.log_id = log_id
        self._conn: sa.Connection | None = conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.execute(sa.text("SELECT release_audible_sync_log(:id)"), {"id": self.log_id})
            conn.commit()
            conn.close()
        except Exception:
            # A broken connection has lost the lock already; never return it to the pool.
            conn.invalidate()
            conn.close()

    def __enter__(self) -> LiveSyncLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


def _holding(engine: sa.Engine, take_lock: Callable[[sa.Connection], int]) -> LiveSyncLog:
    """Run ``take_lock`` (returns the log id) in a transaction on a new connection kept for the lock."""
    conn = engine.connect()
    try:
        with conn.begin():
            log_id = take_lock(conn)
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    return LiveSyncLog(log_id, conn)


def _hold_lock(conn: sa.Connection, log_id: int) -> bool:
    return bool(conn.execute(sa.text("SELECT hold_audible_sync_log(:id)"), {"id": log_id}).scalar())


def open_running_sync_log(
    engine: sa.Engine, *, account: str, run_id: str, trigger: str, forced: bool, source: str | None
) -> LiveSyncLog:
    """Insert the run's 'running' log row and take its liveness lock in the same transaction."""

    def insert_and_lock(conn: sa.Connection) -> int:
        log_id = start_sync_log(
            conn, account=account, run_id=run_id, trigger=trigger, forced=forced, source=source
        )
        if not _hold_lock(conn, log_id):
            raise RuntimeError(f"could not take the liveness lock of sync log {log_id}")
        return log_id

    return _holding(engine, insert_and_lock)


def hold_running_sync_log(engine: sa.Engine, log_id: int, *, wait_seconds: int = 60) -> LiveSyncLog:
    """Take the liveness lock of a row opened earlier by another process of the same run.

    Waits up to ``wait_seconds`` for that process to let go of it (a step's
    process may still be tearing down when the next step starts). Raises
    SyncLogNotRunning when the row is no longer 'running' or the lock stays held.
    """

    def lock_and_check(conn: sa.Connection) -> int:
        conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(wait_seconds)}s'"))
        try:
            conn.execute(
                sa.text("SELECT pg_advisory_lock(CAST(:ns AS integer), audible_sync_log_lock_key(:id))"),
                {"ns": SYNC_LOG_LOCK_NAMESPACE, "id": log_id},
            )
        except sa.exc.OperationalError as error:
            if getattr(error.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            raise SyncLogNotRunning(
                f"sync log {log_id} is still held by another process after {wait_seconds} s"
            ) from None
        status = sync_log_status(conn, log_id)
        if status != "running":
            # Leaving through the exception closes this connection, and the lock with it.
            raise SyncLogNotRunning(f"sync log {log_id} is {status or 'gone'}, not running")
        return log_id

    return _holding(engine, lock_and_check)


def recover_stale_sync_logs(conn: sa.Connection, account: str | None = None) -> int:
    """Mark 'running' rows whose process is gone 'abandoned'; returns how many."""
    return conn.execute(sa.text("SELECT recover_stale_audible_sync_logs(:a)"), {"a": account}).scalar_one()


def cleanup_old_sync_logs(conn: sa.Connection, keep_days: int | None = None) -> int:
    """Delete finished sync logs older than keep_days (None: each account's log_retention_days).

    Progress history keeps its rows; their sync_log_id becomes NULL.
    """
    return conn.execute(sa.text("SELECT cleanup_old_audible_sync_logs(:k)"), {"k": keep_days}).scalar_one()


def reset_daily_sync_counters(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT reset_audible_daily_sync_counter()")).scalar_one()


def sync_log_counts(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(sa.text("SELECT status, count(*) AS n FROM audible_sync_logs GROUP BY status"))
    return {row.status: int(row.n) for row in rows}
