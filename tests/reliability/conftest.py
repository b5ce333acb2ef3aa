"""Fixtures for tests that start real sync processes."""

from __future__ import annotations

import pytest

from tests.reliability.processes import SyncProcesses


@pytest.fixture
def sync_processes(database_url):
    """Starts `dagster job execute` syncs; whatever the test's outcome, none is running once it ends.

    It depends on ``database_url`` so that it is torn down first: the processes are stopped before
    the test's database is dropped.
    """
    with SyncProcesses() as processes:
        yield processes
