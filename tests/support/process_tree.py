"""Processes the tests start, and making sure none of them outlives its test."""

from __future__ import annotations

import psutil

# Started once by multiprocessing for the whole test process; it ends with it.
_LIFELONG = ("multiprocessing.resource_tracker",)


def _is_lifelong(process: psutil.Process) -> bool:
    try:
        command = " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False
    return any(marker in command for marker in _LIFELONG)


def running_descendants() -> dict[int, psutil.Process]:
    """This process's children and their children, except zombies and lifelong helpers."""
    found = {}
    for process in psutil.Process().children(recursive=True):
        try:
            if process.status() != psutil.STATUS_ZOMBIE and not _is_lifelong(process):
                found[process.pid] = process
        except psutil.NoSuchProcess:
            continue
    return found


def describe(process: psutil.Process) -> str:
    try:
        return f"{process.pid}: {' '.join(process.cmdline())[:200]}"
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return f"{process.pid}: (ended)"


def kill_tree(processes: list[psutil.Process], timeout: float = 30) -> None:
    """SIGKILL each process and its descendants (children first looked up, then all killed), and reap them."""
    everything = {}
    for process in processes:
        try:
            everything[process.pid] = process
            for child in process.children(recursive=True):
                everything[child.pid] = child
        except psutil.NoSuchProcess:
            continue
    for process in everything.values():
        try:
            process.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(list(everything.values()), timeout=timeout)
