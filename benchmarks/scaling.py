"""Scaling table: CP-SAT against greedy insertion and an exact DP, on the same problems.

    .venv/bin/python benchmarks/scaling.py [--repeat 3] [--time-limit 60] [--only 16x21 ...]
        [--dp-max-states 5000000] [--out benchmarks/scaling-results.md]

Instances: the flagship scenario and seeded synthetic ones
(``planner.synthetic.synthetic_scenario(cities, days, seed=1)``). Every run happens in
a fresh process, so its peak resident memory (``ru_maxrss``) is that run's own; each
phase is timed separately and the median over ``--repeat`` runs is reported (the
machine is small and shared). All three solvers work on the same ``Problem`` and are
scored by the same objective (``planner.objective.objective_of``, which the CP-SAT model
also uses). The DP's label count does not depend on timing, so once
it is too big for an instance it is not attempted again in later repeats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.check import check_plan  # noqa: E402
from planner.connections import build_context  # noqa: E402
from planner.heuristics import TooBig, exact_dp, greedy_insertion, initial_plan  # noqa: E402
from planner.network import TransportNetwork  # noqa: E402
from planner.objective import max_coverage_points, objective_of  # noqa: E402
from planner.problem import build_problem  # noqa: E402
from planner.result import plan_json  # noqa: E402
from planner.scenario import load_scenario  # noqa: E402
from planner.solve import FIRST_PLAN_SHARE, as_result, solve  # noqa: E402
from planner.synthetic import synthetic_scenario  # noqa: E402

FLAGSHIP = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"
SYNTHETIC_SEED = 1
# (cities, days): city counts at 14 and 21 days while CP-SAT still proves optimality,
# 16 cities over all three horizons, and the largest sizes at 30 days.
GRID = [(8, 14), (8, 21), (12, 14), (12, 21), (16, 14), (16, 21), (16, 30)]
GRID += [(24, 14), (24, 21), (30, 30), (40, 30)]


@dataclass(frozen=True)
class Case:
    name: str
    cities: int  # 0: the flagship file
    days: int


def cases() -> list[Case]:
    found = [Case("flagship", 0, 0)]
    found += [Case(f"{c}x{d}", c, d) for c, d in GRID]
    return found


def peak_mib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(case: Case, time_limit: float, dp_max_states: int, run_dp: bool) -> dict[str, Any]:
    """One run of one instance, in a fresh process: build, CP-SAT, greedy, DP, checker."""
    rss_at_start = peak_mib()
    started = time.perf_counter()
    if case.cities:
        scenario = synthetic_scenario(case.cities, case.days, seed=SYNTHETIC_SEED)
    else:
        scenario = load_scenario(FLAGSHIP)
    loaded = time.perf_counter()
    network = TransportNetwork.build(scenario)
    networked = time.perf_counter()
    context = build_context(network)
    compiled = time.perf_counter()
    problem = build_problem(scenario, network=network, context=context)
    built = time.perf_counter()

    # As planner.solve.plan does: the first plan (greedy, and the beam within a quarter of the
    # limit) is CP-SAT's first solution, and its time counts in the solve.
    solve_started = time.perf_counter()
    first = initial_plan(problem, deadline=solve_started + FIRST_PLAN_SHARE * time_limit)
    left = time_limit - (time.perf_counter() - solve_started)
    params = scenario.solver.model_copy(update={"time_limit_s": max(0.01, left)})
    result = solve(problem, params, first)
    solve_s = time.perf_counter() - solve_started
    rss_after_solve = peak_mib()
    cpsat_valid = not check_plan(scenario, plan_json(scenario, problem.axis, result))
    cpsat_cities = {v.city for v in result.itinerary.seminars} if result.itinerary else set()
    cpsat_objective = objective_of(problem, cpsat_cities, result.secondary_cost) if result.itinerary else None

    greedy_started = time.perf_counter()
    greedy = greedy_insertion(problem)
    greedy_s = time.perf_counter() - greedy_started
    greedy_valid = greedy is not None and not check_plan(
        scenario, plan_json(scenario, problem.axis, as_result(problem, greedy, greedy_s, "greedy insertion"))
    )

    dp: dict[str, Any] = {"dp": "skipped"}
    if run_dp:
        dp_started = time.perf_counter()
        try:
            exact = exact_dp(problem, max_states=dp_max_states)
        except TooBig as too_big:
            dp = {"dp": "too big", "dp_states": too_big.states}
        else:
            dp = {
                "dp": "none" if exact is None else "found",
                "dp_points": exact.coverage_points if exact else None,
                "dp_objective": exact.objective if exact else None,
                "dp_states": exact.states if exact else None,
            }
        dp["dp_s"] = time.perf_counter() - dp_started
        dp["rss_with_dp"] = peak_mib()

    return {
        "load_s": loaded - started,
        "network_s": networked - loaded,
        "compile_s": compiled - networked,
        "problem_s": built - compiled,
        "solve_s": solve_s,
        "status": result.status.value,
        "method": result.method,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "cpsat_points": result.coverage_points,
        "cpsat_objective": cpsat_objective,
        "cpsat_valid": cpsat_valid,
        "max_points": max_coverage_points(problem),
        "slots": len(problem.slots),
        "arcs": len(problem.arcs),
        "arcs_all": len(problem.all_arcs),
        "cities": len(scenario.seminars),
        "days": scenario.calendar.horizon_days,
        "rss_start": rss_at_start,
        "rss_after_solve": rss_after_solve,
        "greedy_s": greedy_s,
        "greedy_points": greedy.coverage_points if greedy else None,
        "greedy_objective": greedy.objective if greedy else None,
        "greedy_valid": greedy_valid,
        **dp,
    }


def run_in_fresh_process(case: Case, time_limit: float, dp_max_states: int, run_dp: bool) -> dict[str, Any]:
    # "spawn": a new interpreter, so ru_maxrss covers this run only (a forked child
    # would start from the parent's memory).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(measure, case, time_limit, dp_max_states, run_dp).result()


def median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [float(r[key]) for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def fmt_seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def fmt_ratio(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}"


def fmt_gap(gap: float | None) -> str:
    if gap is None:
        return "-"
    # The objective carries the coverage scale, so a gap of a few travel hours is a
    # tiny fraction; show it rather than round it to 0.00%.
    return f"{gap * 100:.2g}%" if 0 < gap < 1e-4 else f"{gap * 100:.2f}%"


def fmt_count(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1e3:.0f}k" if value >= 1e4 else f"{value:.0f}"


HEADER = [
    "instance",
    "cities",
    "days",
    "slots",
    "arcs (before pruning)",
    "build s: network + compile + problem",
    "solve s",
    "status",
    "objective",
    "bound",
    "gap",
    "peak MiB",
    "points CP-SAT / greedy / max",
    "greedy s",
    "greedy/CP-SAT points",
    "greedy/CP-SAT objective",
    "CP-SAT/greedy time",
    "DP s",
    "DP result",
    "DP/CP-SAT time",
    "checker CP-SAT, greedy",
]


def row(case: Case, runs: list[dict[str, Any]], dp_max_states: int) -> list[str]:
    first = runs[0]
    statuses = sorted({r["status"] for r in runs})
    status = statuses[0] if len(statuses) == 1 else "/".join(statuses)
    if first["method"] == "exact model with the daily limit":
        status += " (exact limit)"
    gap = median(runs, "gap")
    solve_s = median(runs, "solve_s")
    greedy_s = median(runs, "greedy_s")
    dp_runs = [r for r in runs if r["dp"] != "skipped"]
    dp_s = median(dp_runs, "dp_s")
    last_dp: dict[str, Any] = dp_runs[-1] if dp_runs else {"dp": "skipped"}
    if last_dp["dp"] == "too big":
        dp_result = f"too big (> {fmt_count(dp_max_states)} labels, gave up after {fmt_seconds(dp_s)} s)"
        dp_s = None
    elif last_dp["dp"] == "none":
        dp_result = "no itinerary"
    elif last_dp["dp"] == "found":
        best_cpsat = min(r["cpsat_objective"] for r in runs if r["cpsat_objective"] is not None)
        labels = f"{fmt_count(last_dp['dp_states'])} labels, peak {median(dp_runs, 'rss_with_dp'):.0f} MiB"
        if last_dp["dp_objective"] == best_cpsat:
            dp_result = f"optimal, = CP-SAT ({labels})"
        elif last_dp["dp_objective"] < best_cpsat:
            dp_result = f"optimal, better than CP-SAT's {best_cpsat:,} ({labels})"
        else:
            dp_result = f"WORSE than CP-SAT: {last_dp['dp_objective']} (a bug)"
    else:
        dp_result = "skipped"
    builds = [median(runs, k) for k in ("network_s", "compile_s", "problem_s")]
    build = " + ".join(fmt_seconds(b) for b in builds)
    checker = ", ".join(
        "pass" if all(r[key] for r in runs) else "FAIL" for key in ("cpsat_valid", "greedy_valid")
    )
    objective = median(runs, "objective")
    bound = median(runs, "bound")
    greedy_points = first["greedy_points"]
    return [
        case.name if case.cities else "flagship (kazakhstan-winter-2016)",
        str(first["cities"]),
        str(first["days"]),
        str(first["slots"]),
        f"{first['arcs']:,} ({first['arcs_all']:,})",
        f"{sum(b or 0 for b in builds):.2f} ({build})",
        fmt_seconds(solve_s),
        status,
        "-" if objective is None else f"{objective:,.0f}",
        "-" if bound is None else f"{bound:,.0f}",
        fmt_gap(gap),
        f"{median(runs, 'rss_after_solve'):.0f}",
        f"{median(runs, 'cpsat_points'):.0f} / {'-' if greedy_points is None else greedy_points} / "
        f"{first['max_points']}",
        fmt_seconds(greedy_s),
        fmt_ratio(ratio(greedy_points, median(runs, "cpsat_points"))),
        fmt_ratio(ratio(first["greedy_objective"], median(runs, "cpsat_objective"))),
        fmt_ratio(ratio(solve_s, greedy_s)),
        fmt_seconds(dp_s),
        dp_result,
        fmt_ratio(ratio(dp_s, solve_s)),
        checker,
    ]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def markdown(cells: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c) + " |" for c in cells]
    return lines


def write_results(
    out: Path,
    args: argparse.Namespace,
    command: str,
    rows: list[list[str]],
    loads: list[tuple[float, float, float]],
    rss_start: float | None,
) -> None:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load_text = ", ".join(f"{a:.2f}/{b:.2f}/{c:.2f}" for a, b, c in loads)
    text = [
        "# Scaling results: CP-SAT, greedy insertion and exact DP",
        "",
        f"Command: `{command}`  ",
        f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}  ",
        f"Machine: {cpus} CPUs (nproc), {cpu_model()}, {platform.machine()}, Python "
        f"{platform.python_version()}, OR-Tools {version('ortools')}  ",
        f"Load average (1/5/15 min) before and after each instance: {load_text}. Other work shared the "
        "machine, so timings are noisy: medians of each phase over the repeats, and ratios.",
        "",
        f"CP-SAT: the scenario's solver settings (1 worker, seed 0) with a {args.time_limit:g} s time limit; "
        f"medians of {args.repeat} run(s), each in a fresh process. Exact DP capped at "
        f"{args.dp_max_states:,} labels.",
        "",
        *markdown(rows),
        "",
        "How to read it:",
        "",
        "- Synthetic instances: `planner.synthetic.synthetic_scenario(cities, days, seed=1)`; the flagship "
        "is `scenarios/kazakhstan-winter-2016.yaml`.",
        "- arcs: arcs of the solved model after exact dominance pruning (before pruning in brackets).",
        "- build: `TransportNetwork.build` + `build_context` (the network compiled for search) + "
        "`build_problem` (slots, connection profiles, arcs and pruning; the profile searches dominate it).",
        "- solve: the first plan (greedy and beam, `planner.heuristics.initial_plan`) and CP-SAT "
        "including the daily-limit check. status `(exact limit)`: the "
        "relaxed plan broke the daily limit and the exact model was solved.",
        "- objective, bound, gap: as CP-SAT reports them. The ratios use "
        "`planner.objective.objective_of`, the same weighted sum computed for each itinerary on the same "
        "arcs (one coverage point outweighs any travel), so a greedy objective ratio above a few units "
        "means greedy covers fewer points, not that it travels that much more.",
        "- peak MiB: `resource.getrusage(RUSAGE_SELF).ru_maxrss` of the fresh process after build and solve "
        f"(it includes the interpreter and OR-Tools, about {rss_start or 0:.0f} MiB before any work).",
        "- greedy/CP-SAT points: coverage points of the greedy plan over CP-SAT's (1.00 = as many); "
        "greedy/CP-SAT objective: the objectives' ratio (1.00 = as good, higher is worse); "
        "CP-SAT/greedy time: how many times faster greedy is.",
        "- DP: label setting over the same DAG (visited-city bitmask, plus the day's load where the daily "
        "limit binds); `optimal, = CP-SAT` means the same objective as CP-SAT's, `too big` that the label "
        "cap was reached (then tried once only, as the count is deterministic). DP/CP-SAT time below 1: the "
        "DP was faster.",
        "- checker: `planner.check.check_plan` on the CP-SAT plan and on the greedy plan, every run.",
    ]
    out.write_text("\n".join(text) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per instance; medians are reported")
    parser.add_argument("--time-limit", type=float, default=60.0, help="CP-SAT time limit per solve, s")
    parser.add_argument(
        "--only", action="append", default=[], help="run only instances whose name contains this (repeatable)"
    )
    parser.add_argument("--dp-max-states", type=int, default=5_000_000, help="label cap of the exact DP")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "scaling-results.md")
    args = parser.parse_args()

    selected = [c for c in cases() if not args.only or any(o in c.name for o in args.only)]
    if not selected:
        parser.error(f"--only matched nothing; instances: {', '.join(c.name for c in cases())}")
    command = " ".join([".venv/bin/python", os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]])
    print(f"{command}\n")
    rows: list[list[str]] = []
    loads = [os.getloadavg()]
    rss_start: list[float] = []
    for case in selected:
        runs: list[dict[str, Any]] = []
        run_dp = True
        for _ in range(args.repeat):
            runs.append(run_in_fresh_process(case, args.time_limit, args.dp_max_states, run_dp))
            run_dp = runs[-1]["dp"] != "too big"
        rss_start.extend(r["rss_start"] for r in runs)
        rows.append(row(case, runs, args.dp_max_states))
        loads.append(os.getloadavg())
        if len(rows) == 1:
            print("\n".join(markdown([])))
        print(markdown(rows[-1:])[-1], flush=True)
        write_results(args.out, args, command, rows, loads, statistics.median(rss_start))
    print(f"\nwritten to {os.path.relpath(args.out, ROOT)}")


if __name__ == "__main__":
    main()
