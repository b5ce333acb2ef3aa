"""The matching step on two processes inside a Dagster run: same decisions, intact connections, no stray process."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from domain import parallel_matching
from domain.library_items import parse_library
from domain.matching import BookIndex, TrackerBook
from resources.library_source import demo_library_payload
from tests.domain.test_parallel_matching import child_pids
from tests.support.sync import run_sync

_forks = {"counting": False, "count": 0}


def _count_fork() -> None:
    if _forks["counting"]:
        _forks["count"] += 1


# Counts every fork this process makes from here on; only while a test asks.
os.register_at_fork(after_in_parent=_count_fork)


@pytest.mark.skipif(not parallel_matching.can_fork_workers(), reason="workers are forked only on Linux")
def test_a_sync_whose_batch_is_split_across_processes_decides_as_one_process_would(
    database_url, engine, monkeypatch
):
    # Every batch counts as large and two cores as idle, so the demo's 30 titles are split.
    monkeypatch.setattr(parallel_matching, "PARALLEL_MIN_ITEMS", 2)
    monkeypatch.setattr(parallel_matching, "idle_cores", lambda: 2)
    before = child_pids()
    _forks.update(counting=True, count=0)
    try:
        result = run_sync(database_url)
    finally:
        _forks["counting"] = False

    assert result.success
    assert _forks["count"] == 1  # one worker beside this process
    assert child_pids() - before == set()
    with engine.connect() as conn:
        books = [
            TrackerBook(*row) for row in conn.execute(sa.text("SELECT id, title, author, isbn FROM books"))
        ]
        mappings = conn.execute(sa.text("SELECT count(*) FROM audible_book_mappings")).scalar_one()
    expected = BookIndex(books).match_all(parse_library(demo_library_payload()).items)
    produced = result.output_for_node("audible_book_matches").decisions
    assert [(r["asin"], r["decision"], r["book_id"], r["reason"]) for r in produced] == [
        (d.asin, d.decision, d.book_id, d.reason) for d in expected
    ]
    assert [[(c["book_id"], c["score"]) for c in r["candidates"]] for r in produced] == [
        [(c.book_id, c.score) for c in d.candidates] for d in expected
    ]
    # The writes after matching went through the connections the worker inherited and left alone.
    assert mappings == sum(1 for d in expected if d.decision == "linked")
