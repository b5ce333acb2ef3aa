"""Dagster resources: the tracker database, the library sources, the Audible API.

Dagster and the audible package are imported when the resources are built, not
when a sub-module is: the command-line tools that only need the database or the
cipher (resources.database, resources.queries, resources.cipher) start without
them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg

    from resources.audible_api import AudibleResource


def build_resources(
    *,
    database_url: str | None = None,
    library_file: str | None = None,
    library_source: str = "auto",
    audible: AudibleResource | None = None,
) -> dict[str, dg.ConfigurableResource]:
    from resources.audible_api import AudibleResource
    from resources.library_source import LibrarySourceResource
    from resources.postgres import PostgresResource

    return {
        "postgres": PostgresResource(database_url=database_url),
        "library_source": LibrarySourceResource(library_file=library_file, source=library_source),
        "audible": audible or AudibleResource(),
    }


def resources_from_env() -> dict[str, dg.ConfigurableResource]:
    """Resources as configured by the environment (see the design's Environment table).

    Optional variables are read with EnvVar.get_value(): an unset EnvVar field
    would make Dagster refuse to start, and unset is a supported state here.
    """
    import dagster as dg

    from resources.database import DATABASE_URL_ENV
    from resources.library_source import LIBRARY_FILE_ENV

    return build_resources(
        database_url=dg.EnvVar(DATABASE_URL_ENV).get_value(),
        library_file=dg.EnvVar(LIBRARY_FILE_ENV).get_value(),
    )
