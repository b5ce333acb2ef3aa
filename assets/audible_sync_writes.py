"""Stages 3–5: mappings, book progress and progress history, written in one transaction.

They are three assets in the lineage, but one database transaction: a sync's
writes (library snapshot, mappings, conflicts, book progress, history, rate
counters and the log row) commit together or not at all, under an advisory
lock so that only one sync per account writes at a time.
"""

from collections.abc import Callable
from contextlib import contextmanager

import dagster as dg
import sqlalchemy as sa

from assets.metadata import as_metadata
from domain.sync_reports import book_progress_report, mappings_report, writes_summary
from domain.sync_results import LibrarySnapshot, MatchResults, SyncWrites
from resources import notify, resolutions
from resources.postgres_resource import PostgresResource
from resources.queries import conflicts as conflicts_sql
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import mappings as mappings_sql
from resources.queries import match_memo
from resources.queries import progress as progress_sql
from resources.queries import staging as staging_sql
from resources.queries import sync_logs as sync_logs_sql
from resources.sync_log import SyncLogNotRunning, SyncLogResource


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


def _refuse_unless_writable(conn: sa.Connection, snapshot: LibrarySnapshot) -> None:
    """Only a still-running sync, alone on its account and (unless forced) allowed, writes."""
    account = snapshot.account
    if sync_logs_sql.sync_log_status(conn, snapshot.sync_log_id) != "running":
        raise SyncRefused(description=f"this run has no running sync log row for account {account!r}")
    if not sync_logs_sql.try_lock_account(conn, account):
        raise SyncRefused(
            description=(
                f"another sync of account {account!r} is writing right now; this run stopped "
                "without writing anything. It will be picked up by the next scheduled sync."
            )
        )
    if not snapshot.forced:
        # Checked again under the lock: a run that started at the same time as
        # another one must not write right after it.
        permission = sync_logs_sql.can_sync(conn, account)
        if not permission.can_sync:
            raise SyncRefused(
                description=f"sync of account {account!r} refused at write time: {permission.reason}"
            )


def _write(
    conn: sa.Connection, snapshot: LibrarySnapshot, matches: MatchResults, warn: Callable[[str], None]
) -> SyncWrites:
    """Every write of the sync, in the caller's transaction, in the order written (keyword
    arguments are evaluated in order); the log row is closed last."""
    account = snapshot.account
    staging_sql.stage_library(conn, snapshot.items)
    staging_sql.stage_decisions(conn, matches.decisions)
    match_memo.remember_decisions(conn, account, matches.match_basis)
    writes = SyncWrites(
        library_changes=library_snapshot_sql.upsert_library_items(conn, account),
        new_mappings=mappings_sql.insert_automatic_mappings(conn, account),
        conflicts_closed=conflicts_sql.close_conflicts_now_linked(conn, account),
        conflicts_refreshed=conflicts_sql.refresh_open_conflicts(conn, account),
        conflicts_opened=conflicts_sql.open_new_conflicts(conn, account),
        # Titles the reader has started and the tracker lacks (auto_add_min_progress; off by default).
        books_auto_added=len(resolutions.auto_add(conn, account, warn)),
        progress=progress_sql.apply_progress(conn, account, snapshot.sync_log_id, snapshot.tracker),
    )
    sync_logs_sql.complete_sync_log(conn, snapshot.sync_log_id, account, writes.log_counts())
    return writes


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
        # Stored through the IO manager: its value, the sync's SyncWriteSummary (account, sync
        # log id, what changed), is what the stats step reads.
        dg.AssetSpec(
            "tracker_book_progress",
            deps=["audible_book_mappings"],
            kinds={"postgres"},
            description=(
                "Progress, status (reading/finished), started_at and finished_at on the tracker's books, "
                "from every enabled mapping whose Audible progress changed."
            ),
        ).with_io_manager_key("io_manager"),
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
    sync_log: SyncLogResource,
):
    account, log_id = audible_library.account, audible_library.sync_log_id
    try:
        sync_log.hold(log_id)
    except SyncLogNotRunning as error:
        raise SyncRefused(
            description=f"sync of account {account!r} stopped before writing: {error}"
        ) from None
    with database_errors_reported(account), postgres.get_engine().begin() as conn:
        _refuse_unless_writable(conn, audible_library)
        writes = _write(conn, audible_library, audible_book_matches, context.log.warning)
        finished = notify.completion_payloads(conn, account, writes.progress_changes)
    # The log row is closed: this run no longer needs to prove it is alive.
    sync_log.finish(log_id)

    context.log.info(writes_summary(account, writes))
    titles = {item.asin: item.title for item in audible_library.items}
    yield dg.MaterializeResult(
        asset_key="audible_book_mappings",
        metadata=as_metadata(mappings_report(account, log_id, writes, titles)),
    )
    yield dg.Output(
        writes.summary(account, log_id),
        output_name="tracker_book_progress",
        metadata=as_metadata(book_progress_report(writes)),
    )
    if writes.history_rows:
        yield dg.MaterializeResult(
            asset_key="audible_progress_history", metadata={"rows_appended": writes.history_rows}
        )
    # Completions, after the commit: an event per finished book to hang a notification on,
    # and the optional webhook (off unless AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL is set; never fails the sync).
    for payload in finished:
        context.log.info(
            f"Finished: {payload['title']} (book {payload['book_id']}) on {payload['finished_at']}"
        )
        yield notify.completion_observation(payload)
    notify.post_completions(finished, context.log)
