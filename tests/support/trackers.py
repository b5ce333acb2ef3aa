"""Books tables as other apps make them, filled from the demo tracker's books in their own words."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import dagster as dg
import sqlalchemy as sa

from resources.library_source import demo_books, demo_library_payload
from tests.support.sync import run_sync

# A Goodreads-style tracker: its own words, whole-number progress, dates, its own rules and trigger.
GOODREADS = """
CREATE TABLE books (
    id               serial PRIMARY KEY,
    title            text NOT NULL,
    author           text,
    isbn             varchar(20),
    status           varchar(40) NOT NULL DEFAULT 'to-read'
                     CHECK (status IN ('to-read', 'currently-reading', 'read', 'did-not-finish')),
    progress_percent integer CHECK (progress_percent BETWEEN 0 AND 100),
    started_at       date,
    finished_at      date,
    shelf            text NOT NULL DEFAULT 'home',
    touched_at       timestamptz
);
CREATE FUNCTION touch_book() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.touched_at := now(); RETURN NEW; END $$;
CREATE TRIGGER books_touch BEFORE UPDATE ON books FOR EACH ROW EXECUTE FUNCTION touch_book();
"""
GOODREADS_WORDS = {
    "to_read": "to-read",
    "reading": "currently-reading",
    "finished": "read",
    "dnf": "did-not-finish",
}

# uuid ids, progress as a fraction in a real column, timestamps without time zone.
UUID_FRACTION = """
CREATE TABLE books (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    title            text NOT NULL,
    author           text,
    isbn             text,
    status           text,
    progress_percent real,
    started_at       timestamp,
    finished_at      timestamp
);
"""

# An id the reader's app hands out itself: no default.
ID_WITHOUT_DEFAULT = """
CREATE TABLE books (
    id               bigint PRIMARY KEY,
    title            text NOT NULL,
    author           text,
    isbn             text,
    status           text NOT NULL DEFAULT 'to_read',
    progress_percent numeric(6, 2),
    started_at       timestamptz,
    finished_at      timestamptz,
    updated_at       timestamptz NOT NULL DEFAULT now()
);
"""

# Types the sync cannot work with.
INCOMPATIBLE = """
CREATE TABLE books (
    id               text PRIMARY KEY,
    title            text NOT NULL,
    author           text,
    isbn             text,
    status           text,
    progress_percent text,
    started_at       text,
    finished_at      date
);
"""

RULES_SQL = """
SELECT 'constraint ' || conname || ': ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'books'::regclass
UNION ALL
SELECT 'trigger ' || tgname || ': ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = 'books'::regclass AND NOT tgisinternal
UNION ALL
SELECT 'column ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || (CASE WHEN a.attnotnull THEN ' not null' ELSE '' END)
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '') || (CASE WHEN a.attidentity <> '' THEN ' identity' ELSE '' END)
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE a.attrelid = 'books'::regclass AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY 1
"""


def create_tracker(url: str, ddl: str, rows: list[dict[str, Any]]) -> None:
    """The reader's tracker as their app left it, before this project ever touched the database."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(ddl)
            if rows:
                columns = list(rows[0])
                conn.execute(
                    sa.text(
                        f"INSERT INTO books ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
                    ),
                    rows,
                )
    finally:
        engine.dispose()


def rules(url: str) -> list[str]:
    """The books table's constraints, triggers and columns (type, NOT NULL, default) as text."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(RULES_SQL)).scalars())
    finally:
        engine.dispose()


def tracker_books(words: dict[str, str], **overrides: dict[str, Any]) -> list[dict[str, Any]]:
    """The demo tracker's books (without ids) in a tracker's own words; ``overrides`` by title."""
    books = []
    for book in demo_books():
        row = {
            "title": book["title"],
            "author": book["author"],
            "isbn": book["isbn"],
            "status": words[book["status"]],
            "progress_percent": None,
            "started_at": None,
            "finished_at": None,
        }
        row.update(overrides.get(book["title"], {}))
        books.append(row)
    return books


class Library:
    """The demo Audible library as an export file that a test changes between syncs."""

    def __init__(self, directory: Path, **changes: dict[str, Any]):
        self.path = directory / "library.json"
        self.items = demo_library_payload()
        self.change(**changes)

    def change(self, **changes: dict[str, Any]) -> Library:
        """Change items by ASIN, e.g. ``B003ZWFO7E={"percent_complete": 50}``; then the file is rewritten."""
        for item in self.items:
            item.update(changes.get(item["asin"], {}))
        self.path.write_text(json.dumps(self.items))
        return self

    def sync(self, url: str, **config: Any) -> dg.ExecuteInProcessResult:
        return run_sync(
            url,
            library_source="file",
            library_file=str(self.path),
            force=True,
            raise_on_error=False,
            **config,
        )


def failure_description(result: dg.ExecuteInProcessResult) -> str:
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert failures, "expected the run to fail"
    return failures[0].step_failure_data.user_failure_data.description


def rows(url: str, sql: str, **params: Any) -> list[dict[str, Any]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def execute(url: str, sql: str, **params: Any) -> None:
    """A write by the reader's own app, on a connection of its own."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(sql), params)
    finally:
        engine.dispose()
