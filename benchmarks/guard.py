"""Correctness guard for CI: the flagship must plan OPTIMAL and pass the independent checker.

    .venv/bin/python benchmarks/guard.py [scenario.yaml]

Plans the scenario (by default the flagship) with the solver settings written in the
file but without their wall-clock limit (an hour instead), checks the plan with
``planner.check.check_plan`` and exits 1 with a message naming what failed if the status
is not OPTIMAL or the checker reports a violation. It is not a timing test: whether
OPTIMAL is proven must not depend on how fast or busy the machine is, and the elapsed
time is printed for information only.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.check import check_plan  # noqa: E402
from planner.result import SolveStatus, plan_json  # noqa: E402
from planner.scenario import ScenarioError, load_scenario  # noqa: E402
from planner.solve import plan  # noqa: E402

FLAGSHIP = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else FLAGSHIP
    started = time.perf_counter()
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        print(f"guard FAILED: the scenario does not load:\n{error}", file=sys.stderr)
        return 1
    settings = scenario.solver.model_copy(update={"time_limit_s": 3600.0})
    problem, result = plan(scenario, settings)
    violations = check_plan(scenario, plan_json(scenario, problem.axis, result))
    elapsed = time.perf_counter() - started
    print(
        f"guard: {scenario.name}: {result.status.value}, objective {result.objective}, "
        f"bound {result.bound}, {result.coverage_points}/{result.max_coverage_points} points, "
        f"{len(violations)} checker violation(s); "
        f"{elapsed:.2f} s end to end (information only; time limit {settings.time_limit_s:g} s, "
        f"{settings.workers} worker(s), seed {settings.seed})"
    )
    failures = []
    if result.status != SolveStatus.OPTIMAL:
        failures.append(f"status is {result.status.value}, expected OPTIMAL (no wall-clock limit that binds)")
    failures.extend(f"checker: {violation}" for violation in violations)
    for failure in failures:
        print(f"guard FAILED: {failure}", file=sys.stderr)
    if not failures:
        print("guard passed: OPTIMAL and accepted by the independent checker")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
