"""The PostgreSQL resource: the tracker's database (see resources/database.py) for Dagster."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

# Re-exported: the engine and URL helpers have always been reachable from here.
from resources.database import (  # noqa: F401
    DATABASE_URL_ENV,
    EMBEDDED_DATABASE,
    HOME_ENV,
    _embedded_servers,
    _engines,
    embedded_database_url,
    get_engine,
    is_embedded,
    sqlalchemy_url,
    tracker_home,
)


class PostgresResource(dg.ConfigurableResource):
    """The tracker's PostgreSQL database (books and the audible_* tables).

    ``database_url`` unset means the embedded database under AUDIBLE_TRACKER_HOME.
    """

    database_url: str | None = None

    def get_engine(self) -> sa.Engine:
        return get_engine(self.database_url)

    @property
    def embedded(self) -> bool:
        return is_embedded(self.database_url)
