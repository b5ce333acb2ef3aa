"""`audible-tracker status`: the account's status object as JSON."""

from __future__ import annotations

import json

from pipelines.cli import main
from tests.support.sync import run_sync


def test_status_after_a_demo_sync(database_url, monkeypatch, capsys):
    assert run_sync(database_url).success
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)

    assert main(["status", "--account", "demo"]) == 0

    status = json.loads(capsys.readouterr().out)
    assert set(status) >= {"can_sync", "reason", "next_allowed_sync", "syncs_remaining_today", "stats"}
    assert status["can_sync"] is False
    assert "minimum interval" in status["reason"]
    assert status["syncs_remaining_today"] == 599
    assert set(status["stats"]) == {"total_mappings", "mapped", "unmapped", "currently_reading"}
    assert status["stats"]["total_mappings"] == status["stats"]["mapped"] > 20
    assert status["stats"]["unmapped"] >= 2
    assert status["stats"]["currently_reading"] > 5
