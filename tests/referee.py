"""A movement-level referee: brute-force optimum of a tiny scenario, from the written rules.

Written only from ``scenarios/README.md`` ("Movement rules, precisely", rules 1-25). It
never imports the planner's network, connection search, calendar, problem or model;
it shares only the scenario models (``planner.domain``) and the clock parser.

1. Connections, per origin city O: a forward sweep over every minute from
   ``earliest_departure`` to ``latest_return``. States are "ready to board at terminal
   T" and "ready to drive from city C", each holding a Pareto set of labels (L, money):
   L is when the connection left O's centre (later is better), money smaller is better.
   Rides (rules 10-14) board at exactly their departure minute; drives (rules 15-18)
   are tried at every start minute. Every arrival at a city D != O gives a candidate
   connection (L, A, money); the Pareto set over (L later, A earlier, money smaller) is
   exact for the itinerary, because travel, night minutes (rule 21) and the daily
   loads (rule 22) of a connection only grow when [L, A) grows.
2. Itinerary: seminar slots (rules 6-8) and a DP over slots in time order with state
   (slot, cities held) and a Pareto set over (travel minutes on the home day of the
   slot's end, secondary cost); transitions use every connection that fits (rules 3,
   7, 22). Lexicographic objective (rules 23, 24), required seminars (rule 9).

Readings chosen where the text leaves room (each marked "READING" below):

- R1 (rule 6): inside a seminar ``window`` the starts are ``step_min`` *real* minutes
  apart from the instant the window opens, and "ends by window.end" compares real
  instants; on a clock-change day this differs from stepping the wall clock.
- R2 (rules 16, 21): an opening of a window on local date d runs from the instant of
  (d, start) to the instant of (d or d+1, end), both read with fold=0; a window whose
  start equals its end is empty (as ``ClockWindow.contains`` says), never 24 hours.
- R3 (rules 14, 18): quiet hours are judged on the local wall clock of the instant
  (minute of day in the window), not on openings.
- R4 (rule 3/5): a connection may pass through any city, including its own origin or
  cities where the itinerary holds a seminar at another time; a return to the origin
  can matter only through a same-terminal transfer (rule 5).
- R5 (rule 20): share = stop-to-stop great-circle distance of the ride / of the run
  (the earth radius cancels); a run whose stops are all in one place pays the whole
  fare. Leg money is rounded with ``round(x, 2)``, connection money is the sum of
  the rounded legs.
- R6 (rule 15): ``round`` is Python's (half to even) on ``minutes * f1 * f2 ...``.
- R7 (rules 13, 17): the closure intervals are [start, end); a ride arrival at the
  closure's end instant is fine.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from astral import Observer
from astral.sun import elevation, sun

from planner.domain import WEEKDAYS, ClockWindow, DisruptionKind, Scenario, parse_clock

UTC = dt.UTC
DAY = 24 * 60
EARTH_RADIUS_KM = 6371.0


# ---------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RefLeg:
    mode: str  # flight, train, bus or drive
    ref: str  # service id or road id
    origin: str  # terminal id (ride) or city id (drive)
    destination: str
    from_city: str
    to_city: str
    depart: dt.datetime  # aware (UTC)
    arrive: dt.datetime
    run_date: dt.date | None
    money: float
    distance_km: float


@dataclass(frozen=True)
class RefConnection:
    origin: str
    destination: str
    leave: dt.datetime
    arrive: dt.datetime
    travel_min: int
    night_min: int
    money: float
    cost: int  # secondary cost, 1/60 points
    legs: tuple[RefLeg, ...]


@dataclass(frozen=True)
class RefSeminar:
    city: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class RefereeResult:
    feasible: bool
    points: int
    cost: int  # secondary cost, 1/60 points (rule 24)
    seminars: tuple[RefSeminar, ...] = ()
    connections: tuple[RefConnection, ...] = ()
    covered_regions: tuple[str, ...] = ()
    stats: dict[str, float] = field(default_factory=dict)

    def brief(self) -> str:
        """A few lines: status, points, cost, the seminars and connections."""
        if not self.feasible:
            return "referee: INFEASIBLE"
        lines = [f"referee: points={self.points} cost={self.cost}"]
        items: list[tuple[dt.datetime, str]] = []
        for s in self.seminars:
            items.append((s.start, f"  seminar {s.city} {_iso(s.start)} - {_iso(s.end)}"))
        for c in self.connections:
            legs = ", ".join(
                f"{leg.mode}:{leg.ref} {leg.origin}->{leg.destination} {_iso(leg.depart)}-{_iso(leg.arrive)}"
                for leg in c.legs
            )
            items.append(
                (
                    c.leave,
                    f"  conn {c.origin}->{c.destination} {_iso(c.leave)}-{_iso(c.arrive)} "
                    f"travel={c.travel_min} night={c.night_min} money={c.money} cost={c.cost} [{legs}]",
                )
            )
        lines += [text for _, text in sorted(items, key=lambda x: x[0])]
        return "\n".join(lines)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%m-%dT%H:%MZ")


# ---------------------------------------------------------------------------
# Time helpers (zoneinfo only)


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """A scenario datetime as an aware instant: naive ones are local to ``zone`` (fold=0)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone, fold=0)
    return moment.astimezone(UTC)


def _wall(day: dt.date, minute_of_day: int, zone: ZoneInfo) -> dt.datetime:
    """The instant of a local wall time on a local date (fold=0 for gaps and repeats)."""
    days, minute = divmod(minute_of_day, DAY)
    day = day + dt.timedelta(days=days)
    local = dt.datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone, fold=0)
    return local.astimezone(UTC)


class _Clock:
    """Minutes relative to earliest_departure, and local clocks of zones over the trip."""

    def __init__(self, t0: dt.datetime, horizon: int) -> None:
        self.t0 = t0
        self.horizon = horizon
        self._epoch_min = int(t0.timestamp()) // 60
        self._offsets: dict[str, tuple[list[int], list[int]]] = {}

    def minute(self, moment: dt.datetime) -> float:
        """Minutes after t0 (may be fractional for odd inputs)."""
        return (moment - self.t0).total_seconds() / 60

    def imin(self, moment: dt.datetime) -> int:
        value = self.minute(moment)
        assert value == int(value), f"{moment} is not on a whole minute"
        return int(value)

    def at(self, t: float) -> dt.datetime:
        return self.t0 + dt.timedelta(minutes=t)

    def _offset_fn(self, zone: ZoneInfo) -> tuple[list[int], list[int]]:
        """(change minutes, offset minutes) of a zone over [-3 days, horizon + 3 days]."""
        key = str(zone.key)
        if key in self._offsets:
            return self._offsets[key]

        def offset(t: int) -> int:
            off = self.at(t).astimezone(zone).utcoffset()
            assert off is not None
            return int(off.total_seconds() // 60)

        lo, hi = -3 * DAY, self.horizon + 3 * DAY
        starts, values = [lo], [offset(lo)]
        step = 15
        prev_t, prev = lo, values[0]
        t = lo + step
        while t <= hi + step:
            cur = offset(t)
            if cur != prev:
                a, b = prev_t, t  # offset(a) == prev, offset(b) == cur: find first minute of cur
                while b - a > 1:
                    mid = (a + b) // 2
                    if offset(mid) == prev:
                        a = mid
                    else:
                        b = mid
                starts.append(b)
                values.append(cur)
            prev_t, prev = t, cur
            t += step
        self._offsets[key] = (starts, values)
        return starts, values

    def local_minute_of_day(self, t: int, zone: ZoneInfo) -> int:
        starts, values = self._offset_fn(zone)
        off = values[bisect.bisect_right(starts, t) - 1]
        return (self._epoch_min + t + off) % DAY

    def local_date(self, t: float, zone: ZoneInfo) -> dt.date:
        return self.at(t).astimezone(zone).date()


def _in_clock_window(window: ClockWindow, minute_of_day: int) -> bool:
    start, end = parse_clock(window.start)[0], parse_clock(window.end)[0]
    if start <= end:
        return start <= minute_of_day < end  # READING R2: start == end is empty
    return minute_of_day >= start or minute_of_day < end


def _openings(
    window: ClockWindow, zone: ZoneInfo, first: dt.date, last: dt.date, clock: _Clock
) -> list[tuple[dt.date, float, float]]:
    """(date, open, close) minutes of each opening of a daily window on local dates first..last."""
    start, end = parse_clock(window.start)[0], parse_clock(window.end)[0]
    out = []
    day = first
    while day <= last:
        if start != end:
            close_day = day if end > start else day + dt.timedelta(days=1)
            out.append(
                (day, clock.minute(_wall(day, start, zone)), clock.minute(_wall(close_day, end, zone)))
            )
        day += dt.timedelta(days=1)
    return out


def _great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# ---------------------------------------------------------------------------
# The referee


# A label: (L, money in cents, node); node = (parent node, leg) or None (left the centre).
Label = tuple[int, int, Any]
# A leg as found: (mode, ref, origin, destination, from_city, to_city, depart, arrive, run_date,
# cents, distance_km)
LegTuple = tuple[str, str, str, str, str, str, int, int, dt.date | None, int, float]
# An itinerary state: (load on the home day of `free`, cost, city, free, cities held (bits),
# parent entry, connection (x, y, row) that led here or None, slot index or None)
Entry = tuple[int, int, str, int, int, Any, Any, Any]


def _insert(labels: list[Label], label: Label) -> bool:
    """Add a label to a Pareto set (L larger, money smaller); True when it was kept."""
    big_l, money = label[0], label[1]
    for other in labels:
        if other[0] >= big_l and other[1] <= money:
            return False
    labels[:] = [o for o in labels if not (big_l >= o[0] and money <= o[1])]
    labels.append(label)
    return True


def _pareto_connections(
    records: list[tuple[int, int, int, Any]],
) -> list[tuple[int, int, int, Any]]:
    """Keep (L, A, money, node) not contained in another: L larger, A smaller, money smaller."""
    records = sorted(records, key=lambda r: (r[2], r[1], -r[0]))
    fronts: list[tuple[list[int], list[int]]] = []  # per money level: A ascending, L ascending
    kept: list[tuple[int, int, int, Any]] = []
    level_money: int | None = None
    cur_a: list[int] = []
    cur_l: list[int] = []
    for rec in records:
        big_l, a, money = rec[0], rec[1], rec[2]
        if money != level_money:
            if cur_a:
                fronts.append((cur_a, cur_l))
            cur_a, cur_l, level_money = [], [], money
        dominated = False
        for fa, fl in (*fronts, (cur_a, cur_l)):
            i = bisect.bisect_right(fa, a) - 1
            if i >= 0 and fl[i] >= big_l:
                dominated = True
                break
        if dominated:
            continue
        kept.append(rec)
        # Within one level records come by A ascending, so the front stays sorted;
        # a kept record has L above every earlier one with A <= its A.
        if cur_a and cur_a[-1] == a:
            cur_l[-1] = max(cur_l[-1], big_l)
        else:
            cur_a.append(a)
            cur_l.append(big_l if not cur_l else max(big_l, cur_l[-1]))
    return kept


class _Referee:
    def __init__(self, scenario: Scenario) -> None:
        self.sc = scenario
        # Filled by ``solve``: the least cost of every set of seminar cities some itinerary holds
        # (for several teams, whose best is over pairs of such sets).
        self.by_cities: dict[frozenset[str], int] = {}
        dlg = scenario.delegation
        self.rules = dlg.rules
        self.cities = {c.id: c for c in scenario.cities}
        self.zones = {c.id: ZoneInfo(c.timezone) for c in scenario.cities}
        self.terminals = {t.id: t for c in scenario.cities for t in c.terminals}
        self.term_city = {t.id: c.id for c in scenario.cities for t in c.terminals}
        self.home = self.zones[dlg.start_city]
        t0 = _aware(dlg.earliest_departure, self.zones[dlg.start_city])
        t1 = _aware(dlg.latest_return, self.zones[dlg.end_city])
        horizon = int((t1 - t0).total_seconds() // 60)
        self.clock = _Clock(t0, max(horizon, 0))
        self.H = horizon
        self.first_date = t0.date() - dt.timedelta(days=3)
        self.last_date = t1.date() + dt.timedelta(days=3)
        self._events_and_closures()
        # Rest days: whole home-zone days with no seminar and nothing under way.
        self.rest_spans = [
            (
                self.clock.minute(_wall(d, 0, self.home)),
                self.clock.minute(_wall(d + dt.timedelta(days=1), 0, self.home)),
            )
            for d in sorted(set(self.rules.rest_days))
        ]

    # -- events ----------------------------------------------------------------

    def _region_zone(self, region: str) -> ZoneInfo:
        for c in self.sc.cities:
            if c.region == region:
                return self.zones[c.id]
        return self.home

    def _events_and_closures(self) -> None:
        sc = self.sc
        roads = {r.id: r for r in sc.roads}
        services = {s.id: s for s in sc.services}
        self.term_closed: dict[str, list[tuple[float, float]]] = {}
        self.road_closed: dict[str, list[tuple[float, float]]] = {}
        self.road_slow: dict[str, list[tuple[float, float, float]]] = {}
        self.cancelled: dict[str, list[tuple[float, float]]] = {}
        self.delayed: dict[str, list[tuple[float, float, int]]] = {}
        self.unavailable: dict[str, list[tuple[float, float]]] = {}

        def span(ev: Any, zone: ZoneInfo) -> tuple[float, float]:
            return self.clock.minute(_aware(ev.start, zone)), self.clock.minute(_aware(ev.end, zone))

        for cl in sc.closures:
            if cl.terminal is not None:
                self.term_closed.setdefault(cl.terminal, []).append(
                    span(cl, self.zones[self.term_city[cl.terminal]])
                )
            elif cl.road is not None:
                self.road_closed.setdefault(cl.road, []).append(span(cl, self.zones[roads[cl.road].a]))
        for ev in sc.disruptions:
            kind = ev.kind
            if kind == DisruptionKind.TERMINAL_CLOSED:
                assert ev.terminal is not None
                self.term_closed.setdefault(ev.terminal, []).append(
                    span(ev, self.zones[self.term_city[ev.terminal]])
                )
            elif kind in (DisruptionKind.ROAD_CLOSED, DisruptionKind.ROAD_SLOWED):
                if ev.road is not None:
                    targets = [ev.road]
                    zone = self.zones[roads[ev.road].a]
                else:
                    assert ev.region is not None
                    targets = [r.id for r in sc.roads if ev.region in r.regions]
                    zone = self._region_zone(ev.region)
                s, e = span(ev, zone)
                for rid in targets:
                    if kind == DisruptionKind.ROAD_CLOSED:
                        self.road_closed.setdefault(rid, []).append((s, e))
                    else:
                        assert ev.factor is not None
                        self.road_slow.setdefault(rid, []).append((s, e, ev.factor))
            elif kind in (DisruptionKind.SERVICE_CANCELLED, DisruptionKind.SERVICE_DELAYED):
                assert ev.service is not None
                first = services[ev.service].stops[0].terminal
                s, e = span(ev, self.zones[self.term_city[first]])
                if kind == DisruptionKind.SERVICE_CANCELLED:
                    self.cancelled.setdefault(ev.service, []).append((s, e))
                else:
                    assert ev.delay_min is not None
                    self.delayed.setdefault(ev.service, []).append((s, e, ev.delay_min))
            elif kind == DisruptionKind.CITY_UNAVAILABLE:
                assert ev.city is not None
                self.unavailable.setdefault(ev.city, []).append(span(ev, self.zones[ev.city]))

    def _in_daylight(self, city: str, day: dt.date, opens: float, closes: float) -> tuple[float, float]:
        """An opening of the driving window cut to sunrise-sunset at the city on its date."""
        place = self.cities[city]
        observer = Observer(latitude=place.lat, longitude=place.lon)
        try:
            times = sun(observer, date=day, tzinfo=self.zones[city])
        except ValueError:  # no sunrise or no sunset that day
            noon = _wall(day, 12 * 60, self.zones[city])
            return (opens, closes) if elevation(observer, noon) > 0 else (opens, opens - 1)
        return max(opens, self.clock.minute(times["sunrise"])), min(
            closes, self.clock.minute(times["sunset"])
        )

    def quiet(self, t: int, city: str) -> bool:
        window = self.rules.quiet_hours
        if window is None:
            return False
        return _in_clock_window(window, self.clock.local_minute_of_day(t, self.zones[city]))  # READING R3

    @staticmethod
    def _covers(spans: list[tuple[float, float]], t: float) -> bool:
        return any(s <= t < e for s, e in spans)

    # -- rides (rules 10-14, 20) -------------------------------------------------

    def build_rides(self) -> None:
        """rides_at[t]: (board terminal, [(alight terminal, arrive, cents, leg)])."""
        self.rides_at: dict[int, list[tuple[str, list[tuple[str, int, int, LegTuple]]]]] = {}
        size = self.sc.delegation.size
        for svc in self.sc.services:
            if svc.id in self.rules.avoid_services:
                continue  # the delegation will not take it
            stops = svc.stops
            last = len(stops) - 1
            stop_city = [self.term_city[s.terminal] for s in stops]
            cum = [0.0]
            for k in range(1, len(stops)):
                a, b = self.cities[stop_city[k - 1]], self.cities[stop_city[k]]
                cum.append(cum[-1] + _great_circle_km(a.lat, a.lon, b.lat, b.lon))
            total = cum[-1]
            if svc.distance_km is not None and total > 0:
                cum = [d * svc.distance_km / total for d in cum]
                total = svc.distance_km
            board = [i for i in range(last) if i == 0 or stops[i].depart is not None]
            alight = [j for j in range(1, last + 1) if j == last or stops[j].arrive is not None]
            first_zone = self.zones[stop_city[0]]
            dep0 = stops[0].depart
            assert dep0 is not None
            day = self.first_date
            while day <= self.last_date:
                run = day
                day += dt.timedelta(days=1)
                if WEEKDAYS[run.weekday()] not in svc.days:
                    continue
                if (svc.valid_from and run < svc.valid_from) or (svc.valid_to and run > svc.valid_to):
                    continue
                minute0, off0 = parse_clock(dep0)
                sched = self.clock.minute(_wall(run + dt.timedelta(days=off0), minute0, first_zone))
                if self._covers(self.cancelled.get(svc.id, []), sched):
                    continue
                delay = sum(d for s, e, d in self.delayed.get(svc.id, []) if s <= sched < e)

                deps = [self._stop_at(s.depart, c, run, delay) for s, c in zip(stops, stop_city, strict=True)]
                arrs = [self._stop_at(s.arrive, c, run, delay) for s, c in zip(stops, stop_city, strict=True)]
                for i in board:
                    dep = deps[i]
                    assert dep is not None
                    ti = stops[i].terminal
                    if dep < 0 or dep > self.H or self.quiet(dep, stop_city[i]):
                        continue
                    if self._covers(self.term_closed.get(ti, []), dep):
                        continue
                    options = []
                    for j in alight:
                        if j <= i:
                            continue
                        arr = arrs[j]
                        assert arr is not None
                        tj = stops[j].terminal
                        if arr > self.H or self.quiet(arr, stop_city[j]):
                            continue
                        if self._covers(self.term_closed.get(tj, []), arr):
                            continue
                        dist = cum[j] - cum[i]
                        share = dist / total if total else 1.0  # READING R5
                        money = round(svc.fare * share * size, 2)
                        cents = round(money * 100)
                        leg: LegTuple = (
                            svc.mode.value,
                            svc.id,
                            ti,
                            tj,
                            stop_city[i],
                            stop_city[j],
                            dep,
                            arr,
                            run,
                            cents,
                            dist,
                        )
                        options.append((tj, arr, cents, leg))
                    if options:
                        self.rides_at.setdefault(dep, []).append((ti, options))

    def _stop_at(self, text: str | None, city: str, run: dt.date, delay: int) -> int | None:
        """Minute of a stop time (local at the stop, run date + offset), delayed."""
        if text is None:
            return None
        minute, offset = parse_clock(text)
        return self.clock.imin(_wall(run + dt.timedelta(days=offset), minute, self.zones[city])) + delay

    # -- drives (rules 15-18, 20) ---------------------------------------------------

    def build_drives(self) -> None:
        """drives_from[city]: [(dest, {start: arrive}, cents, road id, km)]."""
        self.drives_from: dict[str, list[tuple[str, dict[int, int], int, str, float]]] = {}
        vehicles = self.sc.delegation.vehicles
        for road in self.sc.roads:
            if road.id in self.rules.avoid_roads:
                continue  # the delegation will not drive it
            if road.duration_min is not None:
                base = road.duration_min
            else:
                assert road.speed_kmh is not None
                base = round(road.distance_km / road.speed_kmh * 60)
            money = round(road.distance_km * road.cost_per_km * vehicles, 2)
            cents = round(money * 100)
            window = road.driving_window or self.rules.driving_window
            closed = self.road_closed.get(road.id, [])
            slow = self.road_slow.get(road.id, [])
            ways = [(road.a, road.b)] + ([(road.b, road.a)] if road.both_ways else [])
            for origin, dest in ways:
                zone = self.zones[origin]
                starts: dict[int, int] = {}
                for day, opens, closes in _openings(
                    window, zone, self.first_date, self.last_date, self.clock
                ):
                    if self.rules.daylight_driving:
                        opens, closes = self._in_daylight(origin, day, opens, closes)
                    t = max(math.ceil(opens), 0)
                    while t <= closes and t <= self.H:
                        factor = 1.0
                        for s, e, f in slow:
                            if s <= t < e:
                                factor *= f
                        minutes = base if factor == 1.0 else round(base * factor)  # READING R6
                        a = t + minutes
                        ok = a <= closes and a <= self.H
                        ok = ok and not any(t < e and s < a for s, e in closed)
                        ok = ok and not self.quiet(t, origin) and not self.quiet(a, dest)
                        if ok and (t not in starts or starts[t] > a):
                            starts[t] = a
                        t += 1
                if starts:
                    self.drives_from.setdefault(origin, []).append(
                        (dest, starts, cents, road.id, road.distance_km)
                    )

    # -- connections from one origin ----------------------------------------------

    def connections_from(self, origin: str) -> dict[str, list[tuple[int, int, int, Any]]]:
        H = self.H
        term_city = self.term_city
        terminals = self.terminals
        city_terms = {c.id: [t.id for t in c.terminals] for c in self.sc.cities}
        board: dict[str, list[Label]] = {t: [] for t in terminals}
        drive: dict[str, list[Label]] = {c: [] for c in self.cities}
        version: dict[str, int] = {c: 0 for c in self.cities}
        last_push: dict[tuple[str, int], tuple[int, int]] = {}
        pending: dict[int, list[tuple[int, str, Label]]] = {}  # kind 0 board, 1 drive
        records: dict[str, list[tuple[int, int, int, Any]]] = {}
        buffer = self.rules.departure_buffer_min  # on top of check-in, boarding from a city
        own_terms = {
            t: terminals[t].access_min + terminals[t].check_in_min + buffer for t in city_terms[origin]
        }

        def push(when: int, kind: int, where: str, label: Label) -> None:
            if when <= H:
                pending.setdefault(when, []).append((kind, where, label))

        def arrive_city(city: str, when: int, label: Label) -> None:
            if city != origin and when <= H:
                records.setdefault(city, []).append((label[0], when, label[1], label[2]))

        drives_from = self.drives_from
        rides_at = self.rides_at
        for t in range(H + 1):
            for kind, where, label in pending.pop(t, ()):
                if kind == 0:
                    _insert(board[where], label)
                elif _insert(drive[where], label):
                    version[where] += 1
            for ti, options in rides_at.get(t, ()):
                labels = list(board[ti])
                if ti in own_terms and t - own_terms[ti] >= 0:
                    labels.append((t - own_terms[ti], 0, None))
                if not labels:
                    continue
                for tj, arr, cents, leg in options:
                    cj = term_city[tj]
                    tterm = terminals[tj]
                    for big_l, money, node in labels:
                        new: Label = (big_l, money + cents, (node, leg))
                        push(arr + tterm.min_transfer_min, 0, tj, new)
                        for other in city_terms[cj]:
                            if other != tj:
                                o = terminals[other]
                                lead = o.access_min + o.check_in_min + buffer
                                push(arr + tterm.access_min + lead, 0, other, new)
                        push(arr + tterm.access_min, 1, cj, new)
                        arrive_city(cj, arr + tterm.access_min, new)
            for city, routes in drives_from.items():
                if city == origin:
                    labels = [(t, 0, None)]
                    ver = -1
                else:
                    labels = drive[city]
                    if not labels:
                        continue
                    ver = version[city]
                for index, (dest, starts, cents, road_id, km) in enumerate(routes):
                    a = starts.get(t)
                    if a is None:
                        continue
                    key = (city, index)
                    prev = last_push.get(key)
                    if ver >= 0 and prev is not None and prev[0] == ver and prev[1] <= a:
                        continue  # same labels, arriving no earlier: dominated by waiting
                    last_push[key] = (ver, a)
                    drive_leg: LegTuple = ("drive", road_id, city, dest, city, dest, t, a, None, cents, km)
                    for big_l, money, node in labels:
                        new = (big_l, money + cents, (node, drive_leg))
                        push(a, 1, dest, new)
                        for other in city_terms[dest]:
                            o = terminals[other]
                            push(a + o.access_min + o.check_in_min + buffer, 0, other, new)
                        arrive_city(dest, a, new)
        return {d: _pareto_connections(recs) for d, recs in records.items()}

    # -- home days, night ----------------------------------------------------------------

    def build_days(self) -> None:
        zone = self.home
        self.midnights: list[float] = []
        day = self.first_date
        self.day_dates: list[dt.date] = []
        while day <= self.last_date + dt.timedelta(days=1):
            self.midnights.append(self.clock.minute(_wall(day, 0, zone)))
            self.day_dates.append(day)
            day += dt.timedelta(days=1)
        night = np.zeros(self.H + 2, dtype=np.int64)
        for _day, opens, closes in _openings(
            self.rules.night, zone, self.first_date, self.last_date, self.clock
        ):
            lo, hi = max(math.ceil(opens), 0), min(math.ceil(closes), self.H + 1)
            if lo < hi:
                night[lo:hi] = 1
        self.night_prefix = np.concatenate([[0], np.cumsum(night)])

    def day_of(self, t: float) -> int:
        return bisect.bisect_right(self.midnights, t) - 1

    def day_parts(self, big_l: int, a: int) -> list[tuple[int, int]]:
        """(home day index, minutes) of [L, A) split at home-zone midnights."""
        parts = []
        d = self.day_of(big_l)
        while self.midnights[d] < a:
            lo = max(big_l, self.midnights[d])
            hi = min(a, self.midnights[d + 1])
            if hi > lo:
                parts.append((d, int(hi - lo)))
            d += 1
        return parts

    def night_min(self, big_l: int, a: int) -> int:
        return int(self.night_prefix[a] - self.night_prefix[big_l])

    def conn_cost(self, travel: int, night: int, cents: int) -> int:
        obj = self.sc.objective
        return (
            travel * obj.travel_per_hour
            + night * obj.night_per_hour
            + round(cents / 100 * obj.cost_per_unit * 60)
        )

    # -- seminar slots (rules 6-8) -------------------------------------------------------

    def is_working_day(self, day: dt.date) -> bool:
        cal = self.sc.calendar
        if day in cal.extra_working_dates:
            return True
        return WEEKDAYS[day.weekday()] in cal.working_weekdays and day not in cal.holidays

    def slots(self) -> list[tuple[int, int, str]]:
        cal = self.sc.calendar
        out: list[tuple[int, int, str]] = []
        for sem in self.sc.seminars:
            zone = self.zones[sem.city]
            seen: set[int] = set()
            for k in range(cal.horizon_days):
                day = cal.start_date + dt.timedelta(days=k)
                if not sem.any_day and not self.is_working_day(day):
                    continue
                if (sem.earliest_date and day < sem.earliest_date) or (
                    sem.latest_date and day > sem.latest_date
                ):
                    continue
                starts: list[float] = []
                if sem.window is None:
                    starts = [self.clock.minute(_wall(day, parse_clock(s)[0], zone)) for s in sem.start_times]
                else:
                    # READING R1: steps of real minutes from the opening instant.
                    for _d, opens, closes in _openings(sem.window, zone, day, day, self.clock):
                        s = opens
                        while s + sem.duration_min <= closes:
                            starts.append(s)
                            s += sem.step_min
                for s in starts:
                    if s != int(s):
                        continue
                    start, end = int(s), int(s) + sem.duration_min
                    if start < 0 or end > self.H or start in seen:
                        continue
                    if any(start < e and b < end for b, e in self.unavailable.get(sem.city, [])):
                        continue
                    if any(start < e and b < end for b, e in self.rest_spans):
                        continue
                    seen.add(start)
                    out.append((start, end, sem.city))
        return sorted(out)

    # -- the itinerary DP ----------------------------------------------------------------

    def solve(self) -> RefereeResult:
        import time

        started = time.perf_counter()
        self.build_rides()
        self.build_drives()
        self.build_days()
        conns: dict[tuple[str, str], list[tuple[int, int, int, Any]]] = {}
        for c in self.cities:
            for d, recs in self.connections_from(c).items():
                conns[(c, d)] = recs
        t_conn = time.perf_counter() - started
        limit = self.rules.max_travel_min_per_day
        # Per pair: arrays for vectorised queries.
        table: dict[tuple[str, str], dict[str, Any]] = {}
        for key, recs in conns.items():
            rows = []
            for big_l, a, cents, node in recs:
                parts = self.day_parts(big_l, a)
                if not parts or any(p > limit for _, p in parts):
                    continue
                if any(big_l < e and b < a for b, e in self.rest_spans):
                    continue  # under way on a rest day
                travel = a - big_l
                night = self.night_min(big_l, a)
                rows.append(
                    (
                        big_l,
                        a,
                        self.conn_cost(travel, night, cents),
                        parts[0][0],
                        parts[0][1],
                        parts[-1][0],
                        parts[-1][1],
                        travel,
                        night,
                        cents,
                        node,
                    )
                )
            if not rows:
                continue
            rows.sort(key=lambda r: r[0])
            table[key] = {
                "L": np.array([r[0] for r in rows]),
                "A": np.array([r[1] for r in rows]),
                "cost": np.array([r[2] for r in rows]),
                "dF": np.array([r[3] for r in rows]),
                "pF": np.array([r[4] for r in rows]),
                "dL": np.array([r[5] for r in rows]),
                "pL": np.array([r[6] for r in rows]),
                "rows": rows,
            }
        cache: dict[tuple[Any, ...], list[tuple[int, int, int]]] = {}

        def query(
            x: str, y: str, free: int, deadline: int, load: int, day_end: int | None
        ) -> list[tuple[int, int, int]]:
            """Pareto (new load, cost, row) of connections x->y inside [free, deadline]."""
            tab = table.get((x, y))
            if tab is None:
                return []
            day_free = self.day_of(free)
            ck = (x, y, free, deadline, load, day_end)
            if ck in cache:
                return cache[ck]
            lo = int(np.searchsorted(tab["L"], free, side="left"))
            sl = slice(lo, None)
            mask = (tab["A"][sl] <= deadline) & (
                (tab["dF"][sl] != day_free) | (tab["pF"][sl] + load <= limit)
            )
            idx = np.nonzero(mask)[0] + lo
            result: list[tuple[int, int, int]] = []
            if len(idx):
                cost = tab["cost"][idx]
                if day_end is None:
                    best = int(np.argmin(cost))
                    result = [(0, int(cost[best]), int(idx[best]))]
                else:
                    new_load = np.where(tab["dL"][idx] == day_end, tab["pL"][idx], 0)
                    if day_free == day_end:
                        new_load = new_load + load
                    order = np.lexsort((cost, new_load))
                    best_cost = None
                    for o in order:
                        c = int(cost[o])
                        if best_cost is None or c < best_cost:
                            best_cost = c
                            result.append((int(new_load[o]), c, int(idx[o])))
            cache[ck] = result
            return result

        slots = self.slots()
        city_index = {c: i for i, c in enumerate(self.cities)}
        start_city = self.sc.delegation.start_city
        end_city = self.sc.delegation.end_city
        prep = self.rules.min_prep_min
        initial: Entry = (0, 0, start_city, 0, 0, None, None, None)
        states: list[dict[int, list[Entry]]] = [dict() for _ in slots]

        def add(bucket: dict[int, list[Entry]], entry: Entry) -> None:
            group = bucket.setdefault(entry[4], [])
            for other in group:
                if other[0] <= entry[0] and other[1] <= entry[1]:
                    return
            group[:] = [o for o in group if not (entry[0] <= o[0] and entry[1] <= o[1])]
            group.append(entry)

        def transitions(entry: Entry, si: int) -> None:
            start, end, city = slots[si]
            bit = 1 << city_index[city]
            load, cost, at, free, mask = entry[0], entry[1], entry[2], entry[3], entry[4]
            if mask & bit or free > start:
                return
            # The delegation may leave once the buffer after the seminar is over; the home day then
            # is the one whose travel the next connection adds to.
            end += self.rules.after_seminar_min
            day_end = self.day_of(end)
            if city == at:
                if entry[5] is not None or entry[7] is not None:
                    return  # a seminar city is left after its seminar; never twice
                # Rule 7: the start city's seminar before any travel needs no preparation.
                new_load = load if self.day_of(free) == day_end else 0
                add(states[si], (new_load, cost, city, end, mask | bit, entry, None, si))
                return
            for new_load, add_cost, row in query(at, city, free, start - prep, load, day_end):
                add(
                    states[si], (new_load, cost + add_cost, city, end, mask | bit, entry, (at, city, row), si)
                )

        for si in range(len(slots)):
            transitions(initial, si)
            for sj in range(si):
                if slots[sj][1] > slots[si][0]:
                    continue
                for group in states[sj].values():
                    for entry in group:
                        transitions(entry, si)

        # Finish: reach the end city by latest_return.
        seminars = {s.city: s for s in self.sc.seminars}
        weights = {r.id: r.weight for r in self.sc.regions}
        required = 0
        for s in self.sc.seminars:
            if s.required:
                required |= 1 << city_index[s.city]
        cities = list(self.cities)

        def points(mask: int) -> tuple[int, tuple[str, ...]]:
            regions: set[str] = set()
            pts = 0
            for i, c in enumerate(cities):
                if mask >> i & 1:
                    sem = seminars[c]
                    regions |= {self.cities[c].region, *sem.serves}
                    pts += sem.weight
            return pts + sum(weights[r] for r in regions), tuple(sorted(regions))

        best: tuple[int, int, Entry, Any] | None = None
        all_entries: list[Entry] = [initial]
        for bucket in states:
            for group in bucket.values():
                all_entries.extend(group)
        for entry in all_entries:
            mask = entry[4]
            if mask & required != required:
                continue
            pts, _ = points(mask)
            at, free = entry[2], entry[3]
            if at == end_city:
                total, last = entry[1], None
            else:
                found = query(at, end_city, free, self.H, entry[0], None)
                if not found:
                    continue
                total, last = entry[1] + found[0][1], (at, end_city, found[0][2])
            held = frozenset(c for i, c in enumerate(cities) if mask >> i & 1)
            self.by_cities[held] = min(total, self.by_cities.get(held, total))
            if best is None or (pts, -total) > (best[0], -best[1]):
                best = (pts, total, entry, last)
        stats = {"connections_s": round(t_conn, 3), "total_s": round(time.perf_counter() - started, 3)}
        if best is None:
            return RefereeResult(False, 0, 0, stats=stats)
        pts, total, entry, last = best
        chain: list[Entry] = []
        e: Entry | None = entry
        while e is not None:
            chain.append(e)
            e = e[5]
        chain.reverse()
        sem_out: list[RefSeminar] = []
        conn_refs: list[tuple[str, str, int]] = []
        for e in chain[1:]:
            if e[6] is not None:
                conn_refs.append(e[6])
            si = e[7]
            start, end, city = slots[si]
            sem_out.append(RefSeminar(city, self.clock.at(start), self.clock.at(end)))
        if last is not None:
            conn_refs.append(last)
        conn_out = [self._connection(x, y, table[(x, y)]["rows"][row]) for x, y, row in conn_refs]
        check = sum(c.cost for c in conn_out)
        assert check == total, (check, total)
        return RefereeResult(
            True,
            pts,
            total,
            tuple(sem_out),
            tuple(conn_out),
            points(entry[4])[1],
            stats,
        )

    def _connection(self, x: str, y: str, row: tuple[Any, ...]) -> RefConnection:
        big_l, a, cost, _df, _pf, _dl, _pl, travel, night, cents, node = row
        legs: list[RefLeg] = []
        while node is not None:
            node, leg = node
            mode, ref, o, d, fc, tc, dep, arr, run, leg_cents, km = leg
            legs.append(
                RefLeg(
                    mode, ref, o, d, fc, tc, self.clock.at(dep), self.clock.at(arr), run, leg_cents / 100, km
                )
            )
        legs.reverse()
        return RefConnection(
            x, y, self.clock.at(big_l), self.clock.at(a), travel, night, cents / 100, cost, tuple(legs)
        )


def referee(scenario: Scenario) -> RefereeResult:
    """The best itinerary of a tiny scenario by the written movement rules."""
    return _Referee(scenario).solve()


def referee_itineraries(scenario: Scenario) -> dict[frozenset[str], int]:
    """Every set of seminar cities an itinerary of the scenario holds (its required cities among
    them), with the least secondary cost of holding it, by the written movement rules."""
    judge = _Referee(scenario)
    judge.solve()
    return judge.by_cities


# ---------------------------------------------------------------------------
# The referee's plan in the planner's JSON format (for planner.check.check_plan)


def plan_dict(scenario: Scenario, result: RefereeResult) -> dict[str, Any]:
    zones = {c.id: ZoneInfo(c.timezone) for c in scenario.cities}
    per_person = {
        "flight": scenario.emissions.flight,
        "train": scenario.emissions.train,
        "bus": scenario.emissions.bus,
    }

    def iso(moment: dt.datetime, city: str) -> str:
        return moment.astimezone(zones[city]).isoformat()

    def co2(leg: RefLeg) -> float:
        km = round(leg.distance_km, 1)  # the plan shows distances to 0.1 km; CO2 follows them
        if leg.mode == "drive":
            return scenario.emissions.drive * km * scenario.delegation.vehicles
        return per_person[leg.mode] * km * scenario.delegation.size

    legs: list[dict[str, Any]] = []
    connections: list[dict[str, Any]] = []
    for conn in result.connections:
        first = len(legs)
        for leg in conn.legs:
            legs.append(
                {
                    "mode": leg.mode,
                    "service": leg.ref,
                    "from": leg.origin,
                    "to": leg.destination,
                    "from_city": leg.from_city,
                    "to_city": leg.to_city,
                    "depart": iso(leg.depart, leg.from_city),
                    "arrive": iso(leg.arrive, leg.to_city),
                    "run_date": leg.run_date.isoformat() if leg.run_date else None,
                    "minutes": int((leg.arrive - leg.depart).total_seconds() // 60),
                    "distance_km": round(leg.distance_km, 1),
                    "cost": round(leg.money, 2),
                    "co2_kg": round(co2(leg), 1),
                }
            )
        connections.append(
            {
                "from_city": conn.origin,
                "to_city": conn.destination,
                "leave": iso(conn.leave, conn.origin),
                "arrive": iso(conn.arrive, conn.destination),
                "travel_min": conn.travel_min,
                "night_min": conn.night_min,
                "legs": list(range(first, len(legs))),
            }
        )
    seminars = [
        {"city": s.city, "start": iso(s.start, s.city), "end": iso(s.end, s.city)} for s in result.seminars
    ]
    held = {s.city for s in result.seminars}
    all_legs = [leg for c in result.connections for leg in c.legs]
    weights = {r.id: r.weight for r in scenario.regions}
    every = {r for s in scenario.seminars for r in (scenario.city(s.city).region, *s.serves)}
    most = sum(s.weight for s in scenario.seminars) + sum(weights[r] for r in every)
    return {
        "status": "OPTIMAL" if result.feasible else "INFEASIBLE",
        "seminars": seminars,
        "legs": legs,
        "connections": connections,
        "coverage": {
            "points": result.points,
            "max_points": most,
            "regions_covered": list(result.covered_regions),
            "regions_uncovered": sorted(set(weights) - set(result.covered_regions)),
            "secondary_points": round(result.cost / 60, 2),
        },
        "totals": {
            "seminars": len(seminars),
            "legs": len(legs),
            "travel_hours": round(sum(c.travel_min for c in result.connections) / 60, 2),
            "night_travel_hours": round(sum(c.night_min for c in result.connections) / 60, 2),
            "cost": round(sum(leg.money for leg in all_legs), 2),
            "currency": scenario.currency,
            "distance_km": round(sum(round(leg.distance_km, 1) for leg in all_legs), 1),
            "co2_kg": round(sum(co2(leg) for leg in all_legs), 1),
        },
        "uncovered": [
            {"city": s.city, "reason": "traded_off", "detail": "not held", "required": s.required}
            for s in scenario.seminars
            if s.city not in held
        ],
    }
