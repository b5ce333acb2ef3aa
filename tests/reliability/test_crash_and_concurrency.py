"""Real processes against real PostgreSQL: kill -9 mid-write, two syncs at once, the database going away.

Each sync is `dagster job execute` in its own process. The test pauses it in
the write phase by holding a lock that one of its statements needs (see
tests/reliability/processes.py), then injects the fault.
"""

from __future__ import annotations

import signal

import pytest
import sqlalchemy as sa

from resources.postgres import get_engine
from tests.reliability.processes import (
    DEADLINE_SECONDS,
    DEMO_LIBRARY,
    backend_pid,
    backends_alive,
    paused_writer,
    prepare_tracker,
    sync_log_lock_holders,
    sync_logs,
    tracker_state,
    wait_for,
)
from tests.support.sync import row_versions, run_sync

WRITTEN_TABLES = ("audible_book_mappings", "audible_conflicts", "audible_progress_history", "books")

# Where the sync is paused when the fault hits:
#  - mid_write: library items, mappings and conflicts written, books not yet (the test holds a
#    SHARE lock on books: reads and foreign-key checks pass, the progress UPDATE waits);
#  - before_commit: every write done, only the rate counter update and the commit left (the test
#    holds the account's config row FOR NO KEY UPDATE: foreign-key checks pass, the UPDATE waits).
PAUSE_POINTS = {
    "mid_write": "LOCK TABLE books IN SHARE MODE",
    "before_commit": "SELECT 1 FROM audible_config WHERE account = 'default' FOR NO KEY UPDATE",
}


def _hold(engine, blocker_sql: str):
    """A connection, in an open transaction, holding the lock of one pause point; and its pid."""
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(sa.text(blocker_sql))
    return blocker, backend_pid(blocker)


def _sync_once_uninterrupted(url: str) -> dict:
    """The state one uninterrupted sync of the demo export leaves on a fresh tracker."""
    engine = get_engine(url)
    prepare_tracker(engine)
    result = run_sync(url, library_source="file", library_file=str(DEMO_LIBRARY))
    assert result.success
    return tracker_state(engine)


def _versions(engine) -> dict:
    return {table: row_versions(engine, table) for table in WRITTEN_TABLES}


@pytest.mark.parametrize("pause", sorted(PAUSE_POINTS))
def test_sigkill_in_the_write_phase_keeps_the_database_and_a_rerun_converges(
    pause, database_url, engine, empty_database_url, tmp_path, sync_processes
):
    prepare_tracker(engine)
    before_state, before_versions = tracker_state(engine), _versions(engine)
    blocker, blocker_pid = _hold(engine, PAUSE_POINTS[pause])
    process = sync_processes.start(database_url, tmp_path / "home")
    try:
        writer = wait_for(
            lambda: process.poll() is None and paused_writer(engine, blocker_pid),
            f"the sync to hold the write lock and wait at {pause}",
        )
        holders = sync_log_lock_holders(engine)
        assert holders, "a running sync holds its log's liveness lock"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE_SECONDS)
    finally:
        blocker.rollback()
        blocker.close()
    assert process.returncode == -signal.SIGKILL
    # The orphaned backends notice the dead client and roll back.
    wait_for(lambda: not backends_alive(engine, [writer, *holders]), "the killed sync's backends to end")

    assert tracker_state(engine) == before_state
    assert _versions(engine) == before_versions, "no row was written, not even to the same values"
    [log] = sync_logs(engine)
    assert log["status"] == "running"  # until something notices the process is gone

    # The next sync recovers the stale row, then does the whole job once.
    assert run_sync(database_url, library_source="file", library_file=str(DEMO_LIBRARY)).success
    logs = sync_logs(engine)
    assert [log["status"] for log in logs] == ["abandoned", "success"]
    assert "abandoned" in logs[0]["error"] and "none of its writes were kept" in logs[0]["error"]
    assert tracker_state(engine) == _sync_once_uninterrupted(empty_database_url)


def test_two_syncs_started_at_once_exactly_one_writes(
    database_url, engine, empty_database_url, tmp_path, sync_processes
):
    prepare_tracker(engine)
    blocker, blocker_pid = _hold(engine, PAUSE_POINTS["before_commit"])
    processes = [sync_processes.start(database_url, tmp_path / f"home{i}") for i in range(2)]
    try:
        # Whichever takes the write lock first waits at the counter update; the other
        # meets the held lock and stops.
        finished = wait_for(
            lambda: [p for p in processes if p.poll() is not None], "one of the two syncs to stop"
        )
        assert len(finished) == 1
        assert paused_writer(engine, blocker_pid), "the other sync holds the write lock"
    finally:
        blocker.rollback()
        blocker.close()
    outputs = {}
    for process in processes:
        out, _ = process.communicate(timeout=DEADLINE_SECONDS)
        outputs[process.pid] = (process.returncode, out)
    loser = finished[0]
    winner = next(p for p in processes if p is not loser)
    assert outputs[winner.pid][0] == 0, outputs[winner.pid][1][-3000:]
    assert outputs[loser.pid][0] != 0
    assert "another sync of account 'default' is writing right now" in outputs[loser.pid][1]

    logs = sync_logs(engine)
    assert sorted(log["status"] for log in logs) == ["failed", "success"]
    assert "another sync" in next(log["error"] for log in logs if log["status"] == "failed")
    with engine.connect() as conn:
        duplicates = conn.execute(
            sa.text(
                "SELECT count(*) FROM (SELECT account, asin, book_id FROM audible_book_mappings "
                "GROUP BY 1, 2, 3 HAVING count(*) > 1) d"
            )
        ).scalar()
    assert duplicates == 0
    # Exactly one sync's worth of rows and one count against the limits.
    assert tracker_state(engine) == _sync_once_uninterrupted(empty_database_url)


def test_database_connection_lost_mid_write_fails_cleanly_and_next_run_succeeds(
    database_url, engine, empty_database_url, tmp_path, sync_processes
):
    prepare_tracker(engine)
    before_state, before_versions = tracker_state(engine), _versions(engine)
    blocker, blocker_pid = _hold(engine, PAUSE_POINTS["mid_write"])
    process = sync_processes.start(database_url, tmp_path / "home")
    try:
        writer = wait_for(
            lambda: process.poll() is None and paused_writer(engine, blocker_pid),
            "the sync to pause in its write phase",
        )
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": writer}).scalar()
    finally:
        blocker.rollback()
        blocker.close()
    out, _ = process.communicate(timeout=DEADLINE_SECONDS)
    assert process.returncode != 0
    assert "database error while writing the sync of account 'default'" in out
    assert "None of this sync's writes were kept" in out

    assert tracker_state(engine) == before_state
    assert _versions(engine) == before_versions
    [log] = sync_logs(engine)
    assert log["status"] == "failed"
    assert "database error while writing" in log["error"]
    assert "terminating connection" in log["error"]

    assert run_sync(database_url, library_source="file", library_file=str(DEMO_LIBRARY)).success
    assert [log["status"] for log in sync_logs(engine)] == ["failed", "success"]
    assert tracker_state(engine) == _sync_once_uninterrupted(empty_database_url)
