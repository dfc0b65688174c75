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
import functools
import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from planner.calendar import TimeAxis, seminar_dates
from planner.connections import (
    Journey,
    SearchContext,
    build_context,
    departure_leave_times,
    drive_leave_times,
    drive_minutes,
    drive_start,
    journeys_from,
    latest_drive_leave_times,
)
from planner.domain import Mode, Objective, Scenario, Seminar, StabilityWeights
from planner.network import Overlay, TransportNetwork

SOURCE = 0
SINK = 1


class OutOfTime(Exception):
    """The time limit ended before the problem was built."""


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
    start: StartState | None = None
    stability_scale: int = 1
    drop_penalty: dict[str, int] = field(default_factory=dict)  # stability points if not visited
    day_limit: dict[int, int] = field(default_factory=dict)  # days with travel already done
    # Builds the arcs with every useful connection per pair for the given binding days.
    alternatives: Callable[[frozenset[int]], tuple[list[Arc], frozenset[int]]] | None = field(
        default=None, repr=False
    )
    _exact: Problem | None = field(default=None, repr=False, compare=False)
    arcs_build_s: float = 0.0  # seconds the arcs took to build (the exact model's take about twice)

    def relaxed(self) -> Problem:
        """The same problem without the daily travel limit (pruned accordingly)."""
        return dataclasses.replace(self, binding_days=frozenset())

    def limit_on(self, day: int) -> int:
        return self.day_limit.get(day, self.scenario.delegation.rules.max_travel_min_per_day)

    def exact(self) -> Problem:
        """The problem with the daily limit, pruned only where that stays exact.

        Where the limit can bind, the cheapest connection between two seminars may break
        it while a dearer one keeps it (rule 22), so the arcs are built again keeping,
        per pair of nodes, every connection no other beats on cost and on the minutes of
        each binding day. Built on first use: most plans keep the limit without it.
        """
        if self._exact is None:
            all_arcs, binding = self.all_arcs, self.binding_days
            if self.alternatives is not None and binding:
                all_arcs, binding = self.alternatives(binding)
            pruned = self.scenario.solver.prune_dominated
            arcs = prune_dominated(all_arcs, self.slots, set(binding)) if pruned else all_arcs
            self._exact = dataclasses.replace(
                self, arcs=arcs, all_arcs=all_arcs, binding_days=binding, alternatives=None
            )
        return self._exact

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
            return self.start.city if self.start else self.scenario.delegation.start_city
        if node == SINK:
            return self.scenario.delegation.end_city
        return self.slot(node).city

    def covered_regions(self, cities: set[str] | frozenset[str]) -> set[str]:
        """The regions (not yet covered) that seminars in these cities cover."""
        return {r for city in cities for r in self.city_regions.get(city, ())}

    def coverage_points(self, cities: set[str] | frozenset[str]) -> int:
        """Seminar weights of the cities plus the weights of the regions they serve (each once)."""
        return sum(self.city_points.get(c, 0) for c in cities) + sum(
            self.region_points[r] for r in self.covered_regions(cities)
        )

    @property
    def max_coverage_points(self) -> int:
        return sum(self.city_points.values()) + sum(
            self.region_points[r] for r in {r for rs in self.city_regions.values() for r in rs}
        )


@dataclass(frozen=True)
class StartState:
    """Where a (re)plan starts: a city, free from a moment, with some cities already done."""

    city: str
    free_at: int  # epoch minute the delegation can leave or work in the city
    seminar_ready_at: int  # earliest seminar start there (arrivals need preparation)
    done_cities: frozenset[str] = frozenset()  # seminars already held: not offered again
    covered_regions: frozenset[str] = frozenset()  # by those seminars
    day_preload: tuple[tuple[int, int], ...] = ()  # travel already done per home day


@dataclass(frozen=True)
class Stability:
    """The previous version of a plan, for the replanning objective's stability term.

    Every change costs ``StabilityWeights`` points, ranked after coverage and before
    travel: a seminar moved to another time, a city dropped or added, a connection
    between two cities changed.
    """

    seminar_start: dict[str, int]  # city -> planned start, for seminars still to come
    connections: dict[tuple[str, str], tuple[tuple[str, int], ...]]  # (from, to) -> legs
    journeys: tuple[Journey, ...]  # those connections, offered again if still usable
    weights: StabilityWeights


def build_problem(
    scenario: Scenario,
    network: TransportNetwork | None = None,
    overlay: Overlay | None = None,
    start: StartState | None = None,
    stability: Stability | None = None,
    context: SearchContext | None = None,
    deadline: float | None = None,
    travel: bool = True,
) -> Problem:
    """Slots, connection profiles and arcs of a scenario, under an overlay, from a start state.

    ``context`` is the network already compiled for that overlay, when the caller has it.
    ``deadline`` (a ``time.perf_counter()`` value) ends the connection search with
    ``OutOfTime`` between two origins. ``travel=False`` builds the problem without any
    connection: only what can be done without leaving the start city.
    """
    network = network or (context.network if context else TransportNetwork.build(scenario))
    axis = network.axis
    context = context or build_context(network, overlay)
    overlay = context.overlay
    delegation = scenario.delegation
    start_zone = scenario.city(delegation.start_city).zone
    end_zone = scenario.city(delegation.end_city).zone
    if start is None:
        begin = axis.minutes(delegation.earliest_departure, start_zone)
        start = StartState(delegation.start_city, begin, begin)
    start_min = start.free_at
    end_min = axis.minutes(delegation.latest_return, end_zone)
    prep = delegation.rules.min_prep_min

    slots: list[Slot] = []
    for seminar in scenario.seminars:
        if seminar.city in start.done_cities:
            continue
        zone = scenario.city(seminar.city).zone
        for day in seminar_dates(scenario.calendar, seminar):
            for begin in seminar_starts(axis, seminar, day, zone):
                end = begin + seminar.duration_min
                if begin < start_min or end > end_min:
                    continue
                if overlay.city_unavailable(seminar.city, begin, end):
                    continue
                slots.append(Slot(len(slots) + 2, seminar.city, begin, end, day))
    slots.sort(key=lambda s: (s.start, s.city))
    slots = [Slot(i + 2, s.city, s.start, s.end, s.local_date) for i, s in enumerate(slots)]

    # When could the delegation leave each city? After a seminar there, or at the start.
    free_times: dict[str, list[int]] = {}
    for slot in slots:
        free_times.setdefault(slot.city, []).append(slot.end)
    free_times.setdefault(start.city, []).append(start_min)
    journeys: dict[tuple[str, str], list[Journey]] = {}
    for origin, times in free_times.items() if travel else ():
        if deadline is not None and time.perf_counter() > deadline:
            raise OutOfTime("the time limit ended while connections were searched")
        leave_times = (
            set(times)
            | set(departure_leave_times(context, origin, min(times), end_min))
            | set(drive_leave_times(context, origin, min(times), end_min))
        )
        first_drives = latest_drive_leave_times(context, origin, min(times), end_min)
        for destination, found in journeys_from(context, origin, leave_times, first_drives).items():
            journeys[(origin, destination)] = found

    weights = scenario.objective
    change_cost: dict[tuple[str, str], tuple[tuple[str, int], ...]] = {}
    scale = 1
    if stability is not None:
        # Offer the previous connections again where they still run, so that keeping
        # them is always possible; any other connection between those cities counts
        # as a change.
        for journey in stability.journeys:
            if journey_still_usable(context, journey):
                pair = journeys.setdefault((journey.origin, journey.destination), [])
                if all(j.legs != journey.legs for j in pair):
                    pair.append(journey)
                    pair.sort(key=lambda j: (j.leave, j.arrive))
        change_cost = stability.connections
        # One stability point outweighs the travel cost of any itinerary.
        worst = max((journey_cost(j, weights) for js in journeys.values() for j in js), default=0)
        scale = worst * (len(scenario.seminars) + 1) + 1

    def change_points(origin: str, destination: str, journey: Journey) -> int:
        """Stability points for using this connection between the two cities."""
        if stability is None or change_cost.get((origin, destination)) == legs_signature(journey):
            return 0
        return stability.weights.change_connection

    def total_cost(origin: str, destination: str, journey: Journey) -> int:
        return journey_cost(journey, weights) + scale * change_points(origin, destination, journey)

    def head_stability(head: int) -> int:
        if stability is None or head == SINK:
            return 0
        slot = slots[head - 2]
        planned = stability.seminar_start.get(slot.city)
        if planned is None:
            return stability.weights.add_city
        return 0 if planned == slot.start else stability.weights.move_seminar

    # Leave times of each connection list, sorted once, for the bisection in _connect.
    leaves = {pair: [j.leave for j in found] for pair, found in journeys.items()}

    tails: list[tuple[int, str, int]] = [(SOURCE, start.city, start_min)]
    tails += [(s.node, s.city, s.end) for s in slots]
    heads_by_city: dict[str, list[tuple[int, int]]] = {}
    for slot in slots:
        heads_by_city.setdefault(slot.city, []).append((slot.node, slot.start - prep))
    heads_by_city.setdefault(delegation.end_city, [])

    def connect_all(binding: frozenset[int]) -> list[Arc]:
        arcs: list[Arc] = []
        for tail, origin, free in tails:
            arcs.extend(arcs_from(tail, origin, free, binding))
        return arcs

    def arcs_from(tail: int, origin: str, free: int, binding: frozenset[int]) -> list[Arc]:
        arcs: list[Arc] = []
        for city, heads in heads_by_city.items():
            targets = list(heads)
            if city == delegation.end_city:
                targets.append((SINK, end_min))
            if city == origin:
                # Already there: only the trip's start into a seminar there, or a
                # seminar at the end city straight to the sink.
                for head, deadline in targets:
                    ready = start.seminar_ready_at
                    home_start = tail == SOURCE and head != SINK and deadline + prep >= ready
                    if home_start or (head == SINK and free <= end_min):
                        points = head_stability(head)
                        arcs.append(Arc(tail, head, None, scale * points, points))
                continue
            for arc in _connect(
                journeys.get((origin, city), []),
                leaves.get((origin, city), []),
                tail,
                free,
                targets,
                functools.partial(total_cost, origin, city),
                binding,
            ):
                assert arc.journey is not None
                head_points = head_stability(arc.head)
                points = head_points + change_points(origin, city, arc.journey)
                arcs.append(Arc(arc.tail, arc.head, arc.journey, arc.cost + scale * head_points, points))
        return arcs

    limit = delegation.rules.max_travel_min_per_day
    preload = dict(start.day_preload)
    day_limit = {day: max(0, limit - minutes) for day, minutes in preload.items()}
    arcs_started = time.perf_counter()
    arcs = connect_all(frozenset())
    arcs_build_s = time.perf_counter() - arcs_started
    binding = binding_days(arcs, slots, limit, day_limit)

    def alternatives(binding: frozenset[int]) -> tuple[list[Arc], frozenset[int]]:
        """Arcs keeping every connection that no other beats on cost and binding-day
        minutes; those may travel more on other days, so the binding days are found again."""
        seen: frozenset[int] = frozenset()
        found = arcs
        while binding != seen:
            seen = binding
            found = connect_all(seen)
            binding = frozenset(binding_days(found, slots, limit, day_limit)) | seen
        return found, binding

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
        city_points={s.city: s.weight for s in scenario.seminars if s.city not in start.done_cities},
        city_regions={
            s.city: tuple(r for r in scenario.regions_served(s) if r not in start.covered_regions)
            for s in scenario.seminars
            if s.city not in start.done_cities
        },
        region_points={r.id: r.weight for r in scenario.regions},
        required=frozenset(
            s.city for s in scenario.seminars if s.required and s.city not in start.done_cities
        ),
        start_min=start_min,
        end_min=end_min,
        journeys=journeys,
        binding_days=frozenset(binding),
        all_arcs=all_arcs,
        start=start,
        stability_scale=scale,
        drop_penalty=(
            {c: stability.weights.drop_city for c in stability.seminar_start if c not in start.done_cities}
            if stability
            else {}
        ),
        day_limit=day_limit,
        alternatives=alternatives,
        arcs_build_s=arcs_build_s,
    )


def seminar_starts(axis: TimeAxis, seminar: Seminar, day: dt.date, zone: ZoneInfo) -> list[int]:
    """Allowed starts of a seminar on a local date, as instants (rule 6 of scenarios/README.md).

    Listed start times are wall-clock times of that date. In a window, starts come every
    ``step_min`` real minutes from the instant the window opens, while the seminar ends by
    the instant it closes (on the next date for a window wrapping past midnight): on a
    clock-change night the window is an hour shorter or longer.
    """
    if seminar.window is None:
        return [axis.local_minutes(day, minute, zone) for minute in seminar.local_start_minutes()]
    w_start, w_end = seminar.window.minutes()
    opens = axis.local_minutes(day, w_start, zone)
    closes = axis.local_minutes(day, w_end + (24 * 60 if w_end <= w_start else 0), zone)
    return list(range(opens, closes - seminar.duration_min + 1, seminar.step_min))


def legs_signature(journey: Journey) -> tuple[tuple[str, int], ...]:
    """What identifies a connection for stability: its services and departure times."""
    return tuple((leg.service, leg.depart) for leg in journey.legs)


def journey_still_usable(context: SearchContext, journey: Journey) -> bool:
    """True when every leg of a connection still runs as planned under the overlay."""
    for leg in journey.legs:
        if leg.mode == Mode.DRIVE:
            edge = context.drive_edges.get((leg.service, leg.from_city, leg.to_city))
            if edge is None or drive_start(context, edge, leg.depart) != leg.depart:
                return False
            if drive_minutes(context, edge, leg.depart) != leg.minutes:
                return False
            continue
        rides = context.rides.get(leg.from_place, [])
        rides = [r for r in rides if r.service == leg.service and r.alight == leg.to_place]
        if not any(run.depart == leg.depart and run.arrive == leg.arrive for r in rides for run in r.runs):
            return False
    return True


def _connect(
    candidates: list[Journey],
    leaves: list[int],
    tail: int,
    free: int,
    targets: list[tuple[int, int]],
    cost_of: Callable[[Journey], int],
    binding: frozenset[int] = frozenset(),
) -> list[Arc]:
    """For each target, the cheapest connection leaving after ``free`` that is on time.

    With ``binding`` days, every on-time connection that no other beats on cost and on
    its minutes on each of those days: one arc each.
    """
    if binding:
        return _connect_binding(candidates, leaves, tail, free, targets, cost_of, binding)
    arcs: list[Arc] = []
    if not candidates:
        return arcs
    first = bisect_left(leaves, free)
    usable = sorted(candidates[first:], key=lambda j: j.arrive)
    if not usable:
        return arcs
    best: Journey | None = None
    best_cost = 0
    position = 0
    for head, deadline in sorted(targets, key=lambda t: t[1]):
        while position < len(usable) and usable[position].arrive <= deadline:
            cost = cost_of(usable[position])
            if best is None or cost < best_cost:
                best, best_cost = usable[position], cost
            position += 1
        if best is not None:
            arcs.append(Arc(tail, head, best, best_cost))
    return arcs


def _connect_binding(
    candidates: list[Journey],
    leaves: list[int],
    tail: int,
    free: int,
    targets: list[tuple[int, int]],
    cost_of: Callable[[Journey], int],
    binding: frozenset[int],
) -> list[Arc]:
    """``_connect`` where the daily limit can bind: a Pareto set of connections per target."""
    arcs: list[Arc] = []
    usable = sorted(candidates[bisect_left(leaves, free) :], key=lambda j: j.arrive)
    front: list[tuple[int, dict[int, int], Journey]] = []  # (cost, binding-day minutes, connection)

    def beats(a: tuple[int, dict[int, int], Journey], b: tuple[int, dict[int, int], Journey]) -> bool:
        return a[0] <= b[0] and all(m <= b[1].get(day, 0) for day, m in a[1].items())

    position = 0
    for head, deadline in sorted(targets, key=lambda t: t[1]):
        while position < len(usable) and usable[position].arrive <= deadline:
            journey = usable[position]
            entry = (cost_of(journey), {d: m for d, m in journey.day_minutes if d in binding}, journey)
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

    def dominates(early: int, late: int) -> bool:
        key = (early, late)
        if key not in dominance:
            early_out = out.get(early, {})
            dominance[key] = all(
                any(no_worse(twin, arc) for twin in early_out.get(head, ()))
                for head, parallel in out.get(late, {}).items()
                for arc in parallel
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
