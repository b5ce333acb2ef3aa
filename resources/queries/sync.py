"""SQL of the sync: accounts and rate limit, sync logs, and the set-based write phase.

The write phase stages the library and the match decisions in temporary tables
with COPY, then changes the audible_* tables and books with a fixed number of
set-based statements, each touching only rows whose values differ. The number
of statements does not grow with the library.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from domain.library_items import LibraryItem

# Advisory-lock namespace of the write phase; the second key is the account's hash.
SYNC_LOCK_NAMESPACE = 4_242_002


@dataclass(frozen=True)
class SyncPermission:
    can_sync: bool
    reason: str
    next_allowed_sync: Any
    syncs_remaining_today: int


def ensure_account(conn: sa.Connection, account: str, source: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO audible_config (account, source) VALUES (:account, :source) "
            "ON CONFLICT (account) DO NOTHING"
        ),
        {"account": account, "source": source},
    )


def account_exists(conn: sa.Connection, account: str) -> bool:
    return bool(
        conn.execute(sa.text("SELECT 1 FROM audible_config WHERE account = :a"), {"a": account}).scalar()
    )


def all_accounts(conn: sa.Connection) -> list[str]:
    return list(conn.execute(sa.text("SELECT account FROM audible_config ORDER BY account")).scalars())


def syncable_accounts(conn: sa.Connection) -> list[str]:
    """Accounts with a real source (the demo account aside)."""
    return list(
        conn.execute(
            sa.text("SELECT account FROM audible_config WHERE source <> 'demo' ORDER BY account")
        ).scalars()
    )


def can_sync(conn: sa.Connection, account: str) -> SyncPermission:
    row = conn.execute(sa.text("SELECT * FROM audible_can_sync(:a)"), {"a": account}).one()
    return SyncPermission(row.can_sync, row.reason, row.next_allowed_sync, row.syncs_remaining_today)


def sync_stats(conn: sa.Connection, account: str) -> dict[str, int]:
    row = conn.execute(
        sa.text(
            "SELECT total_mappings, mapped, unmapped, currently_reading FROM audible_sync_stats "
            "WHERE account = :a"
        ),
        {"a": account},
    ).one_or_none()
    if row is None:
        return {"total_mappings": 0, "mapped": 0, "unmapped": 0, "currently_reading": 0}
    return {key: int(value) for key, value in row._mapping.items()}


# --- sync logs -------------------------------------------------------------


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


# --- reads for matching ------------------------------------------------------


def tracker_books(conn: sa.Connection) -> list[tuple[int, str, str | None, str | None]]:
    """(id, title, author, isbn) of every tracker book, as plain tuples.

    Read on the driver's cursor: for 100,000 books SQLAlchemy's Row objects cost
    more than the query itself.
    """
    with conn.connection.dbapi_connection.cursor() as cursor:
        cursor.execute("SELECT id, title, author, isbn FROM books ORDER BY id")
        return cursor.fetchall()


def count_books(conn: sa.Connection) -> int:
    return conn.execute(sa.text("SELECT count(*) FROM books")).scalar_one()


def seed_books(conn: sa.Connection, books: Sequence[dict[str, Any]]) -> int:
    """Insert the given books when the tracker is empty (the demo's tracker)."""
    if count_books(conn):
        return 0
    conn.execute(
        sa.text(
            "INSERT INTO books (id, title, author, isbn, status) "
            "VALUES (:id, :title, :author, :isbn, :status)"
        ),
        list(books),
    )
    # Keep the identity ahead of the explicit ids, so books added later get fresh ones.
    conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('books', 'id'), (SELECT max(id) FROM books))"))
    return len(books)


def mapped_asins(conn: sa.Connection, account: str) -> set[str]:
    return set(
        conn.execute(
            sa.text("SELECT DISTINCT asin FROM audible_book_mappings WHERE account = :a"), {"a": account}
        ).scalars()
    )


def ignored_fingerprints(conn: sa.Connection, account: str) -> dict[str, str | None]:
    """ASIN -> fingerprint of the item when a person chose to ignore it."""
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT ON (asin) asin, item_fingerprint FROM audible_conflicts "
            "WHERE account = :a AND resolved AND resolution = 'ignored' ORDER BY asin, resolved_at DESC"
        ),
        {"a": account},
    )
    return {row.asin: row.item_fingerprint for row in rows}


# --- the write phase -----------------------------------------------------------


@dataclass
class SyncWriteResult:
    library_rows_changed: int = 0
    mappings_created: list[dict[str, Any]] = field(default_factory=list)
    conflicts_opened: list[dict[str, Any]] = field(default_factory=list)
    conflicts_updated: int = 0
    conflicts_closed: int = 0
    progress_changes: list[dict[str, Any]] = field(default_factory=list)
    books_updated: int = 0
    history_rows: int = 0
    finished_now: list[dict[str, Any]] = field(default_factory=list)


def try_lock_account(conn: sa.Connection, account: str) -> bool:
    """Transaction-scoped advisory lock: released by commit, rollback or a dead connection."""
    return bool(
        conn.execute(
            sa.text("SELECT pg_try_advisory_xact_lock(:ns, hashtext(:a))"),
            {"ns": SYNC_LOCK_NAMESPACE, "a": account},
        ).scalar()
    )


_LIBRARY_COLUMNS = (
    "asin",
    "title",
    "subtitle",
    "authors",
    "narrators",
    "series_title",
    "series_sequence",
    "runtime_length_min",
    "release_date",
    "isbn",
    "percent_complete",
    "is_finished",
)
_DECISION_COLUMNS = (
    "asin",
    "decision",
    "book_id",
    "method",
    "confidence",
    "candidates",
    "reason",
    "fingerprint",
)


def _copy_rows(
    conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def stage_library(conn: sa.Connection, items: Sequence[LibraryItem]) -> None:
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE tmp_library ("
            " asin text PRIMARY KEY, title text, subtitle text, authors text, narrators text,"
            " series_title text, series_sequence text, runtime_length_min integer, release_date text,"
            " isbn text, percent_complete numeric(5,2), is_finished boolean) ON COMMIT DROP"
        )
    )
    _copy_rows(
        conn, "tmp_library", _LIBRARY_COLUMNS, ([getattr(i, c) for c in _LIBRARY_COLUMNS] for i in items)
    )
    conn.execute(sa.text("ANALYZE tmp_library"))


def stage_decisions(conn: sa.Connection, decisions: Sequence[dict[str, Any]]) -> None:
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE tmp_decisions ("
            " asin text PRIMARY KEY, decision text, book_id bigint, method text, confidence numeric(4,3),"
            " candidates jsonb, reason text, fingerprint text) ON COMMIT DROP"
        )
    )
    _copy_rows(
        conn,
        "tmp_decisions",
        _DECISION_COLUMNS,
        (
            [
                d["asin"],
                d["decision"],
                d.get("book_id"),
                d.get("method"),
                d.get("confidence", 0),
                json.dumps(d.get("candidates", [])),
                d.get("reason", ""),
                d.get("fingerprint"),
            ]
            for d in decisions
        ),
    )


def upsert_library_items(conn: sa.Connection, account: str) -> int:
    cols = ", ".join(_LIBRARY_COLUMNS)
    changed = conn.execute(
        sa.text(
            f"INSERT INTO audible_library_items AS li (account, {cols}) "
            f"SELECT :a, {cols} FROM tmp_library "
            "ON CONFLICT (account, asin) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in _LIBRARY_COLUMNS if c != "asin")
            + ", updated_at = now() WHERE ("
            + ", ".join(f"li.{c}" for c in _LIBRARY_COLUMNS)
            + ") IS DISTINCT FROM ("
            + ", ".join(f"EXCLUDED.{c}" for c in _LIBRARY_COLUMNS)
            + ")"
        ),
        {"a": account},
    ).rowcount
    removed = conn.execute(
        sa.text(
            "DELETE FROM audible_library_items li WHERE li.account = :a "
            "AND NOT EXISTS (SELECT 1 FROM tmp_library t WHERE t.asin = li.asin)"
        ),
        {"a": account},
    ).rowcount
    return changed + removed


def insert_automatic_mappings(conn: sa.Connection, account: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.text(
            "INSERT INTO audible_book_mappings (account, asin, book_id, match_method, confidence) "
            "SELECT :a, d.asin, d.book_id, d.method, d.confidence FROM tmp_decisions d "
            "WHERE d.decision = 'linked' "
            # A person's confirmed mapping for the ASIN always wins over a new automatic one.
            "AND NOT EXISTS (SELECT 1 FROM audible_book_mappings m "
            "                WHERE m.account = :a AND m.asin = d.asin AND m.confirmed) "
            "ON CONFLICT (account, asin, book_id) DO NOTHING "
            "RETURNING asin, book_id, match_method, confidence"
        ),
        {"a": account},
    )
    return [dict(row._mapping) for row in rows]


def close_conflicts_now_linked(conn: sa.Connection, account: str) -> int:
    return conn.execute(
        sa.text(
            "UPDATE audible_conflicts x SET resolved = true, resolution = 'linked', "
            "resolved_book_id = d.book_id, resolved_by = 'sync: automatic match', resolved_at = now(), "
            "updated_at = now() FROM tmp_decisions d "
            "WHERE x.account = :a AND x.asin = d.asin AND NOT x.resolved AND d.decision = 'linked'"
        ),
        {"a": account},
    ).rowcount


def refresh_open_conflicts(conn: sa.Connection, account: str) -> int:
    return conn.execute(
        sa.text(
            "UPDATE audible_conflicts x SET candidates = d.candidates, reason = d.reason, "
            "item_fingerprint = d.fingerprint, audible_item = to_jsonb(t), updated_at = now() "
            "FROM tmp_decisions d JOIN tmp_library t ON t.asin = d.asin "
            "WHERE x.account = :a AND x.asin = d.asin AND NOT x.resolved AND d.decision = 'conflict' "
            "AND (x.candidates, x.reason, x.item_fingerprint) IS DISTINCT FROM "
            "    (d.candidates, d.reason, d.fingerprint)"
        ),
        {"a": account},
    ).rowcount


def open_conflicts(conn: sa.Connection, account: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.text(
            "INSERT INTO audible_conflicts (account, asin, audible_item, candidates, reason, item_fingerprint) "
            "SELECT :a, d.asin, to_jsonb(t), d.candidates, d.reason, d.fingerprint "
            "FROM tmp_decisions d JOIN tmp_library t ON t.asin = d.asin "
            "WHERE d.decision = 'conflict' "
            "AND NOT EXISTS (SELECT 1 FROM audible_book_mappings m WHERE m.account = :a AND m.asin = d.asin) "
            # An item a person chose to ignore stays ignored while what we matched on is unchanged.
            "AND NOT EXISTS (SELECT 1 FROM audible_conflicts y WHERE y.account = :a AND y.asin = d.asin "
            "                AND y.resolved AND y.resolution = 'ignored' "
            "                AND y.item_fingerprint IS NOT DISTINCT FROM d.fingerprint) "
            "ON CONFLICT (account, asin) WHERE NOT resolved DO NOTHING "
            "RETURNING id, asin, reason, audible_item ->> 'title' AS title"
        ),
        {"a": account},
    )
    return [dict(row._mapping) for row in rows]


# Progress that changed since the mapping last saw it, for every enabled mapping.
_CHANGED_PROGRESS = """
    SELECT m.id AS mapping_id, m.asin, m.book_id, t.title AS audible_title,
           m.last_percent_complete AS old_percent, t.percent_complete AS new_percent,
           coalesce(m.last_is_finished, false) AS was_finished, t.is_finished
      FROM audible_book_mappings m
      JOIN tmp_library t ON t.asin = m.asin
     WHERE m.account = :a AND m.sync_enabled
       AND (m.last_percent_complete IS DISTINCT FROM t.percent_complete
            OR m.last_is_finished IS DISTINCT FROM t.is_finished)
"""


def apply_progress(conn: sa.Connection, account: str, sync_log_id: int) -> dict[str, Any]:
    """Write progress onto books, mappings and history for every mapping whose Audible progress changed."""
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE tmp_progress (mapping_id bigint, asin text, book_id bigint, audible_title text,"
            " old_percent numeric(5,2), new_percent numeric(5,2), was_finished boolean, is_finished boolean)"
            " ON COMMIT DROP"
        )
    )
    conn.execute(sa.text(f"INSERT INTO tmp_progress {_CHANGED_PROGRESS}"), {"a": account})
    books_updated = conn.execute(
        sa.text(
            """
            WITH target AS (
                SELECT DISTINCT ON (p.book_id) p.book_id, p.new_percent, p.is_finished
                  FROM tmp_progress p ORDER BY p.book_id, p.is_finished DESC, p.new_percent DESC
            ), next AS (
                SELECT b.id,
                       CASE WHEN t.is_finished THEN 100
                            -- a finished or abandoned book keeps the reader's verdict
                            WHEN b.status IN ('finished', 'dnf') THEN b.progress_percent
                            ELSE t.new_percent END AS progress_percent,
                       CASE WHEN t.is_finished THEN 'finished'
                            WHEN b.status IN ('finished', 'dnf') THEN b.status
                            WHEN t.new_percent > 0 THEN 'reading'
                            ELSE b.status END AS status,
                       CASE WHEN (t.is_finished OR t.new_percent > 0) THEN coalesce(b.started_at, now())
                            ELSE b.started_at END AS started_at,
                       CASE WHEN t.is_finished THEN coalesce(b.finished_at, now())
                            ELSE b.finished_at END AS finished_at
                  FROM books b JOIN target t ON t.book_id = b.id
            )
            UPDATE books b
               SET progress_percent = n.progress_percent, status = n.status,
                   started_at = n.started_at, finished_at = n.finished_at, updated_at = now()
              FROM next n
             WHERE b.id = n.id
               AND (b.progress_percent, b.status, b.started_at, b.finished_at)
                   IS DISTINCT FROM (n.progress_percent, n.status, n.started_at, n.finished_at)
            """
        )
    ).rowcount
    history_rows = conn.execute(
        sa.text(
            "INSERT INTO audible_progress_history "
            "(account, asin, book_id, percent_complete, is_finished, sync_log_id) "
            "SELECT :a, p.asin, p.book_id, p.new_percent, p.is_finished, :log FROM tmp_progress p "
            # First sight of an untouched title is not progress.
            "WHERE p.old_percent IS NOT NULL OR p.new_percent > 0 OR p.is_finished"
        ),
        {"a": account, "log": sync_log_id},
    ).rowcount
    conn.execute(
        sa.text(
            "UPDATE audible_book_mappings m SET last_percent_complete = p.new_percent, "
            "last_is_finished = p.is_finished, last_synced_at = now(), updated_at = now() "
            "FROM tmp_progress p WHERE m.id = p.mapping_id"
        )
    )
    changes = conn.execute(
        sa.text(
            "SELECT p.asin, p.book_id, b.title, p.old_percent, p.new_percent, p.was_finished, p.is_finished "
            "FROM tmp_progress p JOIN books b ON b.id = p.book_id "
            "WHERE p.old_percent IS NOT NULL OR p.new_percent > 0 OR p.is_finished "
            "ORDER BY p.new_percent DESC, p.asin"
        )
    )
    return {
        "books_updated": books_updated,
        "history_rows": history_rows,
        "changes": [dict(row._mapping) for row in changes],
    }


def complete_sync_log(conn: sa.Connection, log_id: int, account: str, counts: dict[str, int]) -> None:
    conn.execute(sa.text("SELECT record_audible_sync(:a)"), {"a": account})
    conn.execute(
        sa.text(
            "UPDATE audible_sync_logs SET status = 'success', finished_at = now(), "
            "items_matched = :items_matched, mappings_created = :mappings_created, "
            "conflicts_opened = :conflicts_opened, progress_updates = :progress_updates "
            "WHERE id = :id"
        ),
        {"id": log_id, **counts},
    )


# --- stats views ---------------------------------------------------------------


def read_view(conn: sa.Connection, view: str, account: str, order_by: str) -> list[dict[str, Any]]:
    allowed = {
        "audible_sync_stats",
        "audible_currently_reading",
        "audible_sync_activity",
        "audible_unmapped_books",
    }
    if view not in allowed:
        raise ValueError(f"unknown stats view {view!r}")
    rows = conn.execute(
        sa.text(f"SELECT * FROM {view} WHERE account = :a ORDER BY {order_by}"), {"a": account}
    )
    return [dict(row._mapping) for row in rows]
