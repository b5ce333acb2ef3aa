"""Manual runs refused by the rate limit fail fast, unless forced; every run leaves one log row."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support.sync import run_sync


def _logs(engine):
    with engine.connect() as conn:
        return [
            dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM audible_sync_logs ORDER BY id"))
        ]


def test_manual_run_within_interval_fails_fast_with_reason_and_next_time(database_url, engine):
    assert run_sync(database_url).success
    result = run_sync(database_url, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    message = failure.step_failure_data.error.message
    assert "refused" in message and "minimum interval of 15 minutes" in message
    assert "next allowed sync at" in message
    # The refused run never reached matching or writing.
    assert [e.step_key for e in result.all_events if e.event_type_value == "STEP_START"] == [
        "audible_library"
    ]
    logs = _logs(engine)
    assert [log["status"] for log in logs] == ["success", "skipped"]
    assert "minimum interval" in logs[1]["error"]
    assert logs[1]["dagster_run_id"] == result.run_id


def test_forced_run_syncs_and_is_counted(database_url, engine):
    assert run_sync(database_url).success
    assert run_sync(database_url, force=True).success
    logs = _logs(engine)
    assert [(log["status"], log["forced"]) for log in logs] == [("success", False), ("success", True)]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT syncs_today FROM audible_config")).scalar() == 2


def test_failed_run_marks_its_log_failed(database_url, engine, tmp_path):
    bad = tmp_path / "library.json"
    bad.write_text("{not json")
    result = run_sync(database_url, library_source="file", library_file=str(bad), raise_on_error=False)
    assert not result.success
    logs = _logs(engine)
    assert len(logs) == 1 and logs[0]["status"] == "failed"
    assert "not JSON" in logs[0]["error"] and "library.json" in logs[0]["error"]
