"""Stage 6b: listening analytics for people, as charts and tables in asset metadata.

The three charts drawn from the progress history are not part of the sync run:
they are drawn by the ``audible_charts`` job, in a run of its own, which the
sensor ``audible_listening_charts_automation`` launches whenever a sync appended
history.
Drawing them took as long as the rest of a sync that moved progress (importing
pandas and matplotlib in a fresh run process, then the renders), and a chart
that fails to draw must not fail the sync that wrote the data.

SQL in ``resources.queries.analytics``, shaping in ``domain.listening_analytics``
(pandas), drawing in ``domain.charts`` (matplotlib). Both are imported inside the
assets: every `dagster` command, schedule tick and sensor loads this module, and
pandas alone would add a third of a second to each.
"""

import dagster as dg

from domain.reports import markdown_table
from resources.postgres_resource import PostgresResource
from resources.queries import analytics as q

# Drawn from the progress history, and only when it changed: the sensor launches them
# once rows were appended to it since their last drawing.
_DEPS = ["audible_progress_history"]
_KINDS = {"postgres", "pandas"}


def _read(postgres: PostgresResource, query, account: str) -> list[dict]:
    with postgres.get_engine().connect() as conn:
        return query(conn, account)


def _audible_progress_over_time(postgres: PostgresResource, account: str) -> dict:
    """Percent complete over time of the books the tracker has as 'reading', one line per book."""
    from domain import charts
    from domain import listening_analytics as la

    progress = la.progress_over_time(_read(postgres, q.progress_of_books_in_progress, account))
    latest = la.latest_progress(progress)
    return {
        "account": account,
        "books_in_progress": dg.MetadataValue.int(len(latest)),
        "progress_points": dg.MetadataValue.int(len(progress)),
        "chart": dg.MetadataValue.md(charts.progress_chart(progress, f"progress of {account}")),
        "books": dg.MetadataValue.md(markdown_table(latest.to_dict("records"))),
    }


def _audible_books_finished_per_month(postgres: PostgresResource, account: str) -> dict:
    """Tracker books finished per month, dated by the sync that first saw them finished on Audible."""
    from domain import charts
    from domain import listening_analytics as la

    monthly = la.finished_per_month(_read(postgres, q.finished_books, account))
    return {
        "account": account,
        "books_finished": dg.MetadataValue.int(int(monthly["books"].sum()) if len(monthly) else 0),
        "months": dg.MetadataValue.int(len(monthly)),
        "chart": dg.MetadataValue.md(
            charts.stacked_bar_chart(
                list(monthly["month"]),
                {"books finished": monthly["books"]},
                "books",
                "books finished per month",
                integer=True,
            )
        ),
        "per_month": dg.MetadataValue.md(markdown_table(monthly.iloc[::-1].to_dict("records"), limit=24)),
    }


def _audible_hours_listened_per_week(postgres: PostgresResource, account: str) -> dict:
    """Hours listened per week (UTC, weeks start on Monday): runtime × the change in percent complete
    between syncs. What was listened before a title's first sync is counted apart, not drawn in a week."""
    from domain import charts
    from domain import listening_analytics as la

    rows = _read(postgres, q.progress_points_with_runtime, account)
    weekly = la.hours_per_week(rows)
    tracked = float(weekly["hours_tracked"].sum()) if len(weekly) else 0.0
    before = float(weekly["hours_before_tracking"].sum()) if len(weekly) else 0.0
    return {
        "account": account,
        "hours_tracked": dg.MetadataValue.float(round(tracked, 2)),
        "hours_before_tracking": dg.MetadataValue.float(round(before, 2)),
        "weeks": dg.MetadataValue.int(len(weekly)),
        "titles_without_runtime": dg.MetadataValue.int(la.titles_without_runtime(rows)),
        "chart": dg.MetadataValue.md(
            charts.hours_per_week_chart(list(weekly["week"]), list(weekly["hours_tracked"]), before)
        ),
        "per_week": dg.MetadataValue.md(markdown_table(weekly.iloc[::-1].to_dict("records"), limit=26)),
    }


_HISTORY_CHARTS = {
    "audible_progress_over_time": _audible_progress_over_time,
    "audible_books_finished_per_month": _audible_books_finished_per_month,
    "audible_hours_listened_per_week": _audible_hours_listened_per_week,
}


class ListeningChartsConfig(dg.Config):
    account: str | None = None
    """The account to draw; by default the one whose progress changed last."""


# One step for the three charts drawn from the history: they read the same rows, and a
# step of its own cost each more than its query.
@dg.multi_asset(
    name="audible_listening_charts",
    group_name="audible_stats",
    specs=[
        dg.AssetSpec(
            key,
            deps=_DEPS,
            kinds=_KINDS,
            description=" ".join(chart.__doc__.split()),
        )
        for key, chart in _HISTORY_CHARTS.items()
    ],
)
def audible_listening_charts(
    context: dg.AssetExecutionContext, config: ListeningChartsConfig, postgres: PostgresResource
):
    with postgres.get_engine().connect() as conn:
        account = config.account or q.account_with_latest_progress(conn)
    if account is None:
        raise dg.Failure(description="no progress history yet: run the audible_sync job first")
    context.log.info(f"Drawing the listening charts of account {account!r}")
    for key, chart in _HISTORY_CHARTS.items():
        yield dg.MaterializeResult(asset_key=key, metadata=chart(postgres, account))


LISTENING_CHART_KEYS = tuple(_HISTORY_CHARTS)


def sync_activity_chart(rows: list[dict], account: str) -> dict:
    """Metadata of audible_sync_activity_chart, from the audible_sync_activity view's rows
    (drawn in the stats step, which reads those rows anyway; with matplotlib alone, not pandas)."""
    from domain import charts
    from domain.sync_reports import sync_activity_days

    activity = sync_activity_days(rows)
    return {
        "account": account,
        "syncs_30_days": dg.MetadataValue.int(sum(activity["syncs"])),
        "days_with_syncs": dg.MetadataValue.int(sum(1 for syncs in activity["syncs"] if syncs > 0)),
        "chart": dg.MetadataValue.md(
            charts.stacked_bar_chart(
                [day[5:] for day in activity["day"]],
                {
                    "successful": activity["successful"],
                    "failed": activity["failed"],
                    "skipped": activity["skipped"],
                },
                "syncs",
                "sync activity, last 30 days",
                colors=("#55a868", "#c44e52", "#8c8c8c"),
                integer=True,
            )
        ),
    }
