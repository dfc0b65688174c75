"""Monte Carlo replay of the flagship plan under its winter risk model, with 1 and 2 workers.

    .venv/bin/python benchmarks/risk.py [--samples 20] [--follow-samples 200] [--seed 0]
        [--engine pool|ray] [--address HOST:PORT]

Plans the flagship once (not timed), then runs the samples of `planner risk` for each policy with
one worker (in this process) and with two workers of the engine: a pool of two (spawned
processes, each building the network once), or with `--engine ray` two Ray actors (each building
the network once) on a local Ray runtime started for the run (its start is timed too) or on the
cluster at `--address`; checks that both give the same outcomes, and writes the throughput
(samples/s), the scaling ratio and the reliability figures to benchmarks/risk-results.md (or
`--out`) with the CPU model and a calibration figure of this run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from machine import calibration_s, describe

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.risk.replay import Outcome, Policy  # noqa: E402
from planner.risk.report import RiskReport, summarise  # noqa: E402
from planner.risk.runner import run_samples  # noqa: E402
from planner.scenario import load_risk, load_scenario  # noqa: E402
from planner.whatif import baseline  # noqa: E402

SCENARIO = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"
RISK = ROOT / "scenarios" / "risk" / "kazakhstan-winter-2016.yaml"


def timed(
    workers: int, samples: int, policy: Policy, engine: str = "pool", **given: object
) -> tuple[list[Outcome], float]:
    started = time.perf_counter()
    outcomes = run_samples(
        samples=samples,
        policy=policy,
        workers=workers,
        engine=engine,
        **given,  # type: ignore[arg-type]
    )
    return outcomes, time.perf_counter() - started


def row(policy: Policy, samples: int, one: float, two: float, report: RiskReport) -> str:
    return (
        f"| {policy.value} | {samples} | {one:.1f} | {samples / one:.2f} | {two:.1f} | {samples / two:.2f} | "
        f"{one / two:.2f} | {report.regions.value:.2f} "
        f"[{report.regions.low:.2f}, {report.regions.high:.2f}] | "
        f"{report.all_regions.value * 100:.0f} % | {report.back.value * 100:.0f} % | "
        f"{report.extra_travel_hours_mean:.1f} / {report.extra_travel_hours_p90:.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=20, help="samples of the replan policy")
    parser.add_argument("--follow-samples", type=int, default=200, help="samples of the follow policy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--engine", choices=("pool", "ray"), default="pool", help="the engine of the two-worker runs"
    )
    parser.add_argument("--address", help="with --engine ray: the Ray cluster's head, HOST:PORT")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "risk-results.md")
    args = parser.parse_args()
    if args.address is not None and args.engine != "ray":
        parser.error("--address needs --engine ray")
    calibration = calibration_s()
    machine = describe(calibration)
    scenario = load_scenario(SCENARIO)
    risk = load_risk(RISK, scenario)
    plan = baseline(scenario)
    given = {"scenario": scenario, "risk": risk, "plan": plan, "seed": args.seed}
    two_workers = {"engine": args.engine} | ({"address": args.address} if args.address else {})
    where = {
        "pool": "the two spawned processes",
        "ray": "a local Ray runtime and its two actors" if not args.address else "two actors on the cluster",
    }[args.engine]
    lines = [
        "# Winter risk: Monte Carlo replay of the flagship plan",
        "",
        f"Machine: {machine}.",
        f"The flagship's plan ({len(plan['seminars'])} cities) under "
        "`scenarios/risk/kazakhstan-winter-2016.yaml`,",
        f"seed {args.seed}, 2 workers on the {args.engine} engine.",
        "Wall time of `run_samples` from the loaded scenario; 2 workers include starting",
        f"{where} and building the network in each.",
        "Outcomes with 1 and 2 workers are identical (asserted). Extra h: hours on legs against the plan's",
        "(negative when cities are dropped).",
        "",
        "| policy | samples | 1 worker s | samples/s | 2 workers s | samples/s | ratio | regions (95 %) | "
        "P(all 16) | P(back) | extra h mean / p90 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    replan_two = 0.0
    for policy, samples in ((Policy.FOLLOW, args.follow_samples), (Policy.REPLAN, args.samples)):
        one_outcomes, one = timed(1, samples, policy, **given)
        print(f"{policy.value}: 1 worker {one:.1f} s", file=sys.stderr)
        two_outcomes, two = timed(2, samples, policy, **two_workers, **given)
        print(f"{policy.value}: 2 workers {two:.1f} s", file=sys.stderr)
        assert one_outcomes == two_outcomes, "1 and 2 workers disagree"
        assert all(o.violations == 0 for o in one_outcomes)
        report = summarise(scenario, plan, one_outcomes, args.seed, policy.value)
        lines.append(row(policy, samples, one, two, report))
        if policy is Policy.REPLAN:
            replan_two = two
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    # The target: 200 replanning samples in under 2 minutes on 2 cores, scaled to this run's samples.
    target_s = 120 * args.samples / 200
    lines += [
        "",
        f"Target: {args.samples} replanning samples on 2 workers in under {target_s:.0f} s "
        f"({target_s / calibration:.0f} calibrations); measured {replan_two:.1f} s "
        f"({replan_two / calibration:.0f} calibrations, {replan_two / target_s:.2f} of the target): "
        f"{'met' if replan_two < target_s else 'not met'}.",
        f"Run by hand as `cd benchmarks && ../.venv/bin/python risk.py --samples {args.samples} "
        f"--follow-samples {args.follow_samples}`.",
        f"Load average at the end (1, 5, 15 min): {load}: other work on the machine shares its cores.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
