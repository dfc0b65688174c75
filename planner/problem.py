"""Compile a scenario into the integer time-expanded problem the solver works on.

Nodes are the source (the delegation at its start city when it may leave), the
sink (its end city by the latest return) and one node per candidate seminar slot
(city, local start). An arc joins two nodes when a connection leaves after the
first ends and arrives, with the preparation time, before the second starts; it
carries the cheapest such connection by the secondary objective. Time only moves
forward, so the arcs form a DAG and a path from source to sink is an itinerary.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass, field

from planner.calendar import TimeAxis, seminar_dates
from planner.connections import (
    Journey,
    SearchContext,
    build_context,
    departure_leave_times,
    journeys_from,
)
from planner.domain import Objective, Scenario
from planner.network import Closures, TransportNetwork

SOURCE = 0
SINK = 1


@dataclass(frozen=True)
class Slot:
    """A candidate seminar: city and start/end in epoch minutes."""

    node: int
    city: str
    start: int
    end: int
    local_date: dt.date


@dataclass(frozen=True)
class Arc:
    """Go from one node to the next using ``journey`` (None: no travel needed)."""

    tail: int
    head: int
    journey: Journey | None
    cost: int  # secondary objective, in 1/60 points

    @property
    def day_minutes(self) -> tuple[tuple[int, int], ...]:
        return self.journey.day_minutes if self.journey else ()


def journey_cost(journey: Journey | None, weights: Objective) -> int:
    """Secondary objective of a connection in 1/60 points (integer for CP-SAT)."""
    if journey is None:
        return 0
    return (
        journey.travel_min * weights.travel_per_hour
        + journey.night_min * weights.night_per_hour
        + round(journey.cost * weights.cost_per_unit * 60)
    )


@dataclass
class Problem:
    """The integer problem: slots, arcs and what covering each city is worth."""

    scenario: Scenario
    axis: TimeAxis
    context: SearchContext
    slots: list[Slot]
    arcs: list[Arc]
    city_points: dict[str, int]  # seminar weight of each seminar city
    city_regions: dict[str, tuple[str, ...]]
    region_points: dict[str, int]
    required: frozenset[str]
    start_min: int
    end_min: int
    journeys: dict[tuple[str, str], list[Journey]] = field(default_factory=dict)

    @property
    def node_count(self) -> int:
        return len(self.slots) + 2

    def slot(self, node: int) -> Slot:
        return self.slots[node - 2]

    def node_city(self, node: int) -> str:
        if node == SOURCE:
            return self.scenario.delegation.start_city
        if node == SINK:
            return self.scenario.delegation.end_city
        return self.slot(node).city

    @property
    def max_coverage_points(self) -> int:
        return sum(self.city_points.values()) + sum(
            self.region_points[r] for r in {r for rs in self.city_regions.values() for r in rs}
        )


def build_problem(
    scenario: Scenario,
    network: TransportNetwork | None = None,
    closures: Closures | None = None,
) -> Problem:
    """Slots, connection profiles and arcs of a scenario (plus an optional overlay)."""
    network = network or TransportNetwork.build(scenario)
    axis = network.axis
    context = build_context(network, closures)
    delegation = scenario.delegation
    start_zone = scenario.city(delegation.start_city).zone
    end_zone = scenario.city(delegation.end_city).zone
    start_min = axis.minutes(delegation.earliest_departure, start_zone)
    end_min = axis.minutes(delegation.latest_return, end_zone)
    prep = delegation.rules.min_prep_min

    slots: list[Slot] = []
    for seminar in scenario.seminars:
        zone = scenario.city(seminar.city).zone
        for day in seminar_dates(scenario.calendar, seminar):
            for minute in seminar.local_start_minutes():
                start = axis.local_minutes(day, minute, zone)
                end = start + seminar.duration_min
                if start >= start_min and end <= end_min:
                    slots.append(Slot(len(slots) + 2, seminar.city, start, end, day))
    slots.sort(key=lambda s: (s.start, s.city))
    slots = [Slot(i + 2, s.city, s.start, s.end, s.local_date) for i, s in enumerate(slots)]

    # When could the delegation leave each city? After a seminar there, or at the start.
    free_times: dict[str, list[int]] = {}
    for slot in slots:
        free_times.setdefault(slot.city, []).append(slot.end)
    free_times.setdefault(delegation.start_city, []).append(start_min)
    journeys: dict[tuple[str, str], list[Journey]] = {}
    for origin, times in free_times.items():
        leave_times = set(times) | set(departure_leave_times(context, origin, min(times), end_min))
        for destination, found in journeys_from(context, origin, leave_times).items():
            journeys[(origin, destination)] = found

    tails: list[tuple[int, str, int]] = [(SOURCE, delegation.start_city, start_min)]
    tails += [(s.node, s.city, s.end) for s in slots]
    heads_by_city: dict[str, list[tuple[int, int]]] = {}
    for slot in slots:
        heads_by_city.setdefault(slot.city, []).append((slot.node, slot.start - prep))
    heads_by_city.setdefault(delegation.end_city, [])

    weights = scenario.objective
    arcs: list[Arc] = []
    for tail, origin, free in tails:
        for city, heads in heads_by_city.items():
            targets = list(heads)
            if city == delegation.end_city:
                targets.append((SINK, end_min))
            if city == origin:
                # Already there: only the trip's start into a seminar at home, or a
                # seminar at the end city straight to the sink.
                for head, deadline in targets:
                    if head == SINK or (tail == SOURCE and deadline + prep >= free):
                        if head != SINK or free <= end_min:
                            arcs.append(Arc(tail, head, None, 0))
                continue
            _connect(
                arcs,
                journeys.get((origin, city), []),
                tail,
                free,
                targets,
                weights,
                prune=scenario.solver.prune_dominated,
            )

    return Problem(
        scenario=scenario,
        axis=axis,
        context=context,
        slots=slots,
        arcs=arcs,
        city_points={s.city: s.weight for s in scenario.seminars},
        city_regions={s.city: scenario.regions_served(s) for s in scenario.seminars},
        region_points={r.id: r.weight for r in scenario.regions},
        required=frozenset(s.city for s in scenario.seminars if s.required),
        start_min=start_min,
        end_min=end_min,
        journeys=journeys,
    )


def _connect(
    arcs: list[Arc],
    candidates: list[Journey],
    tail: int,
    free: int,
    targets: list[tuple[int, int]],
    weights: Objective,
    prune: bool,
) -> None:
    """Add, for each target, the cheapest connection leaving after ``free`` that is on time.

    With ``prune``, a later slot of the same city is skipped unless it is strictly
    cheaper to reach than every earlier one: holding the seminar earlier leaves every
    onward connection available (waiting is allowed), so an earlier, no dearer slot
    is never worse. The daily travel limit is the one rule this argument ignores
    (a different onward connection may shift travel between days); see the README.
    """
    if not candidates:
        return
    first = bisect_left([j.leave for j in candidates], free)
    usable = sorted(candidates[first:], key=lambda j: j.arrive)
    if not usable:
        return
    best: Journey | None = None
    best_cost = 0
    position = 0
    last_added: Journey | None = None
    for head, deadline in sorted(targets, key=lambda t: t[1]):
        while position < len(usable) and usable[position].arrive <= deadline:
            cost = journey_cost(usable[position], weights)
            if best is None or cost < best_cost:
                best, best_cost = usable[position], cost
            position += 1
        if best is None:
            continue
        if prune and head != SINK and best is last_added:
            continue
        arcs.append(Arc(tail, head, best, best_cost))
        last_added = best
