"""`audible-tracker config show|set` against real PostgreSQL, and the schedule reading the result."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import dagster as dg
import pytest
import sqlalchemy as sa

from domain.settings import SETTINGS
from pipelines.cli import main
from resources import build_resources
from resources.queries.accounts import ensure_account
from tests.support.sync import row_versions, run_sync, sync_definitions


@pytest.fixture
def synced(database_url, engine, monkeypatch):
    """The demo account as one sync leaves it (counted by the real record_audible_sync), CLI pointed at it.

    Settings do not depend on what the sync wrote; the show test runs a whole sync.
    """
    with engine.begin() as conn:
        ensure_account(conn, "demo", "demo")
        conn.execute(sa.text("SELECT record_audible_sync('demo')"))
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    return engine


def _config_row(engine, account="demo") -> dict:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(f"SELECT {', '.join(SETTINGS)} FROM audible_config WHERE account = :a"), {"a": account}
        ).one()
    return dict(row._mapping)


def _show_json(capsys, *extra) -> dict:
    capsys.readouterr()
    assert main(["config", "show", "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _evaluate_schedule(database_url):
    schedule = sync_definitions(database_url).resolve_schedule_def("audible_sync_hourly")
    with dg.build_schedule_context(
        resources=build_resources(database_url=database_url),
        scheduled_execution_time=datetime(2026, 11, 25, 14, 0, tzinfo=timezone.utc),
    ) as context:
        return schedule.evaluate_tick(context)


def test_show_prints_every_setting_and_the_current_status(database_url, engine, capsys, monkeypatch):
    assert run_sync(database_url).success
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "Audible account 'demo'" in out
    for key in SETTINGS:
        assert key in out
    assert "notify_webhook" in out and "not set" in out
    assert "not allowed: minimum interval of 15 minutes" in out

    shown = _show_json(capsys, "--account", "demo")
    assert shown["account"] == "demo"
    assert shown["settings"] == _config_row(engine)
    assert shown["settings"] == {
        "enabled": True,
        "min_interval_minutes": 15,
        "daily_limit": 600,
        "timezone": "UTC",
        "log_retention_days": 90,
        "auto_add_min_progress": None,
    }
    assert shown["notify_webhook_set"] is False
    assert shown["state"]["syncs_today"] == 1
    assert shown["status"]["can_sync"] is False
    assert shown["status"]["stats"]["total_mappings"] > 20


def test_show_says_the_webhook_is_set_without_showing_it(synced, capsys, monkeypatch):
    secret = "https://hooks.example.invalid/T000/B000/s3cr3t-token"
    monkeypatch.setenv("AUDIBLE_TRACKER_NOTIFY_WEBHOOK_URL", secret)
    assert main(["config", "show"]) == 0
    out = capsys.readouterr().out
    assert "notify_webhook" in out
    assert "not set" not in out
    assert _show_json(capsys)["notify_webhook_set"] is True
    assert main(["config", "show", "--json"]) == 0
    everything = out + capsys.readouterr().out
    assert "s3cr3t" not in everything and "hooks.example" not in everything


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("enabled", "false", False),
        ("min_interval_minutes", "45", 45),
        ("daily_limit", "1,000", 1000),
        ("timezone", "Europe/Berlin", "Europe/Berlin"),
        ("log_retention_days", "30", 30),
    ],
)
def test_each_setting_round_trips(synced, capsys, key, text, expected):
    before = _config_row(synced)
    assert main(["config", "set", key, text]) == 0
    out = capsys.readouterr().out
    assert f"{key}: " in out and "next schedule tick" in out

    after = _config_row(synced)
    assert after[key] == expected
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}
    assert _show_json(capsys)["settings"][key] == expected


def test_setting_the_same_value_again_changes_nothing(synced, capsys):
    assert main(["config", "set", "daily_limit", "600"]) == 0
    assert "already 600; nothing changed" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("key", "text", "allowed"),
    [
        ("min_interval_minutes", "0", "from 1 to 10,080"),
        ("daily_limit", "10001", "from 1 to 10,000"),
        ("daily_limit", "lots", "from 1 to 10,000"),
        ("timezone", "Atlantis/Capital", "IANA time zone"),
        ("enabled", "perhaps", "true or false"),
        ("log_retention_days", "-1", "from 1 to 3,650"),
    ],
)
def test_invalid_values_are_refused_with_the_key_named_and_nothing_changed(
    synced, capsys, key, text, allowed
):
    versions = row_versions(synced, "audible_config")
    assert main(["config", "set", key, text]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"error: {key} must be ")
    assert allowed in captured.err
    assert row_versions(synced, "audible_config") == versions


def test_unknown_key_is_refused(synced, capsys):
    versions = row_versions(synced, "audible_config")
    assert main(["config", "set", "interval", "5"]) == 1
    err = capsys.readouterr().err
    assert "unknown setting 'interval'" in err and "min_interval_minutes" in err
    assert row_versions(synced, "audible_config") == versions


def test_unknown_account_is_a_clear_error(synced, capsys):
    assert main(["config", "set", "enabled", "false", "--account", "nobody"]) == 1
    err = capsys.readouterr().err
    assert "no Audible account named 'nobody' is configured; configured accounts: demo" in err
    assert main(["config", "show", "--account", "nobody"]) == 1
    assert "no Audible account named 'nobody'" in capsys.readouterr().err
    assert main(["status", "--account", "nobody"]) == 1
    assert "no Audible account named 'nobody'" in capsys.readouterr().err
    assert _config_row(synced)["enabled"] is True


def test_an_account_that_never_synced_is_not_created(database_url, engine, capsys, monkeypatch):
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    assert main(["config", "set", "enabled", "false"]) == 1
    err = capsys.readouterr().err
    assert "no Audible account is configured yet; run a sync first" in err
    assert "auth login" in err
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audible_config")).scalar_one() == 0


def test_several_real_accounts_need_account(synced, capsys):
    with synced.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO audible_config (account, source) VALUES ('anna', 'file'), ('ben', 'file')")
        )
    assert main(["config", "set", "daily_limit", "50"]) == 1
    assert "several Audible accounts are configured (anna, ben); choose one with --account" in (
        capsys.readouterr().err
    )
    assert main(["config", "set", "daily_limit", "50", "--account", "ben"]) == 0
    assert _config_row(synced, "ben")["daily_limit"] == 50
    assert _config_row(synced, "anna")["daily_limit"] == 600


def test_pause_and_resume_steer_the_schedule(synced, database_url, capsys):
    with synced.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET last_sync_at = now() - interval '1 day'"))
    assert main(["config", "set", "enabled", "false"]) == 0
    assert "sync is disabled for this account" in capsys.readouterr().out
    tick = _evaluate_schedule(database_url)
    assert tick.run_requests == []
    assert "demo: sync is disabled for this account" in tick.skip_message

    assert main(["config", "set", "enabled", "true"]) == 0
    assert "Sync now: allowed" in capsys.readouterr().out
    assert len(_evaluate_schedule(database_url).run_requests) == 1


def test_a_changed_interval_applies_at_the_next_tick(synced, database_url, capsys):
    with synced.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET last_sync_at = now() - interval '5 minutes'"))
    tick = _evaluate_schedule(database_url)
    assert "minimum interval of 15 minutes" in tick.skip_message

    assert main(["config", "set", "min_interval_minutes", "2"]) == 0
    assert len(_evaluate_schedule(database_url).run_requests) == 1

    assert main(["config", "set", "min_interval_minutes", "60"]) == 0
    assert "minimum interval of 60 minutes" in _evaluate_schedule(database_url).skip_message


def test_a_lowered_daily_limit_applies_at_the_next_tick(synced, database_url, capsys):
    with synced.begin() as conn:
        conn.execute(sa.text("UPDATE audible_config SET last_sync_at = now() - interval '1 day'"))
    assert main(["config", "set", "daily_limit", "1"]) == 0
    tick = _evaluate_schedule(database_url)
    assert tick.run_requests == []
    assert "daily limit of 1 syncs reached" in tick.skip_message
    capsys.readouterr()
    assert main(["status"]) == 0
    assert json.loads(capsys.readouterr().out)["syncs_remaining_today"] == 0


def test_the_time_zone_is_the_one_audible_can_sync_uses(synced, capsys):
    assert main(["config", "set", "timezone", "Asia/Tokyo"]) == 0
    with synced.connect() as conn:
        reason = conn.execute(sa.text("SELECT reason FROM audible_can_sync('demo')")).scalar_one()
    assert reason.endswith("Asia/Tokyo")
    assert "Asia/Tokyo" in capsys.readouterr().out
