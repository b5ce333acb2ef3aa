"""Real PostgreSQL for every test: the embedded server, or AUDIBLE_TRACKER_TEST_DATABASE_URL.

Each test that asks for ``database_url`` gets its own database, cloned from a
template that was migrated once per session, and dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources import postgres as postgres_module
from resources.postgres import sqlalchemy_url
from tests.support.environment import TEST_DATABASE_URL_ENV, developer_settings, drop_developer_settings
from tests.support.process_tree import describe, kill_tree, running_descendants

REPO_ROOT = Path(__file__).resolve().parent.parent

# Before any test module is imported: module-level definitions read the environment too.
drop_developer_settings(os.environ)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test fails: every test here can run anywhere (embedded PostgreSQL, data in tests/data),
    so a skip would only hide a path that stopped working, such as a missing file or a broken import."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{item.nodeid} was skipped ({reason}); this suite runs every test"


@pytest.fixture(autouse=True)
def no_process_left_behind():
    """A test whose processes (or their children) are still running when it ends fails, after they
    are killed: they would otherwise run on against a database its teardown drops."""
    before = set(running_descendants())
    yield
    survivors = [p for pid, p in running_descendants().items() if pid not in before]
    if survivors:
        described = [describe(p) for p in survivors]
        kill_tree(survivors)
        pytest.fail(f"processes still running after the test: {described}")


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch, tmp_path):
    """No test reads the developer's own settings or touches ~/.audible-tracker."""
    for name in developer_settings(os.environ):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUDIBLE_TRACKER_HOME", str(tmp_path / "home"))


def _with_database(url: str, database: str) -> str:
    return sa.make_url(url).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def server_url():
    """URL of a maintenance database on the server the tests use."""
    configured = os.environ.get(TEST_DATABASE_URL_ENV)
    if configured:
        yield sqlalchemy_url(configured)
        return
    import pgserver

    # Our own short-lived directory, not pytest's rotating tmp dirs (which another
    # pytest process may prune), and short: the server's unix socket lives in it.
    pgdata = Path(tempfile.mkdtemp(prefix="at-pg-")) / "data"
    server = pgserver.get_server(pgdata, cleanup_mode="delete")
    yield sqlalchemy_url(server.get_uri())
    server.cleanup()


@pytest.fixture(scope="session")
def admin_engine(server_url):
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


def _drop_database(admin_engine, url: str) -> None:
    engine = postgres_module._engines.pop(sqlalchemy_url(url), None)
    if engine is not None:
        engine.dispose()
    name = sa.make_url(url).database
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def template_database(admin_engine, server_url):
    """A database migrated once; each test's database is a copy of it."""
    name = f"at_template_{os.getpid()}"
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    postgres_module.get_engine(url)
    # CREATE DATABASE … TEMPLATE needs the template to have no connections.
    postgres_module._engines.pop(sqlalchemy_url(url)).dispose()
    yield name
    _drop_database(admin_engine, url)


@pytest.fixture
def empty_database_url(admin_engine, server_url):
    """A brand-new database with no schema at all."""
    name = f"at_empty_{uuid.uuid4().hex[:10]}"
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = _with_database(server_url, name)
    yield url
    _drop_database(admin_engine, url)


@pytest.fixture
def database_url(admin_engine, server_url, template_database):
    """A fresh, migrated, empty database for this test."""
    name = f"at_test_{uuid.uuid4().hex[:10]}"
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"'))
    url = _with_database(server_url, name)
    yield url
    _drop_database(admin_engine, url)


@pytest.fixture
def engine(database_url):
    return postgres_module.get_engine(database_url)
