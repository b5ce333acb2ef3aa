"""Listening analytics shaped from plain rows with pandas (no Dagster, no database).

Inputs are the rows of ``resources.queries.analytics``; outputs are DataFrames that
``assets.listening_charts`` turns into charts and tables. Times are grouped in UTC.

Hours listened come from progress deltas: a title's runtime × the change of its
percent complete between two syncs. The first record of a title has nothing
before it, so its whole percent counts as listened "before tracking" in the week
it was first seen; everything after that is "tracked". A finished title counts as
100 % (exports may report 0 % for finished titles), and progress that goes back
(a restart) counts as no listening, not negative listening.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

Rows = Iterable[Mapping[str, Any]]


def _frame(rows: Rows, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=columns)
    if "recorded_at" in frame:
        frame["recorded_at"] = pd.to_datetime(frame["recorded_at"], utc=True)
    return frame


def _effective_percent(frame: pd.DataFrame) -> pd.Series:
    percent = pd.to_numeric(frame["percent_complete"], errors="coerce").fillna(0.0).astype(float)
    return percent.where(~frame["is_finished"].fillna(False).astype(bool), 100.0)


def _week_start(times: pd.Series) -> pd.Series:
    naive = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return naive.dt.to_period("W-SUN").dt.start_time


def progress_over_time(rows: Rows) -> pd.DataFrame:
    """One row per recorded progress point: book_id, title, recorded_at, percent."""
    frame = _frame(rows, ["book_id", "title", "recorded_at", "percent_complete", "is_finished"])
    if frame.empty:
        return pd.DataFrame(columns=["book_id", "title", "recorded_at", "percent"])
    frame["percent"] = _effective_percent(frame)
    frame = frame.sort_values(["book_id", "recorded_at"], kind="stable")
    return frame[["book_id", "title", "recorded_at", "percent"]].reset_index(drop=True)


def latest_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Each book's last recorded point and how many points it has, furthest along first."""
    if progress.empty:
        return pd.DataFrame(columns=["book_id", "title", "percent", "points", "since"])
    grouped = progress.groupby(["book_id", "title"], sort=False)
    table = grouped.agg(
        percent=("percent", "last"), points=("percent", "size"), since=("recorded_at", "min")
    ).reset_index()
    table["since"] = table["since"].dt.strftime("%Y-%m-%d")
    return table.sort_values(["percent", "title"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def finished_per_month(rows: Rows) -> pd.DataFrame:
    """month (YYYY-MM), books, titles — every month from the first finish to the last, zeros included."""
    frame = _frame(rows, ["book_id", "title", "finished_at"])
    if frame.empty:
        return pd.DataFrame(columns=["month", "books", "titles"])
    frame["finished_at"] = pd.to_datetime(frame["finished_at"], utc=True)
    frame["month"] = frame["finished_at"].dt.tz_convert("UTC").dt.tz_localize(None).dt.to_period("M")
    per_month = (
        frame.sort_values("finished_at")
        .groupby("month")
        .agg(books=("book_id", "nunique"), titles=("title", lambda t: ", ".join(t)))
    )
    months = pd.period_range(per_month.index.min(), per_month.index.max(), freq="M")
    per_month = per_month.reindex(months)
    per_month["books"] = per_month["books"].fillna(0).astype(int)
    per_month["titles"] = per_month["titles"].fillna("")
    per_month.index = per_month.index.astype(str)
    return per_month.rename_axis("month").reset_index()


def hours_per_week(rows: Rows) -> pd.DataFrame:
    """week (Monday, UTC), hours_tracked, hours_before_tracking, titles — gap-free weeks.

    Rows: asin, recorded_at, percent_complete, is_finished, runtime_length_min.
    Titles without a known runtime are left out (see ``titles_without_runtime``).
    """
    columns = ["week", "hours_tracked", "hours_before_tracking", "titles"]
    frame = _frame(rows, ["asin", "recorded_at", "percent_complete", "is_finished", "runtime_length_min"])
    frame["runtime_length_min"] = pd.to_numeric(frame["runtime_length_min"], errors="coerce")
    frame = frame[frame["runtime_length_min"].notna() & (frame["runtime_length_min"] > 0)]
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame = frame.sort_values(["asin", "recorded_at"], kind="stable").copy()
    frame["percent"] = _effective_percent(frame)
    previous = frame.groupby("asin")["percent"].shift()
    first_sight = previous.isna()
    delta = (frame["percent"] - previous.fillna(0.0)).clip(lower=0.0)
    hours = delta / 100.0 * frame["runtime_length_min"] / 60.0
    frame["hours_tracked"] = hours.where(~first_sight, 0.0)
    frame["hours_before_tracking"] = hours.where(first_sight, 0.0)
    frame["listened"] = frame["asin"].where(hours > 0)
    frame["week"] = _week_start(frame["recorded_at"])
    weekly = frame.groupby("week").agg(
        hours_tracked=("hours_tracked", "sum"),
        hours_before_tracking=("hours_before_tracking", "sum"),
        titles=("listened", "nunique"),
    )
    weeks = pd.date_range(weekly.index.min(), weekly.index.max(), freq="7D")
    weekly = weekly.reindex(weeks, fill_value=0)
    weekly["hours_tracked"] = weekly["hours_tracked"].astype(float).round(2)
    weekly["hours_before_tracking"] = weekly["hours_before_tracking"].astype(float).round(2)
    weekly["titles"] = weekly["titles"].astype(int)
    weekly.index = weekly.index.strftime("%Y-%m-%d")
    return weekly.rename_axis("week").reset_index()[columns]


def titles_without_runtime(rows: Rows) -> int:
    frame = _frame(rows, ["asin", "runtime_length_min"])
    runtime = pd.to_numeric(frame["runtime_length_min"], errors="coerce")
    return int(frame.loc[runtime.isna() | (runtime <= 0), "asin"].nunique())
