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


_VIEWS = {
    "audible_sync_stats",
    "audible_currently_reading",
    "audible_sync_activity",
    "audible_unmapped_books",
}


def _checked(view: str) -> str:
    if view not in _VIEWS:
        raise ValueError(f"unknown stats view {view!r}")
    return view


# The account's rows of a view, as one value: the account, how many rows, and the XOR of a
# 64-bit hash of each whole row (in any order). Equal digests: the same rows.
def _digest_sql(over: str) -> str:
    return (
        f"CAST(:a AS text) || ':' || count(*){over} || ':' "
        f"|| coalesce(bit_xor(hashtextextended(CAST(v AS text), 0)){over}, 0)"
    )


def _empty_digest(account: str) -> str:
    return f"{account}:0:0"


def view_digest(conn: sa.Connection, view: str, account: str) -> str:
    """The digest of the account's rows of ``view``, read without sending a row."""
    return conn.execute(
        sa.text(f"SELECT {_digest_sql('')} FROM {_checked(view)} v WHERE v.account = :a"), {"a": account}
    ).scalar_one()


def read_view_and_digest(
    conn: sa.Connection, view: str, account: str, order_by: str
) -> tuple[list[dict[str, Any]], str]:
    """``read_view``'s rows and their ``view_digest``, in one statement."""
    rows = [
        dict(row._mapping)
        for row in conn.execute(
            sa.text(
                f"SELECT v.*, {_digest_sql(' OVER ()')} AS rows_digest "
                f"FROM {_checked(view)} v WHERE v.account = :a ORDER BY {order_by}"
            ),
            {"a": account},
        )
    ]
    digest = rows[0]["rows_digest"] if rows else _empty_digest(account)
    for row in rows:
        del row["rows_digest"]
    return rows, digest


def read_view(conn: sa.Connection, view: str, account: str, order_by: str) -> list[dict[str, Any]]:
    _checked(view)
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
