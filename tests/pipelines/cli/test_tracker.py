"""`audible-tracker tracker check|show|set` and the update_tracker_profile job, on real PostgreSQL."""

from __future__ import annotations

import json
from collections import Counter

import dagster as dg
import pytest

from pipelines.cli import main
from resources.postgres import DATABASE_URL_ENV
from tests.support.sync import sync_definitions
from tests.support.trackers import GOODREADS, GOODREADS_WORDS, create_tracker, rows, tracker_books


@pytest.fixture
def project_tracker(database_url, monkeypatch):
    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    return database_url


def test_check_on_the_project_tracker(project_tracker, capsys):
    assert main(["tracker", "check", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["books_table"] == "created by this project"
    assert summary["id_type"] == "bigint"
    assert summary["columns"]["progress_percent"]["type"] == "numeric(5,2)"
    assert summary["problems"] == [] and summary["sync_can_run"] is True


def test_check_on_a_goodreads_tracker_lists_words_and_exits_1(empty_database_url, monkeypatch, capsys):
    books = tracker_books(GOODREADS_WORDS)
    create_tracker(empty_database_url, GOODREADS, books)
    monkeypatch.setenv(DATABASE_URL_ENV, empty_database_url)
    assert main(["tracker", "check"]) == 1
    out = capsys.readouterr().out
    counts = Counter(b["status"] for b in books)
    assert counts["to-read"] > counts["read"] == counts["currently-reading"] > counts["did-not-finish"] == 1
    in_use = ", ".join(
        f"'{w}' {counts[w]}" for w in ("to-read", "currently-reading", "read", "did-not-finish")
    )
    assert f"Status words in use: {in_use}" in out
    assert "status            character varying(40)" in out
    assert "Progress scale: percent (0–100) (default)" in out
    assert out.rstrip().endswith("nothing was written.")


def test_set_show_and_back_to_default(project_tracker, capsys):
    assert main(["tracker", "set", "status.finished", "read"]) == 0
    assert "status.finished: the default → 'read'" in capsys.readouterr().out
    assert main(["tracker", "show", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status.finished"] == "read"
    assert main(["tracker", "set", "status.finished", "--default"]) == 0
    assert "status.finished: 'read' → the default" in capsys.readouterr().out
    assert (
        rows(project_tracker, "SELECT status_finished FROM audible_tracker_profile")[0]["status_finished"]
        is None
    )


def test_refused_settings_change_nothing(project_tracker, capsys):
    assert main(["tracker", "set", "status.done", "x"]) == 1
    assert "unknown tracker setting 'status.done'" in capsys.readouterr().err
    assert main(["tracker", "set", "status.dnf", "finished"]) == 1
    assert "status.dnf and status.finished would both be 'finished'" in capsys.readouterr().err
    assert main(["tracker", "set", "progress_scale", "ratio"]) == 1
    assert rows(project_tracker, "SELECT count(*) AS n FROM audible_tracker_profile")[0]["n"] == 0


def _profile_job(database_url, config):
    return (
        sync_definitions(database_url)
        .resolve_job_def("update_tracker_profile")
        .execute_in_process(
            run_config={"ops": {"apply_tracker_profile": {"config": config}}},
            instance=dg.DagsterInstance.ephemeral(),
            raise_on_error=False,
        )
    )


def test_the_job_sets_resets_and_refuses_like_the_cli(database_url):
    result = _profile_job(database_url, {"status_reading": "currently-reading", "status_finished": "read"})
    assert result.success
    assert result.output_for_node("apply_tracker_profile")["status.reading"] == "currently-reading"
    assert _profile_job(database_url, {"reset": ["status.reading"]}).output_for_node(
        "apply_tracker_profile"
    ) == {
        "status.to_read": None,
        "status.reading": None,
        "status.finished": "read",
        "status.dnf": None,
        "progress_scale": None,
    }
    refused = _profile_job(database_url, {"progress_scale": "ratio", "status_dnf": "gave-up"})
    assert not refused.success
    assert rows(database_url, "SELECT status_dnf FROM audible_tracker_profile")[0]["status_dnf"] is None
