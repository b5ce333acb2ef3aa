"""The running sync's audible_sync_logs row, and who keeps it provably alive.

A 'running' row is alive while some process holds its liveness lock (see
``resources.queries.sync_logs``); a row nobody holds is marked 'abandoned' by
the next sync of its account. This resource owns that lock, so its lifetime is
the resource's:

- ``open`` inserts the row and takes the lock (the fetch step);
- ``hold`` is called by every later step that works on the row with the log id
  it was handed as data; it takes the lock unless this resource already holds it;
- ``finish`` drops it once the row is closed (the write step), ``fail_held``
  closes the held rows as 'failed' and drops them (the job's failure hook);
- at the end of the resource's execution every lock still held is dropped, and
  a row left 'running' then is abandoned, as for a crash.

Dagster initializes resources once per process that executes steps. On the
in-process executor (the sync job's default) that is once per run: the lock is
held without a gap from ``open`` to ``finish``. On the multiprocess executor each
step's process takes it again in ``hold`` and drops it when the step ends.
Between two steps the row is unguarded for a moment: a sync of the same account
starting just then may mark it abandoned, and the next step then stops before
writing anything (``SyncLogNotRunning``) while the other sync does the work.
"""

from __future__ import annotations

import dagster as dg
from pydantic import PrivateAttr

from resources.postgres_resource import PostgresResource
from resources.queries import sync_logs as sync_logs_sql
from resources.queries.sync_logs import LiveSyncLog, SyncLogNotRunning

__all__ = ["SyncLogNotRunning", "SyncLogResource"]


class SyncLogResource(dg.ConfigurableResource):
    """Opens a sync's log row and holds its liveness lock while this process works on it."""

    postgres: PostgresResource
    _held: dict[int, LiveSyncLog] = PrivateAttr(default_factory=dict)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        self._held = {}

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        for log_id in list(self._held):
            self.finish(log_id)

    def open(self, *, account: str, run_id: str, trigger: str, forced: bool, source: str) -> int:
        """Insert the run's 'running' row, hold its lock, and return its id."""
        live = sync_logs_sql.open_running_sync_log(
            self.postgres.get_engine(),
            account=account,
            run_id=run_id,
            trigger=trigger,
            forced=forced,
            source=source,
        )
        self._held[live.log_id] = live
        return live.log_id

    def hold(self, log_id: int) -> None:
        """Make sure this process holds the row's lock; SyncLogNotRunning if the row was closed."""
        if log_id not in self._held:
            self._held[log_id] = sync_logs_sql.hold_running_sync_log(self.postgres.get_engine(), log_id)

    def finish(self, log_id: int) -> None:
        """Drop the row's lock: its status is final, or another process carries on with it."""
        live = self._held.pop(log_id, None)
        if live is not None:
            live.release()

    def fail_held(self, error: str) -> list[int]:
        """Close every row this process holds as 'failed' with ``error``; returns their ids."""
        failed = []
        try:
            with self.postgres.get_engine().begin() as conn:
                for log_id in self._held:
                    if sync_logs_sql.fail_running_sync_log(conn, log_id, error):
                        failed.append(log_id)
        finally:
            # Closed or not (the database may be what failed), this process is done with them.
            for log_id in list(self._held):
                self.finish(log_id)
        return failed
