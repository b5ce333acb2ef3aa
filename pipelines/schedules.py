"""The hourly sync, which asks audible_can_sync() before it launches anything."""

import dagster as dg

from domain.accounts import DEFAULT_ACCOUNT, DEMO_ACCOUNT
from pipelines.jobs import audible_sync_job
from resources.library_source import LibrarySourceResource
from resources.postgres import PostgresResource
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
        accounts = accounts_sql.all_accounts(conn)
        if not accounts:
            # Nothing stored yet: the first run creates the account it syncs.
            accounts = [DEFAULT_ACCOUNT if library_source.library_file else DEMO_ACCOUNT]
            permissions = {a: None for a in accounts}
        else:
            permissions = {a: sync_logs_sql.can_sync(conn, a) for a in accounts}
    tick = context.scheduled_execution_time
    requests, skipped = [], []
    for account, permission in permissions.items():
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
