"""Shaping of the listening analytics and their charts, on plain rows (no database)."""

from __future__ import annotations

import base64
from datetime import datetime, timezone

import pandas as pd

from domain import charts
from domain import listening_analytics as la


def _at(day: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=timezone.utc)


def _point(asin, day, percent, finished=False, runtime=600, month=11):
    return {
        "asin": asin,
        "recorded_at": _at(day, month),
        "percent_complete": percent,
        "is_finished": finished,
        "runtime_length_min": runtime,
    }


def test_hours_per_week_from_runtime_times_progress_deltas():
    rows = [
        _point("A", 2, 10),  # Monday: first sight, 10 % of 10 h listened before tracking
        _point("A", 10, 40),  # next week: +30 % of 10 h = 3 h
        _point("A", 11, 5),  # restarted: no listening, not negative listening
        _point("A", 12, 0, finished=True),  # finished (exports may say 0 %): 95 % of 10 h
        _point("B", 12, 50, runtime=120),  # first sight in the same week: 1 h before tracking
    ]
    weekly = la.hours_per_week(rows)
    assert list(weekly["week"]) == ["2026-11-02", "2026-11-09"]
    assert list(weekly["hours_before_tracking"]) == [1.0, 1.0]
    assert list(weekly["hours_tracked"]) == [0.0, 12.5]
    assert list(weekly["titles"]) == [1, 2]


def test_hours_per_week_has_no_gaps_and_skips_titles_without_runtime():
    rows = [_point("A", 2, 10), _point("A", 23, 20), _point("C", 5, 50, runtime=None)]
    weekly = la.hours_per_week(rows)
    assert list(weekly["week"]) == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert list(weekly["hours_tracked"]) == [0.0, 0.0, 0.0, 1.0]
    assert la.titles_without_runtime(rows) == 1
    assert la.hours_per_week([]).empty


def test_finished_per_month_counts_books_and_fills_empty_months():
    rows = [
        {"book_id": 1, "title": "Dune", "finished_at": _at(3, 9)},
        {"book_id": 2, "title": "Circe", "finished_at": _at(20, 11)},
        {"book_id": 3, "title": "Piranesi", "finished_at": _at(21, 11)},
    ]
    monthly = la.finished_per_month(rows)
    assert monthly.to_dict("records") == [
        {"month": "2026-09", "books": 1, "titles": "Dune"},
        {"month": "2026-10", "books": 0, "titles": ""},
        {"month": "2026-11", "books": 2, "titles": "Circe, Piranesi"},
    ]
    assert la.finished_per_month([]).empty


def test_progress_over_time_and_latest_point_per_book():
    rows = [
        {"book_id": 2, "title": "Kings", "recorded_at": _at(2), "percent_complete": 10, "is_finished": False},
        {"book_id": 2, "title": "Kings", "recorded_at": _at(9), "percent_complete": 30, "is_finished": False},
        {"book_id": 7, "title": "Messiah", "recorded_at": _at(9), "percent_complete": 0, "is_finished": True},
    ]
    progress = la.progress_over_time(rows)
    assert list(progress["percent"]) == [10.0, 30.0, 100.0]
    latest = la.latest_progress(progress)
    assert latest[["book_id", "percent", "points", "since"]].to_dict("records") == [
        {"book_id": 7, "percent": 100.0, "points": 1, "since": "2026-11-09"},
        {"book_id": 2, "percent": 30.0, "points": 2, "since": "2026-11-02"},
    ]


def _png(markdown: str) -> bytes:
    assert markdown.startswith("![") and "](data:image/png;base64," in markdown
    return base64.b64decode(markdown.split("base64,", 1)[1].rstrip(")"))


def test_charts_are_markdown_images_with_png_data():
    points = la.progress_over_time(
        [
            {"book_id": 1, "title": "A", "recorded_at": _at(d), "percent_complete": p, "is_finished": False}
            for d, p in ((2, 5), (9, 25), (16, 60))
        ]
    )
    for markdown in (
        charts.progress_chart(points),
        charts.progress_chart(points.head(1)),  # first sync: one bar per book
        charts.stacked_bar_chart(["w1", "w2"], {"a": [1, 2], "b": [0.5, 0]}, "hours", "hours"),
    ):
        assert _png(markdown).startswith(b"\x89PNG\r\n\x1a\n")
    assert charts.progress_chart(
        pd.DataFrame(columns=["book_id", "title", "recorded_at", "percent"])
    ).startswith("_")
    assert charts.stacked_bar_chart([], {}, "hours", "hours listened").startswith("_No data")
