"""SQL of reading progress: books' progress/status/dates, the mappings' last seen progress, and
audible_progress_history, written together from the staged library in one step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from resources.queries import staging

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


def apply_current_progress(conn: sa.Connection, account: str, asins: Sequence[str]) -> dict[str, Any]:
    """Apply these ASINs' progress from the last synced library to their enabled mappings, now.

    Reuses the sync's own progress step on a staging table of just these titles, so
    a resolution writes books, mappings and history exactly as a sync would.
    """
    staging.stage_stored_titles(conn, account, asins)
    result = apply_progress(conn, account, None)
    staging.drop_progress_stages(conn)  # so a later call in the same transaction can stage again
    return result


def history_watermark(conn: sa.Connection) -> int:
    """The newest history row id: rows above it were written after this call."""
    return conn.execute(sa.text("SELECT coalesce(max(id), 0) FROM audible_progress_history")).scalar_one()


def delete_history_since(conn: sa.Connection, account: str, asin: str, after_id: int) -> int:
    """Remove the history a resolution appended for the title (not a sync's: those carry a sync log)."""
    return conn.execute(
        sa.text(
            "DELETE FROM audible_progress_history WHERE account = :a AND asin = :asin AND id > :after "
            "AND sync_log_id IS NULL"
        ),
        {"a": account, "asin": asin, "after": after_id},
    ).rowcount
