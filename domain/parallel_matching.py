"""Deciding many library items on every core, the tracker's index built once and shared.

Each item is decided on its own once the `BookIndex` exists, so a large batch is
cut into consecutive slices, one per process: this process decides the first,
and a worker *forked* after the index was built decides each of the others. A
forked worker sees the index and the items through copy-on-write memory rather
than a pickled copy, and sends back only its decisions, which are put back in
the items' order: the result is exactly `index.match_all(items)`.

Where forking is not available or not safe (Windows, macOS, a daemonic process),
with a single idle core, or for a batch too small to repay starting a worker,
this process decides the whole batch. A core counts as idle when no other
runnable task needs it: on a saturated machine a second process only adds
the cost of forking (measured: slower, not faster, at a load of 10 on 2 cores).

Workers only compute. They inherit this process's open file descriptors (a
database connection resting in a pool, say) but never use them, ignore Ctrl-C
(this process handles it and stops them) and leave through `os._exit`, so
nothing of the parent's is closed or flushed twice. No worker outlives the call,
whether it returns, raises or is interrupted; a worker that dies (killed, out of
memory) is an error here rather than a wait that never ends.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.process
import os
import pickle
import signal
import sys
import time
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection, wait

from domain.library_items import LibraryItem
from domain.matching import BookIndex, MatchDecision

# Below this many items one process decides the batch. Forking costs a fixed
# ~40 ms at 100k books, then each process pays copy-on-write faults for the
# part of the index it touches (~0.2 s of system time per 1,600 items): on an
# idle 2-core machine the second core starts to win past ~500 items, so twice
# that leaves a margin (benchmarks/parallel_threshold.py measures it).
PARALLEL_MIN_ITEMS = 1000


class MatchingWorkerError(RuntimeError):
    """A worker process failed or vanished before sending its decisions."""


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform tells)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def idle_cores(proc_loadavg: str = "/proc/loadavg") -> int:
    """Usable cores less those other processes keep busy now.

    Busy is what the kernel has runnable at this moment, where Linux tells (see
    runnable_elsewhere); elsewhere the 1-minute load average, this process's own share
    aside. The load average lags: a large first sync started a few seconds after other
    work (an install, a previous sync) would otherwise decide alone on an idle machine.
    """
    cores = usable_cores()
    busy = runnable_elsewhere(proc_loadavg=proc_loadavg)
    if busy is None:
        try:
            busy = os.getloadavg()[0] - 1
        except OSError:  # no load average on this platform
            return cores
    return max(1, min(cores, round(cores - busy)))


def runnable_elsewhere(looks: int = 5, proc_loadavg: str = "/proc/loadavg") -> int | None:
    """Tasks other than this one that the kernel has runnable now (the fourth field of
    /proc/loadavg counts them, this reader included), or None where it does not tell. The
    least of a few looks 5 ms apart: one look may catch a task that runs for a moment
    (a database backend answering), which would leave a core idle for the whole batch."""
    counts = []
    for look in range(looks):
        if look:
            time.sleep(0.005)
        try:
            with open(proc_loadavg, encoding="ascii") as stats:
                counts.append(int(stats.read().split()[3].partition("/")[0]) - 1)
        except (OSError, ValueError, IndexError):
            return None
    return max(0, min(counts))


def can_fork_workers() -> bool:
    """Whether worker processes may be forked from this one.

    Only on Linux: macOS lists fork, but its system libraries are not safe in the
    forked child of a threaded process, and Windows has no fork. A daemonic process
    may not start children.
    """
    return (
        sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
    )


def planned_processes(item_count: int, processes: int | None = None, min_items: int | None = None) -> int:
    """How many processes would decide ``item_count`` items (1: this one alone).

    ``processes`` defaults to one per idle core, ``min_items`` to PARALLEL_MIN_ITEMS.
    """
    wanted = idle_cores() if processes is None else processes
    min_items = PARALLEL_MIN_ITEMS if min_items is None else min_items
    if wanted < 2 or item_count < max(min_items, 2) or not can_fork_workers():
        return 1
    return min(wanted, item_count)


def match_all_parallel(
    index: BookIndex,
    items: Sequence[LibraryItem],
    *,
    processes: int | None = None,
    min_items: int | None = None,
) -> list[MatchDecision]:
    """``index.match_all(items)``, decided by ``processes`` processes (default: one per idle core)."""
    items = list(items)
    count = planned_processes(len(items), processes, min_items)
    if count == 1:
        return index.match_all(items)
    # Whatever is parsed before the fork is parsed once, for every worker.
    index.prepare_for(len(items))
    first, *rest = slice_bounds(len(items), count)
    context = multiprocessing.get_context("fork")
    # Output buffered here would otherwise be written again by every child on its way out.
    sys.stdout.flush()
    sys.stderr.flush()
    workers: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
    try:
        for bounds in rest:
            reader, writer = context.Pipe(duplex=False)
            # Under fork the arguments are not pickled: the child starts with them in memory.
            worker = context.Process(target=_decide_slice, args=(index, items, bounds, writer), daemon=True)
            worker.start()
            writer.close()
            workers.append((worker, reader))
        decided = [index.match_all(items[first[0] : first[1]])]
        decided += [_receive(worker, reader) for worker, reader in workers]
    finally:
        for worker, reader in workers:
            if worker.is_alive():
                # SIGKILL: a child inherited this process's signal handlers, which may
                # only note a SIGTERM (Dagster's do) instead of stopping.
                worker.kill()
            worker.join()
            reader.close()
    return [decision for part in decided for decision in part]


def slice_bounds(total: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` consecutive (start, stop) ranges covering 0..total, sizes within one."""
    parts = max(1, min(parts, total))
    size, extra = divmod(total, parts)
    bounds, start = [], 0
    for n in range(parts):
        stop = start + size + (1 if n < extra else 0)
        bounds.append((start, stop))
        start = stop
    return bounds


def _receive(worker: multiprocessing.process.BaseProcess, reader: Connection) -> list[MatchDecision]:
    # Wait for the decisions or for the worker's end, whichever comes first.
    wait([reader, worker.sentinel])
    try:
        status, payload = reader.recv()
    except EOFError:
        worker.join()
        raise MatchingWorkerError(
            f"a matching worker stopped before sending its decisions (exit code {worker.exitcode})"
        ) from None
    if status == "error":
        raise payload
    return payload


def _decide_slice(
    index: BookIndex, items: Sequence[LibraryItem], bounds: tuple[int, int], writer: Connection
) -> None:
    """In the worker: decide one slice and send the decisions (or the error) back."""
    # Ctrl-C reaches the whole process group: the parent stops the workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        message: tuple[str, object] = ("ok", index.match_all(items[bounds[0] : bounds[1]]))
    except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
        error.add_note("in a matching worker:\n" + "".join(traceback.format_tb(error.__traceback__)))
        message = ("error", _portable(error))
    writer.send(message)
    writer.close()


def _portable(error: BaseException) -> BaseException:
    """The error itself when it survives pickling, else its text as a MatchingWorkerError."""
    try:
        pickle.loads(pickle.dumps(error))
        return error
    except Exception:  # noqa: BLE001 - any pickling failure means: send the text instead
        text = "".join(traceback.format_exception(error)).strip()
        return MatchingWorkerError(f"a matching worker failed: {text}")
