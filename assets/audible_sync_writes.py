"""Stages 3–5: mappings, book progress and progress history, written in one transaction.

They are three assets in the lineage, but one database transaction: a sync's
writes (library snapshot, mappings, conflicts, book progress, history, rate
counters and the log row) commit together or not at all, under an advisory
lock so that only one sync per account writes at a time.
"""

from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa

from domain.reports import markdown_table
from domain.sync_results import LibrarySnapshot, MatchResults
from resources import notify, resolutions
from resources.postgres import PostgresResource
from resources.queries import conflicts as conflicts_sql
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import mappings as mappings_sql
from resources.queries import match_memo
from resources.queries import progress as progress_sql
from resources.queries import staging as staging_sql
from resources.queries import sync_logs as sync_logs_sql


class SyncRefused(dg.Failure):
    pass


@contextmanager
def database_errors_reported(account: str):
    """A database fault mid-write becomes a failure that says what happened and that nothing was kept."""
    try:
        yield
    except sa.exc.DBAPIError as error:
        # The transaction rolled back (or died with its connection): nothing of this sync was kept.
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0][:300]
        raise dg.Failure(
            description=(
                f"database error while writing the sync of account {account!r}: {cause}. "
                "None of this sync's writes were kept; the next sync will redo them."
            )
        ) from None


@dg.multi_asset(
    group_name="audible",
    specs=[
        dg.AssetSpec(
            "audible_book_mappings",
            deps=["audible_library", "audible_book_matches"],
            kinds={"postgres"},
            description=(
                "ASIN → tracker book links (isbn, fuzzy, manual, created). New automatic links are "
                "added here; uncertain matches open rows in audible_conflicts."
            ),
        ),
        dg.AssetSpec(
            "tracker_book_progress",
            deps=["audible_book_mappings"],
            kinds={"postgres"},
            description=(
                "Progress, status (reading/finished), started_at and finished_at on the tracker's books, "
                "from every enabled mapping whose Audible progress changed."
            ),
        ),
        dg.AssetSpec(
            "audible_progress_history",
            deps=["tracker_book_progress"],
            kinds={"postgres"},
            description="One row per mapped title and sync in which its Audible progress changed.",
            # A sync that appended no row did not change it: not materialized, so the
            # charts drawn from it are not requested again for the same rows.
            skippable=True,
        ),
    ],
)
def audible_sync_writes(
    context: dg.AssetExecutionContext,
    audible_library: LibrarySnapshot,
    audible_book_matches: MatchResults,
    postgres: PostgresResource,
):
    account = audible_library.account
    engine = postgres.get_engine()
    with database_errors_reported(account), engine.begin() as conn:
        log = sync_logs_sql.sync_log_for_run(conn, context.run_id)
        if log is None or log.status != "running":
            raise SyncRefused(description=f"this run has no running sync log row for account {account!r}")
        if not sync_logs_sql.try_lock_account(conn, account):
            raise SyncRefused(
                description=(
                    f"another sync of account {account!r} is writing right now; this run stopped "
                    "without writing anything. It will be picked up by the next scheduled sync."
                )
            )
        if not audible_library.forced:
            # Checked again under the lock: a run that started at the same time as
            # another one must not write right after it.
            permission = sync_logs_sql.can_sync(conn, account)
            if not permission.can_sync:
                raise SyncRefused(
                    description=f"sync of account {account!r} refused at write time: {permission.reason}"
                )
        staging_sql.stage_library(conn, audible_library.items)
        staging_sql.stage_decisions(conn, audible_book_matches.decisions)
        match_memo.remember_decisions(conn, account, audible_book_matches.match_basis)
        library_changes = library_snapshot_sql.upsert_library_items(conn, account)
        new_mappings = mappings_sql.insert_automatic_mappings(conn, account)
        closed = conflicts_sql.close_conflicts_now_linked(conn, account)
        refreshed = conflicts_sql.refresh_open_conflicts(conn, account)
        opened = conflicts_sql.open_new_conflicts(conn, account)
        # Titles the reader has started and the tracker lacks (auto_add_min_progress; off by default).
        auto_added = resolutions.auto_add(conn, account, warn=context.log.warning)
        progress = progress_sql.apply_progress(conn, account, log.id, audible_library.tracker)
        finished = notify.completion_payloads(conn, account, progress["changes"])
        sync_logs_sql.complete_sync_log(
            conn,
            log.id,
            account,
            {
                "items_matched": len(new_mappings),
                "mappings_created": len(new_mappings) + len(auto_added),
                "conflicts_opened": len(opened),
                "progress_updates": progress["books_updated"],
                "books_auto_added": len(auto_added),
            },
        )
    # The log row is closed: this run no longer needs to prove it is alive.
    sync_logs_sql.release_running_sync_log(context.run_id)

    titles = {item.asin: item.title for item in audible_library.items}
    context.log.info(
        f"Account {account!r}: {len(new_mappings)} new mappings, {len(opened)} conflicts opened, "
        f"{progress['books_updated']} books updated, {progress['history_rows']} history rows"
    )
    yield dg.MaterializeResult(
        asset_key="audible_book_mappings",
        metadata={
            "account": account,
            "sync_log_id": dg.MetadataValue.int(log.id),
            "mappings_created": dg.MetadataValue.int(len(new_mappings)),
            "conflicts_opened": dg.MetadataValue.int(len(opened)),
            "conflicts_updated": dg.MetadataValue.int(refreshed),
            "conflicts_closed_by_match": dg.MetadataValue.int(closed),
            "books_auto_added": dg.MetadataValue.int(len(auto_added)),
            "library_rows_changed": dg.MetadataValue.int(library_changes),
            "new_mappings": dg.MetadataValue.md(
                markdown_table(
                    [
                        {
                            "asin": m["asin"],
                            "title": titles.get(m["asin"]),
                            "book_id": m["book_id"],
                            "method": m["match_method"],
                            "confidence": float(m["confidence"]),
                        }
                        for m in new_mappings
                    ]
                )
            ),
            "new_conflicts": dg.MetadataValue.md(
                markdown_table(
                    [
                        {"conflict": c["id"], "asin": c["asin"], "title": c["title"], "reason": c["reason"]}
                        for c in opened
                    ]
                )
            ),
        },
    )
    changes = progress["changes"]
    yield dg.MaterializeResult(
        asset_key="tracker_book_progress",
        metadata={
            "books_updated": dg.MetadataValue.int(progress["books_updated"]),
            "finished_now": dg.MetadataValue.int(
                sum(1 for c in changes if c["is_finished"] and not c["was_finished"])
            ),
            "changes": dg.MetadataValue.md(
                markdown_table(
                    [
                        {
                            "book_id": c["book_id"],
                            "title": c["title"],
                            "from": None if c["old_percent"] is None else float(c["old_percent"]),
                            "to": float(c["new_percent"]),
                            "finished": c["is_finished"],
                        }
                        for c in changes
                    ]
                )
            ),
        },
    )
    if progress["history_rows"]:
        yield dg.MaterializeResult(
            asset_key="audible_progress_history",
            metadata={"rows_appended": dg.MetadataValue.int(progress["history_rows"])},
        )
    # Completions, after the commit: an event per finished book to hang a notification on,
    # and the optional webhook (off unless AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL is set; never fails the sync).
    for payload in finished:
        context.log.info(
            f"Finished: {payload['title']} (book {payload['book_id']}) on {payload['finished_at']}"
        )
        yield notify.completion_observation(payload)
    notify.post_completions(finished, context.log)
