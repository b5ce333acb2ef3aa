"""Stage 6: stats over the sync's views, published as asset metadata for people.

Four assets (one per view) and the account's status check, computed in one step:
each is one query, and a step of its own cost Dagster more than the query.
"""

from datetime import datetime, timezone

import dagster as dg
import sqlalchemy as sa

from assets.sync_status_check import STATUS_CHECK_DESCRIPTION, sync_status_result
from domain.reports import markdown_table
from domain.sync_results import activity_chart_due
from resources.postgres import PostgresResource
from resources.queries import stats_views as stats_views_sql
from resources.queries import sync_logs as sync_logs_sql

# The views read the library snapshot, mappings, conflicts, books and sync logs, all
# written by then; not the history, which a sync that changed nothing leaves alone.
_STATS_DEPS = ["audible_library", "tracker_book_progress"]


def sync_run_log(conn: sa.Connection, run_id: str):
    """The log row this sync run's audible_library step opened (account, what it wrote).

    Read from the database rather than by loading the library snapshot: unpickling
    10,000 items in the stats step cost more than the step's own queries.
    """
    log = sync_logs_sql.sync_log_for_run(conn, run_id)
    if log is None:
        raise dg.Failure(description=f"run {run_id} has no sync log row: run the audible_sync job")
    return log


def _activity_chart_due(instance: dg.DagsterInstance, log) -> bool:
    latest = instance.get_latest_materialization_event(dg.AssetKey("audible_sync_activity_chart"))
    materialization = latest.asset_materialization if latest else None
    drawn_for = materialization.metadata.get("account") if materialization else None
    return activity_chart_due(
        sync_changed=bool(log.mappings_created or log.conflicts_opened or log.progress_updates),
        account=log.account,
        now=datetime.now(timezone.utc),
        last_drawn_at=datetime.fromtimestamp(latest.timestamp, timezone.utc) if latest else None,
        last_drawn_for=getattr(drawn_for, "value", None),
    )


def _audible_sync_stats(rows: list[dict]) -> dict:
    row = rows[0] if rows else {}
    numbers = {
        key: dg.MetadataValue.int(int(row.get(key) or 0))
        for key in (
            "total_mappings",
            "mapped",
            "unmapped",
            "currently_reading",
            "finished",
            "open_conflicts",
            "library_items",
            "successful_syncs",
            "failed_syncs",
            "books_auto_added",
        )
    }
    return {**numbers, "last_sync_status": str(row.get("last_sync_status"))}


def _audible_currently_reading(rows: list[dict]) -> dict:
    table = [
        {
            "book_id": r["book_id"],
            "title": r["title"],
            "author": r["author"],
            "percent": float(r["progress_percent"] or 0),
        }
        for r in rows
    ]
    return {
        "books": dg.MetadataValue.int(len(rows)),
        "reading": dg.MetadataValue.md(markdown_table(table)),
    }


def _audible_sync_activity(rows: list[dict]) -> dict:
    table = [
        {
            "day": str(r["day"]),
            "syncs": r["syncs"],
            "ok": r["successful"],
            "failed": r["failed"],
            "skipped": r["skipped"],
            "progress_updates": r["progress_updates"],
        }
        for r in rows
        if r["syncs"]
    ]
    return {
        "syncs_30_days": dg.MetadataValue.int(sum(int(r["syncs"]) for r in rows)),
        "failed_30_days": dg.MetadataValue.int(sum(int(r["failed"]) for r in rows)),
        "days_with_syncs": dg.MetadataValue.md(markdown_table(table, limit=30)),
    }


def _audible_unmapped_books(rows: list[dict]) -> dict:
    table = [
        {
            "asin": r["asin"],
            "title": r["title"],
            "authors": r["authors"],
            "open_conflict": r["open_conflict_id"],
            "ignored": r["ignored"],
        }
        for r in rows
    ]
    return {
        "unmapped": dg.MetadataValue.int(len(rows)),
        "titles": dg.MetadataValue.md(markdown_table(table)),
    }


# asset -> (view, its order, metadata from its rows, description). The activity chart
# draws the same rows as the activity table.
_VIEWS = {
    "audible_sync_stats": (
        "audible_sync_stats",
        "account",
        _audible_sync_stats,
        "Per-account totals: mappings, mapped and unmapped titles, currently reading, open conflicts.",
    ),
    "audible_currently_reading": (
        "audible_currently_reading",
        "progress_percent DESC NULLS LAST, title",
        _audible_currently_reading,
        "Tracker books in progress on Audible, furthest along first.",
    ),
    "audible_sync_activity": (
        "audible_sync_activity",
        "day",
        _audible_sync_activity,
        "Syncs per day over the last 30 days (successful, failed, skipped) with items fetched.",
    ),
    "audible_unmapped_books": (
        "audible_unmapped_books",
        "title",
        _audible_unmapped_books,
        "Audible titles that no tracker book is mapped to (open conflict, ignored, or no candidate).",
    ),
}


@dg.multi_asset(
    name="audible_stats",
    group_name="audible_stats",
    specs=[
        *(
            dg.AssetSpec(key, deps=_STATS_DEPS, kinds={"postgres"}, description=description)
            for key, (_, _, _, description) in _VIEWS.items()
        ),
        dg.AssetSpec(
            "audible_sync_activity_chart",
            deps=_STATS_DEPS,
            kinds={"postgres", "pandas"},
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
def audible_stats(context: dg.AssetExecutionContext, postgres: PostgresResource):
    from assets.listening_charts import sync_activity_chart

    # One connection for the step's queries: each checkout costs a round trip (pre-ping).
    with postgres.get_engine().connect() as conn:
        log = sync_run_log(conn, context.run_id)
        account = log.account
        draw_activity_chart = _activity_chart_due(context.instance, log)
        for key, (view, order_by, metadata, _) in _VIEWS.items():
            rows = stats_views_sql.read_view(conn, view, account, order_by)
            yield dg.MaterializeResult(asset_key=key, metadata=metadata(rows))
            if key == "audible_sync_activity" and draw_activity_chart:
                yield dg.MaterializeResult(
                    asset_key="audible_sync_activity_chart", metadata=sync_activity_chart(rows, account)
                )
        if not draw_activity_chart:
            context.log.info("Sync activity chart kept: this sync changed nothing and the drawing is recent.")
        yield sync_status_result(conn, account)
