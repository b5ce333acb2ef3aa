"""The README's contract command, run as a user runs it: `dagster job execute` in a new process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from resources.library_source import demo_books
from tests.support.environment import subprocess_env
from tests.support.sync import row_versions

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_LIBRARY = REPO_ROOT / "resources" / "demo_data" / "library.json"


def _tracker_with_demo_books(engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO books (id, title, author, isbn, status) VALUES (:id, :title, :author, :isbn, :status)"
            ),
            demo_books(),
        )


def _dagster_execute(env: dict[str, str]) -> subprocess.CompletedProcess:
    dagster = Path(sys.executable).with_name("dagster")
    return subprocess.run(
        [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "audible_sync"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _clean_env(tmp_path, **values: str) -> dict[str, str]:
    (tmp_path / "dagster").mkdir(exist_ok=True)
    return subprocess_env(
        AUDIBLE_TRACKER_HOME=str(tmp_path / "home"), DAGSTER_HOME=str(tmp_path / "dagster"), **values
    )


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " - ERROR - " in line]


def test_dagster_job_execute_syncs_an_export_file(database_url, engine, tmp_path):
    _tracker_with_demo_books(engine)
    completed = _dagster_execute(
        _clean_env(
            tmp_path,
            AUDIBLE_TRACKER_DATABASE_URL=database_url,
            AUDIBLE_TRACKER_LIBRARY_FILE=str(DEMO_LIBRARY),
        )
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT account, source, status FROM audible_sync_logs")).one()
        mappings = conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar()
    assert tuple(log) == ("default", "file", "success")
    assert mappings > 20


def test_a_refused_run_leads_with_its_reason_leaves_a_skipped_log_and_a_normal_run_has_no_skipped_hook_lines(
    database_url, engine, tmp_path
):
    _tracker_with_demo_books(engine)
    env = _clean_env(
        tmp_path, AUDIBLE_TRACKER_DATABASE_URL=database_url, AUDIBLE_TRACKER_LIBRARY_FILE=str(DEMO_LIBRARY)
    )
    synced = _dagster_execute(env)
    assert synced.returncode == 0, synced.stderr[-3000:]
    assert "HOOK_SKIPPED" not in synced.stderr and "Skipped the execution of hook" not in synced.stderr
    assert "STEP_SUCCESS" in synced.stderr  # Dagster's own log is still there
    written = {t: row_versions(engine, t) for t in ("books", "audible_book_mappings", "audible_conflicts")}

    refused = _dagster_execute(env)

    assert refused.returncode != 0
    first_error = _error_lines(refused.stderr)[0]
    assert first_error.endswith(
        "audible_library - STEP_FAILURE - Sync of account 'default' refused: minimum interval of 15 minutes "
        f"has not passed since the last sync; next allowed sync at {first_error.split('next allowed sync at ')[1]}"
    )
    assert "Traceback" not in refused.stderr and "Stack Trace" not in refused.stderr
    reason = re.search(
        r"refused: (minimum interval of 15 minutes has not passed since the last sync; "
        r"next allowed sync at \d{4}-\d\d-\d\d \d\d:\d\d UTC)\.",
        first_error,
    )
    assert reason, first_error
    with engine.connect() as conn:
        logs = conn.execute(
            sa.text("SELECT status, trigger, error, dagster_run_id FROM audible_sync_logs ORDER BY id")
        ).all()
        syncs_today = conn.execute(sa.text("SELECT syncs_today FROM audible_config")).scalar()
    assert [(log.status, log.trigger) for log in logs] == [("success", "manual"), ("skipped", "manual")]
    assert logs[1].error == reason.group(1)
    assert logs[1].dagster_run_id and logs[1].dagster_run_id != logs[0].dagster_run_id
    assert syncs_today == 1  # a refused run is not counted
    assert {t: row_versions(engine, t) for t in written} == written


def test_an_unreachable_database_fails_in_one_line_and_the_hook_does_not_fail_on_top(tmp_path):
    env = _clean_env(tmp_path, AUDIBLE_TRACKER_DATABASE_URL="postgresql://u:s3cret@127.0.0.1:1/x")

    failed = _dagster_execute(env)

    assert failed.returncode != 0
    output = failed.stdout + failed.stderr
    assert "s3cret" not in output
    assert "Stack Trace" not in output and "HOOK_ERRORED" not in output
    first_error = _error_lines(output)[0]
    assert first_error.endswith(
        "STEP_FAILURE - cannot reach PostgreSQL at 127.0.0.1:1 (database 'x'): Connection refused; "
        "is the server running, and is AUDIBLE_TRACKER_DATABASE_URL right?"
    )


@pytest.mark.parametrize("problem", ["missing_file", "no_credentials"])
def test_an_unreadable_file_or_missing_credentials_fail_in_one_line(problem, database_url, tmp_path):
    values = {"AUDIBLE_TRACKER_DATABASE_URL": database_url}
    if problem == "missing_file":
        values["AUDIBLE_TRACKER_LIBRARY_FILE"] = str(tmp_path / "gone.tsv")
        expected = f"library file {tmp_path / 'gone.tsv'} does not exist"
    else:
        expected = "has no stored Audible credentials and no library file is set"
    failed = _dagster_execute(_clean_env(tmp_path, **values))

    assert failed.returncode != 0
    first_error = _error_lines(failed.stderr)[0]
    assert expected in first_error and "Stack Trace" not in failed.stderr
