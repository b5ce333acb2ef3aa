"""Dagster run concurrency: the documented dagster.yaml fragment queues a second sync run."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
import yaml
from dagster._core.run_coordinator.queued_run_coordinator import QueuedRunCoordinator
from dagster._utils.tags import TagConcurrencyLimitsCounter

from pipelines.definitions import defs
from pipelines.jobs import SYNC_RUN_TAG
from resources import build_resources
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


def test_fragment_queues_a_second_sync_of_the_same_account(tmp_path):
    instance = _instance_with_fragment(tmp_path)
    try:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        limits = instance.get_concurrency_config().run_queue_config.tag_concurrency_limits
        assert limits == [PER_ACCOUNT]

        scheduled = _run(
            instance, "audible_sync", {"audible/account": "reader", "dagster/schedule_name": "x"}
        )
        manual_same = _run(instance, "audible_sync", {"audible/account": "reader"})
        manual_other = _run(instance, "audible_sync", {"audible/account": "other"})
        maintenance = _run(instance, "audible_maintenance")

        # The queue daemon's own arithmetic: a sync in progress queues the next sync of its account…
        counter = TagConcurrencyLimitsCounter(limits, [scheduled])
        assert counter.is_blocked(manual_same)
        # …but not another account's, nor other jobs, nor anything once it is done.
        assert not counter.is_blocked(manual_other)
        assert not counter.is_blocked(maintenance)
        assert not TagConcurrencyLimitsCounter(limits, []).is_blocked(manual_same)
    finally:
        instance.dispose()


def test_every_sync_run_carries_the_tag_of_the_documented_global_limit(tmp_path):
    instance = _instance_with_fragment(tmp_path)
    try:
        untagged_manual = _run(instance, "audible_sync")
        scheduled = _run(instance, "audible_sync", {"audible/account": "reader"})
        assert untagged_manual.tags[SYNC_RUN_TAG] == "true"
        global_limit = [{"key": SYNC_RUN_TAG, "limit": 1}]
        assert TagConcurrencyLimitsCounter(global_limit, [scheduled]).is_blocked(untagged_manual)
        assert not TagConcurrencyLimitsCounter(global_limit, [scheduled]).is_blocked(
            _run(instance, "audible_maintenance")
        )
    finally:
        instance.dispose()


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
