"""Replanning a team whose member has not yet joined it en route: the team and the member, each
from where they are at ``now``.

The team's previous plan (in its leaves-first view) and the member's own previous plan (from home
to the meeting) are each prepared as a single replan prepares a plan: the past frozen, a
connection under way kept, the start state at ``now``. The rest is the first plan's layered
problem (planner.team_joining) without the waiting layer, since the team has committed to leaving
first: the team without the member from its start state, the whole team over the same slots, and
the member's cheapest way from their own start state to each seminar. The team's stability
(seminars moved, cities dropped, connections changed) counts against its previous plan in both
team layers, at one stability scale for both, so the layers stay comparable; the member's own
connection is chosen by cost alone (a changed meeting shows in the team's diff, and in the
member's own version's diff).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from planner.connections import context_for
from planner.domain import Disruption, Scenario, SolverParams
from planner.domain.people import Team
from planner.network import TransportNetwork
from planner.problem import Problem, Stability, build_problem
from planner.replan import ReplanFrame, ReplanSetup, finish_replan, prepare_replan
from planner.result import SolveStatus
from planner.team_joining import (
    Joining,
    combine_layers,
    layer_views,
    meeting_time,
    member_problem,
    read_path,
)
from planner.team_view import joiner
from planner.teams import team_result


@dataclass(frozen=True)
class PendingJoin:
    """A team's replan while its member is still to join: the layers and the member's own replan."""

    joining: Joining
    member_setup: ReplanSetup
    member_frame: ReplanFrame


def _exact(problem: Problem) -> Problem:
    return problem.exact() if problem.binding_days else problem


def _offered(stability: Stability, people: int | None) -> Stability:
    """The previous connections offered again in a layer: those its people travelled (a connection
    before the join carries the others only, one after it the whole team), so each is priced right."""
    journeys = tuple(j for j in stability.journeys if all(leg.people == people for leg in j.legs))
    return dataclasses.replace(stability, journeys=journeys)


def _rescaled(problem: Problem, scale: int) -> Problem:
    """The problem with one stability point worth ``scale`` (its arcs' costs made over)."""
    shift = scale - problem.stability_scale

    def over(arcs: list[Any]) -> list[Any]:
        return [dataclasses.replace(a, cost=a.cost + a.stability * shift) if a.stability else a for a in arcs]

    rescaled = dataclasses.replace(problem, arcs=over(problem.arcs), all_arcs=over(problem.all_arcs))
    return dataclasses.replace(rescaled, stability_scale=scale, alternatives=None)


def prepare_pending_join(
    scenario: Scenario,
    team: Team,
    entry: dict[str, Any],
    now: dt.datetime,
    events: tuple[Disruption, ...],
    setup: ReplanSetup,
    frame: ReplanFrame,
) -> PendingJoin:
    """The layered problem of the rest of the trip for a team whose member joins after ``now``.

    ``setup`` and ``frame`` are the team's own replan inputs (its leaves-first view)."""
    member = joiner(scenario, team)
    assert member is not None, "the checker let through a joiner the scenario does not have"
    whole_view, first_view, travel_view = layer_views(scenario, team, member)
    # Each layer prices its connections for the people in it: its own network and context.
    first_network = TransportNetwork.build(first_view)
    first_ctx = context_for(first_network, setup.announced, {})
    size = len(team.members)
    whole = build_problem(
        whole_view,
        setup.network,
        setup.ctx.overlay,
        frame.start,
        _offered(frame.stability, None),
        context=setup.ctx,
    )
    first = build_problem(
        first_view,
        first_network,
        first_ctx.overlay,
        frame.start,
        _offered(frame.stability, size - 1),
        context=first_ctx,
    )
    binding = whole.binding_days | first.binding_days
    whole = _exact(dataclasses.replace(whole, binding_days=binding))
    first = _exact(dataclasses.replace(first, binding_days=binding))
    member_setup = prepare_replan(travel_view, entry["joiner"]["plan"], now, events)
    member_frame = member_setup.frame()
    travel = _exact(
        build_problem(
            travel_view,
            member_setup.network,
            member_setup.ctx.overlay,
            member_frame.start,
            member_frame.stability,
            context=member_setup.ctx,
        )
    )
    # One stability point outweighs any travel of the whole path: both team layers and the
    # member's connection, each of whose scales outweighs its own part.
    scale = whole.stability_scale + first.stability_scale + travel.stability_scale
    whole, first, travel = (_rescaled(p, scale) for p in (whole, first, travel))
    joining = combine_layers(scenario, team, member, None, first, whole, travel)
    return PendingJoin(joining, member_setup, member_frame)


def finish_pending_join(
    scenario: Scenario,
    pending: PendingJoin,
    chosen: list[int] | None,
    status: SolveStatus,
    params: SolverParams,
    started: float,
    setup: ReplanSetup,
    frame: ReplanFrame,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The team's new version and the member's (their meeting as ``joiner_json`` writes it), from
    the joint solve's choice for this team (None: no plan)."""
    joining = pending.joining
    runtime = 0.0
    if chosen is None:
        # No plan: the version keeps the past, and the meeting as it was planned.
        result = team_result(joining.whole, None, status, params, runtime)
        return finish_replan(setup, frame, joining.whole, result, params, started).plan, None
    path = read_path(joining, chosen)
    problem = dataclasses.replace(joining.whole, arcs=list(path.team_arcs), all_arcs=list(path.team_arcs))
    result = team_result(problem, list(range(len(problem.arcs))), status, params, runtime)
    team_plan = finish_replan(setup, frame, problem, result, params, started).plan
    assert path.meets is not None
    own = member_problem(scenario, joining, path)
    alone = team_result(own, [0, 1], status, params, runtime)
    member_setup = dataclasses.replace(pending.member_setup, scenario=own.scenario)
    member_plan = finish_replan(member_setup, pending.member_frame, own, alone, params, started).plan
    start = meeting_time(problem, scenario, path.meets)
    return team_plan, {
        "member": joining.member.id,
        "home_city": joining.member.home_city,
        "city": path.meets.city,
        "at": start.isoformat(),
        "plan": member_plan,
    }
