"""Teams formed by the planner: the best split of the members into teams, found exactly.

The scenario's ``forming`` section asks for so many teams of so many members. Members alike in
everything the rules and the objective see are interchangeable, and the formed teams all start
and end in the same cities, so their order does not matter (planner.domain.forming): the distinct
splits up to both are few, and each split's best plan is the best plan of every split equivalent
to it. Each distinct split is planned with the fixed-team code (``plan_teams``), and the best is
kept by the model's own objective: coverage points first, then the teams' summed travel cost
(ties: the split met first). The scaled objective of one split's model is not comparable with
another's (its scale depends on the split's problems), so the two parts are compared as a pair.

Optional members (``Member.optional``) may stay at home: each choice of how many of each optional
class stay home is weighed with every distinct split of the others, and the same order decides, so
an optional member travels only where the plan is better with them (more coverage, or a cheaper
trip); on a full tie the plan with fewer travellers is kept. Without optional members that last
rule never applies and the search is as before.

A split is skipped without planning when it cannot beat the best plan found so far: its coverage
is at most the points of the seminars some team of it may staff (and the regions they serve), and
a split with a required city no team of it may staff has no plan at all. The bound holds for any
plan of the split, so skipping on it loses nothing.

Anytime: each split gets an equal share of the time left (and of the deterministic limit), the
best plan found is returned when the time ends, and the plan says OPTIMAL only when every split
was proven optimal, proven infeasible or skipped by the bound. Once planned, the teams are fixed:
a replan, the checker and the exports read them from the plan (a replan never moves a member to
another team mid-trip).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Any

from planner.domain import Scenario, SolverParams
from planner.domain.forming import (
    class_is_optional,
    distinct_splits_with_home,
    formed_scenario,
    member_classes,
    size_limits,
    split_teams,
)
from planner.domain.people import Team
from planner.objective import scenario_coverage_points
from planner.problem import Problem
from planner.result import SolveStatus
from planner.team_view import staffed
from planner.teams import TeamsOutcome, plan_teams, teams_plan_json

_PROVEN = (SolveStatus.OPTIMAL, SolveStatus.INFEASIBLE)


@dataclass(frozen=True)
class FormedTeams:
    """The best split found, its plan, and how many splits were weighed."""

    scenario: Scenario  # the scenario with the formed teams fixed
    outcome: TeamsOutcome  # its plan, with the status of the whole search
    splits: int  # distinct splits within the limits
    planned: int  # planned with the fixed-team code
    skipped: int  # ruled out by the coverage bound
    proven: int  # proven optimal or infeasible, or ruled out by the bound

    @property
    def left_home(self) -> tuple[str, ...]:
        """The members in no formed team (optional ones the plan is better without), in the
        scenario's order."""
        return left_home(self.scenario)


def candidate_teams(scenario: Scenario) -> list[tuple[Team, ...]]:
    """The teams of every distinct split (optional members left at home included: those in none
    of its teams), in the order of enumeration."""
    forming = scenario.forming
    if forming is None:
        raise ValueError("forming: the scenario forms no teams")
    classes = member_classes(scenario.members)
    low, high = size_limits(forming, len(scenario.members))
    counts = [len(ids) for ids in classes]
    optional = class_is_optional(scenario.members, classes)
    return [
        split_teams(forming, classes, split)
        for _, split in distinct_splits_with_home(counts, optional, forming.teams, low, high)
    ]


def left_home(scenario: Scenario) -> tuple[str, ...]:
    """The scenario's members in none of its teams, in its order."""
    placed = {member for team in scenario.teams for member in team.members}
    return tuple(member.id for member in scenario.members if member.id not in placed)


def coverage_bound(scenario: Scenario, teams: tuple[Team, ...]) -> tuple[int, bool]:
    """The most points any plan of these teams can win (the seminars some team may staff and the
    regions they serve), and whether every required city has a team that may staff it."""
    held = {s.city for s in scenario.seminars if any(staffed(scenario, team, s.city) for team in teams)}
    required = all(s.city in held for s in scenario.seminars if s.required)
    return scenario_coverage_points(scenario, held), required


def score(scenario: Scenario, outcome: TeamsOutcome) -> tuple[int, int] | None:
    """(coverage points, summed travel cost) of a team plan; None when it has no plan."""
    if outcome.status not in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        return None
    cities = {
        visit.city
        for share in outcome.shares
        if share.result.itinerary is not None
        for visit in share.result.itinerary.seminars
    }
    return scenario_coverage_points(scenario, cities), sum(
        share.result.secondary_cost for share in outcome.shares
    )


def form_teams(scenario: Scenario, params: SolverParams | None = None) -> FormedTeams:
    """The best split of the members into the teams ``forming`` asks for, and its plan."""
    params = params or scenario.solver
    started = time.perf_counter()
    candidates = candidate_teams(scenario)
    # The most hopeful splits first: a strong plan early skips more splits, and is what an
    # early end of the time returns.
    bounds = [coverage_bound(scenario, teams) for teams in candidates]
    order = sorted(range(len(candidates)), key=lambda i: (-bounds[i][0], not bounds[i][1], i))
    built: dict[str, Problem] = {}
    best: tuple[tuple[int, int, int], Scenario, TeamsOutcome] | None = None
    first: tuple[Scenario, TeamsOutcome] | None = None
    planned = skipped = proven = 0
    for done, index in enumerate(order):
        teams = candidates[index]
        points, staffable = bounds[index]
        if best is not None and (points < best[0][0] or not staffable):
            skipped += 1
            proven += 1
            continue
        left = params.time_limit_s - (time.perf_counter() - started)
        if left <= 0 and first is not None:
            break  # anytime: the rest is not compared
        fixed = formed_scenario(scenario, teams)
        outcome = plan_teams(fixed, _share(params, left, len(order) - done, len(order)), built_problems=built)
        planned += 1
        proven += outcome.status in _PROVEN
        first = first or (fixed, outcome)
        found = score(fixed, outcome)
        if found is not None:
            # Coverage, then travel cost, then fewer travellers: an optional member who adds
            # neither is left at home.
            ranked = (found[0], -found[1], -sum(len(team.members) for team in teams))
            if best is None or ranked > best[0]:
                best = (ranked, fixed, outcome)
    assert first is not None, "a valid `forming` has at least one split"
    chosen, outcome = (best[1], best[2]) if best is not None else first
    settled = proven == len(order)
    if best is None:
        status = SolveStatus.INFEASIBLE if settled else SolveStatus.TIME_LIMIT
    else:
        status = SolveStatus.OPTIMAL if settled else SolveStatus.FEASIBLE
    # Each team's plan states the limit given to the whole search, not its split's share of it
    # (which depends on the clock).
    shares = tuple(
        dataclasses.replace(share, result=dataclasses.replace(share.result, time_limit_s=params.time_limit_s))
        for share in outcome.shares
    )
    outcome = dataclasses.replace(
        outcome,
        shares=shares,
        status=status,
        bound=outcome.bound if status == SolveStatus.OPTIMAL else None,
        runtime_s=time.perf_counter() - started,
        params=params,
    )
    return FormedTeams(chosen, outcome, len(order), planned, skipped, proven)


def _share(params: SolverParams, left: float, splits_left: int, splits: int) -> SolverParams:
    """One split's solver settings: an equal share of the time left and of the deterministic limit."""
    update: dict[str, Any] = {"time_limit_s": max(0.01, left / splits_left)}
    if params.deterministic_limit is not None:
        update["deterministic_limit"] = params.deterministic_limit / splits
    return params.model_copy(update=update)


def formed_plan_json(formed: FormedTeams) -> dict[str, Any]:
    """The team plan of the formed teams, saying that they were formed, how many splits were
    weighed and, when some member is optional, who stays at home (``forming``); otherwise the team
    plan of those teams as fixed teams."""
    document = teams_plan_json(formed.scenario, formed.outcome)
    document["forming"] = {
        "version": document["version"],
        "splits": formed.splits,
        "planned": formed.planned,
        "skipped": formed.skipped,
        "proven": formed.proven,
    }
    if any(member.optional for member in formed.scenario.members):
        document["forming"]["left_home"] = list(formed.left_home)
    return document
