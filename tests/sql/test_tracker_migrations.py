"""Whose books table it is decides whose rules it carries: the project's own keeps them, a reader's never gets them."""

from __future__ import annotations

import sqlalchemy as sa

from resources.migrations import apply_migrations
from tests.support.trackers import GOODREADS, rules

# What an earlier 001 added to any books table it found.
LEGACY_RULES = """
ALTER TABLE books ADD CONSTRAINT books_status_check
    CHECK (status IN ('to_read', 'reading', 'finished', 'dnf')) NOT VALID;
ALTER TABLE books ADD CONSTRAINT books_progress_percent_check
    CHECK (progress_percent BETWEEN 0 AND 100) NOT VALID;
"""

# A reader's table whose own rules do not take the names the earlier 001 used.
STORYGRAPH = """
CREATE TABLE books (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL,
    status varchar(30) CONSTRAINT shelf_words CHECK (status IN ('to-read', 'currently-reading', 'read')),
    progress_percent real
);
"""


def _migrate(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        apply_migrations(engine)
    finally:
        engine.dispose()


def _sql(url: str, sql: str):
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.exec_driver_sql(sql)
            return result.all() if result.returns_rows else None
    finally:
        engine.dispose()


def _as_before_the_ownership_record(url: str, legacy_rules: str = LEGACY_RULES) -> None:
    """The database as an install from before 011: the earlier 001's rules, no ownership record."""
    _sql(
        url,
        legacy_rules
        + "DROP TABLE audible_tracker_meta; DELETE FROM schema_migrations WHERE version = '011_tracker_rules_removed';",
    )


def _constraints(url: str) -> dict[str, bool]:
    return dict(
        _sql(url, "SELECT conname, convalidated FROM pg_constraint WHERE conrelid = 'books'::regclass")
    )


def test_a_books_table_the_project_creates_carries_its_rules(empty_database_url):
    _migrate(empty_database_url)
    constraints = _constraints(empty_database_url)
    assert constraints["books_status_check"] is True and constraints["books_progress_percent_check"] is True
    assert _sql(empty_database_url, "SELECT books_created_by_project FROM audible_tracker_meta") == [(True,)]


def test_a_reader_books_table_gets_no_rule_only_missing_nullable_columns(empty_database_url):
    _sql(empty_database_url, GOODREADS)
    before = rules(empty_database_url)
    _migrate(empty_database_url)
    assert set(rules(empty_database_url)) - set(before) == {"column updated_at timestamp with time zone"}
    assert _sql(empty_database_url, "SELECT books_created_by_project FROM audible_tracker_meta") == [(False,)]


def test_the_earlier_rules_are_removed_from_a_reader_table_and_its_own_stay(empty_database_url):
    url = empty_database_url
    _sql(url, STORYGRAPH)
    _migrate(url)
    own_rules = rules(url)
    _as_before_the_ownership_record(url)
    assert {"books_status_check", "books_progress_percent_check"} <= set(_constraints(url))
    _migrate(url)
    assert rules(url) == own_rules
    assert _sql(url, "SELECT books_created_by_project FROM audible_tracker_meta") == [(False,)]
    _sql(
        url,
        "INSERT INTO books (title, status, progress_percent) VALUES ('Middlemarch', 'currently-reading', 0.4)",
    )


def test_a_constraint_of_the_same_name_but_not_exactly_ours_stays(empty_database_url):
    url = empty_database_url
    _sql(url, "CREATE TABLE books (id bigserial PRIMARY KEY, title text NOT NULL, status text)")
    _migrate(url)
    theirs = (
        "ALTER TABLE books ADD CONSTRAINT books_status_check CHECK (status IN ('want', 'have')) NOT VALID;"
        "ALTER TABLE books ADD CONSTRAINT books_progress_percent_check CHECK (progress_percent BETWEEN 0 AND 100);"
    )
    _as_before_the_ownership_record(url, theirs)
    _migrate(url)
    # Another definition, or validated (so somebody adopted it): not ours to remove.
    assert _constraints(url) == {
        "books_pkey": True,
        "books_status_check": False,
        "books_progress_percent_check": True,
    }


def test_the_project_table_of_an_earlier_install_keeps_its_rules(empty_database_url):
    url = empty_database_url
    _migrate(url)
    _sql(
        url,
        "ALTER TABLE books DROP CONSTRAINT books_status_check, DROP CONSTRAINT books_progress_percent_check",
    )
    _as_before_the_ownership_record(url)
    _migrate(url)
    assert _sql(url, "SELECT books_created_by_project FROM audible_tracker_meta") == [(True,)]
    assert {"books_status_check", "books_progress_percent_check"} <= set(_constraints(url))
