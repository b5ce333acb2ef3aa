"""Stage 6: stats over the sync's views, published as asset metadata for people."""

import dagster as dg

from assets.sync_model import markdown_table
from resources.postgres import PostgresResource
from resources.queries import sync as q

# The views read the library snapshot, mappings, conflicts, books and sync logs, all
# written by then; not the history, which a sync that changed nothing leaves alone.
_STATS_DEPS = ["audible_library", "tracker_book_progress"]


def _view_rows(postgres: PostgresResource, view: str, account: str, order_by: str) -> list[dict]:
    with postgres.get_engine().connect() as conn:
        return q.read_view(conn, view, account, order_by)


def sync_run_account(run_id: str, postgres: PostgresResource) -> str:
    """The account this sync run is about, from the log row its audible_library step opened.

    Read from the database rather than by loading the library snapshot: unpickling
    10,000 items in every stats step cost more than the step's own query.
    """
    with postgres.get_engine().connect() as conn:
        log = q.sync_log_for_run(conn, run_id)
    if log is None:
        raise dg.Failure(description=f"run {run_id} has no sync log row: run the audible_sync job")
    return log.account


@dg.asset(group_name="audible_stats", kinds={"postgres"}, deps=_STATS_DEPS)
def audible_sync_stats(context: dg.AssetExecutionContext, postgres: PostgresResource) -> dg.MaterializeResult:
    """Per-account totals: mappings, mapped and unmapped titles, currently reading, open conflicts."""
    rows = _view_rows(postgres, "audible_sync_stats", sync_run_account(context.run_id, postgres), "account")
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
        )
    }
    return dg.MaterializeResult(metadata={**numbers, "last_sync_status": str(row.get("last_sync_status"))})


@dg.asset(group_name="audible_stats", kinds={"postgres"}, deps=_STATS_DEPS)
def audible_currently_reading(
    context: dg.AssetExecutionContext, postgres: PostgresResource
) -> dg.MaterializeResult:
    """Tracker books in progress on Audible, furthest along first."""
    rows = _view_rows(
        postgres,
        "audible_currently_reading",
        sync_run_account(context.run_id, postgres),
        "progress_percent DESC NULLS LAST, title",
    )
    table = [
        {
            "book_id": r["book_id"],
            "title": r["title"],
            "author": r["author"],
            "percent": float(r["progress_percent"] or 0),
        }
        for r in rows
    ]
    return dg.MaterializeResult(
        metadata={
            "books": dg.MetadataValue.int(len(rows)),
            "reading": dg.MetadataValue.md(markdown_table(table)),
        }
    )


@dg.asset(group_name="audible_stats", kinds={"postgres"}, deps=_STATS_DEPS)
def audible_sync_activity(
    context: dg.AssetExecutionContext, postgres: PostgresResource
) -> dg.MaterializeResult:
    """Syncs per day over the last 30 days (successful, failed, skipped) with items fetched."""
    rows = _view_rows(postgres, "audible_sync_activity", sync_run_account(context.run_id, postgres), "day")
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
    return dg.MaterializeResult(
        metadata={
            "syncs_30_days": dg.MetadataValue.int(sum(int(r["syncs"]) for r in rows)),
            "failed_30_days": dg.MetadataValue.int(sum(int(r["failed"]) for r in rows)),
            "days_with_syncs": dg.MetadataValue.md(markdown_table(table, limit=30)),
        }
    )


@dg.asset(group_name="audible_stats", kinds={"postgres"}, deps=_STATS_DEPS)
def audible_unmapped_books(
    context: dg.AssetExecutionContext, postgres: PostgresResource
) -> dg.MaterializeResult:
    """Audible titles that no tracker book is mapped to (open conflict, ignored, or no candidate)."""
    rows = _view_rows(postgres, "audible_unmapped_books", sync_run_account(context.run_id, postgres), "title")
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
    return dg.MaterializeResult(
        metadata={
            "unmapped": dg.MetadataValue.int(len(rows)),
            "titles": dg.MetadataValue.md(markdown_table(table)),
        }
    )
