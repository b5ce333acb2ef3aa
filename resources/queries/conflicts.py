"""SQL of conflict review: reading open conflicts, and the writes of a person's resolution.

Every resolution runs in one transaction under the account's sync lock (the
same advisory lock as the sync's write phase), so a resolution and a sync of
the same account never interleave.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from domain.review import NewBook
from resources.queries import sync as sync_queries


def open_conflicts(conn: sa.Connection, account: str | None = None) -> list[dict[str, Any]]:
    """Unresolved conflicts, oldest first (all accounts unless one is named)."""
    rows = conn.execute(
        sa.text(
            "SELECT id, account, asin, title, subtitle, authors, candidates, reason, created_at, updated_at "
            "FROM audible_open_conflicts WHERE (CAST(:a AS text) IS NULL OR account = :a) ORDER BY id"
        ),
        {"a": account},
    )
    return [dict(row._mapping) for row in rows]


def lock_account(conn: sa.Connection, account: str) -> None:
    """Wait for a running sync of the account to commit, then hold its lock until this transaction ends."""
    conn.execute(
        sa.text("SELECT pg_advisory_xact_lock(:ns, hashtext(:a))"),
        {"ns": sync_queries.SYNC_LOCK_NAMESPACE, "a": account},
    )


def get_conflict(conn: sa.Connection, conflict_id: int, *, for_update: bool = False) -> Any:
    return conn.execute(
        sa.text(
            "SELECT id, account, asin, audible_item, candidates, reason, item_fingerprint, resolved, "
            "resolution, resolved_book_id, resolved_by, resolved_at FROM audible_conflicts WHERE id = :id"
            + (" FOR UPDATE" if for_update else "")
        ),
        {"id": conflict_id},
    ).one_or_none()


def open_conflict_for_asin(conn: sa.Connection, account: str, asin: str) -> Any:
    return conn.execute(
        sa.text(
            "SELECT id FROM audible_conflicts WHERE account = :a AND asin = :asin AND NOT resolved FOR UPDATE"
        ),
        {"a": account, "asin": asin},
    ).one_or_none()


def get_book(conn: sa.Connection, book_id: int) -> Any:
    return conn.execute(
        sa.text("SELECT id, title, author, status FROM books WHERE id = :id"), {"id": book_id}
    ).one_or_none()


def create_book(conn: sa.Connection, book: NewBook) -> int:
    return conn.execute(
        sa.text(
            "INSERT INTO books (title, author, isbn, status) VALUES (:title, :author, :isbn, :status) RETURNING id"
        ),
        {"title": book.title, "author": book.author, "isbn": book.isbn, "status": book.status},
    ).scalar_one()


def library_item(conn: sa.Connection, account: str, asin: str) -> dict[str, Any] | None:
    row = conn.execute(
        sa.text("SELECT * FROM audible_library_items WHERE account = :a AND asin = :asin"),
        {"a": account, "asin": asin},
    ).one_or_none()
    return dict(row._mapping) if row else None


def mappings_for_asin(conn: sa.Connection, account: str, asin: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.text(
            "SELECT m.id, m.book_id, b.title, m.match_method, m.confirmed, m.sync_enabled "
            "FROM audible_book_mappings m JOIN books b ON b.id = m.book_id "
            "WHERE m.account = :a AND m.asin = :asin ORDER BY m.book_id FOR UPDATE OF m"
        ),
        {"a": account, "asin": asin},
    )
    return [dict(row._mapping) for row in rows]


def confirm_mapping(
    conn: sa.Connection, account: str, asin: str, book_id: int, method: str
) -> list[dict[str, Any]]:
    """Write a confirmed mapping; returns the automatic mappings of the ASIN it replaced.

    A confirmed mapping always wins over an automatic one: automatic (unconfirmed)
    mappings of the same ASIN to other books are removed, so progress goes only
    where the person said. Other confirmed mappings stay: one ASIN may belong to
    several books on purpose (a household sharing one Audible account).
    """
    removed = conn.execute(
        sa.text(
            "DELETE FROM audible_book_mappings WHERE account = :a AND asin = :asin AND book_id <> :b "
            "AND NOT confirmed RETURNING book_id, match_method"
        ),
        {"a": account, "asin": asin, "b": book_id},
    )
    removed_rows = [dict(row._mapping) for row in removed]
    conn.execute(
        sa.text(
            "INSERT INTO audible_book_mappings (account, asin, book_id, match_method, confidence, confirmed) "
            "VALUES (:a, :asin, :b, :method, 1, true) "
            # An automatic mapping to the same book becomes confirmed and keeps its method and settings.
            "ON CONFLICT (account, asin, book_id) DO UPDATE SET confirmed = true, updated_at = now()"
        ),
        {"a": account, "asin": asin, "b": book_id, "method": method},
    )
    return removed_rows


def mark_resolved(
    conn: sa.Connection, conflict_id: int, *, resolution: str, book_id: int | None, resolved_by: str
) -> None:
    conn.execute(
        sa.text(
            "UPDATE audible_conflicts SET resolved = true, resolution = :resolution, resolved_book_id = :b, "
            "resolved_by = :by, resolved_at = now(), updated_at = now() WHERE id = :id"
        ),
        {"id": conflict_id, "resolution": resolution, "b": book_id, "by": resolved_by},
    )


def record_ignored(
    conn: sa.Connection, account: str, asin: str, *, fingerprint: str, reason: str, resolved_by: str
) -> int:
    """A resolved 'ignored' row for a title that had no open conflict (an unlinked title).

    The matcher skips ignored titles while their fingerprint is unchanged, so the
    next sync does not link back what a person just unlinked.
    """
    return conn.execute(
        sa.text(
            "INSERT INTO audible_conflicts (account, asin, audible_item, candidates, reason, item_fingerprint, "
            " resolved, resolution, resolved_by, resolved_at) "
            "SELECT li.account, li.asin, to_jsonb(li) - 'account' - 'first_seen_at' - 'updated_at', '[]'::jsonb, "
            " :reason, :fp, true, 'ignored', :by, now() "
            "FROM audible_library_items li WHERE li.account = :a AND li.asin = :asin RETURNING id"
        ),
        {"a": account, "asin": asin, "fp": fingerprint, "reason": reason, "by": resolved_by},
    ).scalar_one()


def forget_ignores(conn: sa.Connection, account: str, asin: str) -> int:
    """Let the sync match an ignored title again: earlier 'ignored' answers stop matching its fingerprint."""
    return conn.execute(
        sa.text(
            "UPDATE audible_conflicts SET item_fingerprint = NULL, updated_at = now() "
            "WHERE account = :a AND asin = :asin AND resolution = 'ignored' AND item_fingerprint IS NOT NULL"
        ),
        {"a": account, "asin": asin},
    ).rowcount


def delete_mappings(
    conn: sa.Connection, account: str, asin: str, book_id: int | None
) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.text(
            "DELETE FROM audible_book_mappings WHERE account = :a AND asin = :asin "
            "AND (CAST(:b AS bigint) IS NULL OR book_id = :b) RETURNING book_id, match_method, confirmed"
        ),
        {"a": account, "asin": asin, "b": book_id},
    )
    return [dict(row._mapping) for row in rows]


def set_mapping_sync(conn: sa.Connection, mapping_id: int, enabled: bool) -> bool:
    """True when the setting changed. Re-enabling forgets the last progress seen, so the
    current progress is applied at once instead of waiting for Audible to move."""
    return bool(
        conn.execute(
            sa.text(
                "UPDATE audible_book_mappings SET sync_enabled = :e, updated_at = now(), "
                "last_percent_complete = CASE WHEN :e THEN NULL ELSE last_percent_complete END, "
                "last_is_finished = CASE WHEN :e THEN NULL ELSE last_is_finished END "
                "WHERE id = :id AND sync_enabled IS DISTINCT FROM :e"
            ),
            {"id": mapping_id, "e": enabled},
        ).rowcount
    )


def apply_current_progress(conn: sa.Connection, account: str, asin: str) -> dict[str, Any]:
    """Apply the ASIN's progress from the last synced library to its enabled mappings, now.

    Reuses the sync's own progress step on a one-title staging table, so a
    resolution writes books, mappings and history exactly as a sync would.
    Call once per transaction (the staging tables drop at commit).
    """
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE tmp_library ON COMMIT DROP AS "
            "SELECT asin, title, percent_complete, is_finished FROM audible_library_items "
            "WHERE account = :a AND asin = :asin"
        ),
        {"a": account, "asin": asin},
    )
    return sync_queries.apply_progress(conn, account, None)


def book_finish_dates(conn: sa.Connection, book_ids: list[int]) -> dict[int, Any]:
    if not book_ids:
        return {}
    rows = conn.execute(
        sa.text("SELECT id, author, finished_at FROM books WHERE id = ANY(:ids)"), {"ids": list(book_ids)}
    )
    return {row.id: {"author": row.author, "finished_at": row.finished_at} for row in rows}
