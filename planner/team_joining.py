"""A member who joins their team en route (``joins_en_route``): one path problem over three layers.

A team with such a member has two ways to travel: it waits at its start until the member is free
(the team's ordinary view; only when the member lives in the team's start city), or it leaves
without them and the member travels alone from home to meet it at one of its seminars. The second
way is two layers over the same seminar slots: the team without the member (its fares for one
person fewer, its cars as it has them without them, only the seminars those members can staff) up
to the seminar where the member meets it, then the whole team. The member's own way there is the
cheapest connection from home, when free, that arrives ready for that seminar within each day's
travel limit.

So the team's choices are the paths from source to sink of one DAG (``Joining.combined``): the
waiting layer's arcs, the first layer's, the whole team's (not out of the source: leaving at once
with the member is the waiting layer), and for each arc of the first layer into a seminar the
member can reach, a copy into the whole team's layer (the team arrives, the member meets it there;
the copy costs the arc and the member's connection). An ordinary team flow over it (the team model
needs nothing else) chooses among all of them exactly.

Each layer is made exact for the daily limit on the days it binds in either team layer: a path
crosses from one to the other on the day of the join. The member's journey is held to the limit on
its own (the minutes they travel alone that day are not added to the team's afterwards).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

from planner.arcs import SINK, SOURCE, Arc, Slot
from planner.domain import Mode, Scenario
from planner.domain.people import Member, Team
from planner.problem import Problem
from planner.team_view import joiner, joiner_scenario, staffed, team_scenario, without_joiner

WAIT, FIRST, WHOLE, JOIN = "wait", "first", "whole", "join"


@dataclass(frozen=True)
class Joining:
    """The layers of a team with a member joining en route, and the DAG combining them."""

    team: Team
    member: Member
    waiting: Problem | None  # the team waits for the member at its start (None: it has left)
    first: Problem  # the team without the member (same slots as ``whole``)
    whole: Problem  # the whole team, in the view where it leaves first
    travel: Problem  # the member alone, from home when free
    combined: Problem
    # Per arc of ``combined``: its layer, the arc in that layer's numbering, and for a join the
    # member's arc in ``travel`` (the first layer's arc being the team's).
    origins: tuple[tuple[str, Arc, Arc | None], ...]


@dataclass(frozen=True)
class JoinedPath:
    """A path of the combined DAG read back: the team's arcs (in ``whole``'s numbering, the first
    layer's legs marked with who travels on them) and, when the member meets it en route, where."""

    waits: bool
    team_arcs: tuple[Arc, ...]
    meets: Slot | None = None  # the slot (``whole``'s numbering) where the member joins
    member_arc: Arc | None = None  # the member's connection from home (``travel``'s numbering)


def build_joining(scenario: Scenario, team: Team, build: Callable[[Scenario], Problem]) -> Joining | None:
    """The layers and their DAG for a team with a member joining en route (None: no such member).

    ``build`` makes a team view's problem (its connection search)."""
    member = joiner(scenario, team)
    if member is None:
        return None
    whole_view, first_view, travel_view = layer_views(scenario, team, member)
    # Waiting at the start is a choice only for a member who lives there; one who lives elsewhere
    # would first have to travel to the start, and meeting the team at a seminar is that choice.
    waiting = None
    if member.home_city == whole_view.delegation.start_city:
        waiting = _exact(build(team_scenario(scenario, team)))
    whole, first = build(whole_view), build(first_view)
    assert whole.slots == first.slots, "the two team layers share their slots"
    binding = whole.binding_days | first.binding_days
    whole = _exact(dataclasses.replace(whole, binding_days=binding))
    first = _exact(dataclasses.replace(first, binding_days=binding))
    travel = _exact(build(travel_view))
    return combine_layers(scenario, team, member, waiting, first, whole, travel)


def layer_views(scenario: Scenario, team: Team, member: Member) -> tuple[Scenario, Scenario, Scenario]:
    """The views of the layers: the whole team leaving first, the team without the member (same
    seminars and window, one fare fewer, its cars without them), and the member alone from home."""
    whole_view = team_scenario(scenario, team, leaves_first=True)
    rest = without_joiner(team, member)
    seats = scenario.costs.car_seats if scenario.costs is not None else 4
    cars = team.vehicles or math.ceil(len(rest.members) / seats)
    first_view = whole_view.model_copy(
        update={
            "delegation": whole_view.delegation.model_copy(
                update={"size": len(rest.members), "vehicles": cars}
            )
        }
    )
    travel_view = whole_view.model_copy(
        update={
            "delegation": whole_view.delegation.model_copy(
                update={
                    "size": 1,
                    "vehicles": 1,
                    "start_city": member.home_city,
                    "earliest_departure": member.available_from,
                }
            )
        }
    )
    return whole_view, first_view, travel_view


def _exact(problem: Problem) -> Problem:
    return problem.exact() if problem.binding_days else problem


def _member_arcs(travel: Problem) -> dict[tuple[str, dt.datetime], Arc]:
    """The member's cheapest connection from home to each seminar slot within the daily limit."""
    best: dict[tuple[str, dt.datetime], Arc] = {}
    # Every slot the member can reach, not only those dominance pruning keeps: a slot pruned as
    # no better than an earlier one for the member alone may be the one where the team is.
    for arc in travel.all_arcs:
        if arc.tail != SOURCE or arc.head == SINK:
            continue
        if any(minutes > travel.limit_on(day) for day, minutes in arc.day_minutes):
            continue
        slot = travel.slot(arc.head)
        # By the instant: the member's problem counts minutes from their own home's day start.
        key = (slot.city, travel.axis.utc(slot.start))
        if key not in best or arc.cost < best[key].cost:
            best[key] = arc
    return best


def combine_layers(
    scenario: Scenario,
    team: Team,
    member: Member,
    waiting: Problem | None,
    first: Problem,
    whole: Problem,
    travel: Problem,
) -> Joining:
    """The layers' DAG (``waiting`` None: the team has left without the member already, a replan)."""
    waited = [] if waiting is None else waiting.slots
    shift = {WAIT: 0, FIRST: len(waited), WHOLE: len(waited) + len(first.slots)}

    def node(layer: str, original: int) -> int:
        return original if original in (SOURCE, SINK) else original + shift[layer]

    slots = [dataclasses.replace(s, node=node(WAIT, s.node)) for s in waited]
    slots += [dataclasses.replace(s, node=node(FIRST, s.node)) for s in first.slots]
    slots += [dataclasses.replace(s, node=node(WHOLE, s.node)) for s in whole.slots]
    rest = without_joiner(team, member)
    staffed_first = {c for c in first.city_points if staffed(scenario, rest, c)}
    reach = _member_arcs(travel)
    arcs: list[Arc] = []
    origins: list[tuple[str, Arc, Arc | None]] = []

    def add(layer: str, arc: Arc, tail: int, head: int, extra: Arc | None = None, more: int = 0) -> None:
        cost = arc.cost + (extra.cost if extra is not None else 0) + more
        arcs.append(dataclasses.replace(arc, tail=tail, head=head, cost=cost))
        origins.append((layer, arc, extra))

    for arc in [] if waiting is None else waiting.arcs:
        add(WAIT, arc, node(WAIT, arc.tail), node(WAIT, arc.head))
    # The first layer unpruned: dominance between two slots of a city holds within a layer, but a
    # later slot may be where the member can meet the team and an earlier one not.
    for arc in first.all_arcs:
        if arc.head == SINK:
            continue  # the member joins before the end
        slot = first.slot(arc.head)
        if slot.city in staffed_first:
            add(FIRST, arc, node(FIRST, arc.tail), node(FIRST, arc.head))
        met = reach.get((slot.city, first.axis.utc(slot.start)))
        if met is not None:
            # A replan: meeting elsewhere than before drops the member's previous meeting city.
            dropped = sum(p for c, p in travel.drop_penalty.items() if c != slot.city)
            add(
                JOIN, arc, node(FIRST, arc.tail), node(WHOLE, arc.head), met, dropped * travel.stability_scale
            )
    for arc in whole.arcs:
        if arc.tail != SOURCE:
            add(WHOLE, arc, node(WHOLE, arc.tail), node(WHOLE, arc.head))
    combined = dataclasses.replace(
        whole,
        slots=slots,
        arcs=arcs,
        all_arcs=arcs,
        binding_days=(frozenset() if waiting is None else waiting.binding_days) | whole.binding_days,
        alternatives=None,
        journeys={},
    )
    # The daily limit is already exact in every layer: no further pruning of the combined arcs.
    object.__setattr__(combined, "_exact", combined)
    return Joining(team, member, waiting, first, whole, travel, combined, tuple(origins))


def read_path(joining: Joining, chosen: list[int]) -> JoinedPath:
    """A path of the combined DAG (arc indices) as the team's arcs and the member's meeting."""
    picked = [joining.origins[i] for i in chosen]
    if any(layer == WAIT for layer, _, _ in picked):
        return JoinedPath(True, tuple(arc for _, arc, _ in picked))
    team_arcs: list[Arc] = []
    meets, member_arc = None, None
    rest = len(joining.team.members) - 1
    cars = joining.first.scenario.delegation.vehicles
    for layer, arc, extra in picked:
        if layer == WHOLE:
            team_arcs.append(arc)
            continue
        team_arcs.append(_carrying(arc, rest, cars))
        if layer == JOIN:
            meets, member_arc = joining.whole.slot(arc.head), extra
    return JoinedPath(False, tuple(team_arcs), meets, member_arc)


def _carrying(arc: Arc, people: int, cars: int) -> Arc:
    """The arc with its legs marked as carrying ``people`` (and ``cars`` on drives)."""
    if arc.journey is None:
        return arc
    legs = tuple(
        dataclasses.replace(leg, people=people, vehicles=cars if leg.mode == Mode.DRIVE else None)
        for leg in arc.journey.legs
    )
    return dataclasses.replace(arc, journey=dataclasses.replace(arc.journey, legs=legs))


def member_problem(scenario: Scenario, joining: Joining, path: JoinedPath) -> Problem:
    """The member's own trip as a problem of their view (``joiner_scenario``) with its one path:
    from home to the seminar where they meet the team."""
    assert path.meets is not None and path.member_arc is not None
    travel = joining.travel
    slot = travel.slot(path.member_arc.head)
    zone = scenario.city(slot.city).zone
    meets = (slot.city, travel.axis.local(slot.start, zone).replace(tzinfo=None))
    view = joiner_scenario(scenario, joining.team, joining.member, meets)
    stay = Arc(slot.node, SINK, None, 0)
    return dataclasses.replace(
        travel,
        scenario=view,
        arcs=[path.member_arc, stay],
        all_arcs=[path.member_arc, stay],
        city_points={slot.city: travel.city_points.get(slot.city, 0)},
        city_regions={slot.city: travel.city_regions.get(slot.city, ())},
        required=frozenset(),
        end_min=slot.end,
        binding_days=frozenset(),
        alternatives=None,
    )


def meeting_time(problem: Problem, scenario: Scenario, slot: Slot) -> dt.datetime:
    """A slot's start, local to its city (the moment the member meets the team)."""
    return problem.axis.local(slot.start, scenario.city(slot.city).zone)
