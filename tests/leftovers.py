"""Processes the test suite started that are still alive: found by a tag in their environment.

``conftest.py`` puts ``PLANNER_TEST_SESSION=<random>`` into the suite's environment before any
test runs. Every process a test starts (a server, its solver pool, a pool of an in-process app,
a CLI) inherits it, also when it is re-parented to init after its parent died, so a scan of
``/proc/*/environ`` at the end finds whatever the suite failed to reap.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

TAG = "PLANNER_TEST_SESSION"
# Kept by multiprocessing in the pytest process itself, ending with it: not a leak.
OWN_HELPERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _environ(pid: str) -> bytes:
    try:
        return (Path("/proc") / pid / "environ").read_bytes()
    except OSError:  # gone, or not ours to read
        return b""


def _stat(pid: str) -> tuple[str, int] | None:
    """(state, parent pid), or None when the process is gone."""
    try:
        fields = (Path("/proc") / pid / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def command_line(pid: str) -> str:
    try:
        return (Path("/proc") / pid / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def tagged(session: str) -> dict[int, str]:
    """Live processes (not zombies) carrying the session tag, except this one and its own
    multiprocessing helpers: pid -> command line."""
    marker = f"{TAG}={session}".encode()
    me = os.getpid()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        if marker not in _environ(entry.name).split(b"\0"):
            continue
        stat = _stat(entry.name)
        if stat is None or stat[0] == "Z":
            continue
        command = command_line(entry.name)
        if stat[1] == me and any(helper in command for helper in OWN_HELPERS):
            continue
        found[int(entry.name)] = command
    return found


def left_behind(session: str, grace_s: float = 15.0) -> dict[int, str]:
    """Tagged processes still alive after ``grace_s`` (processes shutting down get that long)."""
    deadline = time.monotonic() + grace_s
    while True:
        alive = tagged(session)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.2)


def reap(pids: dict[int, str]) -> None:
    """Kill what was left so that a failing suite does not leave it running either."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    return [
        int(entry) for entry in os.listdir("/proc") if entry.isdigit() and (_stat(entry) or ("", 0))[1] == pid
    ]


def running(pid: int) -> bool:
    """Alive and not a zombie (an orphan's zombie waits for init, which may not reap it)."""
    stat = _stat(str(pid))
    return stat is not None and stat[0] != "Z"
