"""Worker processes that end with the process that started them, even after its kill -9."""

from __future__ import annotations

import os
import threading
import time


def end_with_parent(parent_pid: int) -> None:
    """Call first thing in a worker: it exits as soon as ``parent_pid`` is no longer its parent.

    A watchdog thread, not the kernel's parent-death signal: that one fires when the *thread*
    that started the process ends, and a process pool starts processes from whichever thread
    submits work. The parent's pid comes from the parent itself: a process still starting when
    the parent dies would otherwise read its new parent (init) as the one to watch, and never end.
    """
    if os.getppid() != parent_pid:
        os._exit(0)

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(0)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


def search_processes() -> int:
    """Processes a cold build may search with: ``PLANNER_SEARCH_PROCESSES`` when set (1 searches
    in this process only), otherwise the cores this process may run on."""
    configured = os.environ.get("PLANNER_SEARCH_PROCESSES", "").strip()
    if configured:
        try:
            return max(1, int(configured))
        except ValueError:
            raise ValueError(
                f"PLANNER_SEARCH_PROCESSES: a whole number of processes, not {configured!r}"
            ) from None
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
