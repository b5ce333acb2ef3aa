"""The rate-limit cases the SQL and job tests elsewhere leave out: time zones, and the daily cap per trigger.

(Interval, cap arithmetic and reset in UTC: tests/sql/test_functions_and_views.py; manual fail-fast
and force within the interval: tests/assets/test_sync_rate_limit.py.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dagster as dg
import sqlalchemy as sa

from resources import build_resources
from tests.support.sync import run_sync, sync_definitions

# Fixed offsets 26 hours apart: at every instant their local dates differ, so the test
# does not depend on the time of day it runs at.
EAST, WEST = "Etc/GMT-14", "Etc/GMT+12"  # UTC+14 and UTC-12 (POSIX signs are inverted)


def _exec(engine, sql, **params):
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), params)


def _can_sync(engine, account):
    return _exec(engine, "SELECT * FROM audible_can_sync(:a)", a=account).one()


def test_daily_counter_resets_at_midnight_in_each_accounts_time_zone(engine):
    _exec(
        engine,
        "INSERT INTO audible_config (account, timezone) VALUES ('east', :e), ('west', :w)",
        e=EAST,
        w=WEST,
    )
    west_today = datetime.now(ZoneInfo(WEST)).date()
    # Both used up their 600 syncs on the date that is "today" in the west.
    _exec(
        engine,
        "UPDATE audible_config SET syncs_today = 600, daily_reset_date = :d, last_sync_at = now() - interval '1 hour'",
        d=west_today,
    )

    west = _can_sync(engine, "west")
    assert west.can_sync is False and f"midnight {WEST}" in west.reason
    next_west_midnight = datetime.combine(west_today + timedelta(days=1), datetime.min.time(), ZoneInfo(WEST))
    assert west.next_allowed_sync == next_west_midnight
    # In the east that date is already over: the counter counts as zero there.
    east = _can_sync(engine, "east")
    assert east.can_sync is True and east.syncs_remaining_today == 600

    assert _exec(engine, "SELECT reset_audible_daily_sync_counter()").scalar() == 1
    rows = dict(_exec(engine, "SELECT account, syncs_today FROM audible_config").all())
    assert rows == {"east": 0, "west": 600}
    # A sync recorded now starts the east's new day at one and keeps the west's count.
    _exec(engine, "SELECT record_audible_sync('east'), record_audible_sync('west')")
    rows = dict(_exec(engine, "SELECT account, syncs_today FROM audible_config").all())
    east_today = datetime.now(ZoneInfo(EAST)).date()
    assert rows == {"east": 1, "west": 601}
    assert (
        _exec(engine, "SELECT daily_reset_date FROM audible_config WHERE account = 'east'").scalar()
        == east_today
    )


def _cap_reached(engine):
    _exec(
        engine,
        "UPDATE audible_config SET syncs_today = daily_limit, daily_reset_date = (now() AT TIME ZONE timezone)::date, "
        "last_sync_at = now() - interval '1 hour'",
    )


def test_daily_cap_schedule_skips_manual_fails_fast_forced_is_counted_and_logged(database_url, engine):
    assert run_sync(database_url).success
    _cap_reached(engine)

    schedule = sync_definitions(database_url).resolve_schedule_def("audible_sync_hourly")
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc),
    ) as context:
        tick = schedule.evaluate_tick(context)
    assert tick.run_requests == [] and "daily limit of 600 syncs reached" in tick.skip_message

    refused = run_sync(database_url, raise_on_error=False)
    assert not refused.success
    assert [e.step_key for e in refused.all_events if e.event_type_value == "STEP_START"] == [
        "audible_library"
    ]

    assert run_sync(database_url, force=True).success
    with engine.connect() as conn:
        logs = conn.execute(sa.text("SELECT status, forced, error FROM audible_sync_logs ORDER BY id")).all()
        used = conn.execute(sa.text("SELECT syncs_today FROM audible_config")).scalar()
    assert [(log.status, log.forced) for log in logs] == [
        ("success", False),
        ("skipped", False),
        ("success", True),
    ]
    assert "daily limit" in logs[1].error
    assert used == 601, "a forced sync past the cap still counts"
