"""`planner plan SCENARIO --robust`: the options, and the robust pick with its trade-off table.

Only the standard library is imported at the top: the parser is built for every command.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.document import PlanDocument
    from planner.domain import Scenario, SolverParams

MAX_CANDIDATES = 12
MAX_ROBUST_SAMPLES = 20_000
MAX_BUFFER_MIN = 24 * 60
# Replanning samples take about a second each on the flagship, following ones a few milliseconds.
DEFAULT_SAMPLES = {"replan": 40, "follow": 200}


def add_robust_options(plan: argparse.ArgumentParser) -> None:
    group = plan.add_argument_group("robust planning (--robust)")
    group.add_argument(
        "--robust",
        action="store_true",
        help="build several good, different plans, replay each under the same sampled winters, "
        "and keep the one with the most expected regions",
    )
    group.add_argument("--candidates", type=int, default=5, help="plans to compare (default 5)")
    group.add_argument(
        "--risk",
        type=Path,
        dest="risk_file",
        metavar="FILE",
        help="the risk file (default: risk/<scenario file's name> beside the scenario)",
    )
    group.add_argument(
        "--samples",
        type=int,
        help=f"samples per plan (default {DEFAULT_SAMPLES['replan']} with replan, "
        f"{DEFAULT_SAMPLES['follow']} with follow)",
    )
    group.add_argument("--risk-seed", type=int, default=0, help="seed of the samples (default 0)")
    group.add_argument(
        "--policy",
        choices=("replan", "follow"),
        default="replan",
        help="replay each plan replanning at each announcement, as a coordinator would (default), "
        "or as it is (fast: what the plan alone is worth)",
    )
    group.add_argument(
        "--buffer-min",
        type=int,
        default=120,
        help="extra minutes before each seminar in the buffered candidate (default 120)",
    )


def _bad_numbers(args: argparse.Namespace) -> str | None:
    if args.samples is None:
        args.samples = DEFAULT_SAMPLES[args.policy]
    for option, value, low, high in (
        ("--candidates", args.candidates, 1, MAX_CANDIDATES),
        ("--samples", args.samples, 1, MAX_ROBUST_SAMPLES),
        ("--buffer-min", args.buffer_min, 0, MAX_BUFFER_MIN),
    ):
        if not low <= value <= high:
            return f"{option} {value}: give a whole number from {low} to {high}"
    return None


def robust_document(
    args: argparse.Namespace, scenario: Scenario, params: SolverParams
) -> tuple[PlanDocument, str] | int:
    """The chosen plan's document and the trade-off table, or an exit code (2) after an error."""
    from planner.risk.replay import Policy
    from planner.risk.robust import Replay, format_choice, robust_plan
    from planner.scenario import load_risk

    wrong = _bad_numbers(args)
    if wrong is not None:
        print(f"error: {wrong}", file=sys.stderr)
        return 2
    risk_path: Path = args.risk_file or args.scenario.parent / "risk" / f"{args.scenario.stem}.yaml"
    if not risk_path.is_file():
        print(f"error: --risk: no risk file {risk_path}; give --risk FILE", file=sys.stderr)
        return 2
    risk = load_risk(risk_path, scenario)
    replay = Replay(risk, args.samples, args.risk_seed, Policy(args.policy), workers=os.cpu_count() or 1)

    def told(candidate: object) -> None:
        name, how = getattr(candidate, "name", ""), getattr(candidate, "how", "")
        print(f"plan {name}: {how}", file=sys.stderr, flush=True)

    choice = robust_plan(scenario, replay, params, args.candidates, args.buffer_min, on_candidate=told)
    return choice.document, format_choice(choice)
