"""Replanning a team plan: every team from where it is at ``now``, in one model, each team's changes
counted against its own previous plan.

Each team's rest of the trip is prepared as a single replan prepares it (planner.replan: its frozen
past, the connections under way, its start state and stability), from the team's own previous plan.
One joint model then chooses the rest for all teams: coverage first (a city held by some team
already is closed to all, a region covered already counts), then each team's travel cost and its
own stability points (a seminar moved, a city it dropped, a connection changed). So an event that
hits one team replans that team; another team changes only where that wins coverage (a city the
hit team can no longer reach), since any change of its own costs stability points. Each team's
new plan is an ordinary replanned version with its diff and reasons.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from planner.cpsat.teams import TeamsModel
from planner.domain import Disruption, Scenario, SolverParams
from planner.domain.people import Team
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.objective import drop_penalties
from planner.problem import Problem, build_problem
from planner.replan import ReplanError, ReplanFrame, ReplanSetup, finish_replan, prepare_replan
from planner.team_replan_joining import PendingJoin, finish_pending_join, prepare_pending_join
from planner.team_view import entry_scenario
from planner.teams import TeamDocumentHeader, greedy_teams, solve_teams, team_plan_document, team_result


def _before(now: dt.datetime, at: str) -> bool:
    """Whether ``now`` is before the member's meeting ``at`` (an ISO time with its offset)."""
    meeting = dt.datetime.fromisoformat(at)
    return (now if now.tzinfo is not None else now.replace(tzinfo=meeting.tzinfo)) < meeting


Prepared = tuple[dict[str, Any], Scenario, ReplanSetup, ReplanFrame, Problem]


def _prepare(
    scenario: Scenario,
    team: Team,
    entry: dict[str, Any],
    now: dt.datetime,
    events: tuple[Disruption, ...],
    joiners: dict[str, dict[str, Any]],
    pending: dict[str, PendingJoin],
) -> Prepared:
    """One team's rest of the trip as a problem, from its previous plan (and, for a member who has
    not joined yet, theirs): fills ``joiners`` and ``pending``."""
    seen = entry_scenario(scenario, team, entry)
    setup = prepare_replan(seen, entry["plan"], now, events)
    frame = setup.frame()
    joined = entry.get("joiner")
    if joined:
        joiners[team.id] = joined  # joined already (part of the past), or kept if no plan is found
    if joined and _before(now, str(joined.get("at"))):
        # The member is still on their way (or at home): the team and the member are both
        # replanned from where they are.
        pending[team.id] = prepare_pending_join(scenario, team, entry, now, events, setup, frame)
        return entry, seen, setup, frame, pending[team.id].joining.combined
    problem = build_problem(
        seen, setup.network, setup.ctx.overlay, frame.start, frame.stability, context=setup.ctx
    )
    return entry, seen, setup, frame, problem.exact() if problem.binding_days else problem


def replan_teams(
    scenario: Scenario,
    previous: dict[str, Any],
    now: dt.datetime,
    events: tuple[Disruption, ...] = (),
    params: SolverParams | None = None,
) -> dict[str, Any]:
    """The next version of a team plan from ``now``, given the events announced by then."""
    params = params or scenario.solver
    started = time.perf_counter()
    if previous.get("format") != TEAM_PLAN_FORMAT or not isinstance(previous.get("teams"), list):
        raise ReplanError("plan: not a team plan (format delegation-team-plan/1)")
    teams = {team.id: team for team in scenario.teams}
    entries = previous["teams"]
    if sorted(str(e.get("id")) for e in entries) != sorted(teams):
        raise ReplanError(f"plan: its teams are not the scenario's ({sorted(teams)})")
    joiners: dict[str, dict[str, Any]] = {}
    pending: dict[str, PendingJoin] = {}
    prepared = [_prepare(scenario, teams[e["id"]], e, now, events, joiners, pending) for e in entries]
    problems: list[Problem] = [p for *_, p in prepared]
    done = {s.city for *_, frame, _ in prepared for s in frame.done}
    covered = {r for s in scenario.seminars if s.city in done for r in scenario.regions_served(s)}
    left = [s for s in scenario.seminars if s.city not in done]
    model = TeamsModel(
        problems,
        city_points={s.city: s.weight for s in left},
        city_regions={s.city: tuple(r for r in scenario.regions_served(s) if r not in covered) for s in left},
        region_points={r.id: r.weight for r in scenario.regions},
        required=frozenset(s.city for s in left if s.required),
        drops=[drop_penalties(p) for p in problems],
        closed=frozenset(done),
    )
    first = greedy_teams(problems, taken=done, covered=covered)
    solved = solve_teams(model, first, params, started, tuple(left))
    status, chosen = solved.status, solved.chosen
    runtime = time.perf_counter() - started
    shares = []
    for index, (entry, seen, setup, frame, problem) in enumerate(prepared):
        picked = None if chosen is None else chosen[index]
        if entry["id"] in pending:
            plan, meeting = finish_pending_join(
                scenario, pending[entry["id"]], picked, status, params, started, setup, frame
            )
            if meeting is not None:
                joiners[entry["id"]] = meeting
            shares.append((teams[entry["id"]], seen, plan))
            continue
        result = team_result(problem, picked, status, params, runtime)
        new = finish_replan(setup, frame, problem, result, params, started)
        shares.append((teams[entry["id"]], seen, new.plan))
    header = TeamDocumentHeader(
        status=status,
        objective=solved.objective,
        bound=solved.bound,
        runtime_s=time.perf_counter() - started,
        params=params,
        stats={"cp_sat_wall_s": solved.wall_s},
        version=int(previous.get("version", 1)) + 1,
        based_on=int(previous.get("version", 1)),
        now=now.isoformat(),
    )
    return team_plan_document(scenario, header, shares, joiners)
