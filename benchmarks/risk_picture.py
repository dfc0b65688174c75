"""The README's reliability picture: the flagship plan under its winter risk model, policy ``follow``.

    .venv/bin/python benchmarks/risk_picture.py [--samples 200] [--seed 0] [--workers 2]
        [--out benchmarks/risk-flagship.svg]

Plans the flagship (its own solver settings), runs the samples of `planner risk --policy follow`
and draws ``planner.pictures.reliability.risk_svg``: the distribution of regions covered and the
fragile legs on the map. ``follow`` keeps it fast (no replanning) and shows what the plan itself
risks; the figures with replanning are in risk-results.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from planner.pictures.reliability import risk_svg  # noqa: E402
from planner.risk.replay import Policy  # noqa: E402
from planner.risk.report import format_report, summarise  # noqa: E402
from planner.risk.runner import run_samples  # noqa: E402
from planner.scenario import load_risk, load_scenario  # noqa: E402
from planner.whatif import baseline  # noqa: E402

SCENARIO = ROOT / "scenarios" / "kazakhstan-winter-2016.yaml"
RISK = ROOT / "scenarios" / "risk" / "kazakhstan-winter-2016.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "risk-flagship.svg")
    args = parser.parse_args()
    scenario = load_scenario(SCENARIO)
    risk = load_risk(RISK, scenario)
    plan = baseline(scenario, None)
    started = time.perf_counter()
    outcomes = run_samples(scenario, risk, plan, args.samples, args.seed, Policy.FOLLOW, args.workers)
    seconds = time.perf_counter() - started
    report = summarise(scenario, plan, outcomes, args.seed, Policy.FOLLOW.value)
    args.out.write_text(risk_svg(scenario, plan, report), encoding="utf-8")
    print(format_report(report, {c.id: c.name for c in scenario.cities}))
    print(f"\n{args.samples} samples in {seconds:.1f} s; picture written to {args.out}")


if __name__ == "__main__":
    main()
