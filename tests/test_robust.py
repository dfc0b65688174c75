"""Robust planning: different good candidates, replayed under the same samples, the best one kept honestly."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from planner.check import check_plan
from planner.cli import main
from planner.domain import SolverParams
from planner.network import TransportNetwork
from planner.risk.replay import Policy
from planner.risk.report import summarise
from planner.risk.robust import Replay, RobustChoice, format_choice, paired_low, robust_plan
from planner.risk.runner import run_samples
from planner.scenario import load_risk, load_scenario
from planner.solve import plan
from tests.conftest import SCENARIOS

THREE = SCENARIOS / "three-cities.yaml"
RISK = SCENARIOS / "risk" / "three-cities.yaml"
# Deterministic solves: no wall-clock limit decides a candidate.
PARAMS = SolverParams(time_limit_s=60.0, workers=1, seed=0)


def signature(data: dict[str, Any]) -> tuple[Any, ...]:
    return (
        tuple((s["city"], s["start"]) for s in data["seminars"]),
        tuple((leg["service"], leg["depart"]) for leg in data["legs"]),
    )


@pytest.fixture(scope="module")
def choice() -> RobustChoice:
    scenario = load_scenario(THREE)
    risk = load_risk(RISK, scenario)
    return robust_plan(scenario, Replay(risk, samples=60, seed=3, policy=Policy.FOLLOW), PARAMS, count=4)


def test_the_first_candidate_is_the_optimal_plan(choice):
    scenario = load_scenario(THREE)
    problem, result = plan(scenario, PARAMS)
    optimal = result.to_document(scenario, problem.axis).to_json()
    first = choice.candidates[0]
    assert first.name == "A" and first.how == "the optimal plan"
    assert signature(first.plan) == signature(optimal)
    assert first.plan["status"] == "OPTIMAL"


def test_candidates_are_distinct_and_each_passes_the_checker_against_the_scenario_alone(choice):
    scenario = load_scenario(THREE)
    assert len(choice.candidates) >= 2  # the scenario's risk breaks some leg of the optimal plan
    assert len({signature(c.plan) for c in choice.candidates}) == len(choice.candidates)
    for candidate in choice.candidates:
        assert check_plan(scenario, candidate.plan) == [], candidate.how
    assert check_plan(scenario, choice.document.to_json()) == []


def test_every_candidate_is_replayed_under_the_same_samples(choice):
    scenario = load_scenario(THREE)
    risk = load_risk(RISK, scenario)
    for candidate in choice.candidates:
        outcomes = run_samples(scenario, risk, candidate.plan, 60, 3, Policy.FOLLOW, 1)
        again = summarise(scenario, candidate.plan, outcomes, 3, "follow")
        assert again == candidate.report
        assert tuple(o.regions for o in outcomes) == candidate.regions_by_sample


def test_the_pick_beats_every_earlier_pick_beyond_chance_and_is_honest_about_it(choice):
    candidates = choice.candidates
    best = candidates[0]
    for candidate in candidates[1:]:
        if paired_low(candidate.regions_by_sample, best.regions_by_sample) > 0:
            best = candidate
    assert choice.chosen.name == best.name
    data = choice.document.to_json()
    if best is candidates[0]:
        assert data["status"] == "OPTIMAL"
    else:
        # Not optimal for the deterministic objective: said so, with no bound and a warning.
        assert data["status"] == "FEASIBLE" and data["bound"] is None
        assert any("chosen for robustness" in w for w in data["warnings"])
        assert best.report.regions.value > candidates[0].report.regions.value
    table = format_choice(choice)
    assert f"{best.name}*" in table and all(c.how in table for c in candidates)


def test_without_hazards_the_robust_plan_is_the_optimal_plan():
    scenario = load_scenario(THREE)
    risk = load_risk(RISK, scenario)
    calm = risk.model_copy(
        update={
            "hazards": tuple(
                h.model_copy(
                    update={"chance_per_day" if hasattr(h, "chance_per_day") else "chance_per_run": 0.0}
                )
                for h in risk.hazards
            )
        }
    )
    chosen = robust_plan(scenario, Replay(calm, samples=10), PARAMS, count=3)
    # Nothing breaks, so nothing is fragile: only A and the buffered plan are made, and A stays.
    assert chosen.chosen.name == "A"
    assert chosen.document.to_json()["status"] == "OPTIMAL"
    for candidate in chosen.candidates:
        assert candidate.report.all_regions.value == 1.0
        assert set(candidate.regions_by_sample) == {candidate.report.plan_regions}


def test_paired_interval():
    assert paired_low([3, 3, 3], [2, 2, 2]) == 1.0  # the same difference in every sample: certain
    assert paired_low([3, 2, 3, 2], [2, 3, 2, 3]) < 0  # differences that cancel: not better
    assert paired_low([4], [3]) == 1.0


def test_planner_plan_robust_writes_a_checked_plan_and_the_trade_off(tmp_path, capsys):
    out = tmp_path / "robust.json"
    args = ["plan", str(THREE), "--robust", "--samples", "20", "--candidates", "3", "--out", str(out)]
    assert main([*args, "--time-limit", "60", "--workers", "1"]) == 0
    printed = capsys.readouterr()
    assert "how it was made" in printed.out and "the optimal plan" in printed.out
    assert "plan A: the optimal plan" in printed.err
    assert main(["check", str(THREE), str(out)]) == 0
    assert json.loads(out.read_text("utf-8"))["seminars"]


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--candidates", "0"], "--candidates"),
        (["--samples", "0"], "--samples"),
        (["--buffer-min", "-5"], "--buffer-min"),
        (["--risk", "no-such-risk.yaml"], "--risk"),
    ],
)
def test_bad_robust_options_exit_2_naming_the_option_and_write_nothing(tmp_path, capsys, extra, named):
    out = tmp_path / "robust.json"
    assert main(["plan", str(THREE), "--robust", *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err
    assert not out.exists()


def test_a_plans_backups_never_decide_whether_it_survives():
    """Backups are advice made before the events: the same plan with and without them fares the same."""
    scenario = load_scenario(THREE)
    risk = load_risk(RISK, scenario)
    network = TransportNetwork.build(scenario)
    problem, result = plan(scenario, PARAMS, network=network)
    with_backups = result.to_document(scenario, problem.axis, network=network).to_json()
    bare = result.to_document(scenario, problem.axis).to_json()
    assert any("backup" in leg for leg in with_backups["legs"])
    assert not any("backup" in leg for leg in bare["legs"])
    for policy in (Policy.FOLLOW, Policy.REPLAN):
        samples = 40 if policy is Policy.FOLLOW else 6
        kept = run_samples(scenario, risk, with_backups, samples, 5, policy, 1)
        plain = run_samples(scenario, risk, bare, samples, 5, policy, 1)
        assert [(o.regions, o.cities, o.back, o.disrupted_legs) for o in kept] == [
            (o.regions, o.cities, o.back, o.disrupted_legs) for o in plain
        ]


def test_a_version_that_stands_is_as_good_as_a_replan_from_that_moment():
    """When an announcement leaves the version standing (no replan), a replan made there anyway
    covers no more: the kept version was optimal and only lost options it does not use."""
    from planner.domain import EventTimeline
    from planner.replan import replan
    from planner.risk.sampling import draw, trials_of
    from planner.whatif import play

    scenario = load_scenario(THREE)
    risk = load_risk(RISK, scenario)
    network = TransportNetwork.build(scenario)
    first = plan(scenario, PARAMS, network=network)
    data = first[1].to_document(scenario, first[0].axis).to_json()
    trials = trials_of(scenario, risk)
    stood = 0
    for index in range(30):
        events = draw(trials, 2, index)
        if not events:
            continue
        played = play(scenario, EventTimeline(name=f"s{index}", events=events), data, PARAMS, network=network)
        current = data
        for step in played.steps:
            if step.kept:
                stood += 1
                # The replanner takes the events announced by then, as the step did.
                now = dt.datetime.fromisoformat(step.at)
                again = replan(scenario, current, now, events, params=PARAMS, network=network)
                assert again.plan["coverage"]["points"] <= current["coverage"]["points"], index
                # A version with no way on (INFEASIBLE) stands as it is, and a replan finds none either.
                assert again.plan["status"] == current["status"] in ("OPTIMAL", "INFEASIBLE"), index
            else:
                current = step.plan
        assert all(not s.violations for s in played.steps)
    assert stood >= 3  # the check above ran on enough standing versions
