"""The PostgreSQL resource: one SQLAlchemy engine per database, migrated on first use.

With no URL configured the tracker lives in an embedded PostgreSQL (pgserver)
under ``AUDIBLE_TRACKER_HOME``, started once per process and shared by every
process that uses the same data directory.

The Dagster resource itself, ``PostgresResource``, is defined in
resources/postgres_resource.py and loaded from here on first use: the
command-line tools that only need an engine (`audible-tracker status`, `config`,
`tracker`, `auth status`) then start without importing Dagster.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa

from resources.migrations import apply_migrations

DATABASE_URL_ENV = "AUDIBLE_TRACKER_DATABASE_URL"
HOME_ENV = "AUDIBLE_TRACKER_HOME"
EMBEDDED_DATABASE = "audible_tracker"

_lock = threading.Lock()
_engines: dict[str, sa.Engine] = {}
_embedded_servers: dict[Path, object] = {}


def tracker_home() -> Path:
    home = Path(os.environ.get(HOME_ENV) or "~/.audible-tracker").expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def sqlalchemy_url(url: str) -> str:
    """Accept the URL forms people paste and use the psycopg 3 driver for all of them."""
    for prefix in ("postgresql+psycopg2://", "postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    raise ValueError(
        f"{DATABASE_URL_ENV} must be a PostgreSQL URL (postgresql://user:password@host:5432/dbname)"
    )


def embedded_database_url(home: Path | None = None) -> str:
    """Start (or join) the embedded server under ``home`` and return its URL."""
    import pgserver  # imported lazily: only the embedded case pays for it

    pgdata = (home or tracker_home()) / "pgdata"
    with _lock:
        server = _embedded_servers.get(pgdata)
        if server is None:
            # "stop": the server stops when the last process using it exits,
            # so nothing is left running behind a finished command.
            server = pgserver.get_server(pgdata, cleanup_mode="stop")
            _embedded_servers[pgdata] = server
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DATABASE}';")
    if "(0 rows)" in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
    return server.get_uri(EMBEDDED_DATABASE)


def get_engine(url: str | None = None) -> sa.Engine:
    """The engine for ``url`` (default: the env var, else embedded), migrated once per process."""
    url = url or os.environ.get(DATABASE_URL_ENV) or embedded_database_url()
    url = sqlalchemy_url(url)
    with _lock:
        engine = _engines.get(url)
        if engine is not None:
            return engine
    # hide_parameters: a failed statement's message would otherwise carry its
    # bound values (an encrypted credential blob, a tracker book's data) into
    # exceptions, the sync log's error column and Dagster's event log.
    engine = sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, hide_parameters=True)
    apply_migrations(engine)
    with _lock:
        return _engines.setdefault(url, engine)


def read_only_engine(url: str | None = None) -> sa.Engine:
    """An engine for looking at a database without changing it: no migrations, and every
    transaction read-only (the server refuses any write). The caller disposes of it."""
    url = sqlalchemy_url(url or os.environ.get(DATABASE_URL_ENV) or embedded_database_url())
    return sa.create_engine(
        url, poolclass=sa.pool.NullPool, connect_args={"options": "-c default_transaction_read_only=on"}
    )


def is_embedded(url: str | None) -> bool:
    return not (url or os.environ.get(DATABASE_URL_ENV))
