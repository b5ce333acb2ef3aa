"""What the stats step shows: the sync activity view's rows shaped for its chart."""

from datetime import date

from domain.sync_reports import sync_activity_days


def test_sync_activity_keeps_every_day_as_integers_oldest_first():
    rows = [
        {"day": date(2026, 11, 24), "syncs": 2, "successful": 1, "failed": 0, "skipped": 1,
         "items_fetched": 30, "progress_updates": 3},
        {"day": "2026-11-23", "syncs": 0, "successful": 0, "failed": None, "skipped": 0,
         "items_fetched": 0, "progress_updates": 0},
    ]  # fmt: skip
    activity = sync_activity_days(rows)
    assert activity["day"] == ["2026-11-23", "2026-11-24"]
    assert activity["syncs"] == [0, 2]
    assert activity["failed"] == [0, 0]
    assert all(type(value) is int for value in activity["items_fetched"])


def test_no_activity_is_empty_columns():
    assert sync_activity_days([]) == {
        "day": [],
        "syncs": [],
        "successful": [],
        "failed": [],
        "skipped": [],
        "items_fetched": [],
        "progress_updates": [],
    }
