"""Migrations: numbered, recorded, safe to apply twice, and gentle with a user's own books table."""

from __future__ import annotations

import sqlalchemy as sa

from resources.migrations import apply_migrations, migration_files

EXPECTED_TABLES = {
    "books",
    "audible_config",
    "audible_book_mappings",
    "audible_sync_logs",
    "audible_conflicts",
    "audible_progress_history",
    "audible_library_items",
    "schema_migrations",
}
EXPECTED_VIEWS = {
    "audible_sync_stats",
    "audible_currently_reading",
    "audible_sync_activity",
    "audible_unmapped_books",
}
EXPECTED_FUNCTIONS = {
    "audible_can_sync",
    "cleanup_old_audible_sync_logs",
    "reset_audible_daily_sync_counter",
    "record_audible_sync",
}


def test_files_are_numbered_in_order():
    # Numbers may skip (work merged from parallel branches), never repeat or go back.
    names = [name for name, _ in migration_files()]
    numbers = [int(name[:3]) for name in names]
    assert names == sorted(names)
    assert numbers[0] == 1 and numbers == sorted(set(numbers))


def test_first_use_applies_everything_and_second_apply_changes_nothing(empty_database_url):
    engine = sa.create_engine(empty_database_url)
    try:
        applied = apply_migrations(engine)
        assert applied == [name.removesuffix(".sql") for name, _ in migration_files()]
        assert apply_migrations(engine) == []
        with engine.connect() as conn:
            tables = set(
                conn.execute(
                    sa.text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                ).scalars()
            )
            views = set(
                conn.execute(
                    sa.text("SELECT table_name FROM information_schema.views WHERE table_schema = 'public'")
                ).scalars()
            )
            functions = set(
                conn.execute(
                    sa.text(
                        "SELECT routine_name FROM information_schema.routines WHERE routine_schema = 'public'"
                    )
                ).scalars()
            )
            recorded = conn.execute(sa.text("SELECT count(*) FROM schema_migrations")).scalar()
        assert EXPECTED_TABLES <= tables
        assert EXPECTED_VIEWS <= views
        assert EXPECTED_FUNCTIONS <= functions
        assert recorded == len(applied)
    finally:
        engine.dispose()


def test_every_file_is_idempotent_on_its_own(empty_database_url):
    """Even if the migrations table were lost, running each file again must not fail or lose data."""
    engine = sa.create_engine(empty_database_url)
    try:
        apply_migrations(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO books (title) VALUES ('Kept')"))
        with engine.begin() as conn:
            for _, body in migration_files():
                with conn.connection.dbapi_connection.cursor() as cursor:
                    cursor.execute(body)
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT title FROM books")).scalars().all() == ["Kept"]
    finally:
        engine.dispose()


def test_existing_books_table_keeps_user_columns_and_rows(empty_database_url):
    engine = sa.create_engine(empty_database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "CREATE TABLE books (id bigserial PRIMARY KEY, title text NOT NULL, rating integer, "
                    "shelf text DEFAULT 'home')"
                )
            )
            conn.execute(sa.text("INSERT INTO books (title, rating) VALUES ('Mine', 5)"))
        apply_migrations(engine)
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT title, rating, shelf, status, progress_percent FROM books")
            ).one()
        # Added columns are nullable and without defaults: the reader's rows are left as they were.
        assert tuple(row) == ("Mine", 5, "home", None, None)
    finally:
        engine.dispose()
