"""SQL of the stats views: audible_sync_stats, audible_currently_reading, audible_sync_activity,
audible_unmapped_books.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

_STATUS_STATS = ("total_mappings", "mapped", "unmapped", "currently_reading")


def sync_stats(conn: sa.Connection, account: str) -> dict[str, int]:
    row = conn.execute(
        sa.text(f"SELECT {', '.join(_STATUS_STATS)} FROM audible_sync_stats WHERE account = :a"),
        {"a": account},
    ).one_or_none()
    return status_stats(row._mapping if row is not None else None)


def status_stats(row: Mapping[str, Any] | None) -> dict[str, int]:
    """The status object's stats from a row of audible_sync_stats (zeros for no row)."""
    return {key: int(row[key]) if row is not None else 0 for key in _STATUS_STATS}


def read_view(conn: sa.Connection, view: str, account: str, order_by: str) -> list[dict[str, Any]]:
    allowed = {
        "audible_sync_stats",
        "audible_currently_reading",
        "audible_sync_activity",
        "audible_unmapped_books",
    }
    if view not in allowed:
        raise ValueError(f"unknown stats view {view!r}")
    if view == "audible_sync_stats":
        # With the books syncs added on their own (auto_add_min_progress), kept in a view beside it.
        rows = conn.execute(
            sa.text(
                "SELECT s.*, a.books_auto_added, a.auto_add_min_progress FROM audible_sync_stats s "
                "LEFT JOIN audible_auto_add_stats a ON a.account = s.account WHERE s.account = :a"
            ),
            {"a": account},
        )
        return [dict(row._mapping) for row in rows]
    rows = conn.execute(
        sa.text(f"SELECT * FROM {view} WHERE account = :a ORDER BY {order_by}"), {"a": account}
    )
    return [dict(row._mapping) for row in rows]
