"""The connection searches of a cold build spread over the machine's cores.

Each leave slot's search is independent of the others' (they share only caches that a fresh
problem does not keep), so a cold build hands runs of slots (planner.problem) to forked worker
processes, which inherit the compiled network as it is in memory and send back only the
connections found: pickling them costs about a tenth of searching them. Results come back in the
order the jobs were given and are merged in slot order, so the problem, and the plan, are the same
whatever the number of processes.

Forking is used only where it is safe and pays: a process with a single thread (a fork copies
no other thread, so a lock another thread held would stay locked in the child), a platform that
forks, and enough searches to outweigh starting the workers. Workers end with their parent, even
after its kill -9 (planner.processes).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from planner.processes import end_with_parent

Item = TypeVar("Item")
Answer = TypeVar("Answer")

# Below this many leave slots in all a build searches on one process: forking and collecting the
# results (about 0.1 s) would cost more than half the searching saves. The flagship has ~2,500.
MIN_SLOTS_TO_SPREAD = 800

# The job of the pool being run, read by the forked workers (they inherit it; nothing is pickled).
_job: Callable[[Any], Any] | None = None


def can_spread(processes: int, items: int, slots: int) -> bool:
    """Whether forking workers is safe here and pays for itself."""
    return items > 1 and slots >= MIN_SLOTS_TO_SPREAD and can_fork(processes)


def can_fork(processes: int) -> bool:
    """Whether ``map_spread`` may fork workers here: more than one process allowed, a process
    with a single thread and a platform that forks."""
    return (
        processes > 1 and threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    )


def _run(item: Any) -> Any:
    assert _job is not None, "a worker forked outside map_spread"
    return _job(item)


def map_spread(job: Callable[[Item], Answer], items: Sequence[Item], processes: int) -> list[Answer]:
    """``[job(item) for item in items]``, computed by up to ``processes`` forked workers.

    The caller checks ``can_spread`` first. Items are handed out one at a time, in the given
    order (largest first balances the load); an exception in a job is raised here.
    """
    global _job
    _job = job
    try:
        with ProcessPoolExecutor(
            max_workers=min(processes, len(items)),
            mp_context=multiprocessing.get_context("fork"),
            initializer=end_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            return list(pool.map(_run, items))
    finally:
        _job = None
