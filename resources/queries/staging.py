"""Temporary tables a write transaction fills with COPY: the fetched library and the match decisions.

Both drop at commit. ``stage_library`` also serves a resolution that applies one title's progress.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from domain.library_items import LibraryItem

LIBRARY_COLUMNS = (
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


def copy_rows(conn: sa.Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    cursor = conn.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    finally:
        cursor.close()


def _create_library_stage(conn: sa.Connection) -> None:
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE tmp_library ("
            " asin text PRIMARY KEY, title text, subtitle text, authors text, narrators text,"
            " series_title text, series_sequence text, runtime_length_min integer, release_date text,"
            " isbn text, percent_complete numeric(5,2), is_finished boolean) ON COMMIT DROP"
        )
    )


def stage_library(conn: sa.Connection, items: Sequence[LibraryItem]) -> None:
    _create_library_stage(conn)
    copy_rows(conn, "tmp_library", LIBRARY_COLUMNS, ([getattr(i, c) for c in LIBRARY_COLUMNS] for i in items))
    conn.execute(sa.text("ANALYZE tmp_library"))


def stage_stored_titles(conn: sa.Connection, account: str, asins: Sequence[str]) -> None:
    """Stage titles as the last sync stored them, in the same shape as a fetched library."""
    _create_library_stage(conn)
    columns = ", ".join(LIBRARY_COLUMNS)
    conn.execute(
        sa.text(
            f"INSERT INTO tmp_library ({columns}) SELECT {columns} FROM audible_library_items "
            "WHERE account = :a AND asin = ANY(:asins)"
        ),
        {"a": account, "asins": list(asins)},
    )


def drop_progress_stages(conn: sa.Connection) -> None:
    """Drop the staged titles and the progress step's table before the transaction ends."""
    conn.execute(sa.text("DROP TABLE IF EXISTS tmp_progress, tmp_library"))


def stage_decisions(conn: sa.Connection, decisions: Sequence[dict[str, Any]]) -> None:
    conn.execute(
        sa.text(
            "CREATE TEMP TABLE tmp_decisions ("
            " asin text PRIMARY KEY, decision text, book_id audible_tracker_book_id, method text, confidence numeric(4,3),"
            " candidates jsonb, reason text, fingerprint text) ON COMMIT DROP"
        )
    )
    copy_rows(
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
                json.dumps(d.get("candidates", []), default=str),
                d.get("reason", ""),
                d.get("fingerprint"),
            ]
            for d in decisions
        ),
    )
