"""The flagship's optimal plan against its robust pick, under the calibrated winter risk model.

    .venv/bin/python benchmarks/robust.py [--follow-samples 200] [--replan-samples 40] [--seed 0]
        [--candidates 5] [--workers 2] [--out benchmarks/robust-results.md]

Runs `planner plan --robust` (policy replan, the default) on the flagship, then replays every
candidate again without replanning (policy follow), under the same samples, so the table shows both
policies for each plan: expected regions (95 % interval), P(all 16 regions), P(back by the end),
extra hours on legs (mean). Prints the table and writes it with the CPU model and a calibration
figure of this run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from machine import describe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.risk.replay import Policy  # noqa: E402
from planner.risk.report import RiskReport, summarise  # noqa: E402
from planner.risk.robust import Replay, robust_plan  # noqa: E402
from planner.risk.runner import run_samples  # noqa: E402
from planner.scenario import load_risk, load_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"
RISK = ROOT / "scenarios" / "risk" / "kazakhstan-winter-2016.yaml"


def row(name: str, how: str, policy: str, report: RiskReport, seconds: float) -> str:
    regions = report.regions
    return (
        f"| {name} | {how} | {policy} | {report.samples} | {report.plan_regions} | "
        f"{regions.value:.2f} [{regions.low:.2f}, {regions.high:.2f}] | {report.all_regions.value:.0%} | "
        f"{report.back.value:.0%} | {report.extra_travel_hours_mean:.1f} | {seconds:.0f} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--follow-samples", type=int, default=200)
    parser.add_argument("--replan-samples", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--candidates", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "robust-results.md")
    args = parser.parse_args()
    machine = describe()
    print(machine)
    scenario = load_scenario(SCENARIO)
    risk = load_risk(RISK, scenario)
    started = time.perf_counter()
    replay = Replay(risk, args.replan_samples, args.seed, Policy.REPLAN, args.workers)
    choice = robust_plan(scenario, replay, count=args.candidates)
    robust_s = time.perf_counter() - started
    header = [
        "| plan | how it was made | policy | samples | regions on paper | expected regions (95 %) "
        "| P(all 16) | P(back) | extra h | s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines = list(header)
    for candidate in choice.candidates:
        mark = " (chosen)" if candidate.name == choice.chosen.name else ""
        lines.append(row(candidate.name + mark, candidate.how, "replan", candidate.report, 0))
        began = time.perf_counter()
        outcomes = run_samples(
            scenario, risk, candidate.plan, args.follow_samples, args.seed, Policy.FOLLOW, args.workers
        )
        report = summarise(scenario, candidate.plan, outcomes, args.seed, "follow")
        lines.append(row(candidate.name + mark, candidate.how, "follow", report, time.perf_counter() - began))
        print(lines[-2], lines[-1], sep="\n", flush=True)
    table = "\n".join(lines)
    text = (
        "# Robust planning on the flagship\n\n"
        f"Machine: {machine}.\n"
        f"`benchmarks/robust.py --follow-samples {args.follow_samples} --replan-samples "
        f"{args.replan_samples} --seed {args.seed} --candidates {args.candidates} --workers {args.workers}`: "
        f"`planner plan --robust` (policy replan, {args.replan_samples} samples per candidate) took "
        f"{robust_s:.0f} s in all (solves and replays); each candidate was then replayed without "
        f"replanning (policy follow) under {args.follow_samples} samples (s: wall time of that replay "
        f"with {args.workers} workers). The chosen plan is marked.\n\n"
        f"{table}\n"
    )
    args.out.write_text(text, encoding="utf-8")
    print(f"\n{table}\n\nWritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
