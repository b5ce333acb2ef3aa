"""Sensors."""

import dagster as dg

from domain.review import conflicts_state
from pipelines.checks import conflicts_check_evaluation
from pipelines.jobs import LISTENING_CHARTS
from resources.postgres import PostgresResource
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


# Declarative automation for the listening charts, on by default (Dagster's own default
# sensor for automation conditions starts stopped): after a sync that appended history,
# the next evaluation requests a run that draws them.
audible_listening_charts_automation = dg.AutomationConditionSensorDefinition(
    "audible_listening_charts_automation",
    target=LISTENING_CHARTS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Draws the listening charts in a run of their own after a sync appended progress history.",
)
