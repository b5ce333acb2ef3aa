"""Matching on every core: the same decisions in the same order, and no process left behind."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
from pathlib import Path

import pytest

from benchmarks.matching_eval import DEFAULT_DIR, load_books
from benchmarks.synthetic import MIXES, generate
from domain import parallel_matching
from domain.library_items import LibraryItem, parse_library
from domain.matching import BookIndex, TrackerBook
from domain.parallel_matching import (
    MatchingWorkerError,
    match_all_parallel,
    planned_processes,
    slice_bounds,
)

needs_fork = pytest.mark.skipif(
    not parallel_matching.can_fork_workers(), reason="worker processes are forked only on Linux"
)


def child_pids() -> set[int]:
    """Every live child of this process (Linux), whoever started it."""
    pids: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        pids.update(int(pid) for pid in (task / "children").read_text().split())
    return pids


@pytest.fixture
def no_process_left_behind():
    before = child_pids()
    yield
    assert child_pids() - before == set()


def synthetic(items: int, books: int, seed: int = 11, mix: str = "baseline"):
    library, tracker = generate(items, books, seed, mix)
    return (
        parse_library(library).items,
        BookIndex(TrackerBook(b["id"], b["title"], b["author"], b["isbn"]) for b in tracker),
    )


@needs_fork
def test_evaluation_set_gets_the_single_process_decisions_in_order(no_process_left_behind):
    library = parse_library(json.loads((DEFAULT_DIR / "library.json").read_text(encoding="utf-8")))
    index = BookIndex(load_books(DEFAULT_DIR / "books.csv"))
    assert planned_processes(len(library.items), processes=2, min_items=0) == 2

    assert match_all_parallel(index, library.items, processes=2, min_items=0) == index.match_all(
        library.items
    )


@needs_fork
def test_thirteen_thousand_synthetic_items_get_the_single_process_decisions_in_order(
    no_process_left_behind,
):
    items, index = synthetic(13_000, 6_000)
    single = index.match_all(items)

    parallel = match_all_parallel(index, items, processes=2, min_items=0)

    assert [d.asin for d in parallel] == [item.asin for item in items]
    assert parallel == single
    assert {d.decision for d in single} == {"linked", "conflict", "unmatched"}


@needs_fork
@pytest.mark.parametrize("mix", sorted(MIXES))
def test_every_data_mix_gets_the_single_process_decisions(mix, no_process_left_behind):
    items, index = synthetic(800, 4000, mix=mix)
    assert match_all_parallel(index, items, processes=3, min_items=0) == index.match_all(items)


def test_a_small_batch_or_a_single_core_stays_in_this_process():
    assert planned_processes(999, processes=2, min_items=1000) == 1
    assert planned_processes(50_000, processes=1) == 1
    assert planned_processes(1, processes=4, min_items=0) == 1
    if parallel_matching.can_fork_workers():
        assert planned_processes(1000, processes=2, min_items=1000) == 2
        assert planned_processes(3, processes=8, min_items=0) == 3


def test_slices_cover_every_item_once_in_order():
    assert slice_bounds(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert slice_bounds(2, 5) == [(0, 1), (1, 2)]
    for total, parts in ((13_000, 2), (1, 1), (7, 7), (1001, 4)):
        bounds = slice_bounds(total, parts)
        assert [i for start, stop in bounds for i in range(start, stop)] == list(range(total))


class _Title(str):
    """A title whose normalising runs ``effect`` when it happens in the given process."""

    def __new__(cls, text: str, effect, in_parent: bool):
        title = super().__new__(cls, text)
        title.effect, title.in_parent, title.parent = effect, in_parent, os.getpid()
        return title

    def strip(self, *args):
        if (os.getpid() == self.parent) == self.in_parent:
            self.effect()
        return super().strip(*args)


def _with_title(items: list[LibraryItem], position: int, title: str) -> list[LibraryItem]:
    changed = list(items)
    changed[position] = dataclasses.replace(changed[position], title=title)
    return changed


def _raise_value_error():
    raise ValueError("bad record in the worker")


def _die():
    os.kill(os.getpid(), signal.SIGKILL)


def _interrupt():
    raise KeyboardInterrupt


@needs_fork
def test_an_error_in_a_worker_is_raised_here_and_no_worker_is_left(no_process_left_behind):
    items, index = synthetic(400, 2000)
    # The last item is in the worker's slice.
    broken = _with_title(items, -1, _Title("The Hobbit", _raise_value_error, in_parent=False))

    with pytest.raises(ValueError, match="bad record in the worker") as raised:
        match_all_parallel(index, broken, processes=2, min_items=0)
    assert any("matching worker" in note for note in raised.value.__notes__)


@needs_fork
def test_a_worker_that_dies_is_an_error_not_a_wait(no_process_left_behind):
    items, index = synthetic(400, 2000)
    doomed = _with_title(items, -1, _Title("The Hobbit", _die, in_parent=False))

    with pytest.raises(MatchingWorkerError, match="exit code -9"):
        match_all_parallel(index, doomed, processes=2, min_items=0)


@needs_fork
def test_interrupting_this_process_stops_the_workers(no_process_left_behind):
    items, index = synthetic(400, 2000)
    # The first item is in this process's own slice, decided while the worker runs.
    interrupted = _with_title(items, 0, _Title("The Hobbit", _interrupt, in_parent=True))

    with pytest.raises(KeyboardInterrupt):
        match_all_parallel(index, interrupted, processes=2, min_items=0)


def _loadavg(tmp_path: Path, runnable: int) -> str:
    path = tmp_path / "loadavg"
    path.write_text(f"1.52 1.61 1.40 {runnable}/311 48213\n", encoding="ascii")
    return str(path)


def test_cores_count_as_idle_by_what_is_runnable_now_not_by_the_lagging_load_average(tmp_path):
    cores = parallel_matching.usable_cores()
    # The reader alone is runnable: every core is free, whatever the 1-minute average says.
    assert parallel_matching.idle_cores(_loadavg(tmp_path, 1)) == cores
    assert parallel_matching.runnable_elsewhere(looks=2, proc_loadavg=_loadavg(tmp_path, 1)) == 0
    # Other tasks want every core and more: decide alone.
    assert parallel_matching.idle_cores(_loadavg(tmp_path, cores + 6)) == 1
    if cores >= 2:
        assert parallel_matching.idle_cores(_loadavg(tmp_path, 2)) == cores - 1


def test_without_a_runnable_count_the_load_average_decides(tmp_path):
    missing = str(tmp_path / "absent")
    assert parallel_matching.runnable_elsewhere(proc_loadavg=missing) is None
    assert 1 <= parallel_matching.idle_cores(missing) <= parallel_matching.usable_cores()
    garbled = tmp_path / "garbled"
    garbled.write_text("not a load line", encoding="ascii")
    assert parallel_matching.runnable_elsewhere(proc_loadavg=str(garbled)) is None
