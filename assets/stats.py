"""Stage 6: stats over the sync's views, published as asset metadata for people.

Four assets (one per view) and the account's status check, computed in one step:
each is one query, and a step of its own cost Dagster more than the query.
"""

from datetime import datetime, timezone

import dagster as dg
import sqlalchemy as sa

from assets.metadata import as_metadata
from assets.sync_status_check import STATUS_CHECK_DESCRIPTION, sync_status_result
from domain.sync_reports import (
    currently_reading_report,
    sync_activity_report,
    sync_stats_report,
    unmapped_books_report,
)
from domain.sync_results import SyncWriteSummary, activity_chart_due
from resources.postgres_resource import PostgresResource
from resources.queries import stats_views as stats_views_sql

# The views read the library snapshot, mappings, conflicts, books and sync logs, all
# written by then; not the history, which a sync that changed nothing leaves alone.
# tracker_book_progress is also the step's input: the write summary of this sync.
_STATS_DEPS = ["audible_library", "tracker_book_progress"]


def _activity_chart_due(instance: dg.DagsterInstance, written: SyncWriteSummary) -> bool:
    latest = instance.get_latest_materialization_event(dg.AssetKey("audible_sync_activity_chart"))
    materialization = latest.asset_materialization if latest else None
    drawn_for = materialization.metadata.get("account") if materialization else None
    return activity_chart_due(
        sync_changed=written.changed,
        account=written.account,
        now=datetime.now(timezone.utc),
        last_drawn_at=datetime.fromtimestamp(latest.timestamp, timezone.utc) if latest else None,
        last_drawn_for=getattr(drawn_for, "value", None),
    )


# Views whose rows change only when something writes them (a sync, a person's review, the
# tracker's own app): published again only when their rows differ from the rows last
# published, which a digest stored beside them tells without sending the rows. Reading,
# tabulating and recording 7,500 books in progress cost more than the rest of the step.
_PUBLISHED_ON_CHANGE = ("audible_currently_reading", "audible_unmapped_books")


def _last_digest(instance: dg.DagsterInstance, key: str) -> str | None:
    latest = instance.get_latest_materialization_event(dg.AssetKey(key))
    materialization = latest.asset_materialization if latest else None
    return getattr(materialization.metadata.get("rows_digest"), "value", None) if materialization else None


def _changed_rows(
    conn: sa.Connection, instance: dg.DagsterInstance, written: SyncWriteSummary, key: str
) -> tuple[list[dict], str] | None:
    """The view's rows and their digest, or None when they are the rows last published."""
    view, order_by = _VIEWS[key][:2]
    # After a sync that wrote something the rows have most likely changed: read them at once.
    if not written.changed:
        last = _last_digest(instance, key)
        if last is not None and stats_views_sql.view_digest(conn, view, written.account) == last:
            return None
    return stats_views_sql.read_view_and_digest(conn, view, written.account, order_by)


# asset -> (view, its order, report of its rows, description). The activity chart
# draws the same rows as the activity table.
_VIEWS = {
    "audible_sync_stats": (
        "audible_sync_stats",
        "account",
        sync_stats_report,
        "Per-account totals: mappings, mapped and unmapped titles, currently reading, open conflicts.",
    ),
    "audible_currently_reading": (
        "audible_currently_reading",
        "progress_percent DESC NULLS LAST, title",
        currently_reading_report,
        "Tracker books in progress on Audible, furthest along first. Materialized again only when "
        "these rows changed since.",
    ),
    "audible_sync_activity": (
        "audible_sync_activity",
        "day",
        sync_activity_report,
        "Syncs per day over the last 30 days (successful, failed, skipped) with items fetched.",
    ),
    "audible_unmapped_books": (
        "audible_unmapped_books",
        "title",
        unmapped_books_report,
        "Audible titles that no tracker book is mapped to (open conflict, ignored, or no candidate). "
        "Materialized again only when these rows changed since.",
    ),
}


@dg.multi_asset(
    name="audible_stats",
    group_name="audible_stats",
    specs=[
        *(
            dg.AssetSpec(
                key,
                deps=_STATS_DEPS,
                kinds={"postgres"},
                description=description,
                skippable=key in _PUBLISHED_ON_CHANGE,
            )
            for key, (_, _, _, description) in _VIEWS.items()
        ),
        dg.AssetSpec(
            "audible_sync_activity_chart",
            deps=_STATS_DEPS,
            kinds={"postgres", "matplotlib"},
            description=(
                "Syncs per day over the last 30 days, split into successful, failed and skipped. Drawn "
                "when a sync changed something, else at most every 6 hours and once a day."
            ),
            skippable=True,
        ),
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "audible_sync_status", asset="audible_sync_stats", description=STATUS_CHECK_DESCRIPTION
        )
    ],
)
def audible_stats(
    context: dg.AssetExecutionContext, tracker_book_progress: SyncWriteSummary, postgres: PostgresResource
):
    from assets.listening_charts import sync_activity_chart

    account = tracker_book_progress.account
    draw_activity_chart = _activity_chart_due(context.instance, tracker_book_progress)
    # One connection for the step's queries: each checkout costs a round trip (pre-ping).
    with postgres.get_engine().connect() as conn:
        kept = []
        for key, (view, order_by, report, _) in _VIEWS.items():
            if key in _PUBLISHED_ON_CHANGE:
                changed = _changed_rows(conn, context.instance, tracker_book_progress, key)
                if changed is None:
                    kept.append(key)
                    continue
                rows, digest = changed
                metadata = {**as_metadata(report(rows)), "rows_digest": digest}
            else:
                rows = stats_views_sql.read_view(conn, view, account, order_by)
                metadata = as_metadata(report(rows))
            if key == "audible_sync_stats":
                status_stats = stats_views_sql.status_stats(rows[0] if rows else None)
            yield dg.MaterializeResult(asset_key=key, metadata=metadata)
            if key == "audible_sync_activity" and draw_activity_chart:
                yield dg.MaterializeResult(
                    asset_key="audible_sync_activity_chart", metadata=sync_activity_chart(rows, account)
                )
        if not draw_activity_chart:
            kept.append("audible_sync_activity_chart (this sync changed nothing and the drawing is recent)")
        if kept:
            context.log.info(f"Not published again, unchanged: {', '.join(kept)}.")
        yield sync_status_result(conn, account, status_stats)
