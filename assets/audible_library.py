"""Stage 1: fetch the account's Audible library (API, export file or demo)."""

import dagster as dg

from domain.accounts import DEFAULT_ACCOUNT, DEMO_ACCOUNT
from domain.library_items import LibraryShapeError, parse_library
from domain.reports import markdown_table
from domain.sync_results import LibrarySnapshot, collapsed_library_refusal
from domain.tracker_profile import TrackerProfile
from resources.audible_api import AudibleResource, AudibleSourceError, account_has_stored_auth
from resources.library_source import LibrarySourceResource, demo_books
from resources.postgres import PostgresResource
from resources.queries import accounts as accounts_sql
from resources.queries import books as books_sql
from resources.queries import library_snapshot as library_snapshot_sql
from resources.queries import sync_logs as sync_logs_sql
from resources.queries import tracker_profile as tracker_profile_sql


class SyncConfig(dg.Config):
    account: str | None = None
    """Audible account to sync; empty means the only configured one (or the demo)."""
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


def resolve_account(conn, requested: str | None, library_file: str | None) -> str:
    if requested:
        return requested
    accounts = accounts_sql.syncable_accounts(conn)
    if len(accounts) == 1:
        return accounts[0]
    if len(accounts) > 1:
        raise dg.Failure(
            description=(
                f"several Audible accounts are configured ({', '.join(accounts)}); choose one with "
                "ops: {audible_library: {config: {account: NAME}}} in the run config"
            )
        )
    return DEFAULT_ACCOUNT if library_file else DEMO_ACCOUNT


def checked_tracker(engine, account: str) -> TrackerProfile:
    """The tracker's profile, or a failure (before anything is fetched) when the sync cannot write to it."""
    with engine.connect() as conn:
        profile = tracker_profile_sql.load_profile(conn)
    refusal = profile.refusal()
    if refusal:
        raise dg.Failure(description=f"Sync of account {account!r} refused: {refusal}")
    return profile


@dg.asset(group_name="audible", kinds={"python"})
def audible_library(
    context: dg.AssetExecutionContext,
    config: SyncConfig,
    postgres: PostgresResource,
    library_source: LibrarySourceResource,
    audible: AudibleResource,
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
        account = resolve_account(conn, config.account, library_source.library_file)
        source = library_source.choose(
            account=account,
            has_stored_auth=account_has_stored_auth(engine, account),
            embedded_database=postgres.embedded or library_source.source == "demo",
        )
        accounts_sql.ensure_account(conn, account, source)
        if source == "demo":
            seeded = books_sql.seed_books(conn, demo_books())
            if seeded:
                context.log.info(f"Seeded the empty tracker with {seeded} demo books")
        permission = sync_logs_sql.can_sync(conn, account)
        if not permission.can_sync and not config.force:
            sync_logs_sql.record_skipped_sync(
                conn, account=account, run_id=context.run_id, trigger=trigger, reason=permission.reason
            )
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
    # Held until the write phase ends: the row is provably alive while this process is.
    log_id = sync_logs_sql.open_running_sync_log(
        engine, account=account, run_id=context.run_id, trigger=trigger, forced=config.force, source=source
    )

    tracker = checked_tracker(engine, account)
    api_calls = 0
    page_size: int | None = None
    if source == "api":
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
        payload, api_calls, page_size = fetched.items, fetched.api_calls, fetched.page_size
    else:
        payload = library_source.load_payload(source)
    try:
        parsed = parse_library(payload)
    except LibraryShapeError as error:
        raise dg.Failure(description=f"Library of account {account!r} ({source}) refused: {error}") from None
    for problem in parsed.rejected:
        context.log.warning(f"Skipped {problem}")

    with engine.begin() as conn:
        sync_logs_sql.update_sync_log_fetch(
            conn,
            log_id,
            source=source,
            fetched=len(parsed.items),
            rejected=len(parsed.rejected),
            api_calls=api_calls,
            page_size=page_size,
        )
        stored_titles = library_snapshot_sql.stored_title_count(conn, account)
    collapsed = collapsed_library_refusal(account, source, len(parsed.items), stored_titles)
    if collapsed and not (config.accept_smaller_library or config.force):
        raise dg.Failure(description=collapsed)
    snapshot = LibrarySnapshot(
        account=account,
        source=source,
        items=parsed.items,
        rejected=tuple(str(problem) for problem in parsed.rejected),
        api_calls=api_calls,
        forced=config.force,
        tracker=tracker,
    )
    in_progress = [i for i in parsed.items if 0 < i.percent_complete < 100 and not i.is_finished]
    return dg.Output(
        snapshot,
        metadata={
            "account": account,
            "source": source,
            "titles": dg.MetadataValue.int(len(parsed.items)),
            "rejected_records": dg.MetadataValue.int(len(parsed.rejected)),
            "finished": dg.MetadataValue.int(sum(i.is_finished for i in parsed.items)),
            "in_progress": dg.MetadataValue.int(len(in_progress)),
            "api_calls": dg.MetadataValue.int(api_calls),
            "forced": config.force,
            "rejected": dg.MetadataValue.md(
                "\n".join(f"- {problem}" for problem in snapshot.rejected[:25]) or "_none_"
            ),
            "in_progress_titles": dg.MetadataValue.md(
                markdown_table(
                    [
                        {
                            "asin": i.asin,
                            "title": i.title,
                            "authors": i.authors,
                            "percent": i.percent_complete,
                        }
                        for i in sorted(in_progress, key=lambda i: -i.percent_complete)
                    ]
                )
            ),
        },
    )
