"""The zero-setup paths: with nothing configured the sync runs on an embedded PostgreSQL with the demo
library and books, and the demo never reaches a tracker someone configured."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import dagster as dg
import psutil
import pytest
import sqlalchemy as sa

from pipelines.definitions import build_definitions
from resources import build_resources, resources_from_env
from resources import postgres as postgres_module
from resources.library_source import demo_books
from resources.postgres import DATABASE_URL_ENV, HOME_ENV
from resources.postgres_resource import PostgresResource

MIGRATIONS = sorted(p.name for p in (Path(__file__).resolve().parents[1] / "sql").glob("*.sql"))


def _sync(defs: dg.Definitions, config: dict) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("audible_sync").execute_in_process(
        run_config={"ops": {"audible_library": {"config": config}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _messages(error) -> str:
    """An error's message with those of its causes: where Dagster keeps the user code's own words."""
    said = []
    while error is not None:
        said.append(error.message)
        error = error.cause
    return "\n".join(said)


def _servers_on(pgdata: Path) -> list[int]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(str(pgdata) in part for part in process.info["cmdline"] or ()):
            found.append(process.pid)
    return found


@pytest.fixture
def short_home(monkeypatch):
    """AUDIBLE_TRACKER_HOME in a short directory: the embedded server's socket lives under it."""
    home = Path(tempfile.mkdtemp(prefix="at-home-"))
    monkeypatch.setenv(HOME_ENV, str(home))
    yield home
    shutil.rmtree(home, ignore_errors=True)


def test_with_no_database_configured_the_sync_runs_on_an_embedded_postgres_under_the_home(short_home):
    pgdata = short_home / "pgdata"
    postgres = PostgresResource()
    assert postgres.embedded
    try:
        result = _sync(build_definitions(build_resources()), {})
        assert result.success
        engine = postgres.get_engine()
        with engine.connect() as conn:
            database, socket_dir = conn.execute(
                sa.text("SELECT current_database(), current_setting('unix_socket_directories')")
            ).one()
            books = conn.execute(sa.text("SELECT count(*) FROM books")).scalar()
            log = conn.execute(sa.text("SELECT account, source, status FROM audible_sync_logs")).one()
            applied = conn.execute(sa.text("SELECT count(*) FROM schema_migrations")).scalar()
        assert (pgdata / "PG_VERSION").is_file()
        assert database == "audible_tracker" and Path(socket_dir).resolve() == pgdata.resolve()
        assert books == len(demo_books())
        assert tuple(log) == ("demo", "demo", "success")
        assert applied == len(MIGRATIONS)
    finally:
        url = postgres_module.sqlalchemy_url(postgres_module.embedded_database_url(short_home))
        postgres_module._engines.pop(url).dispose()
        postgres_module._embedded_servers.pop(pgdata).cleanup()  # the last handle: the server stops
    assert _servers_on(pgdata) == []


@pytest.mark.parametrize("account", [None, "demo"], ids=["no-account-given", "demo-asked-for"])
def test_the_auto_source_never_seeds_demo_books_into_a_configured_tracker(
    account, database_url, engine, monkeypatch
):
    # As `dagster job execute` starts: resources from the environment, which names a real tracker.
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    result = _sync(build_definitions(resources_from_env()), {"account": account} if account else {})

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    said = _messages(failure.step_failure_data.error)
    assert "account 'demo' has no stored Audible credentials and no library file is set" in said
    assert "`audible-tracker auth login --account demo`" in said
    with engine.connect() as conn:
        counts = {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("books", "audible_config", "audible_library_items", "audible_sync_logs")
        }
    assert counts == dict.fromkeys(counts, 0)
