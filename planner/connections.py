"""Time-dependent multimodal search over the transport graph.

``pareto_search`` is a multi-label, label-setting search on time: from a city
centre, leaving at or after ``t``, it finds at every city centre and terminal the
labels (arrival, money) that no other label beats on both. Waiting is allowed and
every ride edge is FIFO, so for a fixed leave time a label that arrives no later
and costs no more dominates for every continuation; the Pareto set is exact. (A
city label reached by a ride also remembers the terminal it alighted at, which
may only be boarded again after its transfer time; see ``_dominated``.)

``journeys_from`` turns those searches into the set of useful connections from a
city over the whole trip: one search per moment the delegation can leave (the end
of a seminar, the trip's start, just in time for a timetabled departure, or a
moment a drive from the city can first start), keeping the connections not
dominated on (leave later, arrive earlier, less money). Night minutes and the
travel on each home day are functions of ``[leave, arrive)`` that only shrink
when the interval does, so that dominance loses no optimum. A drive that feeds a
later leg is then postponed to the latest start that still makes that leg, so
waiting happens at the hotel, not at a terminal.

Rules applied on every leg (scenarios/README.md, "Movement rules, precisely"):
the service runs on that date, the boarding terminal is not closed at departure
and the alighting one not at arrival, no departure or arrival in the quiet hours
(local), drives fit one opening of their daily window (which may wrap past
midnight) and do not meet a road closure, access and check-in at terminals,
minimum transfer times.
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
    transfer_min: int = 0  # at the alighting terminal, to board again there
    access_min: int = 0  # from the alighting terminal to its city centre


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
        self.steady: dict[str, bool] = {}
        for city in scenario.cities:
            nights = self.midnights[city.id]
            self.steady[city.id] = all(b - a == 24 * 60 for a, b in itertools.pairwise(nights))
        # drive_start answers, per (drive edge, earliest start): the same arrival times
        # recur across the many searches of one profile, and the answer is fixed for
        # a context (its overlay and rules never change).
        self.drive_starts: dict[tuple[int, int], int | None] = {}
        self.latest_starts: dict[tuple[int, int, int], int | None] = {}
        # Earliest-arrival trees per (origin, leave time), kept only for contexts that
        # are reused (see context_for): a replan under the same events, for any plan of
        # the scenario, then repeats none of its searches.
        self.keep_arrivals = False
        self.arrivals: dict[tuple[str, int, int | None, frozenset[int] | None], Labels] = {}
        self.paths: dict[
            tuple[str, int, int | None, frozenset[int] | None], list[tuple[str, RawPath, int, int]]
        ] = {}
        self.legs: dict[tuple[str, RawPath], tuple[tuple[tuple[str, int], ...], list[LegSpec]]] = {}
        self.journeys: dict[tuple[str, RawPath], Journey] = {}

        self.bounds: dict[int, int] = {}
        self._home_marks: tuple[list[int], list[tuple[int, int]]] | None = None
        self.chains: dict[tuple[str, tuple[int, ...]], frozenset[str]] = {}
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
        self.drive_by_id = {id(edge): edge for edge in self.drive_edges.values()}
        self.lead = {t.id: t.access_min + t.check_in_min for t in self._terminals.values()}

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
                transfer_min=self._terminals[alight].min_transfer_min,
                access_min=self._terminals[alight].access_min,
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
        day = axis.start_date + dt.timedelta(days=day_index - self.day_offset)
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
        first, _ = self.local_day(start, city_id)
        last, _ = self.local_day(end - 1, city_id)
        total = 0
        for index in range(first - 1, last + 1):
            low, high = self.opening(index, window, city_id)
            total += max(0, min(end, high) - max(start, low))
        return total

    def opening(self, day: int, window: tuple[int, int], city_id: str) -> tuple[int, int]:
        """[opens, closes] of a daily local window opening on a local day (a midnight index).

        A window whose end is not after its start wraps past midnight: it closes at that
        wall-clock time of the next local date, so across a clock change it is an hour
        shorter or longer in real minutes.
        """
        w_start, w_end = window
        closes_on = day if w_end > w_start else day + 1
        return self.at_local(day, w_start, city_id), self.at_local(closes_on, w_end, city_id)

    def openings(self, window: tuple[int, int], city_id: str, around: int) -> list[tuple[int, int]]:
        """The openings of a daily local window from the day before ``around``, in time order."""
        index, _ = self.local_day(around, city_id)
        last = len(self.midnights[city_id]) - 1
        return [self.opening(day, window, city_id) for day in range(max(0, index - 1), min(index + 2, last))]

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
        if self._home_marks is None:
            home = self.home_city
            night_start, night_end = self.rules.night.minutes()
            marks: set[int] = set()
            nights = []
            for day in range(len(self.midnights[home]) - 1):
                begin, end = self.opening(day, (night_start, night_end), home)
                marks.update((self.midnights[home][day], begin, end))
                nights.append((begin, end))
            self._home_marks = (sorted(marks), sorted(nights))
        return self._home_marks

    def chain_cities(self, origin: str, chain: tuple[int, ...]) -> frozenset[str]:
        """The cities a chain of drives (by edge id) from ``origin`` has been in."""
        key = (origin, chain)
        found = self.chains.get(key)
        if found is None:
            found = frozenset({origin, *(self.drive_by_id[edge].destination for edge in chain)})
            self.chains[key] = found
        return found

    def leave_bound(self, leave: int) -> int:
        """The latest arrival of a connection leaving at ``leave`` that keeps the daily limit.

        Rule 22 on the connection alone: its share of the home day it leaves on, and of
        every following day it spans, is at most the limit. A whole home day no longer
        than the limit (a 1440-minute limit, or a 23-hour clock-change day) can be
        travelled through; the first longer one must be left by limit minutes after its
        midnight. A bound implied by the rules, so cutting there loses nothing.
        """
        found = self.bounds.get(leave)
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
        self.bounds[leave] = bound
        return bound


def build_context(network: TransportNetwork, overlay: Overlay | None = None) -> SearchContext:
    """Compile the network for search under the scenario's rules and an overlay of closures."""
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


def drive_fits(ctx: SearchContext, edge: DriveEdge, start: int) -> int | None:
    """Minutes of a drive starting exactly at ``start``, or None when the rules forbid it.

    Rules 15-18 of scenarios/README.md: one opening of the driving window holds start
    and arrival, no closure of the road overlaps [start, arrival), neither end falls
    in the quiet hours.
    """
    minutes = drive_minutes(ctx, edge, start)
    end = start + minutes
    if end > ctx.horizon_end:
        return None
    if not any(
        opens <= start and end <= closes for opens, closes in ctx.openings(edge.window, edge.origin, start)
    ):
        return None
    if ctx.overlay.road_closed(edge.road, start, end) is not None:
        return None
    if ctx.quiet(start, edge.origin) or ctx.quiet(end, edge.destination):
        return None
    return minutes


def drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """Start of the drive that arrives earliest among those starting at or after ``not_before``."""
    key = (id(edge), not_before)
    if key in ctx.drive_starts:
        return ctx.drive_starts[key]
    found = _drive_start(ctx, edge, not_before)
    ctx.drive_starts[key] = found
    return found


def _earliest_fit(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """The earliest start >= not_before that the rules allow (rules 15-18).

    It jumps only over starts that are certainly refused: up to the next opening of the
    window when the drive does not fit the current one, past a closure it would meet,
    but never past the end of a slowdown (after which the drive may be shorter and fit).
    """
    start = not_before
    slow_ends = sorted(i.end for i, _ in ctx.overlay.slowdowns.get(edge.road, ()))
    w_start, w_end = edge.window
    if not slow_ends and w_start < w_end and ctx.steady[edge.origin]:
        return _earliest_fit_steady(ctx, edge, start)
    while start <= ctx.horizon_end:
        minutes = drive_minutes(ctx, edge, start)
        end = start + minutes
        openings = ctx.openings(edge.window, edge.origin, start)
        shorter_from = next((e for e in slow_ends if e > start), None)
        if not any(o <= start and end <= c for o, c in openings):
            later = [o for o, _ in openings if o > start]
            if shorter_from is not None:
                later.append(shorter_from)
            if not later:
                return None
            start = min(later)
            continue
        closed = ctx.overlay.road_closed(edge.road, start, end)
        if closed is not None:
            start = closed.end if shorter_from is None else min(closed.end, shorter_from)
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(end, edge.destination):
            start += 1
            continue
        return start
    return None


def _earliest_fit_steady(ctx: SearchContext, edge: DriveEdge, start: int) -> int | None:
    """``_earliest_fit`` for the usual case, by plain arithmetic: a window inside one day,
    a zone that keeps its offset, a road without slowdowns (fixed length)."""
    w_start, w_end = edge.window
    minutes = edge.minutes
    midnights = ctx.midnights[edge.origin]
    if minutes > w_end - w_start:
        return None
    index = bisect_right(midnights, start) - 1
    while start <= ctx.horizon_end and 0 <= index < len(midnights) - 1:
        opens, closes = midnights[index] + w_start, midnights[index] + w_end
        start = max(start, opens)
        if start + minutes > closes:
            index += 1
            start = midnights[index] + w_start if index < len(midnights) else start
            continue
        closed = ctx.overlay.road_closed(edge.road, start, start + minutes)
        if closed is not None:
            start = closed.end
            index = bisect_right(midnights, start) - 1
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(start + minutes, edge.destination):
            start += 1
            continue
        return start if start + minutes <= ctx.horizon_end else None
    return None


def _drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """Earliest arrival, not earliest start: where a slowdown ends, waiting for its end
    may arrive sooner than setting off slowed (the only way a drive overtakes another)."""
    best = _earliest_fit(ctx, edge, not_before)
    if best is None:
        return None
    best_arrival = best + drive_minutes(ctx, edge, best)
    for interval, _ in ctx.overlay.slowdowns.get(edge.road, ()):
        if best < interval.end < best_arrival:
            other = _earliest_fit(ctx, edge, interval.end)
            if other is not None and other + drive_minutes(ctx, edge, other) < best_arrival:
                best, best_arrival = other, other + drive_minutes(ctx, edge, other)
    return best


def latest_drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int, arrive_by: int) -> int | None:
    """The latest start >= not_before of an allowed drive arriving by ``arrive_by`` (memoised:
    the same postponements recur across the searches of a profile)."""
    key = (id(edge), not_before, arrive_by)
    if key in ctx.latest_starts:
        return ctx.latest_starts[key]
    w_start, w_end = edge.window
    if w_start < w_end and ctx.steady[edge.origin] and not ctx.overlay.slowdowns.get(edge.road):
        found = _latest_steady(ctx, edge, not_before, arrive_by)
    else:
        found = _latest_drive_start(ctx, edge, not_before, arrive_by)
    ctx.latest_starts[key] = found
    return found


def _latest_steady(ctx: SearchContext, edge: DriveEdge, not_before: int, arrive_by: int) -> int | None:
    """``_latest_drive_start`` by plain arithmetic in the usual case: a window inside one day,
    a zone that keeps its offset, a road without slowdowns (fixed length)."""
    w_start, w_end = edge.window
    minutes = edge.minutes
    if minutes > w_end - w_start:
        return None
    midnights = ctx.midnights[edge.origin]
    start = min(arrive_by, ctx.horizon_end) - minutes
    while start >= not_before:
        index = bisect_right(midnights, start) - 1
        if index < 0 or index >= len(midnights) - 1:
            return None
        opens, closes = midnights[index] + w_start, midnights[index] + w_end
        if start + minutes > closes:
            start = closes - minutes
            continue
        if start < opens:
            start = midnights[index - 1] + w_end - minutes if index > 0 else not_before - 1
            continue
        closed = ctx.overlay.road_closed(edge.road, start, start + minutes)
        if closed is not None:
            start = closed.start - minutes
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(start + minutes, edge.destination):
            start -= 1
            continue
        return start
    return None


def _latest_drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int, arrive_by: int) -> int | None:
    """The latest start >= not_before of an allowed drive arriving by ``arrive_by``.

    Exact: starts are tried from the latest down, and the only jumps skip starts the
    rules certainly refuse (a drive that cannot fit the window's opening it starts in,
    or that would meet a closure); on a road with a slowdown every minute is tried,
    as a slowed drive's length changes with its start.
    """
    slowed = bool(ctx.overlay.slowdowns.get(edge.road))
    start = arrive_by - edge.minutes
    while start >= not_before:
        minutes = drive_minutes(ctx, edge, start)
        end = start + minutes
        if end <= arrive_by and drive_fits(ctx, edge, start) is not None:
            return start
        step = 1
        if not slowed and end <= arrive_by:
            openings = ctx.openings(edge.window, edge.origin, start)
            if not any(o <= start and end <= c for o, c in openings):
                # The latest start that fits an opening ending before this drive would.
                fits = [c - minutes for o, c in openings if c - minutes < start and c - minutes >= o]
                if fits:
                    step = start - max(fits)
            else:
                closed = ctx.overlay.road_closed(edge.road, start, end)
                if closed is not None:
                    step = max(1, end - closed.start)
        start -= step
    return None


# A label: (time, money, barred terminal, previous label index or -1, the leg taken to
# get there, key, leave, drive chain); see pareto_search. Once a ride is taken the leave is
# exact; before (no leg yet, or only drives) it is the earliest the leave can be, as the
# drives are still to be postponed to whatever follows.
Label = tuple[int, float, "str | None", int, "LegSpec | None", Key, int, "tuple[int, ...] | None"]


@dataclass
class Labels:
    """What a search found: every kept label, and per key the indices of its labels."""

    entries: list[Label] = field(default_factory=list)
    by_key: dict[Key, list[int]] = field(default_factory=dict)

    def __contains__(self, key: Key) -> bool:
        return key in self.by_key

    def __getitem__(self, key: Key) -> tuple[int, int | None, LegSpec | None]:
        """The earliest label at a key: (time, previous index, leg)."""
        label = self.entries[self.by_key[key][0]]
        return label[0], label[3], label[4]

    def items(self) -> list[tuple[Key, tuple[int, int | None, LegSpec | None]]]:
        """(key, earliest label) for every key reached."""
        return [(key, self[key]) for key in self.by_key]


def _dominated(
    labels: Labels,
    key: Key,
    money: float,
    barred: str | None,
    leave: int,
    chain: tuple[int, ...] | None,
) -> bool:
    """True when a label kept at ``key`` (so arriving no later) does at least as well for
    every continuation as the one described, so the latter can be dropped.

    - It costs no more, and is no more restricted: ``barred`` is the terminal a ride just
      set the delegation down at, which from the centre may not be boarded again before
      its transfer time (rule 5; the "ready" label of that terminal covers that case).
    - Its connection leaves no earlier. Once a ride is taken the leave is known exactly
      (drives before it postponed to make it, rule 16); before, a label only knows the
      earliest its leave can be (postponing moves it later). The kept label's leave (exact
      or earliest) must reach the other's exact ``leave``.
    - Before any ride (``chain`` is not None: no leg yet, or only drives) the leave is not
      known, as postponing the drives depends on what follows; only a label over the same
      drives, which will be postponed alike, can stand in for it.
    """
    for index in labels.by_key.get(key, ()):
        kept = labels.entries[index]
        if kept[1] > money or not (kept[2] is None or kept[2] == barred):
            continue
        if chain is not None:
            if kept[7] == chain:
                return True
        elif kept[6] >= leave:
            return True
    return False


def pareto_search(
    ctx: SearchContext,
    origin: str,
    leave_at: int,
    leave_before: int | None = None,
    only: frozenset[int] | None = None,
) -> Labels:
    """Multi-label search from ``origin``: at every city centre and terminal, the labels no
    other label beats on (arrival, money, leave), for connections whose first leg leaves
    the centre in [leave_at, leave_before).

    ``journeys_from`` runs one search per candidate leave time, each up to the next one,
    so every connection is found by exactly the search of its own leave slot. With
    ``only``, the first leg must be one of those drives (edge ids).

    No label arrives after what the daily limit allows for its connection (rule 22): a
    connection leaving at L must end by ``ctx.leave_bound(L)``; that is the only cut.
    """
    horizon = ctx.horizon_end
    if leave_before is None:
        leave_before = horizon + 1
    labels = Labels()
    start: Key = ("city", origin)
    # (time, money, order, key, barred, previous, leg, leave, chain)
    heap: list[tuple[int, float, int, Key, str | None, int, LegSpec | None, int, tuple[int, ...] | None]] = [
        (leave_at, 0.0, 0, start, None, -1, None, leave_at, ())
    ]
    counter = 1
    push = heapq.heappush
    pop = heapq.heappop
    by_key = labels.by_key
    while heap:
        time, money, _, key, barred, previous, spec, leave, chain = pop(heap)
        if key in by_key and _dominated(labels, key, money, barred, leave, chain):
            continue
        here = len(labels.entries)
        labels.entries.append((time, money, barred, previous, spec, key, leave, chain))
        labels.by_key.setdefault(key, []).append(here)
        limit = horizon if chain is not None else min(horizon, ctx.leave_bound(leave))
        kind, ident = key
        if kind == "city":
            for terminal_id, lead in ctx.city_access[ident] if not (only is not None and chain == ()) else ():
                if terminal_id == barred:
                    continue  # the same terminal again: its transfer time applies (rule 5)
                ready: Key = ("ready", terminal_id)
                if time + lead <= limit and not _dominated(labels, ready, money, None, leave, chain):
                    push(heap, (time + lead, money, counter, ready, None, here, None, leave, chain))
                    counter += 1
            for drive in ctx.city_drives[ident]:
                if only is not None and chain == () and id(drive) not in only:
                    continue
                target: Key = ("city", drive.destination)
                next_chain: tuple[int, ...] | None = None
                if chain is not None:
                    # Drives before any ride: the leave floats, as they are postponed to
                    # whatever follows (rule 16), so nothing is cut by the daily limit yet.
                    # A chain never comes back to a city: waiting there instead leaves later
                    # and costs less.
                    if drive.destination in ctx.chain_cities(origin, chain):
                        continue
                    next_chain = (*chain, id(drive))
                next_money = money + drive.cost
                # Checked before the drive is timed: every label kept there is no later.
                if target in by_key and _dominated(labels, target, next_money, None, leave, next_chain):
                    continue
                begin = drive_start(ctx, drive, time)
                if begin is None:
                    continue
                if chain == () and begin >= leave_before:
                    continue  # a later search's slot
                end = begin + drive_minutes(ctx, drive, begin)
                if end > limit:
                    continue
                next_leave = begin if chain == () else leave
                push(
                    heap,
                    (
                        end,
                        next_money,
                        counter,
                        target,
                        None,
                        here,
                        (drive, begin),
                        next_leave,
                        next_chain,
                    ),
                )
                counter += 1
        else:
            lead_here = ctx.lead[ident]
            for ride in ctx.rides[ident]:
                index = bisect_left(ride.departs, time)
                if index == len(ride.runs):
                    continue
                run = ride.runs[index]
                ride_limit = limit
                if chain is None:
                    next_leave = leave
                elif chain == ():
                    # The first ride fixes the leave: just in time for it.
                    next_leave = run.depart - lead_here
                    if next_leave >= leave_before:
                        continue  # a later search's slot
                    ride_limit = min(horizon, ctx.leave_bound(next_leave))
                else:
                    # A ride after drives fixes the leave too: the drives postponed to make it.
                    next_leave = _postponed_leave(ctx, labels, here, run.depart - lead_here)
                    ride_limit = min(horizon, ctx.leave_bound(next_leave))
                if run.arrive > ride_limit:
                    continue
                next_money = money + ride.cost
                ready_key: Key = ("ready", ride.alight)
                ready_at = run.arrive + ride.transfer_min
                if ready_at <= ride_limit and not _dominated(
                    labels, ready_key, next_money, None, next_leave, None
                ):
                    push(
                        heap,
                        (
                            ready_at,
                            next_money,
                            counter,
                            ready_key,
                            None,
                            here,
                            (ride, index),
                            next_leave,
                            None,
                        ),
                    )
                    counter += 1
                city_key: Key = ("city", ride.to_city)
                city_at = run.arrive + ride.access_min
                if city_at <= ride_limit and not _dominated(
                    labels, city_key, next_money, ride.alight, next_leave, None
                ):
                    push(
                        heap,
                        (
                            city_at,
                            next_money,
                            counter,
                            city_key,
                            ride.alight,
                            here,
                            (ride, index),
                            next_leave,
                            None,
                        ),
                    )
                    counter += 1
    return labels


def _postponed_leave(ctx: SearchContext, labels: Labels, index: int, arrive_by: int) -> int:
    """The leave of a chain of drives (the path to a label) postponed to arrive by ``arrive_by``."""
    return _postpone(ctx, _specs(labels, index), arrive_by)[0][1]


def _postpone(ctx: SearchContext, specs: list[LegSpec], arrive_by: int | None) -> list[LegSpec]:
    """The legs with each drive that feeds a later leg (or must arrive by ``arrive_by``)
    started as late as still makes it (rule 16: the latest start the rules allow, not just
    the last instant), so waiting happens at the hotel, not at a terminal."""
    specs = list(specs)
    for position in range(len(specs) - 1, -1, -1):
        edge, value = specs[position]
        if isinstance(edge, RideEdge):
            arrive_by = edge.runs[value].depart - ctx.lead[edge.board]
            continue
        if arrive_by is not None and arrive_by > value + drive_minutes(ctx, edge, value):
            latest = latest_drive_start(ctx, edge, value, arrive_by)
            if latest is not None and latest > value:
                specs[position] = (edge, latest)
        arrive_by = specs[position][1]
    return specs


def earliest_arrival(ctx: SearchContext, origin: str, leave_at: int) -> Labels:
    """The search from ``origin`` at ``leave_at``; ``labels[key][0]`` is the earliest arrival."""
    return pareto_search(ctx, origin, leave_at)


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


def _specs(labels: Labels, index: int) -> list[LegSpec]:
    """The legs (edge, run index or drive start) of the path to a label, in order."""
    specs: list[LegSpec] = []
    current = index
    while current >= 0:
        previous, spec = labels.entries[current][3:5]
        if spec is not None:
            specs.append(spec)
        current = previous
    specs.reverse()
    return specs


def leave_time(ctx: SearchContext, legs: list[Leg]) -> int:
    """When the delegation must leave the origin centre to make the first leg."""
    first = legs[0]
    if first.mode == Mode.DRIVE:
        return first.depart
    terminal = ctx.terminal(first.from_place)
    return first.depart - terminal.check_in_min - terminal.access_min


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


RawPath = tuple[str, tuple[tuple[int, int], ...]]  # destination, (edge id, run or start) per leg


def journeys_from(
    ctx: SearchContext,
    origin: str,
    leave_times: Iterable[int],
    first_drives: dict[int, frozenset[int]] | None = None,
) -> dict[str, list[Journey]]:
    """Pareto sets of connections from ``origin`` to every city, over the given leave times.

    ``first_drives`` restricts the searches of some leave times to connections starting
    with one of the given drives (by edge id); those times need not be in ``leave_times``.
    """
    first_drives = first_drives or {}
    leave_times = set(leave_times)
    found: dict[str, dict[tuple[object, ...], Journey]] = {}
    # Searches from neighbouring leave times mostly find the same paths. A path seen
    # before (same edges, same runs or drive starts) gives the same journey and the
    # same verdict, since leave times only grow, so it is skipped before the costly
    # part: building legs, postponing drives, counting night minutes.
    seen: set[RawPath] = set()
    max_day = ctx.rules.max_travel_min_per_day
    ordered = sorted(leave_times | set(first_drives))
    for leave_at, leave_before in zip(ordered, [*ordered[1:], None], strict=True):
        only = None if leave_at in leave_times else first_drives[leave_at]
        labels, paths = _paths_at(ctx, origin, leave_at, leave_before, only)
        for destination, raw, arrive, index in paths:
            if raw in seen:
                continue
            seen.add(raw)
            signature, specs = _legs_of(ctx, origin, labels, raw, index)
            known = found.setdefault(destination, {})
            if signature in known:
                continue
            journey = ctx.journeys.get((origin, raw)) if ctx.keep_arrivals else None
            if journey is None:
                legs = [_leg(ctx, spec) for spec in specs]
                journey = make_journey(ctx, origin, destination, legs, arrive)
                if ctx.keep_arrivals:
                    ctx.journeys[(origin, raw)] = journey
            # A connection that alone travels more than the limit on some home day can be
            # in no plan (rule 22); nothing else bounds its length.
            if journey.leave < leave_at or any(m > max_day for _, m in journey.day_minutes):
                continue
            known[signature] = journey
    return {dest: pareto(list(js.values())) for dest, js in found.items()}


def _paths_at(
    ctx: SearchContext,
    origin: str,
    leave_at: int,
    leave_before: int | None,
    only: frozenset[int] | None = None,
) -> tuple[Labels, list[tuple[str, RawPath, int, int]]]:
    """The search of the slot [leave_at, leave_before) and (destination, raw path, arrival,
    label) of every label it keeps at a city centre."""
    slot = (origin, leave_at, leave_before, only)
    cached = ctx.paths.get(slot)
    if cached is not None:
        return ctx.arrivals[slot], cached
    labels = pareto_search(ctx, origin, leave_at, leave_before, only)
    paths = []
    for key, indices in labels.by_key.items():
        if key[0] != "city" or key[1] == origin:
            continue
        for index in indices:
            raw = tuple((id(edge), value) for edge, value in _specs(labels, index))
            paths.append((key[1], (key[1], raw), labels.entries[index][0], index))
    if ctx.keep_arrivals:
        ctx.paths[slot] = paths
        ctx.arrivals[slot] = labels
    return labels, paths


def _legs_of(
    ctx: SearchContext, origin: str, labels: Labels, raw: RawPath, index: int
) -> tuple[tuple[tuple[str, int], ...], list[LegSpec]]:
    """The legs of a raw path found in ``labels`` (drives postponed) and its signature; legs
    are built only for a signature not seen before."""
    if ctx.keep_arrivals and (origin, raw) in ctx.legs:
        return ctx.legs[(origin, raw)]
    specs = _postpone(ctx, _specs(labels, index), None)
    signature = tuple(
        (edge.service, edge.runs[value].depart) if isinstance(edge, RideEdge) else (edge.road, value)
        for edge, value in specs
    )
    entry = (signature, specs)
    if ctx.keep_arrivals:
        ctx.legs[(origin, raw)] = entry
    return entry


def pareto(journeys: list[Journey]) -> list[Journey]:
    """Drop connections that leave no later, arrive no earlier, and cost no less.

    Night minutes and the minutes on each home day are overlaps of [leave, arrive)
    with fixed windows, so a connection inside another's interval never has more:
    comparing (leave, arrive, money) is exact for the whole objective and the limit.
    """
    journeys.sort(key=lambda j: (-j.leave, j.arrive, j.cost))
    kept: list[Journey] = []
    # Every kept connection leaves no earlier than the next one looked at, so only arrival
    # and money remain to compare: a staircase of (arrival, money), money falling as the
    # arrival grows, answers "is there one no later and no dearer" by bisection.
    arrivals: list[int] = []
    costs: list[float] = []
    for journey in journeys:
        at = bisect_right(arrivals, journey.arrive) - 1
        if at >= 0 and costs[at] <= journey.cost:
            continue
        kept.append(journey)
        # Drop the steps it beats (no earlier arrival, no lower money), keep the staircase.
        end = at + 1
        while end < len(arrivals) and costs[end] >= journey.cost:
            end += 1
        arrivals[at + 1 : end] = [journey.arrive]
        costs[at + 1 : end] = [journey.cost]
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


def drive_leave_times(ctx: SearchContext, origin: str, not_before: int, not_after: int) -> list[int]:
    """Moments from which a drive out of the city can first start: where its window opens,
    a closure of its road or the quiet hours end, a slowdown starts or ends, and where a
    home-zone day or night begins inside a window.

    Searching from each of them finds the earliest drive on every day (the next morning
    after a late seminar, rule 16), not just the first one after the seminar: a later
    drive can keep a day's travel limit or spare night minutes. Between two such moments
    nothing about a drive's cost or feasibility changes but its start, so the earliest
    start after each is the one to keep.
    """
    openings: set[int] = set()
    moments: set[int] = set()
    home = ctx.home_city
    night_start, night_end = ctx.rules.night.minutes()
    quiet_end = None if ctx.rules.quiet_hours is None else ctx.rules.quiet_hours.minutes()[1]
    spans = []
    for w_start, w_end in {edge.window for edge in ctx.city_drives[origin]}:
        for index in range(len(ctx.midnights[origin]) - 1):
            opens, closes = ctx.opening(index, (w_start, w_end), origin)
            if closes >= not_before and opens <= not_after:
                spans.append((opens, closes))
                openings.add(opens)
            if quiet_end is not None:
                moments.add(ctx.at_local(index, quiet_end, origin))
    for edge in ctx.city_drives[origin]:
        for interval in ctx.overlay.roads.get(edge.road, ()):
            moments.add(interval.end)
        for interval, _ in ctx.overlay.slowdowns.get(edge.road, ()):
            moments.update((interval.start, interval.end))
    for index in range(len(ctx.midnights[home]) - 1):
        moments.update(
            (
                ctx.midnights[home][index],
                ctx.at_local(index, night_end, home),
                ctx.at_local(index, night_start, home),
            )
        )
    # A moment outside every opening of the windows starts no drive: the opening after it
    # is already a candidate.
    times = openings | {t for t in moments if any(o <= t < c for o, c in spans)}
    return sorted(t for t in times if not_before <= t <= not_after)


def latest_drive_leave_times(
    ctx: SearchContext, origin: str, not_before: int, not_after: int
) -> dict[int, frozenset[int]]:
    """``_latest_drive_moments`` in range, each with the drives (edge ids) it is the last start of.

    Such a moment only matters for a connection starting with that drive: any other first
    leg leaving then is found from the candidate moments of its own.
    """
    return {
        t: frozenset(edges)
        for t, edges in _latest_drive_moments(ctx, origin, not_before, not_after).items()
        if not_before <= t <= not_after
    }


def _latest_drive_moments(
    ctx: SearchContext, origin: str, not_before: int, not_after: int
) -> dict[int, set[int]]:
    """Latest allowed starts of a first drive that can make a connection cheaper.

    The last start of each opening of the window, and the last before a closure of the
    road: a chain of drives leaving then spends its night further along (a later leave
    for the same route onwards). And where the window meets the night or a home midnight,
    a drive's night minutes and how its minutes split across home days change with its
    start, so the best may be the last start before something forbids a later one (the
    quiet hours at either end, a night boundary or a midnight passed).
    """
    quiet = ctx.rules.quiet_hours.minutes() if ctx.rules.quiet_hours is not None else None
    found: dict[int, set[int]] = {}
    if not ctx.city_drives[origin]:
        return found
    home_marks, nights = ctx.home_marks()
    for edge in ctx.city_drives[origin]:
        for index in range(len(ctx.midnights[origin]) - 1):
            opens, closes = ctx.opening(index, edge.window, origin)
            if closes < not_before or opens > not_after:
                continue
            span_end = closes  # a drive lies inside one opening (rule 16)
            inside = home_marks[bisect_right(home_marks, opens) : bisect_left(home_marks, span_end)]
            # Nights are disjoint and in order: the last one starting before the span's end
            # is the only one that can reach into it without a mark inside.
            at = bisect_left(nights, (span_end,)) - 1
            night = at >= 0 and nights[at][1] > opens
            # Always the last start of the opening and the last before a closure: leaving
            # then moves a night's stop further along a chain of drives (a later leave for
            # the same route onwards).
            marks = {closes}
            marks.update(i.start for i in ctx.overlay.roads.get(edge.road, ()) if opens < i.start < span_end)
            if not inside and not night:
                for mark in marks:
                    latest = latest_drive_start(ctx, edge, opens, mark)
                    if latest is not None:
                        found.setdefault(latest, set()).add(id(edge))
                continue  # otherwise cost cannot change with the start
            marks.update(inside)
            if quiet is not None:
                for d in (index, index + 1):
                    marks.add(ctx.at_local(d, quiet[0], origin))
                    marks.add(ctx.at_local(d, quiet[0], edge.destination))
            for mark in marks:
                # The last start arriving by the mark, and the last start before it.
                for arrive_by in (mark, mark - 1 + edge.minutes):
                    latest = latest_drive_start(ctx, edge, opens, min(arrive_by, span_end))
                    if latest is not None:
                        found.setdefault(latest, set()).add(id(edge))
    return found
