"""The CP-SAT itinerary model: equal to brute force, accepted by the checker, deterministic."""

from __future__ import annotations

import json

import pytest

from planner.check import check_plan
from planner.domain import Scenario
from planner.result import SolveStatus, UncoveredReason, plan_json
from planner.solve import plan
from planner.synthetic import tiny_scenario
from tests.brute_force import brute_force
from tests.conftest import steppe_data, unhurried


def with_rules(scenario: Scenario, **rules: object) -> Scenario:
    data = scenario.model_dump()
    data["delegation"]["rules"].update(rules)
    return Scenario.model_validate(data)


def assert_matches_brute_force(scenario: Scenario) -> None:
    problem, result = plan(scenario)
    best = brute_force(problem)
    if best is None:
        assert result.itinerary is None
        return
    assert result.status == SolveStatus.OPTIMAL
    assert (result.coverage_points, result.secondary_cost) == (best.points, best.cost)
    assert check_plan(scenario, plan_json(scenario, problem.axis, result)) == []


@pytest.mark.parametrize("seed", range(50))
def test_optimum_equals_brute_force(seed):
    """On a random tiny instance, the solver's optimum equals exhaustive enumeration, and checks."""
    assert_matches_brute_force(unhurried(tiny_scenario(seed)))


@pytest.mark.parametrize("seed", range(0, 50, 3))
def test_optimum_equals_brute_force_under_a_tight_daily_limit(seed):
    """With a 4-hour daily travel limit (which binds) the optimum still equals brute force."""
    assert_matches_brute_force(with_rules(unhurried(tiny_scenario(seed)), max_travel_min_per_day=240))


def test_pruning_does_not_change_the_optimum():
    """Dominance pruning removes arcs but never changes the optimal value."""
    for seed in range(8):
        scenario = unhurried(tiny_scenario(seed))
        data = scenario.model_dump()
        data["solver"]["prune_dominated"] = False
        problem, pruned = plan(scenario)
        full_problem, full = plan(Scenario.model_validate(data))
        assert len(problem.arcs) <= len(full_problem.arcs)
        assert (pruned.coverage_points, pruned.secondary_cost) == (full.coverage_points, full.secondary_cost)


def test_same_seed_and_workers_give_the_same_plan():
    """Two solves with one seed and worker count give identical plans."""
    scenario = unhurried(tiny_scenario(7))
    first_problem, first = plan(scenario)
    second_problem, second = plan(scenario)
    strip = ("runtime_s", "solver")
    a = {k: v for k, v in plan_json(scenario, first_problem.axis, first).items() if k not in strip}
    b = {k: v for k, v in plan_json(scenario, second_problem.axis, second).items() if k not in strip}
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_result_always_has_status_objective_bound_gap(steppe):
    """An optimal result reports its objective, an equal bound, zero gap and a runtime."""
    _problem, result = plan(steppe)
    assert result.status == SolveStatus.OPTIMAL
    assert result.objective is not None and result.objective == result.bound
    assert result.gap == 0.0
    assert result.runtime_s > 0


def test_steppe_covers_both_cities(steppe):
    """The steppe world visits Karaganda by road and Aktobe by air and gets home in time."""
    problem, result = plan(steppe)
    data = plan_json(steppe, problem.axis, result)
    assert {s["city"] for s in data["seminars"]} == {"karaganda", "aktobe"}
    assert {leg["mode"] for leg in data["legs"]} == {"drive", "flight"}
    assert data["uncovered"] == []
    assert check_plan(steppe, data) == []


def test_datetimes_are_local_with_offsets(steppe):
    """Seminar and leg times are shown in their own city's zone, with the offset."""
    problem, result = plan(steppe)
    data = plan_json(steppe, problem.axis, result)
    aktobe = next(s for s in data["seminars"] if s["city"] == "aktobe")
    assert aktobe["start"].endswith("+05:00")
    flight = next(leg for leg in data["legs"] if leg["service"] == "KC101")
    assert flight["depart"].endswith("07:00+06:00") and flight["arrive"].endswith("07:41+05:00")


def test_no_working_day_is_reported_as_no_window():
    """A seminar allowed only on a Sunday inside the horizon is uncovered with reason no_window."""
    data = steppe_data()
    data["calendar"]["horizon_days"] = 7
    data["delegation"]["latest_return"] = "2016-01-24T23:00"
    data["seminars"][1]["earliest_date"] = "2016-01-23"
    scenario = Scenario.model_validate(data)
    _, result = plan(scenario)
    reasons = {u.city: u.reason for u in result.uncovered}
    assert reasons == {"aktobe": UncoveredReason.NO_WINDOW}


def test_unreachable_city_is_reported_as_unreachable():
    """Without the flight home, Aktobe cannot be visited and returned from: unreachable."""
    data = steppe_data()
    data["services"] = data["services"][:1]
    _, result = plan(Scenario.model_validate(data))
    assert {u.city: u.reason for u in result.uncovered} == {"aktobe": UncoveredReason.UNREACHABLE}


def test_traded_off_city_is_reported_as_traded_off():
    """If Aktobe's seminar also serves Karaganda's region, the Karaganda trip is traded off."""
    data = steppe_data()
    data["seminars"][1]["serves"] = ["karaganda"]
    data["regions"][1]["weight"] = 50
    _, result = plan(Scenario.model_validate(data))
    # Both are reachable; visiting both adds no points, so the road trip is dropped.
    assert {u.city: u.reason for u in result.uncovered} == {"karaganda": UncoveredReason.TRADED_OFF}


def test_hopeless_required_city_is_reported_not_raised():
    """A required city nobody can reach makes the plan INFEASIBLE, naming it and why (rule 9)."""
    data = steppe_data()
    data["services"] = data["services"][:1]
    data["seminars"][1]["required"] = True
    _, result = plan(Scenario.model_validate(data))
    assert result.status == SolveStatus.INFEASIBLE
    assert result.itinerary is None
    missing = next(u for u in result.uncovered if u.required)
    assert missing.city == "aktobe" and missing.required and missing.reason == UncoveredReason.UNREACHABLE
    assert result.warnings


def test_coverage_ranks_before_travel(steppe):
    """Even with travel weighted heavily, covering a region beats saving travel."""
    data = steppe.model_dump()
    data["objective"]["travel_per_hour"] = 10_000
    _, result = plan(Scenario.model_validate(data))
    assert result.coverage_points == result.max_coverage_points


def test_flagship_is_optimal_and_checks(flagship):
    """The flagship scenario is solved to proven optimality and the checker accepts the plan."""
    problem, result = plan(flagship)
    assert result.status == SolveStatus.OPTIMAL
    data = plan_json(flagship, problem.axis, result)
    assert check_plan(flagship, data) == []
    assert len(data["coverage"]["regions_covered"]) == 16
    assert len(data["seminars"]) >= 8


def test_a_solve_out_of_time_still_returns_the_greedy_plan_or_better(flagship):
    """Anytime: with 0.01 s for CP-SAT the flagship still gets a plan the checker accepts, no
    worse than the greedy one, and its figures come from the plan (whatever the machine's speed)."""
    from planner.check import check_plan
    from planner.domain import SolverParams
    from planner.heuristics import greedy_insertion
    from planner.problem import build_problem
    from planner.result import plan_json
    from planner.solve import solve

    problem = build_problem(flagship)
    greedy = greedy_insertion(problem)
    assert greedy is not None
    result = solve(problem, SolverParams(time_limit_s=0.01, workers=1, seed=0), greedy)
    assert result.status in (SolveStatus.FEASIBLE, SolveStatus.OPTIMAL)
    assert result.itinerary is not None
    assert result.coverage_points >= greedy.coverage_points
    held = {s.city for s in result.itinerary.seminars}
    assert set(result.covered_regions) == {r for c in held for r in problem.city_regions[c]}
    document = plan_json(flagship, problem.axis, result)
    assert check_plan(flagship, document) == []


def test_out_of_time_in_the_connection_search_still_gives_a_plan(flagship):
    """A limit that ends during the connection search (1 ms: on any machine) still returns a
    checker-valid plan: what needs no travel (the Astana seminar), every other city "no_plan"."""
    from planner.check import check_plan
    from planner.domain import SolverParams
    from planner.result import UncoveredReason, plan_json

    problem, result = plan(flagship, SolverParams(time_limit_s=0.001, workers=1, seed=0))
    assert result.status == SolveStatus.FEASIBLE
    assert result.itinerary is not None
    assert [s.city for s in result.itinerary.seminars] == ["astana"]
    assert not result.itinerary.journeys
    assert all(u.reason == UncoveredReason.NO_PLAN for u in result.uncovered)
    assert "out of time" in result.method
    assert check_plan(flagship, plan_json(flagship, problem.axis, result)) == []


def test_a_copy_with_other_required_cities_builds_its_own_exact_problem(flagship):
    """The exact problem is a memo of one Problem: a copy that requires another city (as the
    counterfactual solve behind a traded_off reason makes) must not reuse the original's."""
    import dataclasses

    from planner.problem import build_problem

    problem = build_problem(flagship)
    assert problem.binding_days, "the flagship's daily limit can bind, so exact() rebuilds arcs"
    original = problem.exact()
    city = next(c for c in sorted(problem.city_points) if c not in problem.required)
    forced = dataclasses.replace(problem, required=problem.required | {city})
    assert city in forced.exact().required
    assert forced.exact() is not original and problem.exact() is original
    assert city not in problem.exact().required
