"""Applies the numbered files in ``sql/`` once each, in order, recorded in schema_migrations."""

from __future__ import annotations

import hashlib
from importlib import resources as importlib_resources

import sqlalchemy as sa

# Any fixed number works; it only has to be the same in every process so that
# two processes starting at once do not migrate concurrently.
_MIGRATION_LOCK_KEY = 4_242_001


def migration_files() -> list[tuple[str, str]]:
    files = importlib_resources.files("sql")
    found = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in files.iterdir()
        if entry.name.endswith(".sql") and entry.name[:3].isdigit()
    )
    return found


def apply_migrations(engine: sa.Engine) -> list[str]:
    """Apply pending migrations; returns the versions applied by this call."""
    applied_now: list[str] = []
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK_KEY})
        conn.execute(
            sa.text(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY,"
                " checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
        )
        done = set(conn.execute(sa.text("SELECT version FROM schema_migrations")).scalars())
        for name, body in migration_files():
            version = name.removesuffix(".sql")
            if version in done:
                continue
            # The raw driver cursor runs a multi-statement file as one script, and
            # without parameters psycopg leaves the '%' in format() strings alone.
            with conn.connection.dbapi_connection.cursor() as cursor:
                cursor.execute(body)
            conn.execute(
                sa.text("INSERT INTO schema_migrations (version, checksum) VALUES (:v, :c)"),
                {"v": version, "c": hashlib.sha256(body.encode()).hexdigest()},
            )
            applied_now.append(version)
    return applied_now
