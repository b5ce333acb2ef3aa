"""The listening analytics assets on the demo data, against real PostgreSQL."""

from __future__ import annotations

import json

import dagster as dg

from resources.library_source import demo_library_payload
from tests.support.sync import allow_next_sync, run_sync

ANALYTICS = (
    "audible_progress_over_time",
    "audible_books_finished_per_month",
    "audible_hours_listened_per_week",
    "audible_sync_activity_chart",
)


def _metadata(result, asset):
    (materialization,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == asset
    ]
    return {key: getattr(value, "value", value) for key, value in materialization.metadata.items()}


def test_demo_sync_publishes_charts_and_tables(database_url):
    result = run_sync(database_url)
    assert result.success
    meta = {node: _metadata(result, node) for node in ANALYTICS}
    for node, values in meta.items():
        assert values["account"] == "demo", node
        assert values["chart"].startswith("![") and "data:image/png;base64," in values["chart"], node

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

    activity = meta["audible_sync_activity_chart"]
    assert activity["syncs_30_days"] == 1 and activity["days_with_syncs"] == 1


def test_second_sync_counts_tracked_hours_and_draws_progress_lines(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    library = demo_library_payload()
    kings = next(item for item in library if item["asin"] == "B003ZWFO7E")  # 2740 min, 42.37 %
    kings["percent_complete"] = 52.37
    export = tmp_path / "library.json"
    export.write_text(json.dumps(library))
    allow_next_sync(engine, "demo")

    result = run_sync(database_url, account="demo", library_source="file", library_file=str(export))
    assert result.success
    hours = _metadata(result, "audible_hours_listened_per_week")
    assert hours["hours_tracked"] == round(0.10 * 2740 / 60, 2)
    progress = _metadata(result, "audible_progress_over_time")
    assert progress["progress_points"] == 15
    assert progress["chart"].startswith("![progress of demo](")  # lines now, not the first sync's bars
    activity = _metadata(result, "audible_sync_activity_chart")
    assert activity["syncs_30_days"] == 2


def test_sync_that_changed_nothing_skips_the_history_charts_but_not_stats(database_url, engine):
    instance = dg.DagsterInstance.ephemeral()  # one instance: it remembers the last drawings
    assert run_sync(database_url, instance=instance).success
    allow_next_sync(engine, "demo")

    result = run_sync(database_url, account="demo", instance=instance)
    assert result.success
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    # No history row appended: the history is not materialized and its three charts are skipped;
    # the activity chart drawn minutes ago is kept too (the activity table is current).
    assert "audible_progress_history" not in materialized
    assert not materialized & set(ANALYTICS)
    skipped = {e.step_key for e in result.all_events if e.event_type_value == "STEP_SKIPPED"}
    assert skipped == {"audible_listening_charts"}
    # ...while what changes with every sync is still published.
    for key in (
        "audible_book_mappings",
        "tracker_book_progress",
        "audible_sync_stats",
        "audible_sync_activity",
    ):
        assert key in materialized, key
    (status,) = [c for c in result.get_asset_check_evaluations() if c.check_name == "audible_sync_status"]
    assert status.metadata["account"].value == "demo"


def test_a_sync_that_changed_something_redraws_the_activity_chart(database_url, engine, tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    assert run_sync(database_url, instance=instance).success
    library = demo_library_payload()
    next(item for item in library if item["asin"] == "B003ZWFO7E")["percent_complete"] = 52.37
    export = tmp_path / "library.json"
    export.write_text(json.dumps(library))
    allow_next_sync(engine, "demo")

    result = run_sync(
        database_url, account="demo", library_source="file", library_file=str(export), instance=instance
    )
    assert result.success
    assert _metadata(result, "audible_sync_activity_chart")["syncs_30_days"] == 2
