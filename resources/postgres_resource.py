"""The tracker's PostgreSQL database as a Dagster resource (engines: resources/postgres.py)."""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from resources.postgres import get_engine, is_embedded


class PostgresResource(dg.ConfigurableResource):
    """The tracker's PostgreSQL database (books and the audible_* tables).

    ``database_url`` unset means AUDIBLE_TRACKER_DATABASE_URL, read when the
    engine is first needed, else the embedded database under
    AUDIBLE_TRACKER_HOME. Give it as ``dg.EnvVar(...)``, never as a literal
    URL: Dagster keeps a resource's literal config in every run's job snapshot
    and shows it on the UI's Resources page, password included, whereas an
    EnvVar is stored and shown by its name only.
    """

    database_url: str | None = None

    def get_engine(self) -> sa.Engine:
        return get_engine(self.database_url)

    @property
    def embedded(self) -> bool:
        return is_embedded(self.database_url)
