"""Dagster resources: the tracker database, the sync log, the library sources, the Audible API."""

from __future__ import annotations

import dagster as dg

from resources.audible_api import AudibleResource
from resources.library_source import LIBRARY_FILE_ENV, LibrarySourceResource
from resources.postgres import DATABASE_URL_ENV, PostgresResource
from resources.sync_log import SyncLogResource


def build_resources(
    *,
    database_url: str | None = None,
    library_file: str | None = None,
    library_source: str = "auto",
    audible: AudibleResource | None = None,
) -> dict[str, dg.ConfigurableResource]:
    postgres = PostgresResource(database_url=database_url)
    return {
        "postgres": postgres,
        "sync_log": SyncLogResource(postgres=postgres),
        "library_source": LibrarySourceResource(library_file=library_file, source=library_source),
        "audible": audible or AudibleResource(),
    }


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """Resources as configured by the environment (AUDIBLE_TRACKER_DATABASE_URL, AUDIBLE_TRACKER_LIBRARY_FILE).

    Optional variables are read with EnvVar.get_value(): an unset EnvVar field
    would make Dagster refuse to start, and unset is a supported state here.
    """
    return build_resources(
        database_url=dg.EnvVar(DATABASE_URL_ENV).get_value(),
        library_file=dg.EnvVar(LIBRARY_FILE_ENV).get_value(),
    )
