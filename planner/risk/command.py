"""`planner risk SCENARIO PLAN.json`: the options, and the run that prints the reliability report.

Only the standard library is imported here: the parser is built for every command (a fast
``--help``); what a run needs is imported when it runs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.domain import Scenario
    from planner.risk.replay import Outcome

MAX_SAMPLES = 100_000
MAX_WORKERS = 256


def add_risk_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    risk = commands.add_parser("risk", help="how likely a plan is to survive sampled winter disruptions")
    risk.add_argument("scenario", type=Path)
    risk.add_argument("plan", type=Path)
    risk.add_argument(
        "--risk",
        type=Path,
        dest="risk_file",
        metavar="FILE",
        help="the risk file (default: risk/<scenario file's name> beside the scenario)",
    )
    risk.add_argument("--samples", type=int, default=100, help="samples to draw (default 100)")
    risk.add_argument("--seed", type=int, default=0, help="seed of the samples (default 0)")
    risk.add_argument(
        "--policy",
        choices=("replan", "follow"),
        default="replan",
        help="replan at each announcement (default), or follow the plan as it is",
    )
    risk.add_argument(
        "--workers",
        type=int,
        help="processes or Ray actors (default: this machine's cores; with --address, the cluster's CPUs)",
    )
    risk.add_argument(
        "--engine",
        choices=("pool", "ray"),
        help="where samples run: a local process pool (default), or Ray (a local Ray runtime, or the "
        "cluster of --address); needs the ray extra",
    )
    risk.add_argument(
        "--address",
        metavar="HOST:PORT",
        help="join the running Ray cluster whose head is there (implies --engine ray)",
    )
    risk.add_argument("--worst-out", type=Path, help="folder for the worst samples as what-if files")
    risk.add_argument("--worst", type=int, default=3, help="how many worst samples to write (default 3)")
    risk.add_argument("--json", action="store_true", help="print the report as JSON instead of a table")
    risk.add_argument(
        "--picture",
        type=Path,
        metavar="FILE.svg",
        help="draw the report: regions covered over the samples, fragile legs on the map (SVG)",
    )


def _engine(args: argparse.Namespace) -> tuple[str, str | None]:
    """The engine to use, or ("", why not) when the options ask for something that cannot run."""
    from planner.risk.ray_engine import address_problem, ray_installed

    engine: str = args.engine or ("ray" if args.address is not None else "pool")
    if args.address is not None:
        if engine != "ray":
            return "", "--address joins a Ray cluster: use it with --engine ray (or alone)"
        problem = address_problem(args.address)
        if problem is not None:
            return "", f"--address {problem}"
    if engine == "ray" and not ray_installed():
        return "", (
            "--engine ray: Ray is not installed; install ray with pip install 'delegation-planner[ray]' "
            "(or pip install 'ray>=2.9')"
        )
    return engine, None


def _bad_numbers(args: argparse.Namespace) -> str | None:
    for option, value, low, high in (
        ("--samples", args.samples, 1, MAX_SAMPLES),
        ("--workers", args.workers, 1, MAX_WORKERS),
        ("--worst", args.worst, 0, 1000),
    ):
        if value is not None and not low <= value <= high:
            return f"{option} {value}: give a whole number from {low} to {high}"
    return None


@contextlib.contextmanager
def _progress(samples: int) -> Iterator[Callable[[], None]]:
    """A bar on standard error (gone when done), so standard output stays the report."""
    from rich.console import Console
    from rich.progress import Progress, TimeElapsedColumn

    bar = Progress(
        *Progress.get_default_columns(), TimeElapsedColumn(), console=Console(stderr=True), transient=True
    )
    task = bar.add_task("samples", total=samples)
    with bar:
        yield lambda: bar.advance(task)


def run_risk(args: argparse.Namespace) -> int:
    """Exit 0 with the report, 1 if a replayed version fails the checker, 2 on bad input."""
    from planner.risk.ray_engine import RayEngineError
    from planner.risk.replay import Policy
    from planner.risk.report import format_report, summarise
    from planner.risk.runner import run_samples
    from planner.scenario import ScenarioError, load_plan, load_risk, load_scenario, one_team, plan_problems

    wrong = _bad_numbers(args)
    if wrong is None and args.picture is not None and args.picture.suffix.lower() != ".svg":
        wrong = f"--picture {args.picture}: the picture is SVG; give a file name ending in .svg"
    if wrong is not None:
        print(f"error: {wrong}", file=sys.stderr)
        return 2
    engine, why_not = _engine(args)
    if why_not is not None:
        print(f"error: {why_not}", file=sys.stderr)
        return 2
    scenario = one_team(load_scenario(args.scenario), str(args.scenario), "risk")
    risk_path: Path = args.risk_file or args.scenario.parent / "risk" / f"{args.scenario.stem}.yaml"
    if not risk_path.is_file():
        print(f"error: no risk file {risk_path}; give --risk FILE", file=sys.stderr)
        return 2
    risk = load_risk(risk_path, scenario)
    plan, lines = load_plan(args.plan)
    problems = plan_problems(scenario, plan, str(args.plan), lines)
    if problems:
        raise ScenarioError(problems)
    if plan.get("now") is not None:
        # Samples announce events from the trip's start; a replanned version has a past to keep.
        print(
            f"error: {args.plan}: a replanned version (now {plan['now']}); "
            "give the plan made before departure",
            file=sys.stderr,
        )
        return 2
    policy = Policy(args.policy)
    try:
        with _progress(args.samples) as advance:
            outcomes = run_samples(
                scenario,
                risk,
                plan,
                args.samples,
                args.seed,
                policy,
                args.workers,  # None: the engine's default (this machine's cores, or the cluster's CPUs)
                on_sample=lambda _: advance(),
                engine=engine,
                address=args.address,
            )
    except RayEngineError as error:
        where = f"--address {error}" if args.address is not None else f"--engine ray: {error}"
        print(f"error: {where}", file=sys.stderr)
        return 2
    report = summarise(scenario, plan, outcomes, args.seed, policy.value, worst=args.worst)
    written = _write_worst(args, scenario, risk.name, outcomes, report.worst, policy.value)
    if args.picture:
        from planner.pictures.reliability import risk_svg

        args.picture.parent.mkdir(parents=True, exist_ok=True)
        args.picture.write_text(risk_svg(scenario, plan, report), encoding="utf-8")
    if args.json:
        print(json.dumps(report.to_json() | {"worst_files": [str(p) for p in written]}, indent=2))
    else:
        print(format_report(report, {c.id: c.name for c in scenario.cities}))
        for path in written:
            print(f"Worst sample written to {path}")
        if args.picture:
            print(f"Picture written to {args.picture}")
    return 1 if report.violations else 0


def _write_worst(
    args: argparse.Namespace,
    scenario: Scenario,
    risk_name: str,
    outcomes: list[Outcome],
    worst: tuple[int, ...],
    policy: str,
) -> list[Path]:
    """The worst samples as what-if files in ``--worst-out`` (none without it)."""
    from planner.risk.report import worst_timeline

    written: list[Path] = []
    if not args.worst_out:
        return written
    args.worst_out.mkdir(parents=True, exist_ok=True)
    by_index = {o.index: o for o in outcomes}
    for index in worst:
        outcome = by_index[index]
        if outcome.events:  # a sample without events is the plan itself: nothing to replay
            path = args.worst_out / f"{risk_name}-seed{args.seed}-sample{index}.yaml"
            path.write_text(worst_timeline(scenario, risk_name, outcome, args.seed, policy), "utf-8")
            written.append(path)
    return written
