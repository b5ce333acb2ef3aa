"""Sensors."""

import dagster as dg

from domain.review import conflicts_state
from pipelines.checks import conflicts_check_evaluation
from pipelines.jobs import audible_charts_job
from resources.postgres_resource import PostgresResource
from resources.queries import analytics as analytics_sql
from resources.queries import conflicts as cq


@dg.sensor(
    name="audible_conflicts_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Re-evaluates the unresolved_conflicts check whenever the set of open conflicts changes "
        "(a resolution, or a conflict opened or closed outside a sync), so the UI shows the current "
        "state without waiting for the next sync. Launches no run."
    ),
)
def audible_conflicts_sensor(context: dg.SensorEvaluationContext, postgres: PostgresResource):
    with postgres.get_engine().connect() as conn:
        conflicts = cq.open_conflicts(conn)
    # The cursor digests the open conflicts' ids and last changes: report only on change.
    state = conflicts_state(conflicts)
    if state == context.cursor:
        return dg.SkipReason(f"open conflicts unchanged ({len(conflicts)})")
    return dg.SensorResult(
        asset_events=[conflicts_check_evaluation(conflicts, context.instance)], cursor=state
    )


@dg.sensor(
    name="audible_listening_charts_automation",
    job=audible_charts_job,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Launches the audible_charts job when progress history was appended since the charts were last "
        "requested, including by syncs that ran before this Dagster instance started."
    ),
)
def audible_listening_charts_automation(context: dg.SensorEvaluationContext, postgres: PostgresResource):
    # The cursor is the newest history row the charts were requested for. Read from the database,
    # not from this instance's events: a sync run elsewhere (another instance, a temporary one)
    # appends history this instance never saw materialized.
    with postgres.get_engine().connect() as conn:
        latest = analytics_sql.latest_history_id(conn)
    if latest is None:
        return dg.SkipReason("no progress history yet: nothing to draw")
    if context.cursor and latest <= int(context.cursor):
        return dg.SkipReason("no progress history appended since the charts were last drawn")
    context.update_cursor(str(latest))
    return dg.RunRequest(run_key=f"progress-history-{latest}")
