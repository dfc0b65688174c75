"""The arcs of the problem's DAG: which connection joins two nodes, and which arcs to keep.

An arc joins two nodes (the source, a seminar slot, the sink) when a connection leaves
after the first ends and arrives, with the preparation time, before the second starts; it
carries the cheapest such connection by the secondary objective, or, where the daily
travel limit can bind, every connection no other beats.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left
from dataclasses import dataclass
from typing import TYPE_CHECKING

from planner.connections import Journey
from planner.domain import Objective, Scenario

if TYPE_CHECKING:
    from planner.problem import Stability, StartState

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
    free: int  # when the delegation may leave after it: the end plus the after-seminar buffer


@dataclass(frozen=True)
class Arc:
    """Go from one node to the next using ``journey`` (None: no travel needed)."""

    tail: int
    head: int
    journey: Journey | None
    cost: int  # stability * scale + secondary objective (1/60 points)
    stability: int = 0  # stability points of taking this arc (replanning only)

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


def legs_signature(journey: Journey) -> tuple[tuple[str, int], ...]:
    """What identifies a connection for stability: its services and departure times."""
    return tuple((leg.service, leg.depart) for leg in journey.legs)


class ArcBuilder:
    """The arcs between the nodes of a problem, for a set of binding days."""

    def __init__(
        self,
        scenario: Scenario,
        slots: list[Slot],
        journeys: dict[tuple[str, str], list[Journey]],
        start: StartState,
        end_min: int,
        stability: Stability | None,
        scale: int,
    ) -> None:
        self.weights = scenario.objective
        self.end_city = scenario.delegation.end_city
        self.prep = scenario.delegation.rules.min_prep_min
        self.slots = slots
        self.journeys = journeys
        self.start = start
        self.end_min = end_min
        self.stability = stability
        self.change_cost = stability.connections if stability is not None else {}
        self.scale = scale
        # By id (connections compare by value, slowly); each entry holds its connection, so no
        # id is reused while the builder lives.
        self._signatures: dict[int, tuple[Journey, tuple[tuple[str, int], ...]]] = {}
        # Each pair's connections ready for _connect, made on first use (see _PairTable).
        self._tables: dict[tuple[str, str], _PairTable] = {}
        self.tails: list[tuple[int, str, int]] = [(SOURCE, start.city, start.free_at)]
        self.tails += [(s.node, s.city, s.free) for s in slots]
        self.heads_by_city: dict[str, list[tuple[int, int]]] = {}
        for slot in slots:
            self.heads_by_city.setdefault(slot.city, []).append((slot.node, slot.start - self.prep))
        self.heads_by_city.setdefault(self.end_city, [])
        # Each city's heads by deadline (stable: slots in their order), as _connect reads them.
        self.targets_by_city = {
            city: sorted(heads + ([(SINK, end_min)] if city == self.end_city else []), key=lambda t: t[1])
            for city, heads in self.heads_by_city.items()
        }
        self.limit = scenario.delegation.rules.max_travel_min_per_day
        # Days with travel already done (a replan) keep what is left of the limit.
        self.day_limit = {
            day: max(0, self.limit - minutes) for day, minutes in dict(start.day_preload).items()
        }

    def binding_days(self, arcs: list[Arc]) -> set[int]:
        return binding_days(arcs, self.slots, self.limit, self.day_limit)

    def alternatives(self, first: list[Arc], binding: frozenset[int]) -> tuple[list[Arc], frozenset[int]]:
        """Arcs keeping every connection that no other beats on cost and binding-day minutes
        (``first``: those built for no binding day); those may travel more on other days, so
        the binding days are found again."""
        seen: frozenset[int] = frozenset()
        found = first
        while binding != seen:
            seen = binding
            found = self.connect_all(seen)
            binding = frozenset(self.binding_days(found)) | seen
        return found, binding

    def change_points(self, origin: str, destination: str, journey: Journey) -> int:
        """Stability points for using this connection between the two cities."""
        stability = self.stability
        if stability is None:
            return 0
        planned = self.change_cost.get((origin, destination))
        if planned is not None and planned == self._signature(journey):
            return 0
        return stability.weights.change_connection

    def _table(self, origin: str, destination: str) -> _PairTable:
        """The pair's table, each connection priced once however many tails reach it (a replan
        would otherwise price ~50k times): secondary cost plus scaled stability points."""
        table = self._tables.get((origin, destination))
        if table is None:
            found = self.journeys.get((origin, destination), [])
            costs = [
                journey_cost(j, self.weights) + self.scale * self.change_points(origin, destination, j)
                for j in found
            ]
            table = self._tables[(origin, destination)] = _PairTable.of(found, costs)
        return table

    def _signature(self, journey: Journey) -> tuple[tuple[str, int], ...]:
        known = self._signatures.get(id(journey))
        if known is None:
            known = self._signatures[id(journey)] = (journey, legs_signature(journey))
        return known[1]

    def head_stability(self, head: int) -> int:
        stability = self.stability
        if stability is None or head == SINK:
            return 0
        slot = self.slots[head - 2]
        planned = stability.seminar_start.get(slot.city)
        if planned is None:
            return stability.weights.add_city
        return 0 if planned == slot.start else stability.weights.move_seminar

    def connect_all(self, binding: frozenset[int]) -> list[Arc]:
        arcs: list[Arc] = []
        for tail, origin, free in self.tails:
            arcs.extend(self.arcs_from(tail, origin, free, binding))
        return arcs

    def arcs_from(self, tail: int, origin: str, free: int, binding: frozenset[int]) -> list[Arc]:
        arcs: list[Arc] = []
        scale = self.scale
        for city, heads in self.heads_by_city.items():
            if city == origin:
                # Already there: only the trip's start into a seminar there, or a
                # seminar at the end city straight to the sink.
                targets = [*heads, (SINK, self.end_min)] if city == self.end_city else heads
                for head, deadline in targets:
                    ready = self.start.seminar_ready_at
                    home_start = tail == SOURCE and head != SINK and deadline + self.prep >= ready
                    # A seminar's slot already ends by the end (the buffer after it is for leaving).
                    if home_start or (head == SINK and (tail != SOURCE or free <= self.end_min)):
                        points = self.head_stability(head)
                        arcs.append(Arc(tail, head, None, scale * points, points))
                continue
            found = _connect(self._table(origin, city), tail, free, self.targets_by_city[city], binding)
            if self.stability is None:  # no stability points to add (a first plan)
                arcs.extend(found)
                continue
            for arc in found:
                assert arc.journey is not None
                head_points = self.head_stability(arc.head)
                points = head_points + self.change_points(origin, city, arc.journey)
                arcs.append(Arc(arc.tail, arc.head, arc.journey, arc.cost + scale * head_points, points))
        return arcs


@dataclass(frozen=True)
class _PairTable:
    """The connections between two cities as ``_connect`` reads them for every tail: by leave
    time (for the bisection at a tail's free time), each one's cost, and their positions in
    arrival order (a stable sort, so equal arrivals keep the leave order)."""

    journeys: list[Journey]
    leaves: list[int]
    costs: list[int]
    by_arrival: list[tuple[int, int]]  # (arrive, position in journeys)

    @classmethod
    def of(cls, journeys: list[Journey], costs: list[int]) -> _PairTable:
        by_arrival = sorted(((j.arrive, i) for i, j in enumerate(journeys)), key=lambda entry: entry[0])
        return cls(journeys, [j.leave for j in journeys], costs, by_arrival)

    def usable(self, free: int) -> list[tuple[int, int]]:
        """(arrive, position) of the connections leaving at or after ``free``, by arrival."""
        first = bisect_left(self.leaves, free)
        if first == 0:
            return self.by_arrival
        return [entry for entry in self.by_arrival if entry[1] >= first]


def _connect(
    table: _PairTable,
    tail: int,
    free: int,
    targets: list[tuple[int, int]],
    binding: frozenset[int] = frozenset(),
) -> list[Arc]:
    """For each target (sorted by deadline), the cheapest connection leaving after ``free``
    that is on time (the first of equal cost in arrival order).

    With ``binding`` days, every on-time connection that no other beats on cost and on
    its minutes on each of those days: one arc each.
    """
    if binding:
        return _connect_binding(table, tail, free, targets, binding)
    arcs: list[Arc] = []
    usable = table.usable(free)
    if not usable:
        return arcs
    costs = table.costs
    best = -1
    best_cost = 0
    position = 0
    count = len(usable)
    for head, deadline in targets:
        while position < count and usable[position][0] <= deadline:
            index = usable[position][1]
            cost = costs[index]
            if best < 0 or cost < best_cost:
                best, best_cost = index, cost
            position += 1
        if best >= 0:
            arcs.append(Arc(tail, head, table.journeys[best], best_cost))
    return arcs


def _connect_binding(
    table: _PairTable,
    tail: int,
    free: int,
    targets: list[tuple[int, int]],
    binding: frozenset[int],
) -> list[Arc]:
    """``_connect`` where the daily limit can bind: a Pareto set of connections per target."""
    arcs: list[Arc] = []
    usable = table.usable(free)
    front: list[tuple[int, dict[int, int], Journey]] = []  # (cost, binding-day minutes, connection)

    def beats(a: tuple[int, dict[int, int], Journey], b: tuple[int, dict[int, int], Journey]) -> bool:
        return a[0] <= b[0] and all(m <= b[1].get(day, 0) for day, m in a[1].items())

    position = 0
    for head, deadline in targets:
        while position < len(usable) and usable[position][0] <= deadline:
            index = usable[position][1]
            journey = table.journeys[index]
            entry = (table.costs[index], {d: m for d, m in journey.day_minutes if d in binding}, journey)
            if not any(beats(kept, entry) for kept in front):
                front = [kept for kept in front if not beats(entry, kept)]
                front.append(entry)
            position += 1
        for cost, _, journey in sorted(front, key=lambda e: (e[0], e[2].leave, e[2].arrive)):
            arcs.append(Arc(tail, head, journey, cost))
    return arcs


def binding_days(arcs: list[Arc], slots: list[Slot], limit: int, day_limit: dict[int, int]) -> set[int]:
    """Home days on which some itinerary could travel more than ``limit`` minutes.

    For each day, the longest chain of arcs that travel on it (a DAG, as time only
    moves forward) bounds what any itinerary can travel that day; where the bound
    is within the limit, the limit can never bind and needs no constraint.
    """
    slot_start = {s.node: s.start for s in slots}
    order = {SOURCE: -1, SINK: 1 << 40} | slot_start
    # Per day: (tail's time, head's time, tail, head, minutes that day) of each arc travelling then.
    by_day: dict[int, list[tuple[int, int, int, int, int]]] = {}
    for arc in arcs:
        for day, minutes in arc.day_minutes:
            by_day.setdefault(day, []).append((order[arc.tail], order[arc.head], arc.tail, arc.head, minutes))
    binding = set()
    for day, day_arcs in by_day.items():
        # Longest path over the arcs touching this day, starting anywhere (an upper
        # bound: it ignores whether the start of the chain is reachable).
        longest: dict[int, int] = {}
        for _, _, tail, head, minutes in sorted(day_arcs, key=lambda a: (a[0], a[1])):
            value = longest.get(tail, 0) + minutes
            if value > longest.get(head, 0):
                longest[head] = value
        if max(longest.values(), default=0) > day_limit.get(day, limit):
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
    # Parallel arcs (several connections between the same two nodes, kept where the
    # daily limit can bind) are all kept in the lists.
    out: dict[int, dict[int, list[Arc]]] = {}
    for arc in arcs:
        out.setdefault(arc.tail, {}).setdefault(arc.head, []).append(arc)

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
    # Without binding days "no worse" is "no dearer", so a head is matched by the cheapest arc.
    cheapest = (
        {}
        if binding
        else {
            tail: {head: min(arc.cost for arc in parallel) for head, parallel in heads.items()}
            for tail, heads in out.items()
        }
    )

    def dominates(early: int, late: int) -> bool:
        key = (early, late)
        if key not in dominance:
            if binding:
                early_out = out.get(early, {})
                dominance[key] = all(
                    any(no_worse(twin, arc) for twin in early_out.get(head, ()))
                    for head, parallel in out.get(late, {}).items()
                    for arc in parallel
                )
            else:
                early_cost = cheapest.get(early, {})
                dominance[key] = all(
                    head in early_cost and early_cost[head] <= cost
                    for head, cost in cheapest.get(late, {}).items()
                )
        return dominance[key]

    kept: list[Arc] = []
    for _tail, heads in out.items():
        by_city: dict[str, list[Arc]] = {}
        for head, parallel in heads.items():
            if head == SINK:
                kept.extend(parallel)
            else:
                by_city.setdefault(slot_of[head].city, []).extend(parallel)
        for city_arcs in by_city.values():
            city_arcs.sort(key=lambda a: slot_of[a.head].start)
            chosen: list[Arc] = []
            for arc in city_arcs:
                if not any(no_worse(e, arc) and dominates(e.head, arc.head) for e in chosen):
                    chosen.append(arc)
            kept.extend(chosen)
    kept.sort(key=lambda a: (a.tail, a.head))
    return kept
