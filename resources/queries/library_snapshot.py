"""SQL of audible_library_items: the last fetched library of each account."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from resources.queries.staging import LIBRARY_COLUMNS


def upsert_library_items(conn: sa.Connection, account: str) -> int:
    cols = ", ".join(LIBRARY_COLUMNS)
    changed = conn.execute(
        sa.text(
            f"INSERT INTO audible_library_items AS li (account, {cols}) "
            f"SELECT :a, {cols} FROM tmp_library "
            "ON CONFLICT (account, asin) DO UPDATE SET "
            + ", ".join(f"{c} = EXCLUDED.{c}" for c in LIBRARY_COLUMNS if c != "asin")
            + ", updated_at = now() WHERE ("
            + ", ".join(f"li.{c}" for c in LIBRARY_COLUMNS)
            + ") IS DISTINCT FROM ("
            + ", ".join(f"EXCLUDED.{c}" for c in LIBRARY_COLUMNS)
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


def library_item(conn: sa.Connection, account: str, asin: str) -> dict[str, Any] | None:
    row = conn.execute(
        sa.text("SELECT * FROM audible_library_items WHERE account = :a AND asin = :asin"),
        {"a": account, "asin": asin},
    ).one_or_none()
    return dict(row._mapping) if row else None


def stored_title_count(conn: sa.Connection, account: str) -> int:
    """Titles of the account's last successful sync (the snapshot is written only by one)."""
    return conn.execute(
        sa.text("SELECT count(*) FROM audible_library_items WHERE account = :a"), {"a": account}
    ).scalar_one()
