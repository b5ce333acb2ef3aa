"""deploy/dagster.yaml as the production instance: Dagster's storage in schema `dagster` of the
tracker's PostgreSQL, runs queued and launched by the daemon's run coordinator, one per account."""

from __future__ import annotations

import time

import dagster as dg
import psutil
import pytest
import sqlalchemy as sa
import yaml
from dagster._cli.job import _create_run
from dagster._core.run_coordinator import QueuedRunCoordinator
from dagster._core.storage.dagster_run import DagsterRunStatus
from dagster._core.test_utils import create_test_daemon_workspace_context
from dagster._core.workspace.load_target import ModuleTarget
from dagster._daemon.run_coordinator.queued_run_coordinator_daemon import QueuedRunCoordinatorDaemon

from resources.library_source import _demo_file
from tests.conftest import REPO_ROOT

STORAGE_URL_ENV = "AUDIBLE_TRACKER_DAGSTER_STORAGE_URL"
LOCATION = "audible_tracker"
DEADLINE_SECONDS = 240
# deploy/dagster.yaml plus one test-only setting: leaving the workspace waits for the code servers
# it started (Dagster does not by default), so a server cannot outlive the test and its database.
TEST_ONLY_SETTINGS = {"code_servers": {"wait_for_local_processes_on_shutdown": True}}


def dagster_storage_url(database_url: str) -> str:
    """The tracker's URL in the form deploy/dagster.yaml documents: psycopg2, search_path dagster."""
    url = sa.make_url(database_url)
    return url.set(
        drivername="postgresql+psycopg2", query={**url.query, "options": "-csearch_path=dagster"}
    ).render_as_string(hide_password=False)


def processes_of(home) -> list[psutil.Process]:
    """Processes started for this instance: code servers and run workers name its directory."""
    marker = str(home)
    found = []
    for process in psutil.process_iter(["cmdline"]):
        if any(marker in part for part in process.info["cmdline"] or ()):
            found.append(process)
    return found


def assert_no_process_survives(home, children_before: set[int]) -> None:
    """Fail (after killing them) if a code server, run worker or other child outlived the test."""
    new_children = [p for p in psutil.Process().children(recursive=True) if p.pid not in children_before]
    survivors = {p.pid: p for p in [*processes_of(home), *new_children]}
    described = []
    for process in survivors.values():
        try:
            described.append(f"{process.pid}: {' '.join(process.cmdline())[:160]}")
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(list(survivors.values()), timeout=30)
    assert not described, f"processes left running after the test: {described}"


@pytest.fixture
def production_instance(database_url, tmp_path, monkeypatch):
    home = tmp_path / "dagster_home"
    home.mkdir()
    config = yaml.safe_load((REPO_ROOT / "deploy" / "dagster.yaml").read_text())
    (home / "dagster.yaml").write_text(yaml.safe_dump({**config, **TEST_ONLY_SETTINGS}))
    children_before = {p.pid for p in psutil.Process().children(recursive=True)}
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv(STORAGE_URL_ENV, dagster_storage_url(database_url))
    # What the code location (and so every launched run) reads.
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("AUDIBLE_TRACKER_LIBRARY_FILE", str(_demo_file("library.json")))
    try:
        with dg.DagsterInstance.get() as instance:
            yield instance
    finally:
        assert_no_process_survives(home, children_before)


def _tables(engine, schema):
    with engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names(schema=schema))


def test_instance_config_loads_with_storage_in_its_own_schema(production_instance, engine):
    instance = production_instance
    for storage in (instance.run_storage, instance.event_log_storage, instance.schedule_storage):
        assert type(storage).__module__.startswith("dagster_postgres."), storage
        assert storage.postgres_url.startswith("postgresql+psycopg2://")
    assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
    limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    assert limits == [{"key": "audible/account", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}]
    dagster_tables = _tables(engine, "dagster")
    assert {"runs", "event_logs", "jobs", "job_ticks", "alembic_version"} <= dagster_tables
    assert not dagster_tables & _tables(engine, "public")  # the tracker's schema holds none of them


def _status(instance, run_id):
    return instance.get_run_by_id(run_id).status


def _work_the_queue_until(instance, context, daemon, run_ids, deadline):
    """Run the daemon's coordinator iterations until every run has finished (polling, bounded)."""
    while True:
        list(daemon.run_iteration(context))
        statuses = {run_id: _status(instance, run_id) for run_id in run_ids}
        if all(
            status in {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE} for status in statuses.values()
        ):
            return statuses
        assert time.monotonic() < deadline, f"runs not finished in time: {statuses}"
        time.sleep(0.5)


def test_runs_go_through_the_queue_one_per_account(production_instance, engine):
    instance = production_instance
    target = ModuleTarget(
        module_name="pipelines.definitions",
        attribute=None,
        working_directory=str(REPO_ROOT),
        location_name=LOCATION,
    )
    deadline = time.monotonic() + DEADLINE_SECONDS
    with create_test_daemon_workspace_context(target, instance) as context:
        workspace = context.create_request_context()
        location = workspace.get_code_location(LOCATION)
        repo = next(iter(location.get_repositories().values()))
        job = repo.get_full_job("audible_sync")

        def submit(account, force=False):
            run = _create_run(
                instance=instance,
                code_location=location,
                remote_repo=repo,
                remote_job=job,
                run_config={"ops": {"audible_library": {"config": {"account": account, "force": force}}}},
                tags={"audible/account": account},
                op_selection=None,
                run_id=None,
            )
            return instance.submit_run(run.run_id, workspace).run_id

        alice_first, bob, alice_again = submit("alice"), submit("bob"), submit("alice", force=True)
        assert {_status(instance, r) for r in (alice_first, bob, alice_again)} == {DagsterRunStatus.QUEUED}

        with QueuedRunCoordinatorDaemon(interval_seconds=1) as daemon:
            list(daemon.run_iteration(context))
            # Both accounts start at once; alice's second sync waits for her first.
            assert _status(instance, alice_first) != DagsterRunStatus.QUEUED
            assert _status(instance, bob) != DagsterRunStatus.QUEUED
            assert _status(instance, alice_again) == DagsterRunStatus.QUEUED

            runs = [alice_first, bob, alice_again]
            statuses = _work_the_queue_until(instance, context, daemon, runs, deadline)
    assert set(statuses.values()) == {DagsterRunStatus.SUCCESS}, statuses

    first = instance.get_run_record_by_id(alice_first)
    again = instance.get_run_record_by_id(alice_again)
    assert again.start_time >= first.end_time

    with engine.connect() as conn:
        logs = conn.execute(
            sa.text("SELECT dagster_run_id, account, status FROM audible_sync_logs ORDER BY id")
        ).all()
        events = conn.execute(
            sa.text("SELECT count(*) FROM dagster.event_logs WHERE run_id = :r"), {"r": alice_again}
        ).scalar()
    assert {(row.dagster_run_id, row.account, row.status) for row in logs} == {
        (alice_first, "alice", "success"),
        (bob, "bob", "success"),
        (alice_again, "alice", "success"),
    }
    assert events > 0
