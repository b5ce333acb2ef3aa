"""Stale 'running' log recovery, the daily maintenance job and log retention, on real PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timezone

import dagster as dg
import sqlalchemy as sa

from resources.queries import sync_logs as sync_logs_sql
from tests.support.sync import run_sync, sync_definitions


def _exec(engine, sql, **params):
    with engine.begin() as conn:
        return conn.execute(sa.text(sql), params)


def _statuses(engine):
    with engine.connect() as conn:
        return dict(conn.execute(sa.text("SELECT id, status FROM audible_sync_logs ORDER BY id")).all())


def _orphan_running_log(engine, account="reader", age="1 minute"):
    """A 'running' row whose process is gone (nobody holds its liveness lock)."""
    return _exec(
        engine,
        "INSERT INTO audible_sync_logs (account, status, started_at) "
        f"VALUES (:a, 'running', now() - interval '{age}') RETURNING id",
        a=account,
    ).scalar_one()


def test_recovery_abandons_only_rows_whose_process_is_gone(engine):
    _exec(engine, "INSERT INTO audible_config (account) VALUES ('reader'), ('other')")
    orphan = _orphan_running_log(engine)
    other_orphan = _orphan_running_log(engine, account="other")
    with sync_logs_sql.open_running_sync_log(
        engine, account="reader", run_id="live-run", trigger="manual", forced=False, source="file"
    ) as held:
        live = held.log_id
        with engine.begin() as conn:
            assert sync_logs_sql.recover_stale_sync_logs(conn, "reader") == 1
        assert _statuses(engine) == {orphan: "abandoned", other_orphan: "running", live: "running"}
        with engine.begin() as conn:
            assert sync_logs_sql.recover_stale_sync_logs(conn) == 1  # all accounts: 'other' too
        assert _statuses(engine)[other_orphan] == "abandoned"
        assert _statuses(engine)[live] == "running", "a live sync is never abandoned"
    # Released without closing the row (as a crash between steps would): now it is stale.
    with engine.begin() as conn:
        assert sync_logs_sql.recover_stale_sync_logs(conn) == 1
    assert _statuses(engine)[live] == "abandoned"
    with engine.connect() as conn:
        error = conn.execute(
            sa.text("SELECT error FROM audible_sync_logs WHERE id = :i"), {"i": orphan}
        ).scalar()
        finished = conn.execute(
            sa.text(
                "SELECT bool_and(finished_at IS NOT NULL) FROM audible_sync_logs WHERE status = 'abandoned'"
            )
        ).scalar()
    assert "stopped before finishing" in error and finished


def test_next_sync_recovers_a_stale_row_of_its_account(database_url, engine):
    _exec(engine, "INSERT INTO audible_config (account, source) VALUES ('demo', 'demo')")
    stale = _orphan_running_log(engine, account="demo", age="3 hours")
    instance = dg.DagsterInstance.ephemeral()
    result = run_sync(database_url, instance=instance)
    assert result.success
    statuses = _statuses(engine)
    assert statuses.pop(stale) == "abandoned"
    assert list(statuses.values()) == ["success"]
    messages = [entry.user_message for entry in instance.all_logs(result.run_id)]
    assert any("Marked 1 stale 'running' sync log(s) of 'demo' abandoned" in m for m in messages)


def _liveness_locks_held(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.classid = :ns"
            ),
            {"ns": sync_logs_sql.SYNC_LOG_LOCK_NAMESPACE},
        ).scalar()


def test_runs_release_their_liveness_lock_whether_they_succeed_or_fail(database_url, engine, tmp_path):
    assert run_sync(database_url).success
    assert _liveness_locks_held(engine) == 0
    bad = tmp_path / "library.json"
    bad.write_text('{"not": "a library"}')
    failed = run_sync(
        database_url, library_source="file", library_file=str(bad), force=True, raise_on_error=False
    )
    assert not failed.success
    assert _liveness_locks_held(engine) == 0
    assert list(_statuses(engine).values()) == ["success", "failed"]


def _run_maintenance(database_url, keep_days=None, raise_on_error=True):
    job = sync_definitions(database_url).resolve_job_def("audible_maintenance")
    config = {} if keep_days is None else {"keep_days": keep_days}
    return job.execute_in_process(
        run_config={"ops": {"audible_maintenance_op": {"config": config}}},
        instance=dg.DagsterInstance.ephemeral(),
        raise_on_error=raise_on_error,
    )


def test_maintenance_job_recovers_resets_and_applies_retention_keeping_history(database_url, engine):
    _exec(engine, "INSERT INTO audible_config (account) VALUES ('reader'), ('short')")
    _exec(engine, "UPDATE audible_config SET log_retention_days = 7 WHERE account = 'short'")
    _exec(engine, "UPDATE audible_config SET syncs_today = 600, daily_reset_date = CURRENT_DATE - 2")
    _exec(engine, "INSERT INTO books (id, title) VALUES (1, 'Kept')")
    ids = {
        label: _exec(
            engine,
            "INSERT INTO audible_sync_logs (account, status, started_at) "
            f"VALUES (:a, :s, now() - interval '{days} days') RETURNING id",
            a=account,
            s=status,
        ).scalar_one()
        for label, account, status, days in [
            ("old", "reader", "success", 91),
            ("old_failed", "reader", "failed", 120),
            ("recent", "reader", "success", 89),
            ("short_old", "short", "skipped", 8),
            ("short_recent", "short", "success", 6),
        ]
    }
    stale = _orphan_running_log(engine, age="200 days")
    _exec(
        engine,
        "INSERT INTO audible_progress_history (account, asin, book_id, percent_complete, sync_log_id) "
        "VALUES ('reader', 'B000000001', 1, 40, :log)",
        log=ids["old"],
    )

    result = _run_maintenance(database_url)
    assert result.success
    summary = result.output_for_node("audible_maintenance_op")
    # The stale row is abandoned first and then, being 200 days old, falls to retention.
    assert summary == {"abandoned": 1, "counters_reset": 2, "logs_deleted": 4}
    assert set(_statuses(engine)) == {ids["recent"], ids["short_recent"]}
    assert stale not in _statuses(engine)
    with engine.connect() as conn:
        history = conn.execute(sa.text("SELECT book_id, sync_log_id FROM audible_progress_history")).all()
        counters = conn.execute(sa.text("SELECT DISTINCT syncs_today FROM audible_config")).scalars().all()
    assert [tuple(h) for h in history] == [(1, None)], "history outlives the logs that produced it"
    assert counters == [0]

    # keep_days overrides the per-account setting; a second run has nothing left to do.
    assert _run_maintenance(database_url, keep_days=1).output_for_node("audible_maintenance_op") == {
        "abandoned": 0,
        "counters_reset": 0,
        "logs_deleted": 2,
    }
    assert not _run_maintenance(database_url, keep_days=0, raise_on_error=False).success


def test_the_daily_schedule_requests_a_maintenance_run_that_does_the_upkeep(database_url, engine):
    schedule = sync_definitions(database_url).resolve_schedule_def("audible_maintenance_daily")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("30 3 * * *", None)  # 03:30 UTC
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING

    _exec(engine, "INSERT INTO audible_config (account) VALUES ('reader')")
    _exec(engine, "UPDATE audible_config SET syncs_today = 600, daily_reset_date = daily_reset_date - 2")
    stale = _orphan_running_log(engine, age="3 hours")
    tick = datetime(2026, 11, 25, 3, 30, tzinfo=timezone.utc)
    with dg.build_schedule_context(scheduled_execution_time=tick) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    job = sync_definitions(database_url).resolve_job_def(schedule.job_name)
    assert dg.validate_run_config(job, request.run_config)

    result = job.execute_in_process(
        run_config=request.run_config,
        tags=request.tags,
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    assert result.output_for_node("audible_maintenance_op") == {
        "abandoned": 1,
        "counters_reset": 1,
        "logs_deleted": 0,
    }
    assert _statuses(engine) == {stale: "abandoned"}
    assert _exec(engine, "SELECT syncs_today FROM audible_config").scalar() == 0
