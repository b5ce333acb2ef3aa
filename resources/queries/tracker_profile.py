"""SQL of the tracker profile: the books table as found (read only) and audible_tracker_profile.

``read_shape`` and ``read_settings`` only read, and work before the migrations have run (a
missing profile table reads as "nothing configured"), so `audible-tracker tracker check` can
inspect a tracker without writing to it. ``update_settings`` is the only writer of
audible_tracker_profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from domain.tracker_profile import (
    PROGRESS_TYPES,
    SETTING_COLUMNS,
    TEXT_TYPES,
    Column,
    ProgressStats,
    TrackerProfile,
    TrackerSettings,
    TrackerShape,
    validate_settings,
)

_SETTING_LIST = ", ".join(SETTING_COLUMNS.values())  # identifiers from our own constant

# One row per column of the books table the search path finds, plus whether id is unique
# and who created the table (NULL before the migrations recorded it).
_COLUMNS = sa.text(
    """
    SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           (a.atthasdef OR a.attidentity <> '') AS has_default,
           EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND (i.indisunique OR i.indisprimary)
                    AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL) AS unique_alone,
           (SELECT m.books_created_by_project FROM audible_tracker_meta m) AS created_by_project
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass('books') AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum
    """
)
# The same, with the stored profile on every row: all the sync needs in one statement.
_COLUMNS_AND_PROFILE = sa.text(
    _COLUMNS.text.replace(
        "AS created_by_project",
        "AS created_by_project, (SELECT row_to_json(p) FROM audible_tracker_profile p) AS profile",
    )
)
_COLUMNS_WITHOUT_META = sa.text(
    _COLUMNS.text.replace("(SELECT m.books_created_by_project FROM audible_tracker_meta m)", "NULL::boolean")
)


def _table_exists(conn: sa.Connection, name: str) -> bool:
    return conn.execute(sa.text("SELECT to_regclass(:n) IS NOT NULL"), {"n": name}).scalar_one()


def _typed(columns: dict[str, Column], name: str, types: Any) -> bool:
    """Whether the books table has column ``name`` with a base type among ``types``."""
    column = columns.get(name)
    return column is not None and column.base_type in types


def _progress_stats(rows: Sequence[Any]) -> ProgressStats:
    largest = [r.largest for r in rows if r.largest is not None]
    return ProgressStats(
        values=sum(r.valued for r in rows),
        largest=max(largest) if largest else None,
        fractional=sum(r.fractional for r in rows),
    )


def _stats(
    conn: sa.Connection, columns: dict[str, Column], *, words: bool, progress: bool
) -> tuple[Any, Any]:
    """Status words in use (with counts) and the progress column's figures, in one pass over books."""
    status_ok = words and _typed(columns, "status", TEXT_TYPES)
    progress_ok = progress and _typed(columns, "progress_percent", PROGRESS_TYPES)
    if not status_ok and not progress_ok:
        return None, None
    group = "status" if status_ok else "NULL::text"
    value = "progress_percent::numeric" if progress_ok else "NULL::numeric"
    rows = conn.execute(
        sa.text(
            f"SELECT {group} AS word, count(*) AS books, count({value}) AS valued, max({value}) AS largest, "
            f"count(*) FILTER (WHERE {value} <> trunc({value})) AS fractional FROM books GROUP BY 1 "
            "ORDER BY count(*) DESC, 1 NULLS LAST"
        )
    ).all()
    words_in_use = tuple((r.word, r.books) for r in rows) if status_ok else None
    return words_in_use, _progress_stats(rows) if progress_ok else None


def _shape(conn: sa.Connection, rows: Sequence[Any], *, words: bool, progress: bool) -> TrackerShape:
    if not rows:
        return TrackerShape(exists=False)
    columns = {r.name: Column(r.name, r.type, r.not_null, r.has_default) for r in rows}
    words_in_use, stats = _stats(conn, columns, words=words, progress=progress)
    id_row = next((r for r in rows if r.name == "id"), None)
    return TrackerShape(
        exists=True,
        created_by_project=rows[0].created_by_project,
        columns=columns,
        id_unique=bool(id_row and id_row.unique_alone),
        words_in_use=words_in_use,
        progress=stats,
    )


def read_shape(
    conn: sa.Connection, *, words: bool = True, progress: bool = True, migrated: bool = False
) -> TrackerShape:
    """The books table as found; ``words``/``progress`` read the status words and progress figures too.

    ``migrated``: the migrations are known to have run, so nothing is looked up first.
    """
    query = _COLUMNS if migrated or _table_exists(conn, "audible_tracker_meta") else _COLUMNS_WITHOUT_META
    return _shape(conn, conn.execute(query).all(), words=words, progress=progress)


def read_settings(conn: sa.Connection, *, migrated: bool = False) -> TrackerSettings:
    if not migrated and not _table_exists(conn, "audible_tracker_profile"):
        return TrackerSettings()
    row = conn.execute(
        sa.text(f"SELECT {_SETTING_LIST}, updated_at, updated_by FROM audible_tracker_profile")
    ).one_or_none()
    return TrackerSettings(**row._mapping) if row is not None else TrackerSettings()


def load_profile(conn: sa.Connection) -> TrackerProfile:
    """What the sync needs to judge and write the tracker (after the migrations): the settings, the
    columns, and the status words and progress figures only where they matter. Those are not read
    where a setting makes them moot, nor on the project's own table, whose rules allow only the
    default words and 0–100; so on the default install this is one statement."""
    rows = conn.execute(_COLUMNS_AND_PROFILE).all()
    stored = rows[0].profile if rows and rows[0].profile else {}
    settings = TrackerSettings(**{key: stored.get(key) for key in (*SETTING_COLUMNS.values(), "updated_by")})
    judged = not (rows and rows[0].created_by_project)
    shape = _shape(
        conn,
        rows,
        words=judged and not settings.any_status_configured,
        progress=judged and settings.progress_scale is None,
    )
    return TrackerProfile(settings=settings, shape=shape)


def update_settings(
    conn: sa.Connection, changes: dict[str, str | None], updated_by: str
) -> tuple[TrackerSettings, TrackerSettings]:
    """Apply validated ``changes`` (column → value, None clears) in one statement; (before, after).

    Raises TrackerSettingError when the result would give two states the same word.
    """
    before = read_settings(conn, migrated=True)
    after = TrackerSettings(
        **{f.name: getattr(before, f.name) for f in fields(TrackerSettings)} | changes  # type: ignore[arg-type]
    )
    validate_settings(after)
    if changes:
        assignments = ", ".join(f"{column} = EXCLUDED.{column}" for column in changes)
        columns = ", ".join(changes)
        values = ", ".join(f":{column}" for column in changes)
        conn.execute(
            sa.text(
                f"INSERT INTO audible_tracker_profile AS p ({columns}, updated_by) VALUES ({values}, :by) "
                f"ON CONFLICT (singleton) DO UPDATE SET {assignments}, updated_at = now(), updated_by = :by"
            ),
            {**changes, "by": updated_by},
        )
    return before, read_settings(conn, migrated=True)
