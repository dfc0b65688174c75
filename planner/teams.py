"""Several teams sharing the seminars: each team's problem, one joint CP-SAT model, the team plan.

A team travels as one group for the whole trip, from its start city to its end city within its
window, paying fares for its members and driving in its own cars; it may hold a seminar only where
its members meet the scenario's staffing rule. Each team's share of the plan is an ordinary plan
of the team's scenario (the scenario seen by that team: its size, cars, start, window and the
seminars it may hold, none of them required on its own), so everything a single plan has (the
checker, the exports) applies to it; the team plan adds what holds across the teams.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.sat.python import cp_model

from planner.costs import trip_costs
from planner.cpsat.teams import TeamsModel
from planner.document import UncoveredReason
from planner.domain import Scenario, Seminar, SolverParams
from planner.domain.people import Member, Team
from planner.heuristics import greedy_insertion
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.network import TransportNetwork
from planner.objective import scenario_coverage_points, scenario_max_coverage_points
from planner.problem import SINK, SOURCE, Arc, Problem, build_problem
from planner.result import Result, SolveStatus, plan_json
from planner.solve import CP_STATUS, cp_solver, result_of_arcs
from planner.team_budget import (
    as_built,
    budget_shortfall,
    first_plan_within,
    mark_over_budget,
    trip_budget,
    within_cap,
)
from planner.team_joining import Joining, build_joining, meeting_time, member_problem, read_path
from planner.team_view import team_scenario


@dataclass(frozen=True)
class MemberShare:
    """A member's own way to meet their team en route: a plan of their view (``joiner_scenario``)."""

    member: Member
    scenario: Scenario
    problem: Problem
    result: Result
    meets: tuple[str, dt.datetime]  # the city and local start of the seminar where they join


@dataclass(frozen=True)
class TeamShare:
    """One team's part of the plan."""

    team: Team
    scenario: Scenario  # the team's scenario
    problem: Problem
    result: Result
    joiner: MemberShare | None = None  # a member meeting the team en route


@dataclass(frozen=True)
class TeamsOutcome:
    status: SolveStatus
    objective: int | None
    bound: int | None
    runtime_s: float
    shares: tuple[TeamShare, ...]
    params: SolverParams
    stats: dict[str, float]
    budget_note: str | None = None  # why a hard budget cap left no plan
    trip_cost_cents: int | None = None  # the trip's cost as the model counts it (budget enforced)


class _Solutions(cp_model.CpSolverSolutionCallback):
    """Tells ``on_solution`` (seconds since the solve began, objective, bound) of each better plan."""

    def __init__(self, on_solution: Callable[[float, int, int], None], started: float) -> None:
        super().__init__()
        self.on_solution = on_solution
        self.started = started

    def on_solution_callback(self) -> None:
        seconds = time.perf_counter() - self.started
        self.on_solution(seconds, round(self.objective_value), round(self.best_objective_bound))


def plan_teams(
    scenario: Scenario,
    params: SolverParams | None = None,
    on_solution: Callable[[float, int, int], None] | None = None,
    built_problems: dict[str, Problem] | None = None,
) -> TeamsOutcome:
    """The best plan for the scenario's teams together, by the single-team objective summed.

    ``on_solution`` hears of each better plan CP-SAT finds (for benchmarks and progress);
    ``built_problems`` keeps each team view's problem for the next call (teams formed: one call per split)."""
    if not scenario.teams:
        raise ValueError("teams: the scenario has no teams")
    params = params or scenario.solver
    started = time.perf_counter()
    scenarios = [team_scenario(scenario, team) for team in scenario.teams]
    # Teams that see the scenario alike (same size, cars, start, window and seminars) share one
    # problem: its connection search is the costly part.
    alike: dict[str, Problem] = {} if built_problems is None else built_problems

    def build(seen: Scenario) -> Problem:
        key = seen.model_copy(update={"name": scenario.name}).model_dump_json()
        problem = alike.get(key)
        if problem is None:
            as_planned = as_built(seen, scenario)
            problem = alike[key] = build_problem(as_planned, network=TransportNetwork.build(as_planned))
        return problem

    problems = []
    joinings: list[Joining | None] = []
    for team, seen in zip(scenario.teams, scenarios, strict=True):
        joining = build_joining(scenario, team, build)
        joinings.append(joining)
        if joining is not None:
            problems.append(joining.combined)
            continue
        problem = build(seen)
        # Each team's own daily limit, exactly: the arcs kept where it can bind.
        problems.append(problem.exact() if problem.binding_days else problem)
    built = time.perf_counter() - started
    seminars = scenario.seminars
    make_model = functools.partial(
        TeamsModel,
        problems,
        city_points={s.city: s.weight for s in seminars},
        city_regions={s.city: scenario.regions_served(s) for s in seminars},
        region_points={r.id: r.weight for r in scenario.regions},
        required=frozenset(s.city for s in seminars if s.required),
    )
    budget = trip_budget(scenario, scenario.teams, problems)
    model = make_model(budget=budget)
    first = first_plan_within(budget, problems, greedy_teams(problems))
    solved = solve_teams(model, first, params, started, scenario.seminars, on_solution)
    status, chosen = solved.status, solved.chosen
    shortfall = budget_shortfall(
        lambda lifted: make_model(budget=lifted), budget, status, params, started, scenario.currency
    )
    runtime = time.perf_counter() - started
    shares = []
    for index, (team, seen, problem) in enumerate(zip(scenario.teams, scenarios, problems, strict=True)):
        picked = None if chosen is None else chosen[index]
        joining = joinings[index]
        if joining is not None and picked is not None:
            shares.append(joined_share(scenario, joining, picked, status, params, runtime))
            continue
        result = team_result(problem, picked, status, params, runtime)
        shares.append(TeamShare(team, seen, problem, result))
    return TeamsOutcome(
        status=status,
        objective=solved.objective,
        bound=solved.bound,
        runtime_s=runtime,
        shares=tuple(shares),
        params=params,
        stats={"build_s": round(built, 4), "cp_sat_wall_s": solved.wall_s},
        budget_note=shortfall,
        trip_cost_cents=None if budget is None or chosen is None else budget.cost(chosen),
    )


@dataclass(frozen=True)
class SolvedTeams:
    status: SolveStatus
    chosen: list[list[int]] | None  # arc indices per team; None: no plan
    objective: int | None
    bound: int | None
    wall_s: float


def solve_teams(
    model: TeamsModel,
    first: tuple[list[set[Arc]], set[str]],
    params: SolverParams,
    started: float,
    seminars: tuple[Seminar, ...],
    on_solution: Callable[[float, int, int], None] | None = None,
) -> SolvedTeams:
    """CP-SAT on the team model from a first plan, within what is left of the limit; anytime: when
    CP-SAT ends with no plan of its own, the first plan is the answer (FEASIBLE, no bound) if every
    team has an itinerary in it and it holds every required city."""
    model.add_hint(*first)
    solver = cp_solver(params, max(0.01, params.time_limit_s - (time.perf_counter() - started)))
    code = solver.solve(model.model, _Solutions(on_solution, started) if on_solution else None)
    status = CP_STATUS.get(code, SolveStatus.TIME_LIMIT)
    wall = round(solver.wall_time, 4)
    if status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        chosen = model.chosen(solver)
        objective = round(solver.objective_value)
        return SolvedTeams(
            status, chosen, objective, min(round(solver.best_objective_bound), objective), wall
        )
    plans, _ = first
    required = {s.city for s in seminars if s.required}
    held = {
        p.slot(a.head).city
        for p, arcs in zip(model.problems, plans, strict=True)
        for a in arcs
        if a.head not in (SOURCE, SINK)
    }
    chosen = [
        [i for i, arc in enumerate(p.arcs) if arc in arcs]
        for p, arcs in zip(model.problems, plans, strict=True)
    ]
    # A first plan over a hard budget cap is no answer.
    if (
        status == SolveStatus.TIME_LIMIT
        and all(plans)
        and required <= held
        and within_cap(model.budget, chosen)
    ):
        return SolvedTeams(SolveStatus.FEASIBLE, chosen, model.value(chosen), None, wall)
    return SolvedTeams(status, None, None, None, wall)


def joined_share(
    scenario: Scenario,
    joining: Joining,
    chosen: list[int],
    status: SolveStatus,
    params: SolverParams,
    runtime_s: float,
) -> TeamShare:
    """A team's share when it has a member joining en route: the path read back from the layers."""
    path = read_path(joining, chosen)
    team = joining.team
    if path.waits:
        problem = joining.waiting
        assert problem is not None, "a waiting path needs the waiting layer"
        arcs = list(path.team_arcs)
        result = team_result(problem, [problem.arcs.index(a) for a in arcs], status, params, runtime_s)
        return TeamShare(team, problem.scenario, problem, result)
    problem = dataclasses.replace(joining.whole, arcs=list(path.team_arcs), all_arcs=list(path.team_arcs))
    result = team_result(problem, list(range(len(problem.arcs))), status, params, runtime_s)
    assert path.meets is not None
    own = member_problem(scenario, joining, path)
    alone = team_result(own, [0, 1], status, params, runtime_s)
    meets = (path.meets.city, meeting_time(problem, scenario, path.meets).replace(tzinfo=None))
    member = MemberShare(joining.member, own.scenario, own, alone, meets)
    return TeamShare(team, problem.scenario, problem, result, member)


def team_result(
    problem: Problem, chosen: list[int] | None, status: SolveStatus, params: SolverParams, runtime_s: float
) -> Result:
    """One team's result in a team plan: its arcs' figures. A team's share is the best for the
    teams together, not for the team alone, so its own plan claims no optimality (FEASIBLE, no
    bound); the team plan's status says what was proven."""
    if chosen is None:
        return result_of_arcs(problem, None, status, params, runtime_s, "teams")
    result = result_of_arcs(problem, chosen, SolveStatus.FEASIBLE, params, runtime_s, "teams")
    warning = f"one team's share of a team plan ({status.value} for the teams together)"
    return dataclasses.replace(result, warnings=(warning,))


def greedy_teams(
    problems: list[Problem], taken: set[str] | None = None, covered: set[str] | None = None
) -> tuple[list[set[Arc]], set[str]]:
    """A first team plan, team by team: each team's greedy insertion over the cities and regions
    the teams before it left (a start for CP-SAT, as the single team's greedy plan is); ``taken``
    and ``covered`` are cities and regions held already (a replan)."""
    plans: list[set[Arc]] = []
    taken = set(taken or ())
    covered = set(covered or ())
    for problem in problems:
        rest = dataclasses.replace(
            problem,
            arcs=[
                a for a in problem.arcs if a.head in (SOURCE, SINK) or problem.slot(a.head).city not in taken
            ],
            city_regions={
                c: tuple(r for r in rs if r not in covered) for c, rs in problem.city_regions.items()
            },
        )
        found = greedy_insertion(rest)
        arcs = set(found.arcs) if found is not None else set()
        plans.append(arcs)
        cities = {problem.slot(a.head).city for a in arcs if a.head not in (SOURCE, SINK)}
        taken |= cities
        covered |= {r for c in cities for r in problem.city_regions.get(c, ())}
    return plans, covered


@dataclass(frozen=True)
class TeamDocumentHeader:
    """What a team plan says of its solve, and of its version when it is a replan."""

    status: SolveStatus
    objective: int | None
    bound: int | None
    runtime_s: float
    params: SolverParams
    stats: dict[str, float]
    version: int = 1
    based_on: int | None = None
    now: str | None = None
    budget_note: str | None = None  # why a hard budget cap left no plan


def teams_plan_json(scenario: Scenario, outcome: TeamsOutcome) -> dict[str, Any]:
    """The team plan as JSON (see ``team_plan_document``)."""
    header = TeamDocumentHeader(
        outcome.status,
        outcome.objective,
        outcome.bound,
        outcome.runtime_s,
        outcome.params,
        outcome.stats,
        budget_note=outcome.budget_note,
    )
    shares = [
        (share.team, share.scenario, plan_json(share.scenario, share.problem.axis, share.result))
        for share in outcome.shares
    ]
    joiners = {share.team.id: joiner_json(share.joiner) for share in outcome.shares if share.joiner}
    return team_plan_document(scenario, header, shares, joiners)


def joiner_json(share: MemberShare) -> dict[str, Any]:
    """What a team plan says of a member who meets their team en route."""
    city, start = share.meets
    zone = share.scenario.city(city).zone
    return {
        "member": share.member.id,
        "home_city": share.member.home_city,
        "city": city,
        "at": start.replace(tzinfo=zone).isoformat(),
        "plan": plan_json(share.scenario, share.problem.axis, share.result),
    }


def team_plan_document(
    scenario: Scenario,
    header: TeamDocumentHeader,
    shares: list[tuple[Team, Scenario, dict[str, Any]]],
    joiners: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The team plan as JSON: each team's plan (an ordinary plan of its scenario), what is covered
    across the teams, what is left out and why, and the costs per person, team and in all;
    ``joiners``: by team id, the member meeting the team en route (``joiner_json``)."""
    joiners = joiners or {}
    held: dict[str, str] = {}
    for team, _, plan in shares:
        for seminar in plan["seminars"]:
            held[seminar["city"]] = team.id
    teams = []
    for team, seen, plan in shares:
        # A city another team holds is not this team's loss: say so.
        for uncovered in plan["uncovered"]:
            other = held.get(uncovered["city"])
            if other is not None:
                uncovered["reason"] = UncoveredReason.ANOTHER_TEAM.value
                uncovered["detail"] = f"team {other} holds it"
        teams.append(
            {
                "id": team.id,
                "name": team.name or team.id,
                "members": [
                    {"id": m.id, "name": m.name, "role": m.role} for m in map(scenario.member, team.members)
                ],
                "size": seen.delegation.size,
                "vehicles": seen.delegation.vehicles,
                "plan": plan,
                **({"joiner": joiners[team.id]} if team.id in joiners else {}),
            }
        )
    plans = [plan for *_, plan in shares]
    covered = sorted({r for plan in plans for r in plan["coverage"]["regions_covered"]})
    points = scenario_coverage_points(scenario, held)
    document: dict[str, Any] = {
        "format": TEAM_PLAN_FORMAT,
        "scenario": scenario.name,
        "version": header.version,
        "based_on": header.based_on,
        "now": header.now,
        "status": header.status.value,
        "objective": header.objective,
        "bound": header.bound,
        "runtime_s": round(header.runtime_s, 3),
        "solver": {
            "seed": header.params.seed,
            "workers": header.params.workers,
            "time_limit_s": header.params.time_limit_s,
            **header.stats,
        },
        "coverage": {
            "points": points,
            "max_points": scenario_max_coverage_points(scenario),
            "regions_covered": covered,
            "regions_uncovered": sorted(r.id for r in scenario.regions if r.id not in covered),
            "cities": sorted(held),
        },
        "uncovered": _uncovered(scenario, plans, held),
        "teams": teams,
    }
    document["costs"] = trip_costs(scenario, teams) if scenario.costs is not None else None
    if header.budget_note is not None:
        mark_over_budget(document, header.budget_note)
    return document


def _uncovered(scenario: Scenario, plans: list[dict[str, Any]], held: dict[str, str]) -> list[dict[str, Any]]:
    """Each seminar city no team holds, with the most hopeful reason any team gives."""
    order = [
        UncoveredReason.TRADED_OFF.value,
        UncoveredReason.NO_PLAN.value,
        UncoveredReason.UNREACHABLE.value,
        UncoveredReason.NO_WINDOW.value,
    ]
    left = []
    for seminar in scenario.seminars:
        if seminar.city in held:
            continue
        reasons = [
            u
            for plan in plans
            for u in plan["uncovered"]
            if u["city"] == seminar.city and u["reason"] in order
        ]
        name = scenario.city(seminar.city).name
        if not reasons:
            entry = {
                "city": seminar.city,
                "reason": UncoveredReason.NO_STAFF.value,
                "detail": f"no team has the members a seminar in {name} needs",
            }
        else:
            best = min(reasons, key=lambda u: order.index(u["reason"]))
            entry = {"city": seminar.city, "reason": best["reason"], "detail": best["detail"]}
        left.append({**entry, "required": seminar.required})
    return left
