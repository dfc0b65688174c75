"""The heuristics: the DP is exact (equal to CP-SAT and brute force); the greedy and the beam plans are
feasible, never better than the optimum, and the first plan CP-SAT gets is never worse than greedy's."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.check import check_plan
from planner.domain import Scenario
from planner.heuristics import HeuristicPlan, TooBig, beam_dp, exact_dp, greedy_insertion, initial_plan
from planner.objective import objective_of
from planner.problem import SINK, SOURCE, Problem
from planner.result import Result, SolveStatus, plan_json
from planner.solve import as_result, plan
from planner.synthetic import tiny_scenario
from tests.brute_force import brute_force
from tests.conftest import load, unhurried

FLAGSHIP = Path(__file__).resolve().parent.parent / "scenarios" / "kazakhstan-winter-2016.yaml"


def with_daily_limit(scenario: Scenario, minutes: int) -> Scenario:
    data = scenario.model_dump()
    data["delegation"]["rules"]["max_travel_min_per_day"] = minutes
    return Scenario.model_validate(data)


def cpsat_cities(result: Result) -> set[str]:
    assert result.itinerary is not None
    return {visit.city for visit in result.itinerary.seminars}


def assert_is_path(problem: Problem, heuristic: HeuristicPlan) -> None:
    """Arcs of the problem, chained from source to sink, at most one seminar per city."""
    # The DP under a binding limit uses the exact model's arcs: every connection per pair of
    # nodes that no other beats on cost and binding-day minutes, pruned for the limit.
    arcs = set(problem.all_arcs) | set(problem.exact().all_arcs)
    assert all(arc in arcs for arc in heuristic.arcs)
    assert heuristic.arcs[0].tail == SOURCE and heuristic.arcs[-1].head == SINK
    assert all(a.head == b.tail for a, b in zip(heuristic.arcs, heuristic.arcs[1:], strict=False))
    heads = [problem.slot(a.head).city for a in heuristic.arcs if a.head != SINK]
    assert len(heads) == len(set(heads)) == len(heuristic.cities)


def assert_checker_accepts(scenario: Scenario, problem: Problem, heuristic: HeuristicPlan) -> None:
    result = as_result(problem, heuristic, runtime_s=0.0, method="greedy insertion")
    assert check_plan(scenario, plan_json(scenario, problem.axis, result)) == []


def assert_heuristics_against_optimum(scenario: Scenario) -> None:
    problem, result = plan(scenario)
    best = brute_force(problem)
    dp = exact_dp(problem)
    lazy_free = exact_dp(problem, lazy_limit=False)
    greedy = greedy_insertion(problem)
    if best is None:
        assert result.itinerary is None and dp is None and lazy_free is None and greedy is None
        return
    assert result.status == SolveStatus.OPTIMAL
    assert dp is not None and lazy_free is not None
    optimum = (result.coverage_points, result.secondary_cost)
    assert (best.points, best.cost) == optimum
    assert (dp.coverage_points, dp.secondary_cost) == optimum
    assert (lazy_free.coverage_points, lazy_free.secondary_cost) == optimum
    assert dp.objective == objective_of(problem, cpsat_cities(result), result.secondary_cost)
    assert_is_path(problem, dp)
    assert_checker_accepts(scenario, problem, dp)
    # Greedy may find nothing only where a lone seminar cannot fit; never better than optimal.
    if greedy is not None:
        assert_is_path(problem, greedy)
        assert_checker_accepts(scenario, problem, greedy)
        assert greedy.objective >= dp.objective
        points, cost = optimum
        assert (greedy.coverage_points, -greedy.secondary_cost) <= (points, -cost)
    # The beam, narrow enough here to drop labels, and the first plan CP-SAT is given: feasible
    # itineraries holding every required city, never better than the optimum, never worse than greedy.
    for heuristic in (beam_dp(problem, width=2), initial_plan(problem)):
        if heuristic is None:
            continue
        assert_is_path(problem, heuristic)
        assert_checker_accepts(scenario, problem, heuristic)
        assert problem.required <= heuristic.cities
        assert all(m <= problem.limit_on(d) for d, m in problem.daily_loads(list(heuristic.arcs)).items())
        assert heuristic.objective >= dp.objective
    first = initial_plan(problem)
    assert greedy is None or (first is not None and first.objective <= greedy.objective)


@pytest.mark.parametrize("seed", range(20))
def test_dp_equals_cpsat_and_brute_force_and_greedy_is_feasible(seed):
    """On a random tiny instance the DP optimum is CP-SAT's and brute force's; greedy checks and is worse."""
    assert_heuristics_against_optimum(unhurried(tiny_scenario(seed)))


@pytest.mark.parametrize("seed", range(0, 50, 3))
def test_same_under_a_tight_daily_limit(seed):
    """With a 4-hour daily limit (binding) the DP, lazily or with loads from the start, is still exact."""
    assert_heuristics_against_optimum(with_daily_limit(unhurried(tiny_scenario(seed)), 240))


def test_dp_keeps_a_daily_limit_that_changes_the_optimum():
    """Where the best plan without the limit breaks it, the DP's plan keeps it and is CP-SAT's."""
    scenario = with_daily_limit(unhurried(tiny_scenario(45)), 240)
    problem, result = plan(scenario)
    unlimited = exact_dp(problem.relaxed())
    assert unlimited is not None
    assert any(m > 240 for m in problem.daily_loads(list(unlimited.arcs)).values())
    dp = exact_dp(problem)
    assert dp is not None
    assert all(m <= 240 for m in problem.daily_loads(list(dp.arcs)).values())
    assert (dp.coverage_points, dp.secondary_cost) == (result.coverage_points, result.secondary_cost)


def test_objective_mirrors_the_cpsat_model():
    """For the plan CP-SAT returns, objective_of gives CP-SAT's own reported objective."""
    for seed in range(6):
        problem, result = plan(unhurried(tiny_scenario(seed)))
        if result.itinerary is not None:
            assert objective_of(problem, cpsat_cities(result), result.secondary_cost) == result.objective


def test_dp_gives_up_past_its_state_cap():
    """A cap below what the instance needs raises TooBig instead of running on."""
    problem, _ = plan(unhurried(tiny_scenario(0)))
    with pytest.raises(TooBig):
        exact_dp(problem, max_states=5)


def test_greedy_and_beam_plans_of_the_flagship_are_feasible():
    """On the flagship the checker accepts the greedy and the beam plans; the beam plan covers every
    region the optimum covers, at no less than the optimal cost (its speed is in benchmarks/)."""
    scenario = load(FLAGSHIP)
    problem, result = plan(scenario)
    greedy = greedy_insertion(problem)
    beam = beam_dp(problem)
    assert greedy is not None and greedy.coverage_points > 0
    assert beam is not None
    assert_checker_accepts(scenario, problem, greedy)
    assert_checker_accepts(scenario, problem, beam)
    assert result.status == SolveStatus.OPTIMAL and result.objective is not None
    assert beam.coverage_points == result.coverage_points
    assert result.objective <= beam.objective < greedy.objective
    assert initial_plan(problem) == beam


def test_a_first_plan_past_its_deadline_is_the_greedy_plan():
    """With its deadline already passed the beam gives up (None) and the first plan is greedy's."""
    problem, _ = plan(unhurried(tiny_scenario(3)))
    assert beam_dp(problem, deadline=0.0) is None
    greedy = greedy_insertion(problem)
    assert greedy is not None
    assert initial_plan(problem, deadline=0.0) == greedy
    beam = beam_dp(problem)
    assert beam is not None and beam.objective <= greedy.objective
