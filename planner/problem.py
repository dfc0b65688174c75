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
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from planner.arcs import (
    SINK,
    SOURCE,
    Arc,
    ArcBuilder,
    Slot,
    journey_cost,
    prune_dominated,
)
from planner.arcs import (
    legs_signature as legs_signature,  # for callers that import it from here
)
from planner.calendar import TimeAxis, seminar_dates
from planner.collector import collection_paused
from planner.connections import (
    Found,
    Journey,
    SearchCache,
    SearchContext,
    SlotMemo,
    build_context,
    connections_found,
    departure_leave_times,
    drive_leave_times,
    drive_minutes,
    drive_start,
    latest_drive_leave_times,
    merge_found,
    pareto_found,
    pareto_part,
)
from planner.connections.parallel import can_spread, map_spread
from planner.connections.store import ConnectionStore, StoredArcs
from planner.domain import Mode, Scenario, Seminar, StabilityWeights
from planner.network import Overlay, TransportNetwork
from planner.processes import search_processes


class OutOfTime(Exception):
    """The time limit ended before the problem was built."""


@dataclass(frozen=True)
class Problem:
    """The integer problem: slots, arcs and what covering each city is worth.

    Frozen: a variant (relaxed, exact, a city made required) is a new problem made with
    ``dataclasses.replace``. Only ``exact()`` fills in its memo once.
    """

    scenario: Scenario
    axis: TimeAxis
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
    # The memo of exact(); not an init field, so a copy (dataclasses.replace, e.g. with other
    # required cities) builds its own instead of reusing one made for different rules.
    _exact: Problem | None = field(default=None, init=False, repr=False, compare=False)
    arcs_build_s: float = 0.0  # seconds the arcs took to build (the exact model's take about twice)
    # The name its connections and arcs are kept under in a ConnectionStore (None: not kept there),
    # under which what is computed from them alone (the first plan) may be kept too.
    store_key: str | None = None

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
            exact = dataclasses.replace(
                self, arcs=arcs, all_arcs=all_arcs, binding_days=binding, alternatives=None
            )
            # A memo, not a change of the problem: the same for every caller.
            object.__setattr__(self, "_exact", exact)
        assert self._exact is not None
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
    cache: SearchCache | None = None,
    store: ConnectionStore | None = None,
    memo: SlotMemo | None = None,
) -> Problem:
    """Slots, connection profiles and arcs of a scenario, under an overlay, from a start state.

    ``context`` is the network already compiled for that overlay, when the caller has it;
    otherwise it is compiled here, its searches remembering into ``cache`` (a fresh one by
    default). ``deadline`` (a ``time.perf_counter()`` value) ends the connection search with
    ``OutOfTime`` between two origins. ``travel=False`` builds the problem without any
    connection: only what can be done without leaving the start city. ``store`` keeps the
    connections found on disk, keyed by everything they depend on: the same problem built again,
    in this process or another, reads them instead of searching. ``memo`` (of ``network``) lends
    and keeps the searches of leave slots across sets of events (planner.connections.memo): a
    service that plans with it replans after the first event reusing every slot the event does
    not touch.
    """
    network = network or (context.network if context else TransportNetwork.build(scenario))
    axis = network.axis
    context = context or build_context(network, overlay, cache, memo)
    delegation = scenario.delegation
    start_zone = scenario.city(delegation.start_city).zone
    end_zone = scenario.city(delegation.end_city).zone
    if start is None:
        begin = axis.minutes(delegation.earliest_departure, start_zone)
        start = StartState(delegation.start_city, begin, begin)
    end_min = axis.minutes(delegation.latest_return, end_zone)
    slots = candidate_slots(scenario, axis, context.overlay, start, end_min)
    # Kept on disk only without a stability term: a replan's arcs depend on the previous plan.
    key = store.key(*search_key(context, slots, start, end_min)) if store and travel else None
    with collection_paused():  # see planner.collector: a third of a replan's time otherwise
        (journeys, all_arcs, arcs, arcs_build_s, binding), scale, arcs_of = _connections_and_arcs(
            scenario, context, slots, start, end_min, stability, deadline, travel, store, key
        )
    to_do = [s for s in scenario.seminars if s.city not in start.done_cities]
    return Problem(
        scenario=scenario,
        axis=axis,
        slots=slots,
        arcs=arcs,
        city_points={s.city: s.weight for s in to_do},
        city_regions={
            s.city: tuple(r for r in scenario.regions_served(s) if r not in start.covered_regions)
            for s in to_do
        },
        region_points={r.id: r.weight for r in scenario.regions},
        required=frozenset(s.city for s in to_do if s.required),
        start_min=start.free_at,
        end_min=end_min,
        journeys=journeys,
        binding_days=binding,
        all_arcs=all_arcs,
        start=start,
        stability_scale=scale,
        drop_penalty=(
            {c: stability.weights.drop_city for c in stability.seminar_start if c not in start.done_cities}
            if stability
            else {}
        ),
        day_limit=arcs_of.day_limit,
        alternatives=functools.partial(arcs_of.alternatives, all_arcs),
        arcs_build_s=arcs_build_s,
        store_key=key if stability is None else None,
    )


def _connections_and_arcs(
    scenario: Scenario,
    context: SearchContext,
    slots: list[Slot],
    start: StartState,
    end_min: int,
    stability: Stability | None,
    deadline: float | None,
    travel: bool,
    store: ConnectionStore | None,
    key: str | None,
) -> tuple[StoredArcs, int, ArcBuilder]:
    """The connections, every arc, the pruned arcs, the seconds the arcs took and the binding
    days (from ``store`` at ``key`` when it holds them), with the stability scale and the arc
    builder."""
    stored = store.load_arcs(key, scenario) if store and key and stability is None else None
    if stored is not None:
        return stored, 1, ArcBuilder(scenario, slots, stored[0], start, end_min, None, 1)
    journeys = stored_connections(store, key, context, slots, start, end_min, deadline) if travel else {}
    scale = 1
    if stability is not None:
        offer_previous_connections(context, journeys, stability)
        scale = stability_scale(scenario, journeys)
    arcs_of = ArcBuilder(scenario, slots, journeys, start, end_min, stability, scale)
    arcs_started = time.perf_counter()
    all_arcs = arcs_of.connect_all(frozenset())
    arcs_build_s = time.perf_counter() - arcs_started
    # Pruned as if the daily limit never binds; solve() checks the plan against the limit
    # and falls back to the exact pruning only when it matters.
    arcs = prune_dominated(all_arcs, slots, set()) if scenario.solver.prune_dominated else all_arcs
    built = (journeys, all_arcs, arcs, arcs_build_s, frozenset(arcs_of.binding_days(all_arcs)))
    if store and key and stability is None:
        store.save_arcs(key, scenario, built)
    return built, scale, arcs_of


def stability_scale(scenario: Scenario, journeys: dict[tuple[str, str], list[Journey]]) -> int:
    """Points of travel cost one stability point is worth: more than any itinerary's."""
    worst = max((journey_cost(j, scenario.objective) for js in journeys.values() for j in js), default=0)
    return worst * (len(scenario.seminars) + 1) + 1


def candidate_slots(
    scenario: Scenario, axis: TimeAxis, overlay: Overlay, start: StartState, end_min: int
) -> list[Slot]:
    """Every allowed seminar of a city still to visit, between the start and the latest return,
    in time order (then by city), numbered from node 2."""
    slots: list[Slot] = []
    after = scenario.delegation.rules.after_seminar_min
    for seminar in scenario.seminars:
        if seminar.city in start.done_cities:
            continue
        zone = scenario.city(seminar.city).zone
        for day in seminar_dates(scenario.calendar, seminar):
            for begin in seminar_starts(axis, seminar, day, zone):
                end = begin + seminar.duration_min
                if begin < start.free_at or end > end_min:
                    continue
                if overlay.city_unavailable(seminar.city, begin, end) or overlay.rest_overlaps(begin, end):
                    continue
                slots.append(Slot(len(slots) + 2, seminar.city, begin, end, day, end + after))
    slots.sort(key=lambda s: (s.start, s.city))
    return [dataclasses.replace(s, node=i + 2) for i, s in enumerate(slots)]


def stored_connections(
    store: ConnectionStore | None,
    key: str | None,
    context: SearchContext,
    slots: list[Slot],
    start: StartState,
    end_min: int,
    deadline: float | None,
) -> dict[tuple[str, str], list[Journey]]:
    """``search_connections``, read from ``store`` at ``key`` when it holds the answer (and kept
    there when not)."""
    if store is None or key is None:
        return search_connections(context, slots, start, end_min, deadline)
    found = store.load(key)
    if found is None:
        found = search_connections(context, slots, start, end_min, deadline)
        store.save(key, found)
    return found


def search_key(context: SearchContext, slots: list[Slot], start: StartState, end_min: int) -> list[str]:
    """Canonical texts of everything the connection search reads: the scenario the network was
    built from, its time axis, the overlay of closures and events, the delegation's travel
    figures, the start, the end and the slots (sets sorted, so no text depends on hashing)."""
    overlay = context.overlay
    return [
        context.network.scenario.model_dump_json(),
        repr(context.network.axis),
        repr(
            (
                sorted(overlay.terminals.items()),
                sorted(overlay.roads.items()),
                sorted(overlay.cancelled),
                sorted(overlay.delays.items()),
                sorted(overlay.slowdowns.items()),
                sorted(overlay.unavailable.items()),
            )
        ),
        context.rules.model_dump_json(),
        repr((context.size, context.vehicles, context.horizon_end, context.home_city)),
        repr(dataclasses.replace(start, done_cities=frozenset(), covered_regions=frozenset())),
        repr((sorted(start.done_cities), sorted(start.covered_regions), end_min)),
        repr(slots),
    ]


def search_connections(
    context: SearchContext, slots: list[Slot], start: StartState, end_min: int, deadline: float | None
) -> dict[tuple[str, str], list[Journey]]:
    """The useful connections between every pair of cities, from each city's free times."""
    # When could the delegation leave each city? After a seminar there, or at the start.
    free_times: dict[str, list[int]] = {}
    for slot in slots:
        free_times.setdefault(slot.city, []).append(slot.free)
    free_times.setdefault(start.city, []).append(start.free_at)
    leave_slots = {
        origin: (
            set(times)
            | set(departure_leave_times(context, origin, min(times), end_min))
            | set(drive_leave_times(context, origin, min(times), end_min)),
            latest_drive_leave_times(context, origin, min(times), end_min),
        )
        for origin, times in free_times.items()
    }

    def search_part(part: tuple[str, int, int]) -> Found:
        """The searches of run ``index`` of ``count`` of an origin's slots (see journeys.py)."""
        if deadline is not None and time.perf_counter() > deadline:
            raise OutOfTime("the time limit ended while connections were searched")
        origin, index, count = part
        leave_times, first_drives = leave_slots[origin]
        return connections_found(context, origin, leave_times, first_drives, (index, count))

    origins = list(leave_slots)
    sizes = {origin: len(times) + len(drives) for origin, (times, drives) in leave_slots.items()}
    processes = search_processes()
    # Spread over processes only a search that remembers nothing: a kept search or a slot memo
    # must fill this process's caches.
    if (
        context.memo is None
        and not context.cache.keep_searches
        and can_spread(processes, len(origins), sum(sizes.values()))
    ):
        found = _spread_search(search_part, sizes, processes)
    else:
        found = {origin: pareto_found(search_part((origin, 0, 1))) for origin in origins}
    return {
        (origin, destination): connections
        for origin in origins
        for destination, connections in found[origin].items()
    }


def _spread_search(
    search_part: Callable[[tuple[str, int, int]], Found], sizes: dict[str, int], processes: int
) -> dict[str, dict[str, list[Journey]]]:
    """``journeys_from`` of every origin, by forked workers, each origin's slots cut into runs of
    about an eighth of a worker's share: one origin's slots can cost minutes on a large instance,
    and whole origins would leave the other workers idle meanwhile."""
    share = math.ceil(sum(sizes.values()) / (processes * 8))
    counts = {origin: math.ceil(size / share) for origin, size in sizes.items()}
    parts = [(origin, index, count) for origin, count in counts.items() for index in range(count)]
    largest_first = sorted(parts, key=lambda part: -sizes[part[0]] / part[2])
    # Each worker sends back only the connections not beaten within its part (pickling them is
    # the cost of spreading).
    answers = map_spread(lambda part: pareto_part(search_part(part)), largest_first, processes)
    by_part = dict(zip(largest_first, answers, strict=True))
    # Each origin's parts merged in slot order: the same connections, in the same order, as one search.
    return {
        origin: pareto_found(merge_found(by_part[(origin, index, count)] for index in range(count)))
        for origin, count in counts.items()
    }


def offer_previous_connections(
    context: SearchContext, journeys: dict[tuple[str, str], list[Journey]], stability: Stability
) -> None:
    """Offer the previous connections again where they still run, so that keeping them is
    always possible; any other connection between those cities counts as a change."""
    for journey in stability.journeys:
        if journey_still_usable(context, journey):
            pair = journeys.setdefault((journey.origin, journey.destination), [])
            if all(j.legs != journey.legs for j in pair):
                pair.append(journey)
                pair.sort(key=lambda j: (j.leave, j.arrive))


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
