"""Anytime behaviour, whatever the machine: limits in CP-SAT's deterministic time, not seconds.

For random tiny scenarios (the referee's generator) and work limits from almost nothing to
plenty, every answer is a plan the checker accepts, never worse than the greedy plan, never
worse with more work, and its figures are those of the plan itself.
"""

from __future__ import annotations

import pytest

from planner.check import check_plan
from planner.domain import Scenario, SolverParams
from planner.heuristics import greedy_insertion
from planner.problem import build_problem
from planner.result import Result, SolveStatus, plan_json
from planner.solve import solve
from tests.scenario_gen import random_scenario

WORK_LIMITS = (0.0005, 0.005, 0.05, 0.5, 5.0)


def rank(result: Result) -> tuple[int, int]:
    return -result.coverage_points, result.secondary_cost


def figures_from_the_plan(scenario: Scenario, document: dict) -> tuple[int, set[str], int]:
    """Coverage points, regions and secondary cost recomputed from the plan JSON alone
    (rules 23-24 of scenarios/README.md)."""
    weights = {r.id: r.weight for r in scenario.regions}
    held = {s["city"] for s in document["seminars"]}
    regions = {r for s in scenario.seminars if s.city in held for r in scenario.regions_served(s)}
    points = sum(weights[r] for r in regions) + sum(s.weight for s in scenario.seminars if s.city in held)
    objective = scenario.objective
    secondary = 0
    for connection in document["connections"]:
        money = round(sum(document["legs"][i]["cost"] for i in connection["legs"]), 2)
        secondary += (
            connection["travel_min"] * objective.travel_per_hour
            + connection["night_min"] * objective.night_per_hour
            + round(money * objective.cost_per_unit * 60)
        )
    return points, regions, secondary


@pytest.mark.parametrize("seed", range(24))
def test_every_work_limit_gives_a_checked_plan_no_worse_than_greedy_or_less_work(seed: int) -> None:
    scenario = random_scenario(seed)
    problem = build_problem(scenario)
    greedy = greedy_insertion(problem)
    whole_greedy = greedy is not None and problem.required <= greedy.cities
    previous: tuple[int, int] | None = None
    for limit in WORK_LIMITS:
        params = SolverParams(time_limit_s=3600, deterministic_limit=limit, workers=1, seed=0)
        result = solve(problem, params, greedy)
        document = plan_json(scenario, problem.axis, result)
        assert check_plan(scenario, document) == [], (seed, limit)
        if result.itinerary is None:
            assert not whole_greedy, (seed, limit, result.status)
            assert result.status in (SolveStatus.INFEASIBLE, SolveStatus.TIME_LIMIT)
            continue
        points, regions, secondary = figures_from_the_plan(scenario, document)
        assert result.coverage_points == points, (seed, limit)
        assert set(result.covered_regions) == regions, (seed, limit)
        assert result.secondary_cost == secondary, (seed, limit)
        if whole_greedy:
            assert greedy is not None
            assert rank(result) <= (-greedy.coverage_points, greedy.secondary_cost), (seed, limit)
        if previous is not None:
            assert rank(result) <= previous, (seed, limit, rank(result), previous)
        previous = rank(result)


def test_a_work_limit_gives_the_same_plan_twice() -> None:
    """The same work limit, seed and worker count give the same plan (not so with seconds)."""
    scenario = random_scenario(5)
    params = SolverParams(time_limit_s=3600, deterministic_limit=0.01, workers=1, seed=0)
    plans = []
    for _ in range(2):
        problem = build_problem(scenario)
        plans.append(plan_json(scenario, problem.axis, solve(problem, params, greedy_insertion(problem))))
    first, second = plans
    assert first["seminars"] == second["seminars"] and first["legs"] == second["legs"]
