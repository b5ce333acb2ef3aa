"""Daily upkeep: close abandoned sync logs, reset daily counters, apply log retention."""

import dagster as dg

from resources.postgres_resource import PostgresResource
from resources.queries import sync_logs as sync_logs_sql


class MaintenanceConfig(dg.Config):
    keep_days: int | None = None
    """Delete finished sync logs older than this many days; empty: each account's log_retention_days (90)."""


@dg.op
def audible_maintenance_op(
    context: dg.OpExecutionContext, config: MaintenanceConfig, postgres: PostgresResource
) -> dg.Output[dict]:
    """Marks 'running' sync logs whose process is gone 'abandoned', resets daily sync counters whose
    day has passed in the account's time zone, and deletes old finished sync logs (progress history
    keeps its rows)."""
    if config.keep_days is not None and config.keep_days < 1:
        raise dg.Failure(description=f"keep_days must be at least 1, got {config.keep_days}")
    with postgres.get_engine().begin() as conn:
        abandoned = sync_logs_sql.recover_stale_sync_logs(conn)
        counters_reset = sync_logs_sql.reset_daily_sync_counters(conn)
        logs_deleted = sync_logs_sql.cleanup_old_sync_logs(conn, config.keep_days)
        remaining = sync_logs_sql.sync_log_counts(conn)
    summary = {"abandoned": abandoned, "counters_reset": counters_reset, "logs_deleted": logs_deleted}
    context.log.info(
        f"{abandoned} stale sync log(s) marked abandoned, {counters_reset} daily counter(s) reset, "
        f"{logs_deleted} old sync log(s) deleted"
    )
    return dg.Output(
        summary,
        metadata={
            **{key: dg.MetadataValue.int(value) for key, value in summary.items()},
            "sync_logs_by_status": dg.MetadataValue.json(remaining),
        },
    )


@dg.job(
    name="audible_maintenance",
    description=(
        "Daily upkeep of the sync tables: abandoned 'running' logs, daily counters, log retention. "
        "Config: ops.audible_maintenance_op.config.keep_days."
    ),
    executor_def=dg.in_process_executor,
)
def audible_maintenance_job():
    audible_maintenance_op()


audible_maintenance_daily = dg.ScheduleDefinition(
    name="audible_maintenance_daily",
    job=audible_maintenance_job,
    # Counters reset by themselves at each account's midnight (audible_can_sync treats an old
    # day as zero); the time of this job only decides when old logs are deleted.
    cron_schedule="30 3 * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
