"""Jobs: the sync itself, and the hook that closes its log row when it fails."""

import dagster as dg

from assets.listening_charts import LISTENING_CHART_KEYS
from pipelines.cli.errors import exception_line
from pipelines.console_log import SYNC_CONSOLE_CONFIG
from resources.sync_log import SyncLogResource

# Every sync run carries this tag, manual UI runs included: a run-queue limit of 1 on it queues
# all syncs behind each other (pipelines/dagster_concurrency.yaml shows it and the per-account one).
SYNC_RUN_TAG = "audible/sync"


@dg.failure_hook(required_resource_keys={"sync_log"})
def mark_sync_log_failed(context: dg.HookContext) -> None:
    """A failed step leaves no sync log stuck in 'running': the row it held becomes 'failed' with the error.

    Never fails on top of the step's own failure: when the database is what failed,
    the row cannot be closed now, and the next sync marks it abandoned.
    """
    sync_log: SyncLogResource = context.resources.sync_log
    error = context.op_exception
    message = (exception_line(error) if error else None) or (
        f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        if error
        else "step failed"
    )
    try:
        sync_log.fail_held(f"{context.op.name}: {message}")
    except Exception as hook_error:
        reason = exception_line(hook_error) or type(hook_error).__name__
        context.log.warning(
            f"Could not record this failure in audible_sync_logs ({reason}); "
            "a row left 'running' is closed by the next sync"
        )


LISTENING_CHARTS = dg.AssetSelection.assets(*LISTENING_CHART_KEYS)

audible_sync_job = dg.define_asset_job(
    name="audible_sync",
    # The listening charts are drawn after the sync, in a run of their own (assets/listening_charts.py).
    selection=dg.AssetSelection.groups("audible", "audible_stats") - LISTENING_CHARTS,
    description=(
        "Fetch the Audible library, match it to tracker books, write mappings, progress and history, "
        "and refresh the stats. Config: ops.audible_library.config.{account, force}."
    ),
    # In one process for speed: a process per step would start Dagster and load the library
    # snapshot once per step, costing more than the work. The steps hand each other data and
    # take the sync log's lock themselves, so the multiprocess executor gives the same result
    # (tests/pipelines/test_sync_executors.py).
    executor_def=dg.in_process_executor,
    hooks={mark_sync_log_failed},
    tags={SYNC_RUN_TAG: "true"},
    # Dagster's console log, with an expected failure printed as its one-line reason.
    config=SYNC_CONSOLE_CONFIG,
)


audible_charts_job = dg.define_asset_job(
    name="audible_charts",
    selection=LISTENING_CHARTS,
    description=(
        "Draw the charts of progress over time, books finished per month and hours listened per week. "
        "Runs by itself after every sync that appended progress history (the "
        "audible_listening_charts_automation sensor); launch it to draw them now. Config (optional): "
        "ops.audible_listening_charts.config.account."
    ),
    executor_def=dg.in_process_executor,
)
