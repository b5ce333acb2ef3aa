"""The sync log resource: who holds a running row's liveness lock, and for how long (real PostgreSQL)."""

from __future__ import annotations

import dagster as dg
import pytest
import sqlalchemy as sa

from resources.postgres_resource import PostgresResource
from resources.queries import sync_logs as sync_logs_sql
from resources.sync_log import SyncLogNotRunning, SyncLogResource

ROW = {"account": "reader", "run_id": "run-1", "trigger": "manual", "forced": False, "source": "file"}


@pytest.fixture
def reader(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO audible_config (account) VALUES ('reader')"))


def _status(engine, log_id):
    with engine.connect() as conn:
        return sync_logs_sql.sync_log_status(conn, log_id)


def _recover(engine) -> int:
    with engine.begin() as conn:
        return sync_logs_sql.recover_stale_sync_logs(conn)


def test_a_later_step_takes_over_a_row_its_opener_let_go_and_keeps_it_alive(engine, reader):
    # The fetch step's process opened the row and ended (multiprocess executor).
    opened = sync_logs_sql.open_running_sync_log(engine, **ROW)
    opened.release()
    log_id = opened.log_id
    with sync_logs_sql.hold_running_sync_log(engine, log_id):
        assert _recover(engine) == 0
        assert _status(engine, log_id) == "running"
    assert _recover(engine) == 1
    assert _status(engine, log_id) == "abandoned"


def test_a_row_recovered_meanwhile_is_not_taken_over(engine, reader):
    with sync_logs_sql.open_running_sync_log(engine, **ROW) as live:
        log_id = live.log_id
    assert _recover(engine) == 1
    with pytest.raises(SyncLogNotRunning, match=f"sync log {log_id} is abandoned, not running"):
        sync_logs_sql.hold_running_sync_log(engine, log_id)


def test_taking_over_waits_for_the_holder_and_then_gives_up(engine, reader):
    with sync_logs_sql.open_running_sync_log(engine, **ROW) as live:
        with pytest.raises(SyncLogNotRunning, match="still held by another process after 1 s"):
            sync_logs_sql.hold_running_sync_log(engine, live.log_id, wait_seconds=1)
        assert _status(engine, live.log_id) == "running"


def test_the_resource_holds_from_open_to_finish_and_fails_what_it_holds(database_url, engine, reader):
    resource = SyncLogResource(postgres=PostgresResource(database_url=database_url))
    with dg.build_resources({"sync_log": resource}) as resources:
        sync_log = resources.sync_log
        first = sync_log.open(**ROW)
        sync_log.hold(first)  # already held here: nothing to take over
        assert _recover(engine) == 0
        sync_log.finish(first)
        assert _recover(engine) == 1

        second = sync_log.open(**{**ROW, "run_id": "run-2"})
        assert sync_log.fail_held("audible_book_matches: boom") == [second]
        assert sync_log.fail_held("nothing held any more") == []
    with engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, error FROM audible_sync_logs WHERE id = :i"), {"i": second}
        ).one()
    assert tuple(row) == ("failed", "audible_book_matches: boom")


def test_the_resource_lets_go_of_every_lock_when_its_execution_ends(database_url, engine, reader):
    resource = SyncLogResource(postgres=PostgresResource(database_url=database_url))
    with dg.build_resources({"sync_log": resource}) as resources:
        log_id = resources.sync_log.open(**ROW)
        assert _recover(engine) == 0
    # As after a crash between steps: the row is still 'running' with nobody behind it.
    assert _status(engine, log_id) == "running"
    assert _recover(engine) == 1
