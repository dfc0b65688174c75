"""Compile a scenario into the integer time-expanded problem the solver works on.

Nodes are the source (the delegation at its start city when it may leave), the
sink (its end city by the latest return) and one node per candidate seminar slot
(city, local start). An arc joins two nodes when a connection leaves after the
first ends and arrives, with the preparation time, before the second starts; it
carries the cheapest such connection by the secondary objective. Time only moves
forward, so the arcs form a DAG and a path from source to sink is an itinerary.
"""

from __future__ import annotations

import dataclasses
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
    binding_days: frozenset[int] = frozenset()  # home days where the travel limit can bind
    all_arcs: list[Arc] = field(default_factory=list)  # before pruning

    def relaxed(self) -> Problem:
        """The same problem without the daily travel limit (pruned accordingly)."""
        return dataclasses.replace(self, binding_days=frozenset())

    def exact(self) -> Problem:
        """The problem with the daily limit, pruned only where that stays exact."""
        pruned = self.scenario.solver.prune_dominated
        arcs = prune_dominated(self.all_arcs, self.slots, set(self.binding_days)) if pruned else self.all_arcs
        return dataclasses.replace(self, arcs=arcs)

    def daily_loads(self, arcs: list[Arc]) -> dict[int, int]:
        """Travel minutes per home day of a set of arcs (an itinerary)."""
        loads: dict[int, int] = {}
        for arc in arcs:
            for day, minutes in arc.day_minutes:
                loads[day] = loads.get(day, 0) + minutes
        return loads

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
                    home_start = tail == SOURCE and head != SINK and deadline + prep >= free
                    if home_start or (head == SINK and free <= end_min):
                        arcs.append(Arc(tail, head, None, 0))
                continue
            _connect(
                arcs,
                journeys.get((origin, city), []),
                tail,
                free,
                targets,
                weights,
            )

    limit = delegation.rules.max_travel_min_per_day
    binding = binding_days(arcs, slots, limit)
    all_arcs = arcs
    if scenario.solver.prune_dominated:
        # Pruned as if the daily limit never binds; solve() checks the plan against
        # the limit and falls back to the exact pruning only when it matters.
        arcs = prune_dominated(all_arcs, slots, set())

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
        binding_days=frozenset(binding),
        all_arcs=all_arcs,
    )


def _connect(
    arcs: list[Arc],
    candidates: list[Journey],
    tail: int,
    free: int,
    targets: list[tuple[int, int]],
    weights: Objective,
) -> None:
    """Add, for each target, the cheapest connection leaving after ``free`` that is on time."""
    if not candidates:
        return
    first = bisect_left([j.leave for j in candidates], free)
    usable = sorted(candidates[first:], key=lambda j: j.arrive)
    if not usable:
        return
    best: Journey | None = None
    best_cost = 0
    position = 0
    for head, deadline in sorted(targets, key=lambda t: t[1]):
        while position < len(usable) and usable[position].arrive <= deadline:
            cost = journey_cost(usable[position], weights)
            if best is None or cost < best_cost:
                best, best_cost = usable[position], cost
            position += 1
        if best is not None:
            arcs.append(Arc(tail, head, best, best_cost))


def binding_days(arcs: list[Arc], slots: list[Slot], limit: int) -> set[int]:
    """Home days on which some itinerary could travel more than ``limit`` minutes.

    For each day, the longest chain of arcs that travel on it (a DAG, as time only
    moves forward) bounds what any itinerary can travel that day; where the bound
    is within the limit, the limit can never bind and needs no constraint.
    """
    by_day: dict[int, list[Arc]] = {}
    for arc in arcs:
        for day, _ in arc.day_minutes:
            by_day.setdefault(day, []).append(arc)
    slot_start = {s.node: s.start for s in slots}
    order = {SOURCE: -1, SINK: 1 << 40} | slot_start
    binding = set()
    for day, day_arcs in by_day.items():
        # Longest path over the arcs touching this day, starting anywhere (an upper
        # bound: it ignores whether the start of the chain is reachable).
        longest: dict[int, int] = {}
        for arc in sorted(day_arcs, key=lambda a: (order[a.tail], order[a.head])):
            minutes = dict(arc.day_minutes)[day]
            value = longest.get(arc.tail, 0) + minutes
            if value > longest.get(arc.head, 0):
                longest[arc.head] = value
        if max(longest.values(), default=0) > limit:
            binding.add(day)
    return binding


def prune_dominated(arcs: list[Arc], slots: list[Slot], binding: set[int]) -> list[Arc]:
    """Drop arcs into a seminar slot that an earlier slot of the same city dominates.

    Slot ``e`` dominates a later slot ``s`` of the same city from tail ``t`` when
    reaching ``e`` costs no more than reaching ``s`` (and travels no more on any day
    where the daily limit can bind), and every arc out of ``s`` has a counterpart out
    of ``e`` to the same head that is no dearer in the same sense. Any itinerary
    through ``t -> s`` then has a no-worse twin through ``t -> e``; repeating the
    swap moves seminars strictly earlier, so it ends on an itinerary of kept arcs.
    The pruned model therefore has the same optimum.
    """
    slot_of = {s.node: s for s in slots}
    out: dict[int, dict[int, Arc]] = {}
    for arc in arcs:
        out.setdefault(arc.tail, {})[arc.head] = arc

    def load(arc: Arc) -> dict[int, int]:
        return {d: m for d, m in arc.day_minutes if d in binding}

    def no_worse(better: Arc, worse: Arc) -> bool:
        if better.cost > worse.cost:
            return False
        if not binding or better.journey is worse.journey:
            return True
        worse_load = load(worse)
        return all(m <= worse_load.get(d, 0) for d, m in load(better).items())

    dominance: dict[tuple[int, int], bool] = {}

    def dominates(early: int, late: int) -> bool:
        key = (early, late)
        if key not in dominance:
            early_out = out.get(early, {})
            dominance[key] = all(
                head in early_out and no_worse(early_out[head], arc)
                for head, arc in out.get(late, {}).items()
            )
        return dominance[key]

    kept: list[Arc] = []
    for _tail, heads in out.items():
        by_city: dict[str, list[Arc]] = {}
        for head, arc in heads.items():
            if head == SINK:
                kept.append(arc)
            else:
                by_city.setdefault(slot_of[head].city, []).append(arc)
        for city_arcs in by_city.values():
            city_arcs.sort(key=lambda a: slot_of[a.head].start)
            chosen: list[Arc] = []
            for arc in city_arcs:
                if not any(no_worse(e, arc) and dominates(e.head, arc.head) for e in chosen):
                    chosen.append(arc)
            kept.extend(chosen)
    kept.sort(key=lambda a: (a.tail, a.head))
    return kept
