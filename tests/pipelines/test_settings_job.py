"""The `update_audible_settings` job and the `audible_sync_status` check, on real PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest
import sqlalchemy as sa

from domain.settings import SETTINGS
from pipelines.cli import main
from pipelines.definitions import defs
from resources import build_resources
from resources.queries.accounts import ensure_account
from tests.support.sync import allow_next_sync, row_versions, run_sync, sync_definitions

STATUS_CHECK = dg.AssetCheckKey(dg.AssetKey("audible_sync_stats"), "audible_sync_status")


@pytest.fixture
def demo_account(database_url, engine, monkeypatch):
    """The demo account as one sync leaves it, with the CLI pointed at the same database."""
    with engine.begin() as conn:
        ensure_account(conn, "demo", "demo")
        conn.execute(sa.text("SELECT record_audible_sync('demo')"))
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    return engine


def run_settings_job(database_url, raise_on_error=True, **config):
    job = sync_definitions(database_url).resolve_job_def("update_audible_settings")
    return job.execute_in_process(
        run_config={"ops": {"apply_audible_settings": {"config": config}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def _settings(engine, account="demo") -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT {', '.join(SETTINGS)} FROM audible_config WHERE account = :a"), {"a": account}
        ).one()
    return dict(row._mapping)


def _output_metadata(result) -> dict:
    [event] = [e for e in result.all_node_events if e.is_successful_output]
    return event.event_specific_data.metadata


def _failure(result) -> str:
    [event] = [e for e in result.all_node_events if e.is_step_failure]
    return event.event_specific_data.error.message


def test_inventory_and_the_check_runs_with_every_sync():
    repo = defs.get_repository_def()
    assert "update_audible_settings" in {job.name for job in repo.get_all_jobs()}
    assert STATUS_CHECK in repo.asset_graph.asset_check_keys
    sync_job = defs.resolve_job_def("audible_sync")
    assert STATUS_CHECK in sync_job.asset_layer.asset_graph.asset_check_keys
    config_fields = defs.resolve_job_def("update_audible_settings").run_config_schema.config_type.fields
    op_config = config_fields["ops"].config_type.fields["apply_audible_settings"].config_type.fields["config"]
    fields = op_config.config_type.fields
    assert set(fields) == {"account", *SETTINGS}
    assert not any(field.is_required for field in fields.values())


def test_every_setting_round_trips_through_job_and_cli(database_url, demo_account, capsys):
    wanted = {
        "enabled": False,
        "min_interval_minutes": 30,
        "daily_limit": 48,
        "timezone": "America/New_York",
        "log_retention_days": 14,
        "auto_add_min_progress": 25,
    }
    result = run_settings_job(database_url, **wanted)
    assert result.success
    assert result.output_for_node("apply_audible_settings") == wanted
    assert _settings(demo_account) == wanted
    metadata = _output_metadata(result)
    assert metadata["account"].value == "demo"
    assert "daily_limit: 600 -> 48" in metadata["changed"].value
    assert "sync is disabled" in metadata["reason"].value

    # The job's changes are what the CLI shows…
    assert main(["config", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["settings"] == wanted

    # …and the CLI's changes are what the job (run with no fields) shows.
    for key, text in [
        ("enabled", "true"),
        ("min_interval_minutes", "5"),
        ("timezone", "Asia/Kolkata"),
        ("auto_add_min_progress", "off"),
    ]:
        assert main(["config", "set", key, text]) == 0
    shown = run_settings_job(database_url)
    assert shown.success
    assert shown.output_for_node("apply_audible_settings") == {
        **wanted,
        "enabled": True,
        "min_interval_minutes": 5,
        "timezone": "Asia/Kolkata",
        "auto_add_min_progress": None,
    }
    assert _output_metadata(shown)["changed"].value == "_nothing_"


def test_only_the_given_fields_change(database_url, demo_account):
    before = _settings(demo_account)
    assert run_settings_job(database_url, daily_limit=100).success
    assert _settings(demo_account) == {**before, "daily_limit": 100}


@pytest.mark.parametrize(
    ("config", "named", "allowed"),
    [
        ({"min_interval_minutes": 0}, "min_interval_minutes", "from 1 to 10,080"),
        ({"daily_limit": 10_001}, "daily_limit", "from 1 to 10,000"),
        ({"timezone": "Europe/Atlantis"}, "timezone", "IANA time zone"),
        ({"log_retention_days": 0}, "log_retention_days", "from 1 to 3,650"),
        ({"auto_add_min_progress": 101}, "auto_add_min_progress", "from 1 to 100 percent, or off"),
        # A valid change beside an invalid one is not applied either.
        ({"enabled": False, "daily_limit": 0}, "daily_limit", "from 1 to 10,000"),
    ],
)
def test_invalid_values_fail_the_run_naming_the_key_and_change_nothing(
    database_url, demo_account, config, named, allowed
):
    versions = row_versions(demo_account, "audible_config")
    result = run_settings_job(database_url, raise_on_error=False, **config)
    assert not result.success
    message = _failure(result)
    assert f"Nothing changed: {named} must be " in message
    assert allowed in message
    assert row_versions(demo_account, "audible_config") == versions


def test_the_launchpad_refuses_a_value_of_the_wrong_type(database_url, demo_account):
    with pytest.raises(dg.DagsterInvalidConfigError, match="daily_limit"):
        run_settings_job(database_url, daily_limit="many")


def test_unknown_account_fails_clearly(database_url, demo_account):
    result = run_settings_job(database_url, raise_on_error=False, account="nobody", enabled=False)
    assert not result.success
    assert "no Audible account named 'nobody' is configured; configured accounts: demo" in _failure(result)
    assert _settings(demo_account)["enabled"] is True


def test_disabling_through_the_job_makes_the_schedule_skip_with_the_reason(database_url, demo_account):
    allow_next_sync(demo_account, "demo")
    assert run_settings_job(database_url, enabled=False).success
    schedule = sync_definitions(database_url).resolve_schedule_def("audible_sync_hourly")
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc),
    ) as context:
        tick = schedule.evaluate_tick(context)
    assert tick.run_requests == []
    assert "demo: sync is disabled for this account" in tick.skip_message

    assert run_settings_job(database_url, enabled=True).success
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc),
    ) as context:
        assert len(schedule.evaluate_tick(context).run_requests) == 1


def _status_check(result) -> dg.AssetCheckEvaluation:
    [evaluation] = [e for e in result.get_asset_check_evaluations() if e.asset_check_key == STATUS_CHECK]
    return evaluation


# What one sync of the bundled demo leaves, counted from the demo data: of its 30 titles 27 link
# to a tracker book, The Hobbit (two tracker copies) and Fourth Wing (another author's book) are
# conflicts and Norwegian Wood has no book; 14 of the linked titles are being listened to.
DEMO_STATS = {"total_mappings": 27, "mapped": 27, "unmapped": 3, "currently_reading": 14}


def _timed_sync(database_url, **options):
    """A sync and the wall-clock interval it ran in."""
    before = datetime.now(timezone.utc)
    result = run_sync(database_url, **options)
    return result, before, datetime.now(timezone.utc)


def _assert_status(evaluation, *, can_sync, reasons, next_allowed, remaining):
    """The check's metadata against values known from the test's own actions, not read back from SQL.

    ``reasons``: the reason, or both reasons when the sync ran across a minute boundary.
    ``next_allowed``: None, or the (earliest, latest) time the next sync may be allowed at.
    """
    metadata = evaluation.metadata
    status = metadata["status"].value
    assert metadata["can_sync"].value is can_sync and status["can_sync"] is can_sync
    assert metadata["reason"].value in reasons and status["reason"] == metadata["reason"].value
    assert metadata["syncs_remaining_today"].value == remaining == status["syncs_remaining_today"]
    if next_allowed is None:
        assert metadata["next_allowed_sync"].value == "none" and status["next_allowed_sync"] is None
    else:
        shown = datetime.fromisoformat(metadata["next_allowed_sync"].value)
        assert next_allowed[0] <= shown <= next_allowed[1]
        assert status["next_allowed_sync"] == metadata["next_allowed_sync"].value
    assert status["stats"] == DEMO_STATS
    assert {key: metadata[f"stats_{key}"].value for key in DEMO_STATS} == DEMO_STATS


def _interval_reasons(start: datetime, end: datetime) -> set[str]:
    """What audible_can_sync says while waiting, for a sync that ran between start and end."""
    return {
        "minimum interval of 15 minutes has not passed since the last sync; "
        f"next allowed sync at {(t + timedelta(minutes=15)):%Y-%m-%d %H:%M} UTC"
        for t in (start, end)
    }


def test_the_status_check_shows_what_audible_can_sync_says(database_url, engine):
    result, start, end = _timed_sync(database_url)
    assert result.success
    evaluation = _status_check(result)
    # Waiting for the minimum interval is the normal state right after a sync.
    assert evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "| daily_limit" in evaluation.metadata["settings"].value
    _assert_status(
        evaluation,
        can_sync=False,
        reasons=_interval_reasons(start, end),
        next_allowed=(start + timedelta(minutes=15), end + timedelta(minutes=15)),
        remaining=599,
    )


def test_the_status_check_warns_when_the_daily_limit_is_spent(database_url, engine):
    assert run_sync(database_url).success
    assert run_settings_job(database_url, daily_limit=2).success
    allow_next_sync(engine, "demo")
    result, start, end = _timed_sync(database_url)
    assert result.success
    evaluation = _status_check(result)
    assert not evaluation.passed
    assert "daily limit" in evaluation.description
    midnight = datetime.combine(end.date() + timedelta(days=1), datetime.min.time(), timezone.utc)
    _assert_status(
        evaluation,
        can_sync=False,
        reasons={"daily limit of 2 syncs reached; the counter resets at midnight UTC"},
        next_allowed=(midnight, midnight),
        remaining=0,
    )


def test_the_status_check_warns_after_a_forced_sync_of_a_paused_account(database_url, engine):
    assert run_sync(database_url).success
    assert run_settings_job(database_url, enabled=False).success
    result = run_sync(database_url, force=True)
    assert result.success
    evaluation = _status_check(result)
    assert not evaluation.passed
    assert "paused" in evaluation.description
    _assert_status(
        evaluation,
        can_sync=False,
        reasons={"sync is disabled for this account (audible-tracker config set enabled true)"},
        next_allowed=None,
        remaining=598,  # the first sync and the forced one both count
    )
