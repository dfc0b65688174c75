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
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from planner.calendar import daily_window_overlap, minutes_per_home_day
from planner.domain import ClockWindow, Mode, TravelRules
from planner.network import Closures, Run, TransportNetwork, city_node, terminal_node

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


@dataclass
class SearchContext:
    """Everything the search consults: the network, its overlay and the rules."""

    network: TransportNetwork
    closures: Closures
    rules: TravelRules
    size: int
    vehicles: int
    horizon_end: int
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
            city.id: [
                axis.local_minutes(axis.start_date + dt.timedelta(days=d), 0, city.zone) for d in days
            ]
            for city in scenario.cities
        }
        # Runs that depart or arrive in the quiet hours are never usable: drop them once.
        self.usable_runs: dict[tuple[object, ...], tuple[tuple[Run, ...], list[int]]] = {}
        for board, alight, key, data in self.network.graph.edges(keys=True, data=True):
            if data["kind"] != "ride":
                continue
            from_city = self.terminal_city[board[1]]
            to_city = self.terminal_city[alight[1]]
            first, last = self.midnights[from_city][0], self.midnights[to_city][-1]
            runs = tuple(
                r
                for r in data["runs"]
                if first <= r.depart
                and r.arrive < last
                and not self.quiet(r.depart, from_city)
                and not self.quiet(r.arrive, to_city)
            )
            self.usable_runs[(board, alight, key)] = (runs, [r.depart for r in runs])

    def local_day(self, minute: int, city_id: str) -> tuple[int, int]:
        """(index of the local midnight at or before the instant, its epoch minute)."""
        midnights = self.midnights[city_id]
        index = bisect_right(midnights, minute) - 1
        if index < 0 or index >= len(midnights) - 1:
            raise ValueError("instant outside the planning horizon")
        return index, midnights[index]

    def minute_of_day(self, minute: int, city_id: str) -> int:
        return minute - self.local_day(minute, city_id)[1]

    def quiet(self, minute: int, city_id: str) -> bool:
        """True when an instant falls in the quiet hours at that city."""
        if self.rules.quiet_hours is None:
            return False
        return self.rules.quiet_hours.contains(self.minute_of_day(minute, city_id))

    def terminal(self, terminal_id: str):  # type: ignore[no-untyped-def]
        return self._terminals[terminal_id]


def build_context(network: TransportNetwork, closures: Closures | None = None) -> SearchContext:
    scenario = network.scenario
    axis = network.axis
    delegation = scenario.delegation
    horizon_end = axis.home_day_start(scenario.calendar.horizon_days) + 24 * 60
    return SearchContext(
        network=network,
        closures=network.closures() if closures is None else closures,
        rules=delegation.rules,
        size=delegation.size,
        vehicles=delegation.vehicles,
        horizon_end=horizon_end,
    )


def drive_start(ctx: SearchContext, edge: dict, origin: str, destination: str, not_before: int) -> int | None:  # type: ignore[type-arg]
    """Earliest start >= not_before of a drive that fits its window, closures, quiet hours."""
    axis = ctx.network.axis
    window: ClockWindow = edge["window"] or ctx.rules.driving_window
    w_start, w_end = window.minutes()
    duration = edge["minutes"]
    if w_end <= w_start or duration > w_end - w_start:
        return None
    start = not_before
    while start <= ctx.horizon_end:
        index, midnight = ctx.local_day(start, origin)
        day_open = midnight + w_start
        day_close = midnight + w_end
        if start < day_open:
            start = day_open
        if start + duration > day_close:
            start = ctx.midnights[origin][index + 1] + w_start
            continue
        closed = ctx.closures.road_closed(edge["road"], start, start + duration)
        if closed is not None:
            start = closed.end
            continue
        if ctx.quiet(start, origin) or ctx.quiet(start + duration, destination):
            start += 15
            continue
        return start
    return None


def drive_fits(ctx: SearchContext, edge: dict, origin: str, destination: str, start: int) -> bool:  # type: ignore[type-arg]
    return drive_start(ctx, edge, origin, destination, start) == start


Key = tuple[str, str]  # ("city", id) or ("ready", terminal id)


@dataclass(frozen=True)
class _Step:
    previous: Key | None
    leg: Leg | None


def earliest_arrival(ctx: SearchContext, origin: str, leave_at: int) -> dict[Key, tuple[int, _Step]]:
    """Label-setting search: earliest time at every city centre and terminal."""
    graph = ctx.network.graph
    limit = min(ctx.horizon_end, leave_at + MAX_CONNECTION_MIN)
    best: dict[Key, tuple[int, _Step]] = {}
    start: Key = ("city", origin)
    heap: list[tuple[int, float, int, Key, _Step]] = [(leave_at, 0.0, 0, start, _Step(None, None))]
    counter = 1
    settled: set[Key] = set()
    while heap:
        time, cost, _, key, step = heapq.heappop(heap)
        if key in settled:
            continue
        settled.add(key)
        best[key] = (time, step)

        def push(next_key: Key, next_time: int, next_cost: float, leg: Leg | None) -> None:
            nonlocal counter
            if next_time > limit or next_key in settled:
                return
            heapq.heappush(heap, (next_time, next_cost, counter, next_key, _Step(key, leg)))
            counter += 1

        kind, ident = key
        if kind == "city":
            node = city_node(ident)
            for _, target, data in graph.out_edges(node, data=True):
                if data["kind"] == "access":
                    terminal = ctx.terminal(target[1])
                    push(("ready", target[1]), time + terminal.access_min + terminal.check_in_min, cost, None)
                elif data["kind"] == "drive":
                    destination = target[1]
                    begin = drive_start(ctx, data, ident, destination, time)
                    if begin is None:
                        continue
                    leg = _drive_leg(ctx, data, ident, destination, begin)
                    push(("city", destination), leg.arrive, cost + leg.cost, leg)
        else:
            node = terminal_node(ident)
            for _, target, edge_key, data in graph.out_edges(node, keys=True, data=True):
                if data["kind"] != "ride":
                    continue
                leg = _first_ride(ctx, data, (node, target, edge_key), time, limit)
                if leg is None:
                    continue
                alight = ctx.terminal(target[1])
                push(("ready", target[1]), leg.arrive + alight.min_transfer_min, cost + leg.cost, leg)
                push(("city", leg.to_city), leg.arrive + alight.access_min, cost + leg.cost, leg)
    return best


def _first_ride(
    ctx: SearchContext,
    data: dict,  # type: ignore[type-arg]
    edge: tuple[object, ...],
    ready: int,
    limit: int,
) -> Leg | None:
    runs, departs = ctx.usable_runs[edge]
    board = edge[0][1]  # type: ignore[index]
    alight = edge[1][1]  # type: ignore[index]
    from_city = ctx.terminal_city[board]
    to_city = ctx.terminal_city[alight]
    for index in range(bisect_left(departs, ready), len(runs)):
        run = runs[index]
        if run.depart > limit:
            return None
        if ctx.closures.terminal_closed(board, run.depart) or ctx.closures.terminal_closed(alight, run.arrive):
            continue
        return Leg(
            mode=data["mode"],
            service=data["service"],
            from_place=board,
            to_place=alight,
            from_city=from_city,
            to_city=to_city,
            depart=run.depart,
            arrive=run.arrive,
            distance_km=round(data["distance_km"], 1),
            cost=round(data["fare"] * ctx.size, 2),
            run_date=run.run_date,
        )
    return None


def _drive_leg(ctx: SearchContext, data: dict, origin: str, destination: str, begin: int) -> Leg:  # type: ignore[type-arg]
    return Leg(
        mode=Mode.DRIVE,
        service=data["road"],
        from_place=origin,
        to_place=destination,
        from_city=origin,
        to_city=destination,
        depart=begin,
        arrive=begin + data["minutes"],
        distance_km=round(data["distance_km"], 1),
        cost=round(data["distance_km"] * data["cost_per_km"] * ctx.vehicles, 2),
    )


def _path(best: dict[Key, tuple[int, _Step]], key: Key) -> list[Leg]:
    legs: list[Leg] = []
    while True:
        _, step = best[key]
        if step.leg is not None:
            legs.append(step.leg)
        if step.previous is None:
            break
        key = step.previous
    legs.reverse()
    return legs


def leave_time(ctx: SearchContext, legs: list[Leg]) -> int:
    """When the delegation must leave the origin centre to make the first leg."""
    first = legs[0]
    if first.mode == Mode.DRIVE:
        return first.depart
    terminal = ctx.terminal(first.from_place)
    return first.depart - terminal.check_in_min - terminal.access_min


def needed_at_centre(ctx: SearchContext, leg: Leg) -> int:
    """The latest moment at the leg's origin city centre that still makes the leg."""
    return leave_time(ctx, [leg])


def _postpone_drives(ctx: SearchContext, legs: list[Leg]) -> list[Leg]:
    """Start each drive that feeds a later leg as late as still makes that leg."""
    graph = ctx.network.graph
    legs = list(legs)
    for i in range(len(legs) - 2, -1, -1):
        leg = legs[i]
        if leg.mode != Mode.DRIVE:
            continue
        latest_arrival = needed_at_centre(ctx, legs[i + 1])
        latest_start = latest_arrival - leg.minutes
        if latest_start <= leg.depart:
            continue
        data = graph.get_edge_data(city_node(leg.from_city), city_node(leg.to_city))
        edge = next(d for d in data.values() if d.get("road") == leg.service)
        if drive_fits(ctx, edge, leg.from_city, leg.to_city, latest_start):
            legs[i] = _drive_leg(ctx, edge, leg.from_city, leg.to_city, latest_start)
    return legs


def make_journey(ctx: SearchContext, origin: str, destination: str, legs: list[Leg], arrive: int) -> Journey:
    axis = ctx.network.axis
    leave = leave_time(ctx, legs)
    night = daily_window_overlap(axis, leave, arrive, ctx.rules.night.minutes(), axis.home_zone)
    return Journey(
        origin=origin,
        destination=destination,
        leave=leave,
        arrive=arrive,
        legs=tuple(legs),
        night_min=night,
        cost=round(sum(leg.cost for leg in legs), 2),
        day_minutes=tuple(sorted(minutes_per_home_day(axis, leave, arrive).items())),
    )


def journeys_from(ctx: SearchContext, origin: str, leave_times: Iterable[int]) -> dict[str, list[Journey]]:
    """Pareto sets of connections from ``origin`` to every city, over the given leave times."""
    found: dict[str, dict[tuple[object, ...], Journey]] = {}
    max_day = ctx.rules.max_travel_min_per_day
    for leave_at in sorted(set(leave_times)):
        best = earliest_arrival(ctx, origin, leave_at)
        for key, (arrive, _) in best.items():
            if key[0] != "city" or key[1] == origin:
                continue
            legs = _path(best, key)
            legs = _postpone_drives(ctx, legs)
            journey = make_journey(ctx, origin, key[1], legs, arrive)
            if journey.leave < leave_at or any(m > max_day for _, m in journey.day_minutes):
                continue
            signature = tuple((leg.service, leg.depart) for leg in journey.legs)
            found.setdefault(key[1], {})[signature] = journey
    return {dest: pareto(list(js.values())) for dest, js in found.items()}


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
    """Leave-the-centre times that just catch each timetabled departure from the city."""
    graph = ctx.network.graph
    times: set[int] = set()
    for terminal_key in graph.successors(city_node(origin)):
        if terminal_key[0] != "terminal":
            continue
        terminal = ctx.terminal(terminal_key[1])
        lead = terminal.check_in_min + terminal.access_min
        for _, _, data in graph.out_edges(terminal_key, data=True):
            if data["kind"] != "ride":
                continue
            for depart in data["departs"]:
                leave = depart - lead
                if not_before <= leave <= not_after:
                    times.add(leave)
    return sorted(times)
