"""Plan the flagship and seeded synthetic instances; print a table and write it to a file.

    .venv/bin/python benchmarks/run.py [--repeat 3] [--quick] [--out benchmarks/results.md]

Each instance is run ``--repeat`` times in a fresh process-local state and the
median of each phase is reported (this machine is shared and noisy). Phases:
load (read and validate the file), build (network, connection tables, arcs),
solve (CP-SAT, including the daily-limit check), end to end (file to checked plan).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from machine import describe  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from planner.check import check_plan  # noqa: E402
from planner.domain import Scenario  # noqa: E402
from planner.result import plan_json  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402
from planner.solve import plan  # noqa: E402
from planner.synthetic import synthetic_scenario  # noqa: E402

FLAGSHIP = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"


def run_once(load: Callable[[], Scenario], time_limit: float) -> dict[str, object]:
    started = time.perf_counter()
    scenario = load()
    loaded = time.perf_counter()
    params = scenario.solver.model_copy(update={"time_limit_s": time_limit})
    problem, result = plan(scenario, params)
    solved = time.perf_counter()
    data = plan_json(scenario, problem.axis, result)
    violations = check_plan(scenario, data)
    finished = time.perf_counter()
    return {
        "load": loaded - started,
        "build": result.stats["build_s"],
        "solve": result.runtime_s,
        "total": finished - started,
        "status": result.status.value,
        "gap": result.gap,
        "slots": len(problem.slots),
        "arcs": len(problem.arcs),
        "arcs_all": len(problem.all_arcs),
        "points": f"{result.coverage_points}/{result.max_coverage_points}",
        "seminars": len(data["seminars"]),
        "valid": not violations,
        "method": result.method,
        "_solved_at": solved - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="flagship and 8 cities only")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args()

    cases: list[tuple[str, Callable[[], Scenario]]] = [
        ("flagship (16 cities, 14 d)", lambda: load_scenario(FLAGSHIP))
    ]
    sizes = [(8, 14), (8, 21)] if args.quick else [(8, 14), (8, 21), (16, 14), (16, 21), (24, 14), (24, 21)]
    for cities, days in sizes:
        name = f"synthetic {cities} cities, {days} d"
        cases.append((name, functools.partial(synthetic_scenario, cities, days, seed=1)))

    header = (
        "| instance | status | gap | seminars | points | slots | arcs (of) | load s | build s | solve s "
        "| end to end s | checker |"
    )
    rule = "|" + "---|" * 12
    rows = []
    summary = Table(title="Planning benchmark (medians)")
    for column in ("instance", "status", "gap", "points", "build s", "solve s", "end to end s", "checker"):
        summary.add_column(column, justify="left" if column == "instance" else "right")
    # No live progress bar: its refresh thread would keep the searches from spreading over the
    # cores (planner.connections.parallel forks only from a single-threaded process).
    for name, load in cases:
        runs = []
        for attempt in range(args.repeat):
            print(f"{name} ({attempt + 1}/{args.repeat})", file=sys.stderr, flush=True)
            runs.append(run_once(load, args.time_limit))
        rows.append(_row(name, runs, summary))
    Console(width=None if sys.stdout.isatty() else 140).print(summary)
    _write(args, header, rule, rows)


def _row(name: str, runs: list[dict[str, object]], summary: Table) -> str:
    def median(key: str) -> float:
        return statistics.median(float(r[key]) for r in runs)  # type: ignore[arg-type]

    last = runs[-1]
    gap = "-" if last["gap"] is None else f"{float(last['gap']) * 100:.2f}%"  # type: ignore[arg-type]
    checker = "pass" if all(r["valid"] for r in runs) else "FAIL"
    cells = [
        name,
        last["status"],
        gap,
        last["seminars"],
        last["points"],
        last["slots"],
        f"{last['arcs']} ({last['arcs_all']})",
        *(f"{median(key):.2f}" for key in ("load", "build", "solve", "total")),
        checker,
    ]
    summary.add_row(name, str(last["status"]), gap, str(last["points"]), *cells[8:11], checker)
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _write(args: argparse.Namespace, header: str, rule: str, rows: list[str]) -> None:
    machine = describe()
    from importlib.metadata import version

    text = [
        "# Benchmark results",
        "",
        f"Command: `.venv/bin/python benchmarks/run.py --repeat {args.repeat}"
        f"{' --quick' if args.quick else ''}`  ",
        f"Machine: {machine}, OR-Tools {version('ortools')}; medians of {args.repeat} runs, "
        f"CP-SAT with 1 worker, seed 0, time limit {args.time_limit:.0f} s.",
        "",
        header,
        rule,
        *rows,
        "",
        "Synthetic instances: `planner.synthetic.synthetic_scenario(cities, days, seed=1)`.",
        "arcs: arcs in the solved model after exact pruning; (of): before pruning.",
    ]
    args.out.write_text("\n".join(text) + "\n")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
