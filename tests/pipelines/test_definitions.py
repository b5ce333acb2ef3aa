"""The code location's inventory, and the schedule's decision."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import sqlalchemy as sa

from pipelines.definitions import defs
from resources import build_resources
from resources.queries import accounts as accounts_sql
from tests.support.sync import run_sync, sync_definitions

EXPECTED_ASSETS = {
    "audible_library",
    "audible_book_matches",
    "audible_book_mappings",
    "tracker_book_progress",
    "audible_progress_history",
    "audible_sync_stats",
    "audible_currently_reading",
    "audible_sync_activity",
    "audible_unmapped_books",
    "audible_progress_over_time",
    "audible_books_finished_per_month",
    "audible_hours_listened_per_week",
    "audible_sync_activity_chart",
}


EXPECTED_CHECKS = {
    ("audible_book_mappings", "unresolved_conflicts"),
    ("audible_sync_stats", "audible_sync_status"),
}
EXPECTED_JOBS = {
    "audible_sync",
    "audible_charts",
    "audible_maintenance",
    "resolve_audible_conflict",
    "link_audible_book",
    "unlink_audible_book",
    "set_audible_mapping_sync",
    "update_audible_settings",
    "update_tracker_profile",
    "resolve_audible_conflicts",
    "add_audible_books_to_tracker",
}
# name -> (cron, job)
EXPECTED_SCHEDULES = {
    "audible_sync_hourly": ("0 * * * *", "audible_sync"),
    "audible_maintenance_daily": ("30 3 * * *", "audible_maintenance"),
}
EXPECTED_SENSORS = {"audible_conflicts_sensor", "audible_listening_charts_automation"}
EXPECTED_RESOURCES = {"postgres", "sync_log", "library_source", "audible"}


def test_definitions_inventory():
    """Exactly these: a rename, a removal or an addition must show up here."""
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    assert {key.to_user_string() for key in graph.get_all_asset_keys()} == EXPECTED_ASSETS
    assert {(key.asset_key.to_user_string(), key.name) for key in graph.asset_check_keys} == EXPECTED_CHECKS
    # Dagster's own implicit asset job (__ASSET_JOB) is not one of ours.
    assert {job.name for job in repo.get_all_jobs() if not job.name.startswith("__")} == EXPECTED_JOBS
    assert {s.name: (s.cron_schedule, s.job_name) for s in repo.schedule_defs} == EXPECTED_SCHEDULES
    assert all(s.default_status == dg.DefaultScheduleStatus.RUNNING for s in repo.schedule_defs)
    assert {s.name for s in repo.sensor_defs} == EXPECTED_SENSORS
    assert set(defs.resources) == EXPECTED_RESOURCES


def test_the_history_charts_are_drawn_outside_the_sync_run():
    history_charts = {
        "audible_progress_over_time",
        "audible_books_finished_per_month",
        "audible_hours_listened_per_week",
    }

    def keys(job_name):
        job = defs.resolve_job_def(job_name)
        return {key.to_user_string() for key in job.asset_layer.executable_asset_keys}

    assert not keys("audible_sync") & history_charts
    assert "audible_sync_activity_chart" in keys("audible_sync")
    assert keys("audible_charts") == history_charts
    (sensor,) = [
        s for s in defs.get_repository_def().sensor_defs if s.name == "audible_listening_charts_automation"
    ]
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def test_lineage_reads_in_order():
    graph = defs.get_repository_def().asset_graph
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    assert parents["audible_book_matches"] == {"audible_library"}
    assert "audible_book_matches" in parents["audible_book_mappings"]
    assert parents["tracker_book_progress"] == {"audible_book_mappings"}
    assert parents["audible_progress_history"] == {"tracker_book_progress"}
    assert "tracker_book_progress" in parents["audible_sync_stats"]
    # The listening charts are drawn from the history, and skipped with it.
    assert "audible_progress_history" in parents["audible_hours_listened_per_week"]


def test_sync_job_runs_in_process():
    job = defs.resolve_job_def("audible_sync")
    assert job.executor_def.name == "in_process"


def _evaluate_schedule(database_url):
    schedule = sync_definitions(database_url).resolve_schedule_def("audible_sync_hourly")
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc),
    ) as context:
        return schedule.evaluate_tick(context)


def test_schedule_skips_with_the_rate_limit_reason(database_url, engine):
    assert run_sync(database_url).success
    tick = _evaluate_schedule(database_url)
    assert tick.run_requests == []
    assert "minimum interval of 15 minutes" in tick.skip_message


def test_schedule_requests_a_run_when_sync_is_allowed(database_url, engine):
    assert run_sync(database_url).success
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET last_sync_at = now() - interval '1 hour'"))
    tick = _evaluate_schedule(database_url)
    assert len(tick.run_requests) == 1
    request = tick.run_requests[0]
    assert request.run_config["ops"]["audible_library"]["config"]["account"] == "demo"


def test_schedule_skips_a_disabled_account(database_url, engine):
    assert run_sync(database_url).success
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE audible_config SET enabled = false, last_sync_at = now() - interval '1 day'")
        )
    tick = _evaluate_schedule(database_url)
    assert tick.run_requests == []
    assert "disabled" in tick.skip_message


def test_schedule_requests_one_run_per_enabled_account(database_url, engine):
    with engine.begin() as conn:
        for account in ("alice", "bob", "carol"):
            accounts_sql.ensure_account(conn, account, "file")
        conn.execute(sa.text("UPDATE audible_config SET enabled = false WHERE account = 'carol'"))
    tick = _evaluate_schedule(database_url)
    requests = {r.tags["audible/account"]: r for r in tick.run_requests}
    assert sorted(requests) == ["alice", "bob"]
    for account, request in requests.items():
        assert request.run_config["ops"]["audible_library"]["config"]["account"] == account
        assert request.run_key == f"{account}:2026-11-25T14:00"
