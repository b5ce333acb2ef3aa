"""The code location: gathers assets, checks, jobs, schedules, sensors and resources."""

import dagster as dg

from assets import audible_book_matches, audible_library, audible_sync_writes, listening_charts, stats
from pipelines.checks import unresolved_conflicts
from pipelines.conflict_jobs import conflict_jobs
from pipelines.console_log import sync_console_logger
from pipelines.jobs import audible_charts_job, audible_sync_job
from pipelines.maintenance_jobs import audible_maintenance_daily, audible_maintenance_job
from pipelines.schedules import audible_sync_hourly
from pipelines.sensors import audible_conflicts_sensor, audible_listening_charts_automation
from pipelines.settings_jobs import update_audible_settings_job
from pipelines.tracker_jobs import update_tracker_profile_job
from resources import resources_from_env


def build_definitions(resources: dict[str, dg.ConfigurableResource]) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(
            [audible_library, audible_book_matches, audible_sync_writes, stats, listening_charts]
        ),
        asset_checks=[unresolved_conflicts],
        jobs=[
            audible_sync_job,
            audible_charts_job,
            update_audible_settings_job,
            update_tracker_profile_job,
            audible_maintenance_job,
            *conflict_jobs,
        ],
        schedules=[audible_sync_hourly, audible_maintenance_daily],
        sensors=[audible_conflicts_sensor, audible_listening_charts_automation],
        resources=resources,
        loggers={"console": sync_console_logger},
    )


defs = build_definitions(resources_from_env())
