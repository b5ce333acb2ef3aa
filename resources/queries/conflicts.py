"""SQL of conflict review: reading open conflicts, and the writes of a person's resolution.

Every resolution runs in one transaction under the account's sync lock (the
same advisory lock as the sync's write phase), so a resolution and a sync of
the same account never interleave.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from resources.queries import sync_logs

# What a person needs to decide a title: the Audible data as last synced (the conflict's own
# snapshot when the title has left the library since), current progress included.
_TITLE_COLUMNS = """
    coalesce(li.title, x.audible_item ->> 'title') AS title,
    coalesce(li.subtitle, x.audible_item ->> 'subtitle') AS subtitle,
    coalesce(li.authors, x.audible_item ->> 'authors') AS authors,
    coalesce(li.narrators, x.audible_item ->> 'narrators') AS narrators,
    coalesce(li.series_title, x.audible_item ->> 'series_title') AS series_title,
    coalesce(li.series_sequence, x.audible_item ->> 'series_sequence') AS series_sequence,
    coalesce(li.runtime_length_min, (x.audible_item ->> 'runtime_length_min')::integer) AS runtime_length_min,
    coalesce(li.isbn, x.audible_item ->> 'isbn') AS isbn,
    coalesce(li.percent_complete, (x.audible_item ->> 'percent_complete')::numeric, 0) AS percent_complete,
    coalesce(li.is_finished, (x.audible_item ->> 'is_finished')::boolean, false) AS is_finished
"""


def open_conflicts(conn: sa.Connection, account: str | None = None) -> list[dict[str, Any]]:
    """Unresolved conflicts with the title's Audible data and progress, oldest first (all accounts
    unless one is named)."""
    rows = conn.execute(
        sa.text(
            f"SELECT x.id, x.account, x.asin, {_TITLE_COLUMNS}, x.candidates, x.reason, x.created_at, "
            "x.updated_at FROM audible_conflicts x "
            "LEFT JOIN audible_library_items li ON li.account = x.account AND li.asin = x.asin "
            "WHERE NOT x.resolved AND (CAST(:a AS text) IS NULL OR x.account = :a) ORDER BY x.id"
        ),
        {"a": account},
    )
    return [dict(row._mapping) for row in rows]


def unmapped_titles(conn: sa.Connection, account: str | None = None) -> list[dict[str, Any]]:
    """Titles of the last synced library that no tracker book is mapped to (audible_unmapped_books),
    with their Audible data; ``unmapped`` holds the view's whole row (the engine's note, when it keeps one)."""
    rows = conn.execute(
        sa.text(
            "SELECT li.account, li.asin, li.title, li.subtitle, li.authors, li.narrators, li.series_title, "
            "li.series_sequence, li.runtime_length_min, li.isbn, li.percent_complete, li.is_finished, "
            "u.open_conflict_id, u.ignored, to_jsonb(u) AS unmapped "
            "FROM audible_unmapped_books u "
            "JOIN audible_library_items li ON li.account = u.account AND li.asin = u.asin "
            "WHERE (CAST(:a AS text) IS NULL OR u.account = :a) ORDER BY li.account, li.first_seen_at, li.asin"
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
) -> Any:
    """Close the conflict with the decision; returns its resolved_at (what an undo checks against)."""
    return conn.execute(
        sa.text(
            "UPDATE audible_conflicts SET resolved = true, resolution = :resolution, resolved_book_id = :b, "
            "resolved_by = :by, resolved_at = clock_timestamp(), updated_at = now() WHERE id = :id "
            "RETURNING resolved_at"
        ),
        {"id": conflict_id, "resolution": resolution, "b": book_id, "by": resolved_by},
    ).scalar_one()


def reopen_conflict(conn: sa.Connection, conflict_id: int, resolved_at: Any) -> bool:
    """Undo a resolution: open the conflict again, if it is still resolved as that decision left it."""
    return bool(
        conn.execute(
            sa.text(
                "UPDATE audible_conflicts SET resolved = false, resolution = NULL, resolved_book_id = NULL, "
                "resolved_by = NULL, resolved_at = NULL, updated_at = now() "
                "WHERE id = :id AND resolved AND resolved_at = :at"
            ),
            {"id": conflict_id, "at": resolved_at},
        ).rowcount
    )


def delete_ignore(conn: sa.Connection, conflict_id: int) -> bool:
    """Undo record_ignored: the title becomes an ordinary unmapped title again."""
    return bool(
        conn.execute(
            sa.text("DELETE FROM audible_conflicts WHERE id = :id AND resolved AND resolution = 'ignored'"),
            {"id": conflict_id},
        ).rowcount
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
