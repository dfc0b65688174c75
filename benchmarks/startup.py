"""How fast the command line starts: `planner --help` and `planner validate` of the flagship.

    .venv/bin/python benchmarks/startup.py [--repeat 11] [--out benchmarks/startup-results.md]
    mkdir /tmp/COMMIT && git archive COMMIT planner api | tar -x -C /tmp/COMMIT   # an earlier tree
    .venv/bin/python benchmarks/startup.py --before /tmp/COMMIT

Each command runs ``--repeat`` times as a new process (the installed console script; for
``--before``, ``python -m api.cli`` in that checkout, its rows labelled with the folder's
name), in turns with a bare ``python -c pass``, and the table gives the median wall time in
seconds, as a ratio to the bare interpreter's start and as a ratio to the calibration
workload timed in the same run (see machine.py): the ratios are what compare across
machines and moments.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import calibration_s, cpu_model

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"


def planner_command() -> list[str]:
    """The console script beside this interpreter, or the module it runs when not installed."""
    script = Path(sys.executable).parent / "planner"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "api.cli"]


def wall_s(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Seconds from starting ``command`` in ``cwd`` (with ``env``) to its end; it must succeed."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=cwd, env=env, timeout=600)
    return time.perf_counter() - started


def publish(lines: list[str], out: Path) -> None:
    """Print a results table and write it to ``out``."""
    table = "\n".join(lines) + "\n"
    print(table)
    out.write_text(table, encoding="utf-8")
    print(f"written to {out}", file=sys.stderr)


def commands(before: Path | None) -> dict[str, tuple[list[str], Path]]:
    """Each case's name, command line and working folder."""
    planner = planner_command()
    cases = {
        "python -c pass": ([sys.executable, "-c", "pass"], ROOT),
        "planner --help": ([*planner, "--help"], ROOT),
        f"planner validate {FLAGSHIP.name}": ([*planner, "validate", str(FLAGSHIP)], ROOT),
    }
    if before is not None:
        # The checkout's folder first on the path: its api and planner packages are the ones run.
        earlier = [sys.executable, "-m", "api.cli"]
        cases[f"planner --help ({before.name})"] = ([*earlier, "--help"], before)
        cases[f"planner validate {FLAGSHIP.name} ({before.name})"] = (
            [*earlier, "validate", str(FLAGSHIP)],
            before,
        )
    return cases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "startup-results.md")
    parser.add_argument(
        "--before", type=Path, help="an earlier checkout to time alongside (its api/, planner/)"
    )
    args = parser.parse_args()

    cases = commands(args.before)
    # Other work on the machine slows every row alike: the seconds move, the ratios much less.
    load = os.getloadavg()[0]
    calibration_before = calibration_s()
    times: dict[str, list[float]] = {name: [] for name in cases}
    for index in range(args.repeat):
        # In turns, so a busy moment of the machine weighs on every case alike.
        for name, (command, cwd) in cases.items():
            times[name].append(wall_s(command, cwd))
        print(f"run {index + 1}/{args.repeat} done", file=sys.stderr)
    calibration_after = calibration_s()
    # The workload timed before and after the runs: their mean is this run's calibration.
    calibration = (calibration_before + calibration_after) / 2

    bare = statistics.median(times["python -c pass"])
    lines = [
        "# Command-line start",
        "",
        f"Machine: {cpu_model()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"calibration {calibration:.3f} s (mean of {calibration_before:.3f} s before the runs and "
        f"{calibration_after:.3f} s after); load average {load:.1f} at the start. "
        f"Command: `.venv/bin/python benchmarks/startup.py --repeat {args.repeat}"
        + (f" --before {args.before}" if args.before else "")
        + "`; "
        f"{args.repeat} runs of each, in turns, each a new process; wall time.",
        "",
        "| command | median s | min s | max s | × python -c pass | × calibration |",
        "|---|---|---|---|---|---|",
    ]
    for name, measured in times.items():
        median = statistics.median(measured)
        lines.append(
            f"| `{name}` | {median:.3f} | {min(measured):.3f} | {max(measured):.3f} | "
            f"{median / bare:.1f} | {median / calibration:.1f} |"
        )
    publish(lines, args.out)


if __name__ == "__main__":
    main()
