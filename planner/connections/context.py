"""The network compiled for search under one overlay, and the contexts kept for reuse."""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from planner.calendar import TimeAxis
from planner.connections.cache import SearchCache
from planner.connections.model import DriveEdge, RideEdge
from planner.daylight import daylight
from planner.domain import City, Disruption, Terminal, TravelRules
from planner.network import Overlay, Run, TransportNetwork

if TYPE_CHECKING:
    from planner.connections.memo import SlotMemo

_MARGIN_DAYS = 4


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
    # What the searches remember; it belongs to this context alone (its keys are edge ids).
    cache: SearchCache = field(default_factory=SearchCache, repr=False, compare=False)
    # Slot searches remembered across event sets (planner.connections.memo), if the caller keeps them.
    memo: SlotMemo | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.cache.serve()
        scenario = self.network.scenario
        axis = self.network.axis
        self.zones = {c.id: c.zone for c in scenario.cities}
        self.terminal_city = {t.id: c.id for c in scenario.cities for t in c.terminals}
        self._terminals = scenario.terminals()
        # Local midnights of every city around the trip (which may start before or end
        # after the calendar's horizon), so that local dates and clock times in the hot
        # loops are a bisection, not a time-zone conversion.
        delegation = scenario.delegation
        before = max(0, (scenario.calendar.start_date - delegation.earliest_departure.date()).days)
        after = max(0, (delegation.latest_return.date() - scenario.calendar.end_date).days)
        self.day_offset = before + _MARGIN_DAYS
        days = range(-self.day_offset, scenario.calendar.horizon_days + after + _MARGIN_DAYS)
        self.midnights: dict[str, list[int]] = {
            city.id: [axis.local_minutes(axis.start_date + dt.timedelta(days=d), 0, city.zone) for d in days]
            for city in scenario.cities
        }
        # Where a zone keeps one offset over the horizon (Kazakhstan has no DST) local
        # clock arithmetic is exact from midnights; elsewhere fall back to zoneinfo.
        # Sunrise and sunset per city and day (daylight-only driving), as epoch minutes.
        self.sun: dict[str, list[tuple[int, int]]] | None = None
        if self.rules.daylight_driving:
            self.sun = {
                city.id: [_sun(axis, city, axis.start_date + dt.timedelta(days=d)) for d in days]
                for city in scenario.cities
            }
        self.steady: dict[str, bool] = {}
        for city in scenario.cities:
            nights = self.midnights[city.id]
            self.steady[city.id] = all(b - a == 24 * 60 for a, b in itertools.pairwise(nights))
        graph = self.network.graph
        self.city_access: dict[str, list[tuple[str, int]]] = {c.id: [] for c in scenario.cities}
        self.city_drives: dict[str, list[DriveEdge]] = {c.id: [] for c in scenario.cities}
        self.rides: dict[str, list[RideEdge]] = {t: [] for t in self.terminal_city}
        self._ride_data: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.drive_edges: dict[tuple[str, str, str], DriveEdge] = {}
        for tail, head, data in graph.edges(data=True):
            kind = data["kind"]
            if kind == "access" and tail[0] == "city":
                terminal = self._terminals[head[1]]
                self.city_access[tail[1]].append((head[1], self._lead(terminal)))
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
                self._ride_data[(data["service"], tail[1], head[1])] = data
                self._add_ride(tail[1], head[1], data)
        self.drive_by_id = {id(edge): edge for edge in self.drive_edges.values()}
        # Rides by (service, board, alight): how footprints of remembered searches name them.
        self.ride_by_key = {(r.service, r.board, r.alight): r for rides in self.rides.values() for r in rides}
        self.lead = {t.id: self._lead(t) for t in self._terminals.values()}

    def _lead(self, terminal: Terminal) -> int:
        """Minutes from the city centre to boarding at ``terminal``: access, check-in and the
        delegation's departure buffer."""
        return terminal.access_min + terminal.check_in_min + self.rules.departure_buffer_min

    def with_cancellation(self, overlay: Overlay, services: Collection[str]) -> SearchContext:
        """This context under ``overlay``, which adds to this one's only cancelled runs of
        ``services`` or road closures: the same context as ``build_context`` would compile,
        with the rides of those services alone compiled again (road closures are read during
        the search), in their places, and a fresh cache of its own."""
        twin = copy.copy(self)
        twin.overlay = overlay
        twin.cache = SearchCache()
        twin.cache.serve()
        twin.memo = None
        twin.rides = {}
        for board, rides in self.rides.items():
            kept = []
            for ride in rides:
                if ride.service in services:
                    data = self._ride_data[(ride.service, ride.board, ride.alight)]
                    recompiled = twin._compiled_ride(ride.board, ride.alight, data)
                    if recompiled is not None:
                        kept.append(recompiled)
                    continue
                kept.append(ride)
            twin.rides[board] = kept
        twin.ride_by_key = {(r.service, r.board, r.alight): r for rides in twin.rides.values() for r in rides}
        return twin

    def _add_ride(self, board: str, alight: str, data: dict[str, Any]) -> None:
        ride = self._compiled_ride(board, alight, data)
        if ride is not None:
            self.rides[board].append(ride)

    def _compiled_ride(self, board: str, alight: str, data: dict[str, Any]) -> RideEdge | None:
        """The ride edge of a service between two terminals under this overlay: its usable runs,
        shifted by their delays; None when none is left."""
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
            return None
        return RideEdge(
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
            transfer_min=self._terminals[alight].min_transfer_min,
            access_min=self._terminals[alight].access_min,
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
        day = axis.start_date + dt.timedelta(days=day_index - self.day_offset)
        return axis.local_minutes(day, minute_of_day, self.zones[city_id])

    def quiet(self, minute: int, city_id: str) -> bool:
        """True when an instant falls in the quiet hours at that city."""
        if self.rules.quiet_hours is None:
            return False
        return self.rules.quiet_hours.contains(self.minute_of_day(minute, city_id))

    def night_minutes(self, start: int, end: int) -> int:
        """Minutes of [start, end) in the home zone's nights (``home_marks``), as the night minutes
        before ``end`` less those before ``start``: two bisections instead of a walk over the days
        the interval spans, once per connection built."""
        if end <= start:
            return 0
        return self._night_minutes_before(end) - self._night_minutes_before(start)

    def _night_minutes_before(self, instant: int) -> int:
        if self.cache.nights is None:
            _, nights = self.home_marks()
            before, total = [], 0
            for begin, end in nights:
                before.append(total)
                total += end - begin
            self.cache.nights = ([b for b, _ in nights], [e for _, e in nights], before)
        begins, ends, before = self.cache.nights
        at = bisect_right(begins, instant) - 1
        if at < 0:
            return 0
        return before[at] + min(instant, ends[at]) - begins[at]

    def opening(self, day: int, window: tuple[int, int], city_id: str) -> tuple[int, int]:
        """[opens, closes] of a daily local window opening on a local day (a midnight index).

        A window whose end is not after its start wraps past midnight: it closes at that
        wall-clock time of the next local date, so across a clock change it is an hour
        shorter or longer in real minutes.
        """
        w_start, w_end = window
        closes_on = day if w_end > w_start else day + 1
        return self.at_local(day, w_start, city_id), self.at_local(closes_on, w_end, city_id)

    def drive_opening(self, day: int, window: tuple[int, int], city_id: str) -> tuple[int, int]:
        """``opening`` of a driving window, in daylight only when the delegation says so: cut to
        sunrise and sunset at the city on the date it opens (closes < opens: shut that day)."""
        opens, closes = self.opening(day, window, city_id)
        if self.sun is None:
            return opens, closes
        rise, sets = self.sun[city_id][day]
        return max(opens, rise), min(closes, sets)

    def drive_openings(self, window: tuple[int, int], city_id: str, around: int) -> list[tuple[int, int]]:
        """The openings of a driving window (``drive_opening``) from the day before ``around``, in
        time order."""
        return [self.drive_opening(day, window, city_id) for day in self._days_around(around, city_id)]

    def _days_around(self, around: int, city_id: str) -> range:
        """The midnight indices of the local day before ``around``, its own and the next."""
        index, _ = self.local_day(around, city_id)
        return range(max(0, index - 1), min(index + 2, len(self.midnights[city_id]) - 1))

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
                result.append((index - self.day_offset, share))
            index += 1
        return tuple(result)

    def terminal(self, terminal_id: str) -> Terminal:
        return self._terminals[terminal_id]

    def home_marks(self) -> tuple[list[int], list[tuple[int, int]]]:
        """Home-zone midnights and night boundaries in time order, and the nights as intervals."""
        if self.cache.home_marks is None:
            home = self.home_city
            night_start, night_end = self.rules.night.minutes()
            marks: set[int] = set()
            nights = []
            for day in range(len(self.midnights[home]) - 1):
                begin, end = self.opening(day, (night_start, night_end), home)
                marks.update((self.midnights[home][day], begin, end))
                nights.append((begin, end))
            self.cache.home_marks = (sorted(marks), sorted(nights))
        return self.cache.home_marks

    def chain_cities(self, origin: str, chain: tuple[int, ...]) -> frozenset[str]:
        """The cities a chain of drives (by edge id) from ``origin`` has been in."""
        key = (origin, chain)
        chains = self.cache.chains
        found = chains.get(key)
        if found is None:
            found = frozenset({origin, *(self.drive_by_id[edge].destination for edge in chain)})
            chains[key] = found
        return found

    def leave_bound(self, leave: int) -> int:
        """The latest arrival of a connection leaving at ``leave`` that keeps the daily limit.

        Rule 22 on the connection alone: its share of the home day it leaves on, and of
        every following day it spans, is at most the limit. A whole home day no longer
        than the limit (a 1440-minute limit, or a 23-hour clock-change day) can be
        travelled through; the first longer one must be left by limit minutes after its
        midnight. A bound implied by the rules, so cutting there loses nothing.
        """
        bounds = self.cache.bounds
        found = bounds.get(leave)
        if found is not None:
            return found
        limit = self.rules.max_travel_min_per_day
        midnights = self.midnights[self.home_city]
        index = bisect_right(midnights, leave)
        if index >= len(midnights) or midnights[index] - leave > limit:
            bound = leave + limit
        else:
            while index + 1 < len(midnights) and midnights[index + 1] - midnights[index] <= limit:
                index += 1
            bound = midnights[index] + limit if index + 1 < len(midnights) else self.horizon_end
        bounds[leave] = bound
        return bound


def build_context(
    network: TransportNetwork,
    overlay: Overlay | None = None,
    cache: SearchCache | None = None,
    memo: SlotMemo | None = None,
) -> SearchContext:
    """Compile the network for search under the scenario's rules and an overlay of closures.

    ``cache`` is what its searches will remember (a fresh one, keeping no searches, by
    default); it must not have served another context. ``memo`` must be of ``network``.
    """
    if memo is not None and memo.network is not network:
        raise ValueError("the slot memo belongs to another network")
    scenario = network.scenario
    axis = network.axis
    delegation = scenario.delegation
    # Travel may go on after the horizon's last day, up to the latest return.
    horizon_end = max(
        axis.home_day_start(scenario.calendar.horizon_days) + 24 * 60,
        axis.minutes(delegation.latest_return, scenario.city(delegation.end_city).zone),
    )
    return SearchContext(
        network=network,
        overlay=network.overlay() if overlay is None else overlay,
        rules=delegation.rules,
        size=delegation.size,
        vehicles=delegation.vehicles,
        horizon_end=horizon_end,
        home_city=delegation.start_city,
        cache=SearchCache() if cache is None else cache,
        memo=memo,
    )


CONTEXTS_KEPT = 4

# Contexts compiled under sets of events (by their JSON), least recently used first.
KeptContexts = dict[tuple[str, ...], SearchContext]


def context_for(
    network: TransportNetwork,
    events: tuple[Disruption, ...],
    kept: KeptContexts,
    memo: SlotMemo | None = None,
) -> SearchContext:
    """The network compiled under these events, reused while the same events are in force.

    ``kept`` holds the contexts of whoever plans (a service worker keeps one per network, a
    what-if run one per timeline), not the network, which stays a plain description of the
    scenario. At most CONTEXTS_KEPT are kept, each keeping its searches, so a service
    replanning many plans of a scenario after one closure compiles the network and runs each
    search once. ``memo`` (of the same network), given, also reuses the searches of slots the
    events do not touch from contexts under other events.
    """
    contexts = kept
    key = tuple(sorted(event.model_dump_json() for event in events))
    context = contexts.pop(key, None)
    if context is None:
        context = build_context(network, network.overlay(events), SearchCache(keep_searches=True), memo)
    contexts[key] = context  # most recently used last
    while len(contexts) > CONTEXTS_KEPT:
        contexts.pop(next(iter(contexts)))
    return context


def _sun(axis: TimeAxis, city: City, day: dt.date) -> tuple[int, int]:
    """Sunrise and sunset of a local date at a city in epoch minutes; a day without sunrise is
    an empty span at noon."""
    times = daylight(city.lat, city.lon, day, city.zone)
    if times is None:
        noon = axis.local_minutes(day, 12 * 60, city.zone)
        return noon, noon - 1
    return axis.minutes(times[0]), axis.minutes(times[1])
