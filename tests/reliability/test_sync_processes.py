"""The sync processes a test starts are stopped even when the test fails while they run."""

from __future__ import annotations

import signal

import psutil
import pytest
import sqlalchemy as sa

from tests.reliability.processes import (
    SyncProcesses,
    backend_pid,
    backends_alive,
    paused_writer,
    prepare_tracker,
    wait_for,
)


def _processes_living_in(home) -> list[int]:
    """Processes whose environment names ``home``: a sync and anything it started."""
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("AUDIBLE_TRACKER_HOME") == str(home):
                found.append(process.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return found


def test_a_failed_assertion_still_stops_a_sync_paused_in_its_write_phase(database_url, engine, tmp_path):
    prepare_tracker(engine)
    home = tmp_path / "home"
    blocker = engine.connect()
    blocker.begin()
    blocker.execute(sa.text("LOCK TABLE books IN SHARE MODE"))
    try:
        with pytest.raises(AssertionError, match="the sync is still running"):
            with SyncProcesses() as processes:
                process = processes.start(database_url, home)
                writer = wait_for(
                    lambda: process.poll() is None and paused_writer(engine, backend_pid(blocker)),
                    "the sync to pause in its write phase",
                )
                assert process.poll() is not None, "the sync is still running"
    finally:
        blocker.rollback()
        blocker.close()
    assert process.returncode == -signal.SIGKILL
    assert _processes_living_in(home) == []
    wait_for(lambda: not backends_alive(engine, [writer]), "the killed sync's backend to end")
