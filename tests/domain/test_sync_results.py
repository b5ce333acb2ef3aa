"""When the sync activity chart is drawn again: pure decision, no Dagster or database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from domain.sync_results import ACTIVITY_CHART_MAX_AGE, activity_chart_due

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=timezone.utc)


def _due(**overrides) -> bool:
    arguments = {
        "sync_changed": False,
        "account": "demo",
        "now": NOW,
        "last_drawn_at": NOW - timedelta(hours=1),
        "last_drawn_for": "demo",
    }
    arguments.update(overrides)
    return activity_chart_due(**arguments)


def test_a_recent_drawing_of_the_same_account_is_kept_when_nothing_changed():
    assert not _due()


@pytest.mark.parametrize(
    "overrides",
    [
        {"sync_changed": True},
        {"last_drawn_at": None, "last_drawn_for": None},
        {"last_drawn_for": "alice"},  # the asset last showed another account
        {"last_drawn_at": NOW - ACTIVITY_CHART_MAX_AGE - timedelta(seconds=1)},
        # Drawn 20 minutes ago, but yesterday (UTC): today's bar is missing from it.
        {
            "now": datetime(2026, 11, 30, 0, 10, tzinfo=timezone.utc),
            "last_drawn_at": NOW.replace(hour=23, minute=50),
        },
    ],
)
def test_the_chart_is_drawn_again(overrides):
    assert _due(**overrides)


def test_the_day_is_the_utc_day_whatever_zone_the_times_carry():
    berlin = timezone(timedelta(hours=1))
    # 00:30 in Berlin on the 30th is 23:30 UTC on the 29th, the same UTC day as NOW.
    assert not _due(now=datetime(2026, 11, 30, 0, 30, tzinfo=berlin), last_drawn_at=NOW + timedelta(hours=8))


def test_a_library_snapshot_comes_back_from_pickle_as_it_was():
    import pickle

    from domain.library_items import LibraryItem
    from domain.sync_results import LibrarySnapshot

    items = (
        LibraryItem(
            asin="B000000001", title="One", authors="A", percent_complete=12.5, extra={"genres": "x"}
        ),
        LibraryItem(asin="B000000002", title="Two", is_finished=True, runtime_length_min=61, isbn="978"),
    )
    snapshot = LibrarySnapshot(
        account="reader", sync_log_id=7, source="file", items=items, rejected=("#3: bad",), api_calls=2
    )
    back = pickle.loads(pickle.dumps(snapshot))
    assert back == snapshot and type(back.items) is tuple
    assert [item.extra for item in back.items] == [{"genres": "x"}, {}]
    assert [vars(item) for item in back.items] == [vars(item) for item in items]
