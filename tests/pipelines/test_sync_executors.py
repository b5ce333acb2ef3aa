"""The sync job gives the same database on Dagster's multiprocess executor as on its in-process default.

Each step then runs in a process of its own, so nothing a step needs can travel
in memory: the account, the sync log id and the forced flag travel in the
outputs, and each step takes the sync log's liveness lock itself.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa

from pipelines.definitions import build_definitions
from resources import resources_from_env
from resources.postgres import get_engine
from resources.queries import sync_logs as sync_logs_sql
from tests.reliability.processes import DEMO_LIBRARY, prepare_tracker, sync_logs, tracker_state
from tests.support.sync import run_sync

SYNC_STEPS = {"audible_library", "audible_book_matches", "audible_sync_writes", "audible_stats"}


def multiprocess_sync_job() -> dg.JobDefinition:
    """audible_sync on the environment's resources, one process per step (loaded again in each)."""
    job = build_definitions(resources_from_env()).resolve_job_def("audible_sync")
    return job.with_executor_def(dg.multiprocess_executor)


def _liveness_locks_held(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                "WHERE d.datname = current_database() AND l.locktype = 'advisory' AND l.classid = :ns"
            ),
            {"ns": sync_logs_sql.SYNC_LOG_LOCK_NAMESPACE},
        ).scalar()


def _sync_log_counts(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT account, status, source, items_fetched, items_matched, mappings_created, "
                    "conflicts_opened, progress_updates FROM audible_sync_logs ORDER BY id"
                )
            )
        ]


def test_the_multiprocess_executor_writes_what_the_in_process_one_writes(
    database_url, engine, empty_database_url, monkeypatch
):
    in_process_engine = get_engine(empty_database_url)
    for target in (engine, in_process_engine):
        prepare_tracker(target)
    assert run_sync(empty_database_url, library_source="file", library_file=str(DEMO_LIBRARY)).success

    # The step processes build their resources from the environment, as `dagster job execute` does.
    monkeypatch.setenv("AUDIBLE_TRACKER_DATABASE_URL", database_url)
    monkeypatch.setenv("AUDIBLE_TRACKER_LIBRARY_FILE", str(DEMO_LIBRARY))
    with dg.instance_for_test() as instance:
        with dg.execute_job(dg.reconstructable(multiprocess_sync_job), instance=instance) as result:
            assert result.success
            starts = [event for event in result.all_events if event.event_type_value == "STEP_START"]
    assert {event.step_key for event in starts} >= SYNC_STEPS
    assert len({event.pid for event in starts}) == len(starts), "each step ran in a process of its own"

    assert tracker_state(engine) == tracker_state(in_process_engine)
    assert _sync_log_counts(engine) == _sync_log_counts(in_process_engine)
    assert [log["status"] for log in sync_logs(engine)] == ["success"]
    assert _liveness_locks_held(engine) == 0
