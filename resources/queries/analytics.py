"""SQL behind the listening analytics: plain rows per account, shaped in ``domain.listening_analytics``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def _rows(conn: sa.Connection, sql: str, **params: Any) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in conn.execute(sa.text(sql), params)]


def latest_history_id(conn: sa.Connection) -> int | None:
    """Id of the newest progress history row, of any account: it grows whenever a sync appends history."""
    return conn.execute(sa.text("SELECT max(id) FROM audible_progress_history")).scalar()


def account_with_latest_progress(conn: sa.Connection) -> str | None:
    """The account whose Audible progress changed last (None before any history)."""
    return conn.execute(
        sa.text("SELECT account FROM audible_progress_history ORDER BY id DESC LIMIT 1")
    ).scalar()


def progress_of_books_in_progress(conn: sa.Connection, account: str) -> list[dict[str, Any]]:
    """Every recorded progress point of the account's books that the tracker has as 'reading'."""
    return _rows(
        conn,
        """
        SELECT h.book_id, b.title, h.recorded_at, h.percent_complete, h.is_finished
          FROM audible_progress_history h
          JOIN books b ON b.id = h.book_id
         WHERE h.account = :a AND b.status = 'reading'
         ORDER BY h.book_id, h.recorded_at, h.id
        """,
        a=account,
    )


def finished_books(conn: sa.Connection, account: str) -> list[dict[str, Any]]:
    """One row per tracker book the account's Audible progress finished, with when it was first seen finished."""
    return _rows(
        conn,
        """
        SELECT h.book_id, b.title, min(h.recorded_at) AS finished_at
          FROM audible_progress_history h
          JOIN books b ON b.id = h.book_id
         WHERE h.account = :a AND h.is_finished
         GROUP BY h.book_id, b.title
         ORDER BY finished_at, h.book_id
        """,
        a=account,
    )


def progress_points_with_runtime(conn: sa.Connection, account: str) -> list[dict[str, Any]]:
    """Progress history per title (not per book: one ASIN mapped to two books is listened to once),
    with the title's runtime from the last library the account's sync saw."""
    return _rows(
        conn,
        """
        SELECT DISTINCT ON (h.asin, h.recorded_at)
               h.asin, h.recorded_at, h.percent_complete, h.is_finished, li.runtime_length_min
          FROM audible_progress_history h
          LEFT JOIN audible_library_items li ON li.account = h.account AND li.asin = h.asin
         WHERE h.account = :a
         ORDER BY h.asin, h.recorded_at, h.id
        """,
        a=account,
    )
