"""The code location: gathers assets, checks, jobs, schedules, sensors and resources."""

import dagster as dg

from assets import analytics, audible_book_matches, audible_library, stats, sync_writes
from assets.sync_status import audible_sync_status
from pipelines.jobs import audible_sync_job
from pipelines.schedules import audible_sync_hourly
from pipelines.settings_jobs import update_audible_settings_job
from resources import resources_from_env


def build_definitions(resources: dict[str, dg.ConfigurableResource]) -> dg.Definitions:
    return dg.Definitions(
        assets=dg.load_assets_from_modules(
            [audible_library, audible_book_matches, sync_writes, stats, analytics]
        ),
        asset_checks=[audible_sync_status],
        jobs=[audible_sync_job, update_audible_settings_job],
        schedules=[audible_sync_hourly],
        resources=resources,
    )


defs = build_definitions(resources_from_env())
