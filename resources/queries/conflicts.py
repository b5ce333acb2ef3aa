"""SQL of conflict review: reading open conflicts, and the writes of a person's resolution.

Every resolution runs in one transaction under the account's sync lock (the
same advisory lock as the sync's write phase), so a resolution and a sync of
the same account never interleave.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from resources.queries import sync_logs


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
        {"ns": sync_logs.SYNC_LOCK_NAMESPACE, "a": account},
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


# --- written by the sync -----------------------------------------------------------


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


def open_new_conflicts(conn: sa.Connection, account: str) -> list[dict[str, Any]]:
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
