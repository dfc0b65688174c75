"""What a benchmark prints about the machine it ran on: the CPU model and a calibration figure.

The calibration is a fixed pure-Python workload (sorting and hashing, like the planner's
search), timed in the same run as the benchmark: figures from another machine or another
moment compare through the ratio to it, not through seconds.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what the platform module says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _workload() -> int:
    rng = random.Random(12345)
    values = [rng.random() for _ in range(200_000)]
    values.sort()
    table = {round(v, 4): i for i, v in enumerate(values)}
    return len(table)


def calibration_s(repeat: int = 5) -> float:
    """Median seconds of the fixed workload (about 0.1 s on a 2020s server core)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        _workload()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_json(code: str, *args: str) -> dict[str, float | str | int]:
    """Run ``code`` in a fresh Python process with ``args``; its last output line is JSON."""
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True, timeout=600
    )
    result: dict[str, float | str | int] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def describe(calibration: float | None = None) -> str:
    """One line: CPU model, cores, Python, and the calibration figure of this run (measured here
    unless the caller measured it)."""
    figure = calibration_s() if calibration is None else calibration
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"calibration {figure:.3f} s"
    )
