"""Plan the flagship with two checkouts of the planner, alternately, in the same run.

    git worktree add /tmp/before <commit>
    .venv/bin/python benchmarks/before_after.py --before /tmp/before --repeat 5

Each plan runs in a fresh process with the checkout's `planner` first on the path, so
both see the same machine at the same moments; the table gives the medians and the
ratio after/before, which is what to compare across machines. The results (with the CPU
model and a calibration figure of this run) are written to benchmarks/before-after-results.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from machine import describe, run_json

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"

ONE_PLAN = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from planner.scenario import load_scenario
from planner.solve import plan
scenario = load_scenario(sys.argv[2])
started = time.perf_counter()
problem, result = plan(scenario)
total = time.perf_counter() - started
print(json.dumps({
    "status": result.status.value,
    "points": result.coverage_points,
    "secondary": result.secondary_cost,
    "build_s": result.stats["build_s"],
    "solve_s": result.stats["solve_s"],
    "total_s": total,
    "arcs": len(problem.all_arcs),
}))
"""


def run(tree: Path) -> dict[str, float | str | int]:
    return run_json(ONE_PLAN, str(tree), str(SCENARIO))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--before", type=Path, required=True, help="checkout of the earlier planner")
    parser.add_argument("--after", type=Path, default=ROOT, help="checkout of the later planner (this one)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "before-after-results.md")
    args = parser.parse_args()

    machine = describe()
    runs: dict[str, list[dict[str, float | str | int]]] = {"before": [], "after": []}
    for index in range(args.repeat):
        for name, tree in (("before", args.before), ("after", args.after)):
            runs[name].append(run(tree))
            print(f"run {index + 1}/{args.repeat} {name}: {runs[name][-1]}", file=sys.stderr)

    def median(name: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in runs[name])

    lines = [
        "# Flagship before and after",
        "",
        f"Machine: {machine}. {args.repeat} alternating runs each, medians.",
        "",
        "| checkout | status | points | secondary | arcs | build s | solve s | end to end s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in ("before", "after"):
        last = runs[name][-1]
        lines.append(
            f"| {name} | {last['status']} | {last['points']} | {last['secondary']} | {last['arcs']} | "
            f"{median(name, 'build_s'):.2f} | {median(name, 'solve_s'):.2f} | {median(name, 'total_s'):.2f} |"
        )
    ratio = median("after", "total_s") / median("before", "total_s")
    build_ratio = median("after", "build_s") / median("before", "build_s")
    lines += ["", f"End to end after/before: **{ratio:.2f}** (build {build_ratio:.2f}); target at most 1.20."]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
