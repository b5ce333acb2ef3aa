"""Dagster resources: the tracker database, the sync log, the library sources, the Audible API.

Dagster and the audible package are imported when the resources are built, not
when a sub-module is: the command-line tools that need only the database or the
cipher (resources.postgres' engines, resources.queries, resources.cipher) start
without them.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

    from resources.audible_api import AudibleResource

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
    from resources.audible_api import AudibleResource
    from resources.library_source import LibrarySourceResource
    from resources.postgres_resource import PostgresResource
    from resources.sync_log import SyncLogResource

    postgres = PostgresResource(database_url=database_url)
    return {
        "postgres": postgres,
        "sync_log": SyncLogResource(postgres=postgres),
        "library_source": LibrarySourceResource(library_file=library_file, source=library_source),
        "audible": audible or AudibleResource(),
    }


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """Resources as configured by the environment (AUDIBLE_TRACKER_DATABASE_URL, AUDIBLE_TRACKER_LIBRARY_FILE).

    The database URL carries a password, so it stays an ``EnvVar``: run
    storage and the UI then hold the variable's name, never its value. Unset
    is a supported state (the embedded database), and an unset EnvVar field
    would make Dagster refuse to start, so it is passed only when set.
    """
    import dagster as dg

    from resources.library_source import LIBRARY_FILE_ENV
    from resources.postgres import DATABASE_URL_ENV

    return build_resources(
        database_url=dg.EnvVar(DATABASE_URL_ENV) if os.environ.get(DATABASE_URL_ENV) else None,
        library_file=dg.EnvVar(LIBRARY_FILE_ENV).get_value(),
    )
