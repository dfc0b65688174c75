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
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.objective import drop_penalties
from planner.problem import Problem, build_problem
from planner.replan import ReplanError, finish_replan, prepare_replan
from planner.team_view import entry_scenario
from planner.teams import TeamDocumentHeader, greedy_teams, solve_teams, team_plan_document, team_result


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
    prepared = []
    joiners: dict[str, dict[str, Any]] = {}
    for entry in entries:
        joined = entry.get("joiner")
        if joined:
            # The member's meeting is part of the past the replan keeps; before it, their own
            # way there and the team's would both be replanned, which is not done (yet).
            at = dt.datetime.fromisoformat(str(joined.get("at")))
            moment = now if now.tzinfo is not None else now.replace(tzinfo=at.tzinfo)
            if moment < at:
                raise ReplanError(
                    f"now: team {entry['id']}'s member {joined.get('member')} joins it en route at "
                    f"{joined.get('at')}; a team plan is replanned only once they have joined"
                )
            joiners[entry["id"]] = joined
        seen = entry_scenario(scenario, teams[entry["id"]], entry)
        setup = prepare_replan(seen, entry["plan"], now, events)
        frame = setup.frame()
        problem = build_problem(
            seen, setup.network, setup.ctx.overlay, frame.start, frame.stability, context=setup.ctx
        )
        problem = problem.exact() if problem.binding_days else problem
        prepared.append((entry, seen, setup, frame, problem))
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
        result = team_result(problem, None if chosen is None else chosen[index], status, params, runtime)
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
