"""The README's contract command, run as a user runs it: `dagster job execute` in a new process."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


def _dagster_job_execute(database_url: str) -> subprocess.CompletedProcess:
    env = subprocess_env(
        AUDIBLE_TRACKER_DATABASE_URL=database_url, AUDIBLE_TRACKER_LIBRARY_FILE=str(DEMO_LIBRARY)
    )
    dagster = Path(sys.executable).with_name("dagster")
    return subprocess.run(
        [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "audible_sync"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_dagster_job_execute_syncs_an_export_file(database_url, engine):
    _tracker_with_demo_books(engine)
    completed = _dagster_job_execute(database_url)
    assert completed.returncode == 0, completed.stderr[-3000:]
    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT account, source, status FROM audible_sync_logs")).one()
        mappings = conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar()
    assert tuple(log) == ("default", "file", "success")
    assert mappings > 20


def test_a_second_run_within_the_interval_is_refused_with_the_reason_and_logged_skipped(database_url, engine):
    _tracker_with_demo_books(engine)
    assert _dagster_job_execute(database_url).returncode == 0
    written = {t: row_versions(engine, t) for t in ("books", "audible_book_mappings", "audible_conflicts")}

    refused = _dagster_job_execute(database_url)

    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    reason = re.search(
        r"Sync of account 'default' refused: (minimum interval of 15 minutes has not passed since the "
        r"last sync; next allowed sync at \d{4}-\d\d-\d\d \d\d:\d\d UTC)\. "
        r"Set force: true in the audible_library config to sync anyway\.",
        output,
    )
    assert reason, output[-3000:]
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
