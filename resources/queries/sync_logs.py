"""SQL of audible_sync_logs and the rate limit: one row per sync (running → success/failed/skipped),
audible_can_sync(), the write phase's account lock, and upkeep (stale rows, retention, daily counters).

A running sync proves it is alive by holding a session-level advisory lock
keyed by its log id, on a connection of its own that stays checked out of the
pool for the whole run (``open_running_sync_log`` … ``release_running_sync_log``).
The lock is taken in the same transaction that inserts the 'running' row, so no
other session ever sees the row without the lock. When the process dies the
server drops the connection and the lock with it, and
``recover_stale_sync_logs`` marks the row 'abandoned'.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

# Advisory-lock namespace of the write phase; the second key is the account's hash.
SYNC_LOCK_NAMESPACE = 4_242_002


# Advisory-lock namespace of sync log liveness (the key is audible_sync_log_lock_key(id)).
SYNC_LOG_LOCK_NAMESPACE = 4_242_006


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


def sync_log_for_run(conn: sa.Connection, run_id: str) -> Any:
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


def fail_running_sync_log(conn: sa.Connection, run_id: str, error: str) -> int:
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


_held_lock = threading.Lock()
# run id -> (log id, the connection holding that log's liveness lock)
_held: dict[str, tuple[int, sa.Connection]] = {}


def open_running_sync_log(
    engine: sa.Engine, *, account: str, run_id: str, trigger: str, forced: bool, source: str | None
) -> int:
    """Insert the run's 'running' log row and hold its liveness lock until released."""
    conn = engine.connect()
    try:
        with conn.begin():
            log_id = start_sync_log(
                conn, account=account, run_id=run_id, trigger=trigger, forced=forced, source=source
            )
            held = conn.execute(sa.text("SELECT hold_audible_sync_log(:id)"), {"id": log_id}).scalar()
            if not held:
                raise RuntimeError(f"could not take the liveness lock of sync log {log_id}")
    except BaseException:
        conn.invalidate()
        conn.close()
        raise
    with _held_lock:
        previous = _held.pop(run_id, None)
        _held[run_id] = (log_id, conn)
    if previous is not None:
        _release(*previous)
    return log_id


def release_running_sync_log(run_id: str) -> bool:
    """Drop the run's liveness lock (after its log row is closed); False when it held none."""
    with _held_lock:
        entry = _held.pop(run_id, None)
    if entry is None:
        return False
    _release(*entry)
    return True


def _release(log_id: int, conn: sa.Connection) -> None:
    try:
        conn.execute(sa.text("SELECT release_audible_sync_log(:id)"), {"id": log_id})
        conn.commit()
        conn.close()
    except Exception:
        # A broken connection has lost the lock already; never return it to the pool.
        conn.invalidate()
        conn.close()


def held_sync_logs() -> dict[str, int]:
    """run id -> log id of the liveness locks this process holds (for diagnostics and tests)."""
    with _held_lock:
        return {run_id: log_id for run_id, (log_id, _) in _held.items()}


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
