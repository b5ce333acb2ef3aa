"""The SQL functions and views: their shapes, and the rate-limit arithmetic in SQL."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa


def _one(engine, sql, **params):
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), params).one()


def _exec(engine, sql, **params):
    with engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _account(engine, name="reader", **settings):
    _exec(engine, "INSERT INTO audible_config (account) VALUES (:a)", a=name)
    for key, value in settings.items():
        _exec(engine, f"UPDATE audible_config SET {key} = :v WHERE account = :a", v=value, a=name)


def _can_sync(engine, account="reader"):
    return _one(engine, "SELECT * FROM audible_can_sync(:a)", a=account)


def _account_today(conn, account="reader") -> date:
    """The account's calendar day at this transaction's now(), worked out here rather than in SQL.

    now() stays fixed for the whole transaction, so a test that sets a date and asks
    audible_can_sync() in one transaction cannot see the day change in between.
    """
    at, zone = conn.execute(
        sa.text("SELECT now(), timezone FROM audible_config WHERE account = :a"), {"a": account}
    ).one()
    return at.astimezone(ZoneInfo(zone)).date()


def test_can_sync_shape_for_a_fresh_account(engine):
    _account(engine)
    row = _can_sync(engine)
    assert row._fields == ("can_sync", "reason", "next_allowed_sync", "syncs_remaining_today")
    assert row.can_sync is True
    assert row.syncs_remaining_today == 600


def test_unknown_account_cannot_sync_and_says_what_to_do(engine):
    row = _can_sync(engine, "nobody")
    assert row.can_sync is False
    assert "nobody" in row.reason and "auth login" in row.reason


def test_second_sync_within_fifteen_minutes_is_refused_with_next_time(engine):
    _account(engine)
    _exec(engine, "SELECT record_audible_sync('reader')")
    row = _can_sync(engine)
    assert row.can_sync is False
    assert "15 minutes" in row.reason
    last = _one(engine, "SELECT last_sync_at FROM audible_config").last_sync_at
    assert (row.next_allowed_sync - last).total_seconds() == 15 * 60
    assert row.syncs_remaining_today == 599


def test_sync_allowed_again_after_the_interval(engine):
    _account(engine)
    _exec(engine, "SELECT record_audible_sync('reader')")
    _exec(engine, "UPDATE audible_config SET last_sync_at = now() - interval '15 minutes 1 second'")
    assert _can_sync(engine).can_sync is True


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_daily_limit_refuses_the_601st_sync_until_midnight(engine, zone):
    _account(engine, syncs_today=599, last_sync_at=None, timezone=zone)
    with engine.begin() as conn:
        today = _account_today(conn)
        conn.execute(sa.text("UPDATE audible_config SET daily_reset_date = :d"), {"d": today})
        conn.execute(sa.text("SELECT record_audible_sync('reader')"))
        conn.execute(sa.text("UPDATE audible_config SET last_sync_at = now() - interval '1 hour'"))
        row = conn.execute(sa.text("SELECT * FROM audible_can_sync('reader')")).one()
    assert row.can_sync is False
    assert f"daily limit of 600 syncs reached; the counter resets at midnight {zone}" == row.reason
    assert row.syncs_remaining_today == 0
    assert row.next_allowed_sync == datetime.combine(today + timedelta(days=1), time(), ZoneInfo(zone))


def test_counter_resets_on_a_new_day(engine):
    _account(engine, syncs_today=600)
    with engine.begin() as conn:
        yesterday = _account_today(conn) - timedelta(days=1)
        conn.execute(
            sa.text(
                "UPDATE audible_config SET daily_reset_date = :d, last_sync_at = now() - interval '1 hour'"
            ),
            {"d": yesterday},
        )
        # A new day counts as zero even before the reset function has run…
        row = conn.execute(sa.text("SELECT * FROM audible_can_sync('reader')")).one()
    assert row.can_sync is True and row.syncs_remaining_today == 600
    # …and the reset function makes it so in the table.
    assert _one(engine, "SELECT reset_audible_daily_sync_counter() AS n").n == 1
    assert _one(engine, "SELECT syncs_today FROM audible_config").syncs_today == 0
    assert _one(engine, "SELECT reset_audible_daily_sync_counter() AS n").n == 0


def test_record_sync_starts_a_new_day_at_one(engine):
    _account(engine, syncs_today=42)
    with engine.begin() as conn:
        today = _account_today(conn)
        conn.execute(sa.text("UPDATE audible_config SET daily_reset_date = :d"), {"d": today - timedelta(1)})
        conn.execute(sa.text("SELECT record_audible_sync('reader')"))
    row = _one(engine, "SELECT syncs_today, daily_reset_date FROM audible_config")
    assert (row.syncs_today, row.daily_reset_date) == (1, today)


def test_disabled_account_cannot_sync(engine):
    _account(engine, enabled=False)
    row = _can_sync(engine)
    assert row.can_sync is False and "disabled" in row.reason


def test_cleanup_deletes_old_finished_logs_and_keeps_history(engine):
    _account(engine)
    _exec(engine, "INSERT INTO books (id, title) VALUES (1, 'B')")
    _exec(
        engine,
        "INSERT INTO audible_sync_logs (account, status, started_at) VALUES "
        "('reader', 'success', now() - interval '120 days'), "
        "('reader', 'running', now() - interval '120 days'), "
        "('reader', 'failed', now() - interval '10 days')",
    )
    old_id = _one(engine, "SELECT min(id) AS id FROM audible_sync_logs").id
    _exec(
        engine,
        "INSERT INTO audible_progress_history (account, asin, book_id, percent_complete, sync_log_id) "
        "VALUES ('reader', 'B000000001', 1, 10, :log)",
        log=old_id,
    )
    assert _one(engine, "SELECT cleanup_old_audible_sync_logs() AS n").n == 1
    statuses = sorted(_one(engine, "SELECT array_agg(status) AS s FROM audible_sync_logs").s)
    assert statuses == ["failed", "running"]
    history = _one(engine, "SELECT count(*) AS n, max(sync_log_id) AS log FROM audible_progress_history")
    assert history.n == 1 and history.log is None
    assert _one(engine, "SELECT cleanup_old_audible_sync_logs(5) AS n").n == 1


def test_views_have_the_seed_shape(engine):
    _account(engine)
    _exec(
        engine,
        "INSERT INTO books (id, title, author, status, progress_percent) VALUES "
        "(1, 'Reading', 'A', 'reading', 40), (2, 'Other', 'B', 'to_read', NULL)",
    )
    _exec(
        engine,
        "INSERT INTO audible_library_items (account, asin, title, percent_complete) VALUES "
        "('reader', 'B000000001', 'Reading', 40), ('reader', 'B000000002', 'Unmapped', 0)",
    )
    _exec(
        engine,
        "INSERT INTO audible_book_mappings (account, asin, book_id, match_method, confidence) "
        "VALUES ('reader', 'B000000001', 1, 'fuzzy', 0.97)",
    )
    _exec(
        engine,
        "INSERT INTO audible_sync_logs (account, status, items_fetched) VALUES ('reader', 'success', 2)",
    )

    stats = _one(engine, "SELECT * FROM audible_sync_stats WHERE account = 'reader'")
    assert (stats.total_mappings, stats.mapped, stats.unmapped, stats.currently_reading) == (1, 1, 1, 1)
    assert stats.last_sync_status == "success"

    reading = _one(engine, "SELECT * FROM audible_currently_reading")
    assert (reading.book_id, reading.title, float(reading.progress_percent)) == (1, "Reading", 40.0)

    with engine.connect() as conn:
        activity = conn.execute(sa.text("SELECT * FROM audible_sync_activity ORDER BY day")).all()
    assert len(activity) == 30
    assert activity[-1].syncs == 1 and activity[-1].successful == 1 and activity[0].syncs == 0

    unmapped = _one(engine, "SELECT * FROM audible_unmapped_books")
    assert (unmapped.asin, unmapped.title, unmapped.open_conflict_id, unmapped.ignored) == (
        "B000000002",
        "Unmapped",
        None,
        False,
    )


def test_only_one_open_conflict_per_asin(engine):
    _account(engine)
    _exec(
        engine,
        "INSERT INTO audible_conflicts (account, asin, audible_item, reason) "
        "VALUES ('reader', 'B000000001', '{}', 'ambiguous')",
    )
    with pytest.raises(sa.exc.IntegrityError):
        _exec(
            engine,
            "INSERT INTO audible_conflicts (account, asin, audible_item, reason) "
            "VALUES ('reader', 'B000000001', '{}', 'again')",
        )


def test_sync_stats_reads_the_same_counts_as_the_first_definition(engine):
    """014 rewrote audible_sync_stats to read the mappings once; every column must stay as 003 had it."""
    from resources.migrations import migration_files

    body = dict(migration_files())["003_audible_views.sql"]
    first = body[
        body.index("CREATE OR REPLACE VIEW audible_sync_stats") : body.index(
            ";", body.index("FROM audible_config c")
        )
    ]
    _exec(engine, first.replace("CREATE OR REPLACE VIEW audible_sync_stats", "CREATE VIEW sync_stats_003"))
    for name in ("reader", "partner", "nobody"):
        _account(engine, name)
    _exec(
        engine,
        "INSERT INTO books (id, title, author, status) VALUES (1, 'A', 'X', 'reading'), "
        "(2, 'B', 'X', 'reading'), (3, 'C', 'Y', 'finished'), (4, 'D', 'Y', 'to_read'), (5, 'E', 'Z', 'finished')",
    )
    _exec(
        engine,
        "INSERT INTO audible_library_items (account, asin, title) VALUES ('reader', 'A1', 'A'), "
        "('reader', 'A2', 'B'), ('reader', 'A3', 'C'), ('reader', 'A4', 'not mapped'), "
        "('reader', 'A5', 'not mapped either'), ('partner', 'A1', 'A'), ('partner', 'P9', 'not mapped')",
    )
    # One ASIN on two books, two ASINs on one book, a disabled mapping, a finished book, a mapping
    # whose title left the library, and another account's mappings.
    _exec(
        engine,
        "INSERT INTO audible_book_mappings (account, asin, book_id, match_method, sync_enabled) VALUES "
        "('reader', 'A1', 1, 'isbn', true), ('reader', 'A1', 2, 'manual', true), "
        "('reader', 'A2', 2, 'fuzzy', true), ('reader', 'A3', 3, 'fuzzy', true), "
        "('reader', 'A9', 5, 'fuzzy', false), ('partner', 'A1', 1, 'isbn', true), "
        "('partner', 'A2', 5, 'fuzzy', true)",
    )
    _exec(
        engine,
        "INSERT INTO audible_conflicts (account, asin, audible_item, candidates, reason) "
        "VALUES ('reader', 'A4', '{}', '[]', 'close call')",
    )
    _exec(
        engine,
        "INSERT INTO audible_sync_logs (account, status) VALUES ('reader', 'success'), ('reader', 'failed')",
    )
    with engine.connect() as conn:
        now = conn.execute(sa.text("SELECT * FROM audible_sync_stats ORDER BY account")).all()
        before = conn.execute(sa.text("SELECT * FROM sync_stats_003 ORDER BY account")).all()
    assert now == before
    reader = {row.account: row for row in now}["reader"]
    assert (reader.total_mappings, reader.mapped, reader.unmapped) == (5, 4, 2)
    assert (reader.currently_reading, reader.finished, reader.open_conflicts) == (2, 1, 1)
