"""The hourly sync, which asks audible_can_sync() before it launches anything."""

import dagster as dg

from domain.accounts import accounts_to_schedule
from pipelines.jobs import audible_sync_job
from resources.library_source import LibrarySourceResource
from resources.postgres_resource import PostgresResource
from resources.queries import accounts as accounts_sql
from resources.queries import sync_logs as sync_logs_sql


def sync_run_config(account: str) -> dict:
    return {"ops": {"audible_library": {"config": {"account": account}}}}


@dg.schedule(
    job=audible_sync_job,
    cron_schedule="0 * * * *",
    name="audible_sync_hourly",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def audible_sync_hourly(
    context: dg.ScheduleEvaluationContext, postgres: PostgresResource, library_source: LibrarySourceResource
):
    with postgres.get_engine().connect() as conn:
        permissions = {a: sync_logs_sql.can_sync(conn, a) for a in accounts_sql.account_sources(conn)}
    # Nothing stored yet: the first run creates the account it syncs.
    accounts = accounts_to_schedule(list(permissions), bool(library_source.library_file))
    tick = context.scheduled_execution_time
    requests, skipped = [], []
    for account in accounts:
        permission = permissions.get(account)
        if permission is not None and not permission.can_sync:
            skipped.append(f"{account}: {permission.reason}")
            continue
        requests.append(
            dg.RunRequest(
                run_key=f"{account}:{tick:%Y-%m-%dT%H:%M}",
                run_config=sync_run_config(account),
                tags={"audible/account": account},
            )
        )
    if not requests:
        return dg.SkipReason("; ".join(skipped) or "no Audible account to sync")
    for reason in skipped:
        context.log.info(f"Skipping {reason}")
    return requests
