"""SQL of reading progress: books' progress/status/dates, the mappings' last seen progress, and
audible_progress_history, written together from the staged library in one step.

The books' new state is decided in Python by ``domain.progress_rules.next_book_state``, the one
place the rules live: the mappings whose Audible state changed and their books' current state are
read in one statement, and the books that change are written back in one set-based UPDATE. The
number of statements does not depend on how many books change.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from domain.progress_rules import AudibleState, BookState, LinkChange, next_book_state
from domain.review import ReviewError
from domain.tracker_profile import TrackerProfile, instant, stored_instant
from resources.queries import staging
from resources.queries import tracker_profile as tracker_profile_sql

# Every enabled mapping whose Audible state differs from the one recorded on it.
_CHANGED_PROGRESS = """
    SELECT m.id AS mapping_id, m.asin, m.book_id,
           m.last_percent_complete AS old_percent, m.last_is_finished AS old_finished,
           t.percent_complete AS new_percent, t.is_finished
      FROM audible_book_mappings m
      JOIN tmp_library t ON t.asin = m.asin
     WHERE m.account = :a AND m.sync_enabled
       AND (m.last_percent_complete IS DISTINCT FROM t.percent_complete
            OR m.last_is_finished IS DISTINCT FROM t.is_finished)
"""
_BOOK_COLUMNS = ("id", "status", "progress_percent", "started_at", "finished_at")


def _book_state(row: Any, profile: TrackerProfile) -> BookState:
    tz = row.now.tzinfo
    return BookState(
        status=profile.settings.role_of(row.status),
        progress=profile.percent_of(row.progress_percent),
        started_at=instant(row.started_at, tz),
        finished_at=instant(row.finished_at, tz),
    )


def _link_change(row: Any) -> LinkChange:
    previous = None
    if row.old_percent is not None:
        previous = AudibleState(Decimal(row.old_percent), bool(row.old_finished))
    return LinkChange(row.mapping_id, previous, AudibleState(Decimal(row.new_percent), row.is_finished))


def _stored_row(rows: Sequence[Any], profile: TrackerProfile) -> tuple | None:
    """The book's columns to write, or None when the rules leave it as it is."""
    first = rows[0]
    before = _book_state(first, profile)
    after = next_book_state(before, [_link_change(r) for r in rows], first.now)
    if after == before:
        return None
    tz = first.now.tzinfo
    status = first.status if after.status == before.status else profile.settings.words[after.status]
    progress = (
        first.progress_percent
        if after.progress == before.progress
        else profile.stored_progress(after.progress)
    )
    if progress is not None:
        progress = Decimal(str(progress))  # one Python type per array, whatever the column holds
    started = (
        first.started_at
        if after.started_at == before.started_at
        else stored_instant(after.started_at, profile.column_type("started_at"), tz)
    )
    finished = (
        first.finished_at
        if after.finished_at == before.finished_at
        else stored_instant(after.finished_at, profile.column_type("finished_at"), tz)
    )
    return (first.book_id, status, progress, started, finished)


def _write_books(conn: sa.Connection, updates: list[tuple], profile: TrackerProfile) -> int:
    """One UPDATE for every changed book, the new values passed as arrays of the columns' own types.

    Cast to exactly the books table's types, values assign and compare as the reader's app stores
    them; rows already holding them are left alone.
    """
    columns = list(zip(*updates, strict=True))
    types = {name: profile.shape.columns[name].type for name in _BOOK_COLUMNS}
    arrays = ", ".join(f"CAST(:{name} AS {types[name]}[])" for name in _BOOK_COLUMNS)
    touched = ", updated_at = now()" if profile.writes_updated_at else ""
    return conn.execute(
        sa.text(
            "UPDATE books b SET status = u.status, progress_percent = u.progress_percent, "
            f"started_at = u.started_at, finished_at = u.finished_at{touched} "
            f"FROM unnest({arrays}) AS u({', '.join(_BOOK_COLUMNS)}) WHERE b.id = u.id "
            "AND (b.status, b.progress_percent, b.started_at, b.finished_at) "
            "IS DISTINCT FROM (u.status, u.progress_percent, u.started_at, u.finished_at)"
        ),
        {name: list(values) for name, values in zip(_BOOK_COLUMNS, columns, strict=True)},
    ).rowcount


def _is_progress(row: Any) -> bool:
    # First sight of an untouched title is not progress.
    return row.old_percent is not None or row.new_percent > 0 or row.is_finished


def apply_progress(
    conn: sa.Connection, account: str, sync_log_id: int | None, profile: TrackerProfile | None = None
) -> dict[str, Any]:
    """Write progress onto books, mappings and history for every mapping whose Audible progress changed.

    ``profile``: the tracker as the sync checked it (read here when not given).
    """
    changed = conn.execute(
        sa.text(f"CREATE TEMP TABLE tmp_progress ON COMMIT DROP AS {_CHANGED_PROGRESS}"), {"a": account}
    ).rowcount
    if not changed:
        return {"books_updated": 0, "history_rows": 0, "changes": []}
    rows = conn.execute(
        sa.text(
            "SELECT p.*, b.title, b.status, b.progress_percent, b.started_at, b.finished_at, now() AS now "
            "FROM tmp_progress p JOIN books b ON b.id = p.book_id "
            "ORDER BY p.book_id, p.mapping_id FOR UPDATE OF b"
        )
    ).all()
    profile = profile or tracker_profile_sql.load_profile(conn)
    updates = [
        update
        for _, book_rows in itertools.groupby(rows, key=lambda r: r.book_id)
        if (update := _stored_row(list(book_rows), profile)) is not None
    ]
    books_updated = _write_books(conn, updates, profile) if updates else 0
    history_rows = conn.execute(
        sa.text(
            "INSERT INTO audible_progress_history "
            "(account, asin, book_id, percent_complete, is_finished, sync_log_id) "
            "SELECT :a, p.asin, p.book_id, p.new_percent, p.is_finished, :log FROM tmp_progress p "
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
    changes = [
        {
            "asin": r.asin,
            "book_id": r.book_id,
            "title": r.title,
            "old_percent": r.old_percent,
            "new_percent": r.new_percent,
            "was_finished": bool(r.old_finished),
            "is_finished": r.is_finished,
        }
        for r in sorted(rows, key=lambda r: (-r.new_percent, r.asin))
        if _is_progress(r)
    ]
    return {"books_updated": books_updated, "history_rows": history_rows, "changes": changes}


def apply_current_progress(conn: sa.Connection, account: str, asins: Sequence[str]) -> dict[str, Any]:
    """Apply these ASINs' progress from the last synced library to their enabled mappings, now.

    Reuses the sync's own progress step on a staging table of just these titles, so
    a resolution writes books, mappings and history exactly as a sync would.
    """
    profile = tracker_profile_sql.load_profile(conn)
    refusal = profile.refusal()
    if refusal:
        raise ReviewError(refusal)
    staging.stage_stored_titles(conn, account, asins)
    result = apply_progress(conn, account, None, profile)
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
