"""The transport network as a networkx MultiDiGraph, with closures as an overlay.

Nodes are ``("city", id)`` for city centres and ``("terminal", id)`` for airports,
stations and bus stations. Edges:

* ``access``: city centre <-> terminal, ``access_min`` each way;
* ``ride``: terminal -> terminal for every pair of stops (board, alight) of a
  service, carrying the sorted runs (depart, arrive, run date) over the horizon, so
  one leg is one ride however many stops it passes;
* ``drive``: city centre -> city centre along a road, any start time that fits the
  daily driving window.

The graph holds the baseline timetable only. Closures and disruptions are kept
beside it in an :class:`Overlay` and consulted by the search; the graph
itself is never edited, so one network serves every overlay.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import networkx as nx

from planner.calendar import TimeAxis
from planner.domain import (
    WEEKDAYS,
    Disruption,
    DisruptionKind,
    Mode,
    Road,
    Scenario,
    Service,
    event_zone,
    parse_clock,
)

Node = tuple[str, str]

# Runs of a service are generated for first-departure dates this many days around
# the trip, beyond the longest run's day offset, so a train that left days before the
# trip and still runs in it appears.
_RUN_MARGIN_DAYS = 2


def run_dates_span(scenario: Scenario) -> tuple[dt.date, int]:
    """(first date, number of dates) of every first departure that can matter to the trip.

    The trip runs from the earliest departure to the latest return, which may lie
    outside the calendar's horizon; a run that first departed up to its longest day
    offset before may still be ridden.
    """
    calendar = scenario.calendar
    delegation = scenario.delegation
    longest = max(
        (
            parse_clock(t)[1]
            for s in scenario.services
            for stop in s.stops
            for t in (stop.arrive, stop.depart)
            if t
        ),
        default=0,
    )
    first = min(calendar.start_date, delegation.earliest_departure.date()) - dt.timedelta(
        days=_RUN_MARGIN_DAYS + longest
    )
    last = max(calendar.end_date, delegation.latest_return.date()) + dt.timedelta(days=_RUN_MARGIN_DAYS)
    return first, (last - first).days + 1


def city_node(city_id: str) -> Node:
    return ("city", city_id)


def terminal_node(terminal_id: str) -> Node:
    return ("terminal", terminal_id)


@dataclass(frozen=True)
class Run:
    """One ride on one run of a service: board at ``depart``, alight at ``arrive``."""

    depart: int
    arrive: int
    run_date: dt.date


@dataclass(frozen=True)
class Interval:
    start: int
    end: int

    def contains(self, minute: int) -> bool:
        return self.start <= minute < self.end

    def overlaps(self, start: int, end: int) -> bool:
        return start < self.end and self.start < end


@dataclass(frozen=True)
class Overlay:
    """What closures and disruptions change, in epoch minutes; the graph itself stays as is.

    Like OpenTripPlanner's real-time layer: the search reads the baseline timetable
    through this overlay, so a delay can always be shown against the plan.
    """

    terminals: dict[str, tuple[Interval, ...]] = field(default_factory=dict)  # closed
    roads: dict[str, tuple[Interval, ...]] = field(default_factory=dict)  # closed
    cancelled: frozenset[tuple[str, dt.date]] = frozenset()  # (service, run date)
    delays: dict[tuple[str, dt.date], int] = field(default_factory=dict)  # minutes late
    slowdowns: dict[str, tuple[tuple[Interval, float], ...]] = field(default_factory=dict)
    unavailable: dict[str, tuple[Interval, ...]] = field(default_factory=dict)  # city: no seminar
    resting: tuple[Interval, ...] = ()  # the delegation's rest days: no seminar, no travel

    def terminal_closed(self, terminal_id: str, minute: int) -> bool:
        return any(i.contains(minute) for i in self.terminals.get(terminal_id, ()))

    def road_closed(self, road_id: str, start: int, end: int) -> Interval | None:
        """The first closure a drive over [start, end) runs into, if any."""
        for interval in self.roads.get(road_id, ()):
            if interval.overlaps(start, end):
                return interval
        return None

    def drive_factor(self, road_id: str, start: int) -> float:
        """How much longer a drive starting at ``start`` takes (1.0: as usual)."""
        factor = 1.0
        for interval, slow in self.slowdowns.get(road_id, ()):
            if interval.contains(start):
                factor *= slow  # two announced slowdowns compound
        return factor

    def city_unavailable(self, city_id: str, start: int, end: int) -> bool:
        return any(i.overlaps(start, end) for i in self.unavailable.get(city_id, ()))

    def rest_overlaps(self, start: int, end: int) -> bool:
        """True when [start, end) meets one of the delegation's rest days."""
        return any(i.overlaps(start, end) for i in self.resting)


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance on a 6371 km sphere."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def service_runs_on(service: Service, run_date: dt.date) -> bool:
    """True when the service's first departure is scheduled on that local date."""
    if WEEKDAYS[run_date.weekday()] not in service.days:
        return False
    if service.valid_from and run_date < service.valid_from:
        return False
    return not (service.valid_to and run_date > service.valid_to)


def stop_times(service: Service) -> list[tuple[tuple[int, int] | None, tuple[int, int] | None]]:
    """(arrive, depart) of each stop as (minute of day, day offset), None where absent."""
    result = []
    for stop in service.stops:
        arrive = parse_clock(stop.arrive) if stop.arrive else None
        depart = parse_clock(stop.depart) if stop.depart else None
        result.append((arrive or depart, depart or arrive))
    return result


def service_distances_km(scenario: Scenario, service: Service) -> list[float]:
    """Cumulative distance at each stop: great circle, scaled to distance_km if given."""
    cities = scenario.terminal_city()
    cumulative = [0.0]
    for prev, stop in zip(service.stops, service.stops[1:], strict=False):
        a, b = cities[prev.terminal], cities[stop.terminal]
        cumulative.append(cumulative[-1] + great_circle_km(a.lat, a.lon, b.lat, b.lon))
    if service.distance_km is not None and cumulative[-1] > 0:
        scale = service.distance_km / cumulative[-1]
        cumulative = [d * scale for d in cumulative]
    return cumulative


@dataclass
class TransportNetwork:
    """The baseline network of a scenario: a graph plus the time axis it lives on."""

    scenario: Scenario
    axis: TimeAxis
    graph: nx.MultiDiGraph

    @classmethod
    def build(cls, scenario: Scenario, axis: TimeAxis | None = None) -> TransportNetwork:
        axis = axis or TimeAxis.for_scenario(scenario)
        graph = nx.MultiDiGraph()
        for city in scenario.cities:
            graph.add_node(city_node(city.id), kind="city", city=city.id)
            for terminal in city.terminals:
                node = terminal_node(terminal.id)
                graph.add_node(node, kind="terminal", city=city.id, terminal=terminal.id)
                graph.add_edge(
                    city_node(city.id), node, key="access", kind="access", minutes=terminal.access_min
                )
                graph.add_edge(
                    node, city_node(city.id), key="access", kind="access", minutes=terminal.access_min
                )
        # What the delegation will not take is left out of the graph: no search can use it.
        rules = scenario.delegation.rules
        for service in scenario.services:
            if service.id not in rules.avoid_services:
                _add_service(graph, scenario, axis, service)
        for road in scenario.roads:
            if road.id not in rules.avoid_roads:
                _add_road(graph, road)
        return cls(scenario=scenario, axis=axis, graph=graph)

    def overlay(self, events: tuple[Disruption, ...] = ()) -> Overlay:
        """The scenario's closures and disruptions, plus ``events``, in epoch minutes."""
        return overlay_from(self.scenario, self.axis, events)


def _add_service(graph: nx.MultiDiGraph, scenario: Scenario, axis: TimeAxis, service: Service) -> None:
    cities = scenario.terminal_city()
    times = stop_times(service)
    distances = service_distances_km(scenario, service)
    first, count = run_dates_span(scenario)
    dates = [first + dt.timedelta(days=i) for i in range(count)]
    run_dates = [d for d in dates if service_runs_on(service, d)]
    for board in range(len(service.stops) - 1):
        board_stop = service.stops[board]
        if board_stop.depart is None and board > 0:
            continue  # arrival-only stop: set down only
        for alight in range(board + 1, len(service.stops)):
            alight_stop = service.stops[alight]
            if alight_stop.arrive is None and alight < len(service.stops) - 1:
                continue  # departure-only stop: pick up only
            dep_clock = times[board][1]
            arr_clock = times[alight][0]
            assert dep_clock is not None and arr_clock is not None
            dep_zone = cities[board_stop.terminal].zone
            arr_zone = cities[alight_stop.terminal].zone
            runs = []
            for run_date in run_dates:
                depart = axis.local_minutes(
                    run_date + dt.timedelta(days=dep_clock[1]), dep_clock[0], dep_zone
                )
                arrive = axis.local_minutes(
                    run_date + dt.timedelta(days=arr_clock[1]), arr_clock[0], arr_zone
                )
                runs.append(Run(depart, arrive, run_date))
            runs.sort(key=lambda r: r.depart)
            graph.add_edge(
                terminal_node(board_stop.terminal),
                terminal_node(alight_stop.terminal),
                key=f"{service.id}:{board}-{alight}",
                kind="ride",
                service=service.id,
                mode=Mode(service.mode),
                board=board,
                alight=alight,
                runs=tuple(runs),
                distance_km=distances[alight] - distances[board],
                fare=service.fare
                * ((distances[alight] - distances[board]) / distances[-1] if distances[-1] else 1.0),
            )


def _add_road(graph: nx.MultiDiGraph, road: Road) -> None:
    ends = [(road.a, road.b)] + ([(road.b, road.a)] if road.both_ways else [])
    for start, end in ends:
        graph.add_edge(
            city_node(start),
            city_node(end),
            key=f"{road.id}:{start}",
            kind="drive",
            road=road.id,
            mode=Mode.DRIVE,
            minutes=road.minutes,
            distance_km=road.distance_km,
            cost_per_km=road.cost_per_km,
            window=road.driving_window,
        )


def first_departures(scenario: Scenario, axis: TimeAxis, service: Service) -> dict[dt.date, int]:
    """Run date -> epoch minute of the first departure, over the horizon and its margin."""
    clock = stop_times(service)[0][1]
    assert clock is not None
    zone = scenario.terminal_city()[service.stops[0].terminal].zone
    first, count = run_dates_span(scenario)
    result = {}
    for offset in range(count):
        day = first + dt.timedelta(days=offset)
        if service_runs_on(service, day):
            result[day] = axis.local_minutes(day + dt.timedelta(days=clock[1]), clock[0], zone)
    return result


def overlay_from(scenario: Scenario, axis: TimeAxis, events: tuple[Disruption, ...] = ()) -> Overlay:
    """Combine closures, the scenario's disruptions and further events into one overlay."""
    terminal_cities = scenario.terminal_city()
    terminals: dict[str, list[Interval]] = {}
    roads: dict[str, list[Interval]] = {}
    cancelled: set[tuple[str, dt.date]] = set()
    delays: dict[tuple[str, dt.date], int] = {}
    slowdowns: dict[str, list[tuple[Interval, float]]] = {}
    unavailable: dict[str, list[Interval]] = {}
    for closure in scenario.closures:
        if closure.terminal is not None:
            zone = terminal_cities[closure.terminal].zone
            interval = Interval(axis.minutes(closure.start, zone), axis.minutes(closure.end, zone))
            terminals.setdefault(closure.terminal, []).append(interval)
        else:
            assert closure.road is not None
            road = next(r for r in scenario.roads if r.id == closure.road)
            zone = scenario.city(road.a).zone
            interval = Interval(axis.minutes(closure.start, zone), axis.minutes(closure.end, zone))
            roads.setdefault(closure.road, []).append(interval)
    for event in (*scenario.disruptions, *events):
        zone = event_zone(scenario, event)
        interval = Interval(axis.minutes(event.start, zone), axis.minutes(event.end, zone))
        if event.road is not None:
            road_ids = [event.road]
        elif event.region is not None:
            road_ids = [r.id for r in scenario.roads if event.region in r.regions]
        else:
            road_ids = []
        if event.kind == DisruptionKind.TERMINAL_CLOSED:
            assert event.terminal is not None
            terminals.setdefault(event.terminal, []).append(interval)
        elif event.kind == DisruptionKind.ROAD_CLOSED:
            for road_id in road_ids:
                roads.setdefault(road_id, []).append(interval)
        elif event.kind == DisruptionKind.ROAD_SLOWED:
            assert event.factor is not None
            for road_id in road_ids:
                slowdowns.setdefault(road_id, []).append((interval, event.factor))
        elif event.kind == DisruptionKind.CITY_UNAVAILABLE:
            assert event.city is not None
            unavailable.setdefault(event.city, []).append(interval)
        else:
            service = next(s for s in scenario.services if s.id == event.service)
            for run_date, depart in first_departures(scenario, axis, service).items():
                if not interval.contains(depart):
                    continue
                if event.kind == DisruptionKind.SERVICE_CANCELLED:
                    cancelled.add((service.id, run_date))
                else:
                    assert event.delay_min is not None
                    delays[(service.id, run_date)] = delays.get((service.id, run_date), 0) + event.delay_min
    return Overlay(
        terminals={k: tuple(v) for k, v in terminals.items()},
        roads={k: tuple(v) for k, v in roads.items()},
        cancelled=frozenset(cancelled),
        delays=delays,
        slowdowns={k: tuple(v) for k, v in slowdowns.items()},
        unavailable={k: tuple(v) for k, v in unavailable.items()},
        resting=rest_intervals(scenario, axis),
    )


def rest_intervals(scenario: Scenario, axis: TimeAxis) -> tuple[Interval, ...]:
    """The delegation's rest days as whole home-zone days (the start city's zone)."""
    home = scenario.city(scenario.delegation.start_city).zone
    return tuple(
        Interval(axis.local_minutes(day, 0, home), axis.local_minutes(day + dt.timedelta(days=1), 0, home))
        for day in sorted(set(scenario.delegation.rules.rest_days))
    )
