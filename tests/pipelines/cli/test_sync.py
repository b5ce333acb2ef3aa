"""`audible-tracker sync` as a person runs it: a new process, real PostgreSQL, the real export file."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from resources.queries import accounts as accounts_sql
from tests.reliability.processes import backend_pid, paused_writer, prepare_tracker, sync_logs, wait_for

REPO = Path(__file__).resolve().parents[3]
REAL_EXPORT = REPO / "tests" / "data" / "real-audible-export"
CLI = Path(sys.executable).with_name("audible-tracker")
SECRET = "s3cret"


def _env(database_url: str, home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUDIBLE_TRACKER_", "DAGSTER_HOME"))}
    return {**env, "AUDIBLE_TRACKER_DATABASE_URL": database_url, "AUDIBLE_TRACKER_HOME": str(home), **extra}


def sync(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CLI), "sync", *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def _load_real_tracker(engine: sa.Engine) -> None:
    with (REAL_EXPORT / "tracker_books.csv").open(newline="", encoding="utf-8") as handle:
        books = [{**row, "id": int(row["id"]), "isbn": row["isbn"] or None} for row in csv.DictReader(handle)]
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO books (id, title, author, isbn) VALUES (:id, :title, :author, :isbn)"), books
        )


def _assert_one_line(stderr: str) -> str:
    assert "Traceback" not in stderr and SECRET not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_first_sync_of_the_real_export_then_a_refused_one(database_url, engine, tmp_path):
    _load_real_tracker(engine)
    env = _env(database_url, tmp_path / "home")

    first = sync(env, "--library", str(REAL_EXPORT / "library.tsv"))

    assert first.returncode == 0, first.stderr
    assert first.stderr == ""
    summary = first.stdout.splitlines()
    assert summary[0].startswith("Synced account 'default' from the library file in ")
    figures = {line[:19].strip(): int(line[19:].replace(",", "")) for line in summary[1:7]}
    with engine.connect() as conn:
        mappings = conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar()
        opened = conn.execute(sa.text("SELECT count(*) FROM audible_conflicts")).scalar()
        log = conn.execute(
            sa.text("SELECT status, items_fetched, progress_updates FROM audible_sync_logs")
        ).one()
    assert figures["titles"] == 104 == log.items_fetched
    assert figures["new links"] == mappings > 10
    assert figures["conflicts opened"] == opened > 0
    assert figures["books updated"] == log.progress_updates
    assert figures["unmatched"] > 50 and set(figures) >= {"history rows"}
    assert log.status == "success"
    assert summary[-1].endswith("run `audible-tracker review`")

    second = sync(env, "--library", str(REAL_EXPORT / "library.tsv"))

    assert second.returncode == 3
    assert second.stdout == ""
    line = _assert_one_line(second.stderr)
    assert line.startswith("error: sync of account 'default' refused: minimum interval of 15 minutes")
    assert "next allowed sync at" in line and "--force" in line
    assert [log["status"] for log in sync_logs(engine)] == ["success", "skipped"]


def test_json_summary_and_the_run_in_dagster_home(database_url, engine, tmp_path):
    _load_real_tracker(engine)
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    env = _env(database_url, tmp_path / "home", DAGSTER_HOME=str(dagster_home))

    done = sync(env, "--library", str(REAL_EXPORT / "library.tsv"), "--json")

    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["status"] == "synced" and summary["account"] == "default" and summary["source"] == "file"
    assert summary["titles"] == 104 and summary["new_links"] > 10 and summary["open_conflicts"] > 0
    assert set(summary) >= {
        "conflicts_opened",
        "unmatched",
        "books_updated",
        "history_rows",
        "seconds",
        "run_id",
    }
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        run = instance.get_run_by_id(summary["run_id"])
    assert run is not None and run.job_name == "audible_sync" and run.status == dg.DagsterRunStatus.SUCCESS


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path):
    env = _env(f"postgresql://u:{SECRET}@127.0.0.1:1/x", tmp_path / "home")

    done = sync(env)

    assert done.returncode == 1 and done.stdout == ""
    line = _assert_one_line(done.stderr)
    assert line.startswith("error: cannot reach PostgreSQL at 127.0.0.1:1 (database 'x')")
    assert "AUDIBLE_TRACKER_DATABASE_URL" in line

    debug = sync(env, "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr


def test_ctrl_c_mid_sync_keeps_nothing(database_url, engine, tmp_path):
    prepare_tracker(engine)
    # Pause the sync in its write phase: it has written mappings when the progress update waits.
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(sa.text("LOCK TABLE books IN SHARE MODE"))
    env = _env(
        database_url,
        tmp_path / "home",
        AUDIBLE_TRACKER_LIBRARY_FILE=str(REPO / "resources" / "demo_data" / "library.json"),
    )
    process = subprocess.Popen(
        [str(CLI), "sync"], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_for(
            lambda: process.poll() is None and paused_writer(engine, backend_pid(blocker)),
            "the sync to wait in its write phase",
        )
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=120)
    finally:
        blocker.rollback()
        blocker.close()
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 130
    assert out == ""
    assert _assert_one_line(err) == "interrupted; nothing of this sync was kept"
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM audible_conflicts")).scalar() == 0
    [log] = sync_logs(engine)
    assert log["status"] == "failed" and "interrupted" in log["error"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "several Audible accounts are configured (alice, bob); choose one with --account NAME"),
        (
            ("--account", "carol"),
            "no Audible account named 'carol' is configured; configured accounts: alice, bob",
        ),
    ],
)
def test_the_account_must_be_clear(database_url, engine, tmp_path, args, message):
    with engine.begin() as conn:
        for account in ("alice", "bob"):
            accounts_sql.ensure_account(conn, account, "file")

    done = sync(_env(database_url, tmp_path / "home"), *args)

    assert done.returncode == 2
    assert message in _assert_one_line(done.stderr)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audible_sync_logs")).scalar() == 0


def test_a_tracker_the_sync_cannot_use_is_refused_in_one_line(empty_database_url, tmp_path):
    # Book ids as text: the audible_* tables could not refer to them; nothing is written.
    setup = sa.create_engine(empty_database_url)
    with setup.begin() as conn:
        conn.execute(sa.text("CREATE TABLE books (id text PRIMARY KEY, title text)"))
    setup.dispose()

    done = sync(_env(empty_database_url, tmp_path / "home"), "--library", str(REAL_EXPORT / "library.tsv"))

    assert done.returncode == 1
    line = _assert_one_line(done.stderr)
    assert "books.id is text; the sync supports integer, bigint or uuid there" in line
    assert "Nothing was written" in line
    check = sa.create_engine(empty_database_url)
    with check.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar() == 0
    check.dispose()
