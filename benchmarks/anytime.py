"""The flagship under time limits from 0.1 s to 30 s, idle and with both cores kept busy.

    .venv/bin/python benchmarks/anytime.py

Each limit runs `plan()` in a fresh process (scenario loaded first, not timed), and the plan
is checked by the independent checker. The table gives, per limit, the status, the coverage
points, the solve's wall time and its ratio to the limit, idle and busy (two busy-loop
processes, one per core, started and stopped by this script). Written to
benchmarks/anytime-results.md with the CPU model and a calibration figure of this run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
from pathlib import Path

from machine import describe, run_json

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"
LIMITS = (0.1, 0.5, 1.0, 2.0, 3.0, 5.0, 30.0)

ONE_PLAN = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from planner.check import check_plan
from planner.domain import SolverParams
from planner.result import plan_json
from planner.scenario import load_scenario
from planner.solve import plan
scenario = load_scenario(sys.argv[2])
params = SolverParams(time_limit_s=float(sys.argv[3]), workers=1, seed=0)
started = time.perf_counter()
problem, result = plan(scenario, params)
wall = time.perf_counter() - started
document = plan_json(scenario, problem.axis, result)
print(json.dumps({
    "status": result.status.value,
    "points": result.coverage_points,
    "wall_s": wall,
    "violations": len(check_plan(scenario, document)),
}))
"""


def _spin() -> None:
    while True:
        pass


def run(limit: float) -> dict[str, float | str | int]:
    return run_json(ONE_PLAN, str(ROOT), str(SCENARIO), str(limit))


def sweep(label: str) -> dict[float, dict[str, float | str | int]]:
    rows = {}
    for limit in LIMITS:
        rows[limit] = run(limit)
        print(f"{label} {limit:g} s: {rows[limit]}", file=sys.stderr)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "anytime-results.md")
    args = parser.parse_args()
    machine = describe()
    idle = sweep("idle")
    hogs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(2)]
    for hog in hogs:
        hog.start()
    try:
        busy = sweep("busy")
    finally:
        for hog in hogs:
            hog.terminate()
            hog.join()
    lines = [
        "# The flagship under time limits",
        "",
        f"Machine: {machine}. One run per limit and load; `wall` is plan() from the loaded scenario",
        "to the result (connection search, model, CP-SAT); every plan passed the checker.",
        "",
        "| limit s | idle: status | points | wall s | wall / limit | busy: status | points | wall s | "
        "wall / limit |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for limit in LIMITS:
        a, b = idle[limit], busy[limit]
        assert a["violations"] == 0 and b["violations"] == 0, (a, b)
        lines.append(
            f"| {limit:g} | {a['status']} | {a['points']} | {float(a['wall_s']):.2f} | "
            f"{float(a['wall_s']) / limit:.2f} | {b['status']} | {b['points']} | {float(b['wall_s']):.2f} | "
            f"{float(b['wall_s']) / limit:.2f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
