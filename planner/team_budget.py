"""The budget of a team plan held in the model: each team's cost terms, the first plan kept only
within a hard cap, and a hard cap no plan meets explained.

A budget ``enforce``-d ``hard`` or as a ``priority`` (planner.domain.people.Budget) makes the team
model count each team's trip cost exactly as ``planner.costs.trip_costs`` does
(planner/cpsat/trip_cost.py). Dominance pruning of arcs is then off: it compares the travel
objective only, and could drop the itinerary that saves a hotel night or a day of per-diems.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from typing import Any

from planner.costs import per_diem_rate
from planner.cpsat.teams import TeamsModel
from planner.cpsat.trip_cost import CENTS, TripBudget, cents_up, team_cost_terms
from planner.document import SolveStatus, UncoveredReason
from planner.domain import Scenario, SolverParams
from planner.domain.people import Member, Team
from planner.problem import SINK, SOURCE, Arc, Problem
from planner.solve import CP_STATUS, cp_solver


def budget_enforced(scenario: Scenario) -> bool:
    """True when the model holds the plan to the budget (not only reports against it)."""
    budget = scenario.budget
    return budget is not None and budget.enforce != "report" and scenario.costs is not None


def as_built(seen: Scenario, scenario: Scenario) -> Scenario:
    """A team's scenario as its problem is built: unpruned when the model enforces a budget."""
    if not budget_enforced(scenario) or not seen.solver.prune_dominated:
        return seen
    return seen.model_copy(update={"solver": seen.solver.model_copy(update={"prune_dominated": False})})


def trip_budget(scenario: Scenario, teams: tuple[Team, ...], problems: list[Problem]) -> TripBudget | None:
    """The budget as the team model enforces it, or None when it is only reported."""
    budget, costs = scenario.budget, scenario.costs
    if budget is None or costs is None or not budget_enforced(scenario):
        return None
    terms = []
    for team, problem in zip(teams, problems, strict=True):
        members = [scenario.member(m) for m in team.members]

        def night_cents(city: str, members: list[Member] = members) -> int:
            """Every member's room, but not at home."""
            assert costs is not None
            return sum(cents_up(costs.hotel(city)) for member in members if member.home_city != city)

        per_diems = sum(cents_up(per_diem_rate(costs, member)) for member in members)
        terms.append(team_cost_terms(problem, night_cents, per_diems))
    return TripBudget(
        teams=tuple(terms),
        cap_cents=math.floor(round(budget.cap * CENTS, 6)),
        enforce=budget.enforce,
        over_cap_per_point=budget.over_cap_per_point or 0,
    )


def within_cap(budget: TripBudget | None, chosen: list[list[int]]) -> bool:
    """False only for a plan over a hard cap (a first plan that may not stand as the answer)."""
    return budget is None or budget.enforce != "hard" or budget.cost(chosen) <= budget.cap_cents


def first_plan_within(
    budget: TripBudget | None, problems: list[Problem], greedy: tuple[list[set[Arc]], set[str]]
) -> tuple[list[set[Arc]], set[str]]:
    """The first plan for CP-SAT, within a hard cap when one is at hand: the greedy plan, else
    every team straight from its start to its end by its cheapest way (no seminar; it stands as
    the answer only where no city is required)."""
    plans = greedy[0]
    if budget is None or budget.enforce != "hard" or within_cap(budget, _indices(problems, plans)):
        return greedy
    straight = []
    for problem, terms in zip(problems, budget.teams, strict=True):
        direct = [i for i, arc in enumerate(problem.arcs) if arc.tail == SOURCE and arc.head == SINK]
        if not direct:
            return greedy
        costs = {i: terms.cost([i]) for i in direct}
        straight.append(min(direct, key=costs.__getitem__))
    if budget.cost([[i] for i in straight]) > budget.cap_cents:
        return greedy
    return [{problem.arcs[i]} for problem, i in zip(problems, straight, strict=True)], set()


def _indices(problems: list[Problem], plans: list[set[Arc]]) -> list[list[int]]:
    return [
        [i for i, arc in enumerate(p.arcs) if arc in arcs] for p, arcs in zip(problems, plans, strict=True)
    ]


def budget_shortfall(
    make_model: Callable[[TripBudget], TeamsModel],
    budget: TripBudget | None,
    status: SolveStatus,
    params: SolverParams,
    started: float,
    currency: str,
) -> str | None:
    """Why a hard cap left no plan: what the cheapest plan costs (the same model, the cap lifted,
    the cost minimised). None when the budget is not why (no plan even without the cap)."""
    if budget is None or budget.enforce != "hard" or status != SolveStatus.INFEASIBLE:
        return None
    model = make_model(dataclasses.replace(budget, enforce="report"))
    model.minimize_cost()
    solver = cp_solver(params, max(0.01, params.time_limit_s - (time.perf_counter() - started)))
    found = CP_STATUS.get(solver.solve(model.model), SolveStatus.TIME_LIMIT)
    cap = _amount(budget.cap_cents, currency)
    if found == SolveStatus.OPTIMAL:
        cheapest = _amount(round(solver.objective_value), currency)
        return f"no plan within the budget cap of {cap}: the cheapest plan costs {cheapest}"
    if found == SolveStatus.FEASIBLE:
        cheapest = _amount(round(solver.objective_value), currency)
        return f"no plan within the budget cap of {cap} (the cheapest plan found costs {cheapest})"
    if found == SolveStatus.INFEASIBLE:
        return None
    return f"no plan within the budget cap of {cap}"


def _amount(cents: int, currency: str) -> str:
    return f"{cents / CENTS:,.2f} {currency}"


def mark_over_budget(document: dict[str, Any], why: str) -> None:
    """A team plan that a hard cap left without a plan says so: in its budget line, and as the
    reason of every city that was possible but for the cap."""
    for uncovered in document["uncovered"]:
        if uncovered["reason"] in (UncoveredReason.TRADED_OFF.value, UncoveredReason.NO_PLAN.value):
            uncovered["reason"] = UncoveredReason.OVER_BUDGET.value
            uncovered["detail"] = why
    costs = document.get("costs")
    if costs and costs.get("budget") is not None:
        costs["budget"]["why_no_plan"] = why
