"""The listening analytics assets on the demo data, against real PostgreSQL."""

from __future__ import annotations

import json

import dagster as dg

from resources import build_resources
from resources.library_source import demo_library_payload
from tests.support.sync import allow_next_sync, run_charts, run_sync, sync_definitions

HISTORY_CHARTS = (
    "audible_progress_over_time",
    "audible_books_finished_per_month",
    "audible_hours_listened_per_week",
)


def _materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _metadata(result, asset):
    (materialization,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == asset
    ]
    return {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}


def _charts_requested(database_url, instance, cursor=None):
    """Whether the charts sensor launches the audible_charts job now (and the cursor to go on with)."""
    from pipelines.sensors import audible_listening_charts_automation as sensor

    assert sensor.job_name == "audible_charts"
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=build_resources(database_url=database_url)
    )
    result = sensor.evaluate_tick(context)
    requested = set(HISTORY_CHARTS) if result.run_requests else set()
    return requested, result.cursor


def _write(tmp_path, library) -> str:
    export = tmp_path / "library.json"
    export.write_text(json.dumps(library))
    return str(export)


def test_demo_sync_and_charts_publish_charts_and_tables(database_url):
    sync = run_sync(database_url)
    assert sync.success
    # The sync run draws the activity chart with the stats, not the history charts.
    assert not _materialized(sync) & set(HISTORY_CHARTS)
    activity = _metadata(sync, "audible_sync_activity_chart")
    assert activity["syncs_30_days"] == 1 and activity["days_with_syncs"] == 1

    charts = run_charts(database_url)
    assert charts.success
    meta = {asset: _metadata(charts, asset) for asset in HISTORY_CHARTS}
    for asset, values in {**meta, "audible_sync_activity_chart": activity}.items():
        assert values["account"] == "demo", asset
        if asset == "audible_hours_listened_per_week":
            # One sync: everything so far was listened before tracking, which no week is drawn with.
            assert values["chart"].startswith("_No listening tracked yet"), values["chart"]
            continue
        assert values["chart"].startswith("![") and "data:image/png;base64," in values["chart"], asset

    progress = meta["audible_progress_over_time"]
    # Every demo title in progress that is mapped to a tracker book (The Hobbit is a conflict).
    assert progress["books_in_progress"] == 14 and progress["progress_points"] == 14
    assert "The Way of Kings" in progress["books"] and "42.37" in progress["books"]
    assert progress["chart"].startswith("![progress of demo (one sync so far)]")  # bars until a 2nd point

    finished = meta["audible_books_finished_per_month"]
    assert finished["books_finished"] == 7 and finished["months"] == 1
    assert "Project Hail Mary" in finished["per_month"]

    hours = meta["audible_hours_listened_per_week"]
    # First sight only: everything listened so far predates tracking.
    assert hours["hours_tracked"] == 0 and hours["hours_before_tracking"] > 100
    assert hours["weeks"] == 1 and hours["titles_without_runtime"] == 0


def test_second_sync_counts_tracked_hours_and_draws_progress_lines(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    library = demo_library_payload()
    kings = next(item for item in library if item["asin"] == "B003ZWFO7E")  # 2740 min, 42.37 %
    kings["percent_complete"] = 52.37
    allow_next_sync(engine, "demo")

    sync = run_sync(
        database_url, account="demo", library_source="file", library_file=_write(tmp_path, library)
    )
    assert sync.success
    assert _metadata(sync, "audible_sync_activity_chart")["syncs_30_days"] == 2
    charts = run_charts(database_url, account="demo")
    hours = _metadata(charts, "audible_hours_listened_per_week")
    assert hours["hours_tracked"] == round(0.10 * 2740 / 60, 2)
    assert (
        hours["chart"].startswith("![hours listened per week; ") and "before tracking began" in hours["chart"]
    )
    progress = _metadata(charts, "audible_progress_over_time")
    assert progress["progress_points"] == 15
    assert progress["chart"].startswith("![progress of demo](")  # lines now, not the first sync's bars


def test_charts_are_requested_after_a_sync_that_appended_history_and_only_then(
    database_url, engine, tmp_path
):
    instance = dg.DagsterInstance.ephemeral()
    # Before any sync there is nothing to draw.
    requested, cursor = _charts_requested(database_url, instance)
    assert requested == set()
    assert run_sync(database_url, instance=instance).success
    requested, cursor = _charts_requested(database_url, instance, cursor)
    assert requested == set(HISTORY_CHARTS)  # the history was materialized since
    assert run_charts(database_url, instance=instance).success
    requested, cursor = _charts_requested(database_url, instance, cursor)
    assert requested == set()

    # A sync that changed nothing: no history materialization, no charts requested, and the
    # recent activity chart is kept (the activity table beside it is current).
    allow_next_sync(engine, "demo")
    unchanged = run_sync(database_url, account="demo", instance=instance)
    assert unchanged.success
    assert "audible_progress_history" not in _materialized(unchanged)
    assert "audible_sync_activity_chart" not in _materialized(unchanged)
    for key in (
        "audible_book_mappings",
        "tracker_book_progress",
        "audible_sync_stats",
        "audible_sync_activity",
    ):
        assert key in _materialized(unchanged), key
    (status,) = [c for c in unchanged.get_asset_check_evaluations() if c.check_name == "audible_sync_status"]
    assert status.metadata["account"].value == "demo"
    requested, cursor = _charts_requested(database_url, instance, cursor)
    assert requested == set()

    # A sync that moved progress: history appended, the activity chart redrawn, charts requested.
    library = demo_library_payload()
    next(item for item in library if item["asin"] == "B003ZWFO7E")["percent_complete"] = 52.37
    allow_next_sync(engine, "demo")
    moved = run_sync(
        database_url,
        account="demo",
        library_source="file",
        library_file=_write(tmp_path, library),
        instance=instance,
    )
    assert moved.success
    assert {"audible_progress_history", "audible_sync_activity_chart"} <= _materialized(moved)
    requested, _ = _charts_requested(database_url, instance, cursor)
    assert requested == set(HISTORY_CHARTS)


def test_charts_without_any_history_fail_with_advice(empty_database_url):
    defs = sync_definitions(empty_database_url)
    result = defs.resolve_job_def("audible_charts").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "run the audible_sync job first" in failure.step_failure_data.error.message


def test_history_written_before_the_sensor_first_runs_is_drawn(database_url):
    # A sync run with another (temporary) Dagster instance, before `dagster dev` started.
    assert run_sync(database_url, instance=dg.DagsterInstance.ephemeral()).success
    requested, cursor = _charts_requested(database_url, dg.DagsterInstance.ephemeral())
    assert requested == set(HISTORY_CHARTS)
    requested, _ = _charts_requested(database_url, dg.DagsterInstance.ephemeral(), cursor)
    assert requested == set()
