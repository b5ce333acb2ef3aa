"""Dagster resources: the tracker database, the library sources, the Audible API."""

from __future__ import annotations

import logging
import os

import dagster as dg

from resources.audible_api import AudibleResource
from resources.library_source import LIBRARY_FILE_ENV, LibrarySourceResource
from resources.postgres import DATABASE_URL_ENV, PostgresResource

# httpx logs every request at INFO with its full URL, and a webhook URL
# usually carries a token: keep httpx's (and httpcore's) own logging at
# WARNING, whatever level the process logs at.
for _logger_name in ("httpx", "httpcore"):
    logging.getLogger(_logger_name).setLevel(logging.WARNING)


def build_resources(
    *,
    database_url: str | dg.EnvVar | None = None,
    library_file: str | None = None,
    library_source: str = "auto",
    audible: AudibleResource | None = None,
) -> dict[str, dg.ConfigurableResource]:
    return {
        "postgres": PostgresResource(database_url=database_url),
        "library_source": LibrarySourceResource(library_file=library_file, source=library_source),
        "audible": audible or AudibleResource(),
    }


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """Resources as configured by the environment (see the design's Environment table).

    The database URL carries a password, so it stays an ``EnvVar``: run
    storage and the UI then hold the variable's name, never its value. Unset
    is a supported state (the embedded database), and an unset EnvVar field
    would make Dagster refuse to start, so it is passed only when set.
    """
    return build_resources(
        database_url=dg.EnvVar(DATABASE_URL_ENV) if os.environ.get(DATABASE_URL_ENV) else None,
        library_file=dg.EnvVar(LIBRARY_FILE_ENV).get_value(),
    )
