"""Dagster run concurrency: the documented dagster.yaml fragment queues a second sync run."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
import yaml
from dagster._core.run_coordinator.queued_run_coordinator import QueuedRunCoordinator

from pipelines.definitions import defs
from pipelines.jobs import SYNC_RUN_TAG
from resources import build_resources
from resources.queries.accounts import ensure_account
from tests.support.sync import run_sync, sync_definitions

FRAGMENT = Path(__file__).resolve().parents[2] / "pipelines" / "dagster_concurrency.yaml"
RELIABILITY_DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def _instance_with_fragment(tmp_path) -> dg.DagsterInstance:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(FRAGMENT, home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def _run(instance, job_name: str, tags: dict[str, str] | None = None):
    job = defs.resolve_job_def(job_name)
    return instance.create_run_for_job(job_def=job, tags={**job.tags, **(tags or {})})


PER_ACCOUNT = {"key": "audible/account", "value": {"applyLimitPerUniqueValue": True}, "limit": 1}


def _schedule_requests(database_url, engine, accounts) -> list[dg.RunRequest]:
    with engine.begin() as conn:
        for account in accounts:
            ensure_account(conn, account, "file")
    schedule = sync_definitions(database_url).resolve_schedule_def("audible_sync_hourly")
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc),
    ) as context:
        return list(schedule.evaluate_tick(context).run_requests)


def test_the_per_account_limit_gives_each_account_of_the_schedule_one_slot(tmp_path, database_url, engine):
    """The instance's queue counts runs per value of the limit's tag: that value must be the account."""
    instance = _instance_with_fragment(tmp_path)
    try:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        [limit] = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
    finally:
        instance.dispose()
    assert limit == PER_ACCOUNT
    requests = _schedule_requests(database_url, engine, ["alice", "bob"])
    job_tags = defs.resolve_job_def("audible_sync").tags
    slots = {
        request.run_config["ops"]["audible_library"]["config"]["account"]: {**job_tags, **request.tags}.get(
            limit["key"]
        )
        for request in requests
    }
    assert slots == {"alice": "alice", "bob": "bob"}


def test_every_sync_run_carries_the_tag_of_the_documented_global_limit(tmp_path):
    """The fragment documents a limit on audible/sync for queueing all syncs, untagged manual runs
    included: every run of the sync job carries that tag, and no other job's runs do."""
    documented = re.search(r'- key: "([^"]+)"\n#\s+limit: 1', FRAGMENT.read_text())
    assert documented and documented.group(1) == SYNC_RUN_TAG
    instance = _instance_with_fragment(tmp_path)
    try:
        assert _run(instance, "audible_sync").tags[SYNC_RUN_TAG] == "true"
        assert SYNC_RUN_TAG not in _run(instance, "audible_maintenance").tags
    finally:
        instance.dispose()
    others = [job for job in defs.get_repository_def().get_all_jobs() if job.name != "audible_sync"]
    assert others and all(SYNC_RUN_TAG not in job.tags for job in others)


def test_production_instance_config_has_the_same_per_account_limit():
    deploy = FRAGMENT.parents[1] / "deploy" / "dagster.yaml"
    config = yaml.safe_load(deploy.read_text())
    assert PER_ACCOUNT in config["concurrency"]["runs"]["tag_concurrency_limits"]


def test_schedule_runs_carry_the_sync_tag_and_the_account(database_url, engine):
    assert run_sync(database_url).success
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET last_sync_at = now() - interval '1 hour'"))
    schedule = sync_definitions(database_url).resolve_schedule_def("audible_sync_hourly")
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc),
    ) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    job = defs.resolve_job_def("audible_sync")
    assert {**job.tags, **request.tags}[SYNC_RUN_TAG] == "true"
    assert request.tags["audible/account"] == "demo"


def test_the_reliability_page_shows_the_same_limit_as_the_tested_fragment():
    readme = RELIABILITY_DOC.read_text()
    assert "pipelines/dagster_concurrency.yaml" in readme
    assert 'key: "audible/account"' in readme and "applyLimitPerUniqueValue: true" in readme
