"""Stage 1: fetch the account's Audible library (API, export file or demo)."""

from dataclasses import dataclass
from typing import Any

import dagster as dg
import sqlalchemy as sa

from assets.metadata import as_metadata
from domain.accounts import NAME_IN_SYNC_CONFIG, AccountChoiceError, first_sync_account
from domain.library_items import LibraryShapeError, ParsedLibrary, parse_library
from domain.sync_reports import library_report
from domain.sync_results import LibrarySnapshot, collapsed_library_refusal
from domain.tracker_profile import TrackerProfile
from resources.audible_api import AudibleResource, AudibleSourceError, account_has_stored_auth
from resources.library_source import LibrarySourceResource, demo_books
from resources.postgres_resource import PostgresResource
from resources.queries import accounts as accounts_sql
from resources.queries import books as books_sql
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import sync_logs as sync_logs_sql
from resources.queries import tracker_profile as tracker_profile_sql
from resources.sync_log import SyncLogResource


class SyncConfig(dg.Config):
    account: str | None = None
    """Audible account to sync; empty means the only configured one (or the demo before any)."""
    force: bool = False
    """Sync even when audible_can_sync() says no (and accept a much smaller library). Forced syncs
    still count against the limits."""
    accept_smaller_library: bool = False
    """Write a library that is empty or has fewer than half the titles of the last successful sync
    (refused otherwise: a cut-short export or fetch would empty the snapshot)."""


def run_trigger(tags: dict[str, str]) -> str:
    if "dagster/schedule_name" in tags:
        return "schedule"
    if "dagster/sensor_name" in tags:
        return "sensor"
    return "manual"


def resolve_account(conn: sa.Connection, requested: str | None, library_file: str | None) -> str:
    """The account to sync; a sync may name (or, before any, create) an account not configured yet."""
    try:
        return accounts_sql.resolve_account(
            conn,
            requested,
            how_to_name=NAME_IN_SYNC_CONFIG,
            new_account=first_sync_account(bool(library_file)),
        )
    except AccountChoiceError as error:
        raise dg.Failure(description=str(error)) from None


def _choose_account_and_source(
    context: dg.AssetExecutionContext,
    conn: sa.Connection,
    config: SyncConfig,
    postgres: PostgresResource,
    library_source: LibrarySourceResource,
) -> tuple[str, str]:
    """The account and where its library comes from; the account row exists afterwards."""
    account = resolve_account(conn, config.account, library_source.library_file)
    source = library_source.choose(
        account=account,
        has_stored_auth=account_has_stored_auth(conn.engine, account),
        embedded_database=postgres.embedded or library_source.source == "demo",
    )
    accounts_sql.ensure_account(conn, account, source)
    if source == "demo":
        seeded = books_sql.seed_books(conn, demo_books())
        if seeded:
            context.log.info(f"Seeded the empty tracker with {seeded} demo books")
    return account, source


def _may_sync(conn: sa.Connection, account: str, force: bool, run_id: str, trigger: str):
    """audible_can_sync()'s answer; a refused, unforced sync leaves a 'skipped' row."""
    permission = sync_logs_sql.can_sync(conn, account)
    if not permission.can_sync and not force:
        sync_logs_sql.record_skipped_sync(
            conn, account=account, run_id=run_id, trigger=trigger, reason=permission.reason
        )
    return permission


def checked_tracker(engine: sa.Engine, account: str) -> TrackerProfile:
    """The tracker's profile, or a failure (before anything is fetched) when the sync cannot write to it."""
    with engine.connect() as conn:
        profile = tracker_profile_sql.load_profile(conn)
    refusal = profile.refusal()
    if refusal:
        raise dg.Failure(description=f"Sync of account {account!r} refused: {refusal}")
    return profile


@dataclass(frozen=True)
class _Fetched:
    payload: Any
    api_calls: int = 0
    # Titles per page of an API fetch; None for the other sources.
    page_size: int | None = None


def _fetch_payload(
    context: dg.AssetExecutionContext,
    engine: sa.Engine,
    audible: AudibleResource,
    library_source: LibrarySourceResource,
    account: str,
    source: str,
    log_id: int,
) -> _Fetched:
    """The raw library records, and the Audible API calls and page size spent on them."""
    if source != "api":
        return _Fetched(library_source.load_payload(source))
    try:
        fetched = audible.fetch_library(engine, account, context.log)
    except AudibleSourceError as error:
        # The calls spent on a failed fetch still count against Audible's patience.
        with engine.begin() as conn:
            sync_logs_sql.update_sync_log_fetch(
                conn,
                log_id,
                source=source,
                fetched=0,
                rejected=0,
                api_calls=error.api_calls,
                page_size=error.page_size,
            )
        raise
    return _Fetched(fetched.items, fetched.api_calls, fetched.page_size)


def _parse(context: dg.AssetExecutionContext, payload: Any, account: str, source: str) -> ParsedLibrary:
    try:
        parsed = parse_library(payload)
    except LibraryShapeError as error:
        raise dg.Failure(description=f"Library of account {account!r} ({source}) refused: {error}") from None
    for problem in parsed.rejected:
        context.log.warning(f"Skipped {problem}")
    return parsed


def refuse_collapsed_library(config: SyncConfig, account: str, source: str, titles: int, stored: int) -> None:
    """Fail before any write when the library shrank to nothing or below half, unless accepted."""
    refusal = collapsed_library_refusal(account, source, titles, stored)
    if refusal and not (config.accept_smaller_library or config.force):
        raise dg.Failure(description=refusal)


@dg.asset(group_name="audible", kinds={"python"})
def audible_library(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    postgres: PostgresResource,
    library_source: LibrarySourceResource,
    audible: AudibleResource,
    sync_log: SyncLogResource,
) -> dg.Output[LibrarySnapshot]:
    """Every title in the Audible library with its listening progress.

    Read from the Audible API for an account with stored credentials, from an
    audible-cli export when AUDIBLE_TRACKER_LIBRARY_FILE is set, or from the
    bundled demo library. Opens this run's audible_sync_logs row; a run that
    audible_can_sync() refuses stops here (unless forced) with the reason.
    """
    engine = postgres.get_engine()
    trigger = run_trigger(dict(context.run.tags))
    with engine.begin() as conn:
        account, source = _choose_account_and_source(context, conn, config, postgres, library_source)
        permission = _may_sync(conn, account, config.force, context.run_id, trigger)
    if not permission.can_sync and not config.force:
        # Committed above: the skipped row stays even though the run fails.
        raise dg.Failure(
            description=(
                f"Sync of account {account!r} refused: {permission.reason}. "
                "Set force: true in the audible_library config to sync anyway."
            ),
            metadata={"next_allowed_sync": str(permission.next_allowed_sync)},
        )
    with engine.begin() as conn:
        # Syncs of this account that died without closing their log row (killed, crashed).
        abandoned = sync_logs_sql.recover_stale_sync_logs(conn, account)
    if abandoned:
        context.log.warning(f"Marked {abandoned} stale 'running' sync log(s) of {account!r} abandoned")
    log_id = sync_log.open(
        account=account, run_id=context.run_id, trigger=trigger, forced=config.force, source=source
    )
    tracker = checked_tracker(engine, account)
    fetched = _fetch_payload(context, engine, audible, library_source, account, source, log_id)
    parsed = _parse(context, fetched.payload, account, source)
    with engine.begin() as conn:
        sync_logs_sql.update_sync_log_fetch(
            conn,
            log_id,
            source=source,
            fetched=len(parsed.items),
            rejected=len(parsed.rejected),
            api_calls=fetched.api_calls,
            page_size=fetched.page_size,
        )
        stored_titles = library_snapshot_sql.stored_title_count(conn, account)
    refuse_collapsed_library(config, account, source, len(parsed.items), stored_titles)
    snapshot = LibrarySnapshot(
        account=account,
        sync_log_id=log_id,
        source=source,
        items=parsed.items,
        rejected=tuple(str(problem) for problem in parsed.rejected),
        api_calls=fetched.api_calls,
        forced=config.force,
        tracker=tracker,
    )
    return dg.Output(snapshot, metadata=as_metadata(library_report(snapshot)))
