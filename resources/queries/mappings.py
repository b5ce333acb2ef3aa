"""SQL of audible_book_mappings: ASIN → tracker book links, automatic and confirmed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa


def mapped_asins(conn: sa.Connection, account: str) -> set[str]:
    return set(
        conn.execute(
            sa.text("SELECT DISTINCT asin FROM audible_book_mappings WHERE account = :a"), {"a": account}
        ).scalars()
    )


def linked_books(conn: sa.Connection, account: str, book_ids: Iterable[Any]) -> dict[Any, str]:
    """book id → an ASIN already linked to it with syncing enabled, among ``book_ids``, for the account."""
    ids = list(book_ids)
    if not ids:
        return {}
    rows = conn.execute(
        sa.text(
            "SELECT DISTINCT ON (book_id) book_id, asin FROM audible_book_mappings "
            "WHERE account = :a AND sync_enabled AND book_id = ANY(:ids) ORDER BY book_id, asin"
        ),
        {"a": account, "ids": ids},
    )
    return {row.book_id: row.asin for row in rows}


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


def delete_mappings(
    conn: sa.Connection, account: str, asin: str, book_id: int | None
) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.text(
            "DELETE FROM audible_book_mappings WHERE account = :a AND asin = :asin "
            "AND (CAST(:b AS audible_tracker_book_id) IS NULL OR book_id = :b) RETURNING book_id, match_method, confirmed"
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


_MAPPING_COLUMNS = (
    "id, account, asin, book_id, match_method, confidence, confirmed, sync_enabled, "
    "last_percent_complete, last_is_finished, last_synced_at, created_at, updated_at"
)


def mapping_rows(conn: sa.Connection, account: str, asin: str) -> list[dict[str, Any]]:
    """Every mapping of the ASIN, whole rows: what an undo puts back."""
    rows = conn.execute(
        sa.text(
            f"SELECT {_MAPPING_COLUMNS} FROM audible_book_mappings WHERE account = :a AND asin = :asin "
            "ORDER BY id FOR UPDATE"
        ),
        {"a": account, "asin": asin},
    )
    return [dict(row._mapping) for row in rows]


def restore_mappings(conn: sa.Connection, account: str, asin: str, rows: list[dict[str, Any]]) -> None:
    """Make the ASIN's mappings exactly ``rows`` again (same ids), as mapping_rows read them."""
    conn.execute(
        sa.text("DELETE FROM audible_book_mappings WHERE account = :a AND asin = :asin"),
        {"a": account, "asin": asin},
    )
    if rows:
        params = ", ".join(f":{c.strip()}" for c in _MAPPING_COLUMNS.split(","))
        conn.execute(
            sa.text(
                f"INSERT INTO audible_book_mappings ({_MAPPING_COLUMNS}) OVERRIDING SYSTEM VALUE "
                f"VALUES ({params})"
            ),
            rows,
        )
