"""Time-dependent multimodal search over the transport graph.

``earliest_arrival`` is a label-setting (Dijkstra) search on time: from a city
centre, leaving at or after ``t``, it finds the earliest arrival at every other
city centre. Waiting is allowed and every edge is FIFO (a later start never
arrives earlier), so earliest-arrival search is exact. Ties on arrival time are
broken by money cost.

``profile`` turns that into the set of useful connections between two cities over
the whole horizon: one search per moment the delegation can leave (the end of a
seminar, the trip's start, or just in time for a timetabled departure), keeping
the connections not dominated on (leave later, arrive earlier, fewer night
minutes, less money). A leg that starts with a drive is then postponed as late as
still catches the rest, so waiting happens at the hotel, not at a terminal.

Rules applied on every leg: the service runs on that date, the boarding terminal
is not closed at departure and the alighting one not at arrival, no departure or
arrival in the quiet hours (local), drives fit their daily window and do not meet
a road closure, access and check-in at terminals, minimum transfer times.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from planner.domain import Disruption, Mode, Terminal, TravelRules
from planner.network import Overlay, Run, TransportNetwork

# A connection taking longer than this is never useful within a working horizon.
MAX_CONNECTION_MIN = 48 * 60
_MARGIN_DAYS = 4


@dataclass(frozen=True)
class Leg:
    """One ride on one service, or one drive. Times are epoch minutes."""

    mode: Mode
    service: str  # service id, or road id for drives
    from_place: str  # terminal id, or city id for drives
    to_place: str
    from_city: str
    to_city: str
    depart: int
    arrive: int
    distance_km: float
    cost: float  # for the whole delegation
    run_date: dt.date | None = None  # first-departure date of the service run

    @property
    def minutes(self) -> int:
        return self.arrive - self.depart


@dataclass(frozen=True)
class Journey:
    """A connection: legs from one city centre to another, with its measures."""

    origin: str
    destination: str
    leave: int  # leaves the origin centre
    arrive: int  # reaches the destination centre
    legs: tuple[Leg, ...]
    night_min: int
    cost: float
    day_minutes: tuple[tuple[int, int], ...] = field(default=())  # (home day, minutes)

    @property
    def travel_min(self) -> int:
        return self.arrive - self.leave

    @property
    def distance_km(self) -> float:
        return sum(leg.distance_km for leg in self.legs)


@dataclass(frozen=True)
class RideEdge:
    """One (board, alight) pair of a service, with its usable runs under an overlay."""

    service: str
    mode: Mode
    board: str
    alight: str
    from_city: str
    to_city: str
    distance_km: float
    cost: float  # for the whole delegation
    runs: tuple[Run, ...]
    departs: tuple[int, ...]


@dataclass(frozen=True)
class DriveEdge:
    """One direction of a road."""

    road: str
    origin: str
    destination: str
    minutes: int
    distance_km: float
    cost: float  # for all vehicles
    window: tuple[int, int]  # local minutes of day at the origin


Key = tuple[str, str]  # ("city", id) or ("ready", terminal id): ready to board there
LegSpec = tuple[RideEdge, int] | tuple[DriveEdge, int]  # (edge, run index | drive start)


@dataclass
class SearchContext:
    """The network compiled for fast search under one overlay of closures and rules.

    The networkx graph stays the description of the network; this flattens it
    into adjacency lists and drops, once, the runs that the quiet hours or a
    terminal closure make unusable, so the search loop only bisects.
    """

    network: TransportNetwork
    overlay: Overlay
    rules: TravelRules
    size: int
    vehicles: int
    horizon_end: int
    home_city: str
    zones: dict[str, ZoneInfo] = field(default_factory=dict)
    terminal_city: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        scenario = self.network.scenario
        axis = self.network.axis
        self.zones = {c.id: c.zone for c in scenario.cities}
        self.terminal_city = {t.id: c.id for c in scenario.cities for t in c.terminals}
        self._terminals = scenario.terminals()
        # Local midnights of every city around the horizon, so that local dates and
        # clock times in the hot loops are a bisection, not a time-zone conversion.
        days = range(-_MARGIN_DAYS, scenario.calendar.horizon_days + _MARGIN_DAYS)
        self.midnights: dict[str, list[int]] = {
            city.id: [axis.local_minutes(axis.start_date + dt.timedelta(days=d), 0, city.zone) for d in days]
            for city in scenario.cities
        }
        # Where a zone keeps one offset over the horizon (Kazakhstan has no DST) local
        # clock arithmetic is exact from midnights; elsewhere fall back to zoneinfo.
        self.steady: dict[str, bool] = {}
        for city in scenario.cities:
            nights = self.midnights[city.id]
            self.steady[city.id] = all(b - a == 24 * 60 for a, b in itertools.pairwise(nights))
        # drive_start answers, per (drive edge, earliest start): the same arrival times
        # recur across the many searches of one profile, and the answer is fixed for
        # a context (its overlay and rules never change).
        self.drive_starts: dict[tuple[int, int], int | None] = {}
        # Earliest-arrival trees per (origin, leave time), kept only for contexts that
        # are reused (see context_for): a replan under the same events, for any plan of
        # the scenario, then repeats none of its searches.
        self.keep_arrivals = False
        self.arrivals: dict[tuple[str, int], Labels] = {}
        self.paths: dict[tuple[str, int], list[tuple[str, RawPath, int]]] = {}
        self.legs: dict[tuple[str, RawPath], tuple[tuple[tuple[str, int], ...], list[Leg]]] = {}
        self.journeys: dict[tuple[str, RawPath], Journey] = {}
        limit = self.rules.max_travel_min_per_day
        # A connection longer than twice the daily limit must exceed it on some day.
        self.max_connection_min = (
            MAX_CONNECTION_MIN if limit >= 24 * 60 else min(MAX_CONNECTION_MIN, 2 * limit)
        )

        graph = self.network.graph
        self.city_access: dict[str, list[tuple[str, int]]] = {c.id: [] for c in scenario.cities}
        self.city_drives: dict[str, list[DriveEdge]] = {c.id: [] for c in scenario.cities}
        self.rides: dict[str, list[RideEdge]] = {t: [] for t in self.terminal_city}
        self.drive_edges: dict[tuple[str, str, str], DriveEdge] = {}
        for tail, head, data in graph.edges(data=True):
            kind = data["kind"]
            if kind == "access" and tail[0] == "city":
                terminal = self._terminals[head[1]]
                self.city_access[tail[1]].append((head[1], terminal.access_min + terminal.check_in_min))
            elif kind == "drive":
                window = data["window"] or self.rules.driving_window
                edge = DriveEdge(
                    road=data["road"],
                    origin=tail[1],
                    destination=head[1],
                    minutes=data["minutes"],
                    distance_km=round(data["distance_km"], 1),
                    cost=round(data["distance_km"] * data["cost_per_km"] * self.vehicles, 2),
                    window=window.minutes(),
                )
                self.city_drives[tail[1]].append(edge)
                self.drive_edges[(edge.road, edge.origin, edge.destination)] = edge
            elif kind == "ride":
                self._add_ride(tail[1], head[1], data)

    def _add_ride(self, board: str, alight: str, data: dict[str, Any]) -> None:
        from_city = self.terminal_city[board]
        to_city = self.terminal_city[alight]
        first, last = self.midnights[from_city][0], self.midnights[to_city][-1]
        overlay = self.overlay
        service = data["service"]
        shifted = []
        for run in data["runs"]:
            if (service, run.run_date) in overlay.cancelled:
                continue
            delay = overlay.delays.get((service, run.run_date), 0)
            shifted.append(Run(run.depart + delay, run.arrive + delay, run.run_date) if delay else run)
        shifted.sort(key=lambda r: r.depart)
        runs = tuple(
            r
            for r in shifted
            if first <= r.depart
            and r.arrive < last
            and not self.quiet(r.depart, from_city)
            and not self.quiet(r.arrive, to_city)
            and not overlay.terminal_closed(board, r.depart)
            and not overlay.terminal_closed(alight, r.arrive)
        )
        if not runs:
            return
        self.rides[board].append(
            RideEdge(
                service=data["service"],
                mode=data["mode"],
                board=board,
                alight=alight,
                from_city=from_city,
                to_city=to_city,
                distance_km=round(data["distance_km"], 1),
                cost=round(data["fare"] * self.size, 2),
                runs=runs,
                departs=tuple(r.depart for r in runs),
            )
        )

    def local_day(self, minute: int, city_id: str) -> tuple[int, int]:
        """(index of the local midnight at or before the instant, its epoch minute)."""
        midnights = self.midnights[city_id]
        index = bisect_right(midnights, minute) - 1
        if index < 0 or index >= len(midnights) - 1:
            raise ValueError("instant outside the planning horizon")
        return index, midnights[index]

    def minute_of_day(self, minute: int, city_id: str) -> int:
        if self.steady[city_id]:
            return minute - self.local_day(minute, city_id)[1]
        return self.network.axis.minute_of_day(minute, self.zones[city_id])

    def at_local(self, day_index: int, minute_of_day: int, city_id: str) -> int:
        """Epoch minute of a local clock time on the day of a midnight index."""
        if self.steady[city_id]:
            return self.midnights[city_id][day_index] + minute_of_day
        axis = self.network.axis
        day = axis.start_date + dt.timedelta(days=day_index - _MARGIN_DAYS)
        return axis.local_minutes(day, minute_of_day, self.zones[city_id])

    def quiet(self, minute: int, city_id: str) -> bool:
        """True when an instant falls in the quiet hours at that city."""
        if self.rules.quiet_hours is None:
            return False
        return self.rules.quiet_hours.contains(self.minute_of_day(minute, city_id))

    def window_overlap(self, start: int, end: int, window: tuple[int, int], city_id: str) -> int:
        """Minutes of [start, end) inside a daily local window (which may wrap midnight)."""
        if end <= start:
            return 0
        w_start, w_end = window
        if w_end <= w_start:
            w_end += 24 * 60
        first, _ = self.local_day(start, city_id)
        last, _ = self.local_day(end - 1, city_id)
        total = 0
        for index in range(first - 1, last + 1):
            low = self.at_local(index, w_start, city_id)
            high = self.at_local(index, w_end, city_id) if w_end < 24 * 60 else low + (w_end - w_start)
            total += max(0, min(end, high) - max(start, low))
        return total

    def minutes_per_home_day(self, start: int, end: int) -> tuple[tuple[int, int], ...]:
        """Split [start, end) by home-zone calendar day: ((day index, minutes), ...)."""
        if end <= start:
            return ()
        midnights = self.midnights[self.home_city]
        first = bisect_right(midnights, start) - 1
        result = []
        index = first
        while index + 1 < len(midnights) and midnights[index] < end:
            share = max(0, min(end, midnights[index + 1]) - max(start, midnights[index]))
            if share:
                result.append((index - _MARGIN_DAYS, share))
            index += 1
        return tuple(result)

    def terminal(self, terminal_id: str) -> Terminal:
        return self._terminals[terminal_id]


def build_context(network: TransportNetwork, overlay: Overlay | None = None) -> SearchContext:
    """Compile the network for search under the scenario's rules and an overlay of closures."""
    scenario = network.scenario
    axis = network.axis
    delegation = scenario.delegation
    horizon_end = axis.home_day_start(scenario.calendar.horizon_days) + 24 * 60
    return SearchContext(
        network=network,
        overlay=network.overlay() if overlay is None else overlay,
        rules=delegation.rules,
        size=delegation.size,
        vehicles=delegation.vehicles,
        horizon_end=horizon_end,
        home_city=delegation.start_city,
    )


CONTEXTS_KEPT = 4


def context_for(network: TransportNetwork, events: tuple[Disruption, ...]) -> SearchContext:
    """The network compiled under these events, reused while the same events are in force.

    Kept on the network (at most CONTEXTS_KEPT), so a service replanning many plans of a
    scenario after one closure compiles the network and runs each search once.
    """
    key = tuple(sorted(event.model_dump_json() for event in events))
    context: SearchContext | None = network.contexts.pop(key, None)
    if context is None:
        context = build_context(network, network.overlay(events))
        context.keep_arrivals = True
    network.contexts[key] = context  # most recently used last
    while len(network.contexts) > CONTEXTS_KEPT:
        network.contexts.pop(next(iter(network.contexts)))
    return context


def drive_minutes(ctx: SearchContext, edge: DriveEdge, start: int) -> int:
    """Minutes a drive starting at ``start`` takes, slowed by snow or convoys if so announced."""
    factor = ctx.overlay.drive_factor(edge.road, start)
    return edge.minutes if factor == 1.0 else round(edge.minutes * factor)


def drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """Earliest start >= not_before of a drive that fits its window, closures, quiet hours."""
    key = (id(edge), not_before)
    if key in ctx.drive_starts:
        return ctx.drive_starts[key]
    found = _drive_start(ctx, edge, not_before)
    ctx.drive_starts[key] = found
    return found


def _drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    w_start, w_end = edge.window
    if w_end <= w_start or edge.minutes > w_end - w_start:
        return None
    start = not_before
    while start <= ctx.horizon_end:
        duration = drive_minutes(ctx, edge, start)
        index, _ = ctx.local_day(start, edge.origin)
        day_open = ctx.at_local(index, w_start, edge.origin)
        day_close = ctx.at_local(index, w_end, edge.origin)
        if start < day_open:
            start = day_open
        if start + duration > day_close:
            start = ctx.at_local(index + 1, w_start, edge.origin)
            continue
        closed = ctx.overlay.road_closed(edge.road, start, start + duration)
        if closed is not None:
            start = closed.end
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(start + duration, edge.destination):
            start += 15
            continue
        return start
    return None


Labels = dict[Key, tuple[int, Key | None, LegSpec | None]]


def earliest_arrival(ctx: SearchContext, origin: str, leave_at: int) -> Labels:
    """Label-setting search: earliest time at every city centre and terminal.

    Returns, per reached key, (time, previous key, the leg taken to get there).
    """
    limit = min(ctx.horizon_end, leave_at + ctx.max_connection_min)
    labels: Labels = {}
    start: Key = ("city", origin)
    heap: list[tuple[int, float, int, Key, Key | None, LegSpec | None]] = [
        (leave_at, 0.0, 0, start, None, None)
    ]
    counter = 1
    push = heapq.heappush
    while heap:
        time, cost, _, key, previous, spec = heapq.heappop(heap)
        if key in labels:
            continue
        labels[key] = (time, previous, spec)
        kind, ident = key
        if kind == "city":
            for terminal_id, lead in ctx.city_access[ident]:
                ready: Key = ("ready", terminal_id)
                if time + lead <= limit and ready not in labels:
                    push(heap, (time + lead, cost, counter, ready, key, None))
                    counter += 1
            for drive in ctx.city_drives[ident]:
                target: Key = ("city", drive.destination)
                if target in labels:
                    continue
                begin = drive_start(ctx, drive, time)
                if begin is None:
                    continue
                end = begin + drive_minutes(ctx, drive, begin)
                if end > limit:
                    continue
                push(heap, (end, cost + drive.cost, counter, target, key, (drive, begin)))
                counter += 1
        else:
            for ride in ctx.rides[ident]:
                index = bisect_left(ride.departs, time)
                if index == len(ride.runs):
                    continue
                run = ride.runs[index]
                if run.arrive > limit:
                    continue
                alight = ctx.terminal(ride.alight)
                next_cost = cost + ride.cost
                ready_key: Key = ("ready", ride.alight)
                if ready_key not in labels:
                    push(
                        heap,
                        (
                            run.arrive + alight.min_transfer_min,
                            next_cost,
                            counter,
                            ready_key,
                            key,
                            (ride, index),
                        ),
                    )
                    counter += 1
                city_key: Key = ("city", ride.to_city)
                if city_key not in labels:
                    push(
                        heap,
                        (run.arrive + alight.access_min, next_cost, counter, city_key, key, (ride, index)),
                    )
                    counter += 1
    return labels


def _leg(ctx: SearchContext, spec: LegSpec) -> Leg:
    edge, value = spec
    if isinstance(edge, RideEdge):
        run = edge.runs[value]
        return Leg(
            mode=edge.mode,
            service=edge.service,
            from_place=edge.board,
            to_place=edge.alight,
            from_city=edge.from_city,
            to_city=edge.to_city,
            depart=run.depart,
            arrive=run.arrive,
            distance_km=edge.distance_km,
            cost=edge.cost,
            run_date=run.run_date,
        )
    return Leg(
        mode=Mode.DRIVE,
        service=edge.road,
        from_place=edge.origin,
        to_place=edge.destination,
        from_city=edge.origin,
        to_city=edge.destination,
        depart=value,
        arrive=value + drive_minutes(ctx, edge, value),
        distance_km=edge.distance_km,
        cost=edge.cost,
    )


def _path(ctx: SearchContext, labels: Labels, key: Key) -> list[Leg]:
    legs: list[Leg] = []
    current: Key | None = key
    while current is not None:
        _, previous, spec = labels[current]
        if spec is not None:
            legs.append(_leg(ctx, spec))
        current = previous
    legs.reverse()
    return legs


def _raw_path(labels: Labels, key: Key) -> tuple[tuple[int, int], ...]:
    """The edges and runs (or drive starts) of the path to ``key``, cheaply comparable."""
    steps: list[tuple[int, int]] = []
    current: Key | None = key
    while current is not None:
        _, previous, spec = labels[current]
        if spec is not None:
            steps.append((id(spec[0]), spec[1]))
        current = previous
    return tuple(steps)


def leave_time(ctx: SearchContext, legs: list[Leg]) -> int:
    """When the delegation must leave the origin centre to make the first leg."""
    first = legs[0]
    if first.mode == Mode.DRIVE:
        return first.depart
    terminal = ctx.terminal(first.from_place)
    return first.depart - terminal.check_in_min - terminal.access_min


def _postpone_drives(ctx: SearchContext, legs: list[Leg]) -> list[Leg]:
    """Start each drive that feeds a later leg as late as still makes that leg."""
    legs = list(legs)
    for i in range(len(legs) - 2, -1, -1):
        leg = legs[i]
        if leg.mode != Mode.DRIVE:
            continue
        edge = ctx.drive_edges[(leg.service, leg.from_city, leg.to_city)]
        latest_start = leave_time(ctx, [legs[i + 1]]) - leg.minutes
        if latest_start <= leg.depart or drive_minutes(ctx, edge, latest_start) != leg.minutes:
            continue
        if drive_start(ctx, edge, latest_start) == latest_start:
            legs[i] = _leg(ctx, (edge, latest_start))
    return legs


def make_journey(ctx: SearchContext, origin: str, destination: str, legs: list[Leg], arrive: int) -> Journey:
    """A connection with its leave time, night minutes, money and per-day travel."""
    leave = leave_time(ctx, legs)
    return Journey(
        origin=origin,
        destination=destination,
        leave=leave,
        arrive=arrive,
        legs=tuple(legs),
        night_min=ctx.window_overlap(leave, arrive, ctx.rules.night.minutes(), ctx.home_city),
        cost=round(sum(leg.cost for leg in legs), 2),
        day_minutes=ctx.minutes_per_home_day(leave, arrive),
    )


def journeys_from(ctx: SearchContext, origin: str, leave_times: Iterable[int]) -> dict[str, list[Journey]]:
    """Pareto sets of connections from ``origin`` to every city, over the given leave times."""
    found: dict[str, dict[tuple[object, ...], Journey]] = {}
    # Searches from neighbouring leave times mostly find the same paths. A path seen
    # before (same edges, same runs or drive starts) gives the same journey and the
    # same verdict, since leave times only grow, so it is skipped before the costly
    # part: building legs, postponing drives, counting night minutes.
    seen: set[RawPath] = set()
    max_day = ctx.rules.max_travel_min_per_day
    for leave_at in sorted(set(leave_times)):
        labels, paths = _paths_at(ctx, origin, leave_at)
        for destination, raw, arrive in paths:
            if raw in seen:
                continue
            seen.add(raw)
            signature, legs = _legs_of(ctx, origin, labels, raw)
            known = found.setdefault(destination, {})
            if signature in known:
                continue
            journey = ctx.journeys.get((origin, raw)) if ctx.keep_arrivals else None
            if journey is None:
                journey = make_journey(ctx, origin, destination, legs, arrive)
                if ctx.keep_arrivals:
                    ctx.journeys[(origin, raw)] = journey
            if journey.leave < leave_at or any(m > max_day for _, m in journey.day_minutes):
                continue
            known[signature] = journey
    return {dest: pareto(list(js.values())) for dest, js in found.items()}


RawPath = tuple[str, tuple[tuple[int, int], ...]]  # destination, (edge id, run or start) per leg


def _paths_at(
    ctx: SearchContext, origin: str, leave_at: int
) -> tuple[Labels, list[tuple[str, RawPath, int]]]:
    """The search from ``leave_at`` and (destination, raw path, arrival) of every city it reaches."""
    cached = ctx.paths.get((origin, leave_at))
    if cached is not None:
        return ctx.arrivals[(origin, leave_at)], cached
    labels = earliest_arrival(ctx, origin, leave_at)
    paths = [
        (key[1], (key[1], _raw_path(labels, key)), arrive)
        for key, (arrive, _, _) in labels.items()
        if key[0] == "city" and key[1] != origin
    ]
    if ctx.keep_arrivals:
        ctx.paths[(origin, leave_at)] = paths
        ctx.arrivals[(origin, leave_at)] = labels
    return labels, paths


def _legs_of(
    ctx: SearchContext, origin: str, labels: Labels, raw: RawPath
) -> tuple[tuple[tuple[str, int], ...], list[Leg]]:
    """The legs of a raw path found in ``labels`` (drives postponed) and its signature."""
    if ctx.keep_arrivals and (origin, raw) in ctx.legs:
        return ctx.legs[(origin, raw)]
    legs = _postpone_drives(ctx, _path(ctx, labels, ("city", raw[0])))
    entry = (tuple((leg.service, leg.depart) for leg in legs), legs)
    if ctx.keep_arrivals:
        ctx.legs[(origin, raw)] = entry
    return entry


def pareto(journeys: list[Journey]) -> list[Journey]:
    """Drop connections that leave no later, arrive no earlier, and cost no less."""
    journeys.sort(key=lambda j: (-j.leave, j.arrive, j.night_min, j.cost))
    kept: list[Journey] = []
    for journey in journeys:
        dominated = any(
            k.leave >= journey.leave
            and k.arrive <= journey.arrive
            and k.night_min <= journey.night_min
            and k.cost <= journey.cost
            for k in kept
        )
        if not dominated:
            kept.append(journey)
    kept.sort(key=lambda j: (j.leave, j.arrive))
    return kept


def departure_leave_times(ctx: SearchContext, origin: str, not_before: int, not_after: int) -> list[int]:
    """Leave-the-centre times that just catch each usable timetabled departure from the city."""
    times: set[int] = set()
    for terminal_id, lead in ctx.city_access[origin]:
        for ride in ctx.rides[terminal_id]:
            for depart in ride.departs:
                leave = depart - lead
                if not_before <= leave <= not_after:
                    times.add(leave)
    return sorted(times)
