"""The Monte Carlo estimator against exact values on a model small enough to enumerate.

Every hazard here is a Bernoulli draw of fixed start and duration, so the 2^k timelines can each be
replayed once and weighted by their probability: the exact expected coverage. The estimate of a
fixed-seed run must hold that exact value inside its own 95 % interval.
"""

from __future__ import annotations

from typing import Any

import pytest

from planner.domain import Scenario
from planner.risk.model import RiskModel
from planner.risk.replay import Policy, Replayer
from planner.risk.report import summarise
from planner.risk.runner import run_samples
from planner.risk.sampling import every_timeline, trials_of
from tests.conftest import make_plan, steppe_data

SAMPLES = 400

HAZARDS: list[dict[str, Any]] = [
    {  # hits the outbound Aktobe flight (lands 07:41 local) on Wednesday
        "id": "akx-fog",
        "kind": "terminal_closure",
        "terminal": "AKX",
        "chance_per_day": 0.3,
        "dates": ["2016-01-20"],
        "start_hours": {"from": 6, "to": 6},
        "duration_hours": {"min": 3, "most_likely": 3, "max": 3},
        "lead_hours": 1,
    },
    {  # hits the drive back from Karaganda on Tuesday evening
        "id": "blizzard",
        "kind": "road_closure",
        "road": "astana-karaganda",
        "chance_per_day": 0.4,
        "dates": ["2016-01-19"],
        "start_hours": {"from": 16, "to": 16},
        "duration_hours": {"min": 5, "most_likely": 5, "max": 5},
        "lead_hours": 2,
    },
    {  # the flight home, once per run (three runs)
        "id": "home-cancelled",
        "kind": "service_cancellation",
        "service": "KC102",
        "chance_per_run": 0.25,
        "lead_hours": 4,
    },
]


@pytest.fixture(scope="module")
def world() -> tuple[Scenario, dict[str, Any]]:
    scenario = Scenario.model_validate(steppe_data())
    return scenario, make_plan(scenario)


def risk_of(hazards: list[dict[str, Any]]) -> RiskModel:
    return RiskModel.model_validate({"name": "exact", "scenario": "steppe", "hazards": hazards})


@pytest.mark.parametrize("policy", list(Policy))
def test_monte_carlo_holds_the_exact_expected_coverage_in_its_interval(world, policy):
    scenario, plan = world
    risk = risk_of(HAZARDS)
    trials = trials_of(scenario, risk)
    replayer = Replayer(scenario, plan, policy)
    combinations = list(every_timeline(trials))
    assert len(combinations) == 2 ** len([t for t in trials.trials if t.chance > 0]) >= 16
    assert sum(p for p, _ in combinations) == pytest.approx(1.0)
    outcomes = [(p, replayer.outcome(0, events)) for p, events in combinations]
    assert all(o.violations == 0 for _, o in outcomes)
    exact_regions = sum(p * o.regions for p, o in outcomes)
    exact_all = sum(p for p, o in outcomes if o.all_regions)
    exact_back = sum(p for p, o in outcomes if o.back)
    # The hazards matter: the exact value is not the plan's own.
    assert exact_regions < len(plan["seminars"])

    sampled = run_samples(scenario, risk, plan, SAMPLES, seed=2016, policy=policy)
    report = summarise(scenario, plan, sampled, 2016, policy.value)
    assert report.regions.low <= exact_regions <= report.regions.high
    assert report.all_regions.low <= exact_all <= report.all_regions.high
    assert report.back.low <= exact_back <= report.back.high
    assert report.regions.high - report.regions.low < 0.3  # enough samples for a tight interval


def test_with_no_hazard_reliability_is_one_and_no_version_changes(world):
    scenario, plan = world
    silent = risk_of(
        [{**h, "chance_per_day" if "chance_per_day" in h else "chance_per_run": 0.0} for h in HAZARDS]
    )
    assert [p for p, _ in every_timeline(trials_of(scenario, silent))] == [1.0]
    for policy in Policy:
        outcomes = run_samples(scenario, silent, plan, 20, seed=1, policy=policy)
        report = summarise(scenario, plan, outcomes, 1, policy.value)
        assert all(o.events == () and o.changes == 0 for o in outcomes)
        assert report.regions.value == report.regions.low == report.regions.high == report.plan_regions
        assert report.all_regions.value == 1.0 and report.back.value == 1.0
        assert report.extra_travel_hours_mean == 0 and not report.fragile_legs and not report.fragile_cities
