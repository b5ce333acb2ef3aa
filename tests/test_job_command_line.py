"""The README's contract command, run as a user runs it: `dagster job execute` in a new process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from resources.library_source import demo_books
from tests.support.environment import subprocess_env

REPO_ROOT = Path(__file__).resolve().parent.parent
DEMO_LIBRARY = REPO_ROOT / "resources" / "demo_data" / "library.json"


def test_dagster_job_execute_syncs_an_export_file(database_url, engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO books (id, title, author, isbn, status) VALUES (:id, :title, :author, :isbn, :status)"
            ),
            demo_books(),
        )
    env = subprocess_env(
        AUDIBLE_TRACKER_DATABASE_URL=database_url, AUDIBLE_TRACKER_LIBRARY_FILE=str(DEMO_LIBRARY)
    )
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "job", "execute", "-m", "pipelines.definitions", "-j", "audible_sync"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    with engine.connect() as conn:
        log = conn.execute(sa.text("SELECT account, source, status FROM audible_sync_logs")).one()
        mappings = conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar()
    assert tuple(log) == ("default", "file", "success")
    assert mappings > 20
