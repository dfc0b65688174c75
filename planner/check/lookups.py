"""The scenario as the checker looks things up in it: by id, with closures and events as instants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from zoneinfo import ZoneInfo

from planner.check.basics import at, show
from planner.domain import (
    City,
    Closure,
    Disruption,
    DisruptionKind,
    Road,
    Scenario,
    Seminar,
    Service,
    Terminal,
    TravelRules,
    parse_clock,
)


@dataclass(frozen=True)
class Event:
    """A disruption with its interval as instants and the roads it names."""

    event: Disruption
    start: dt.datetime
    end: dt.datetime
    zone: ZoneInfo
    roads: frozenset[str] = frozenset()

    @property
    def kind(self) -> DisruptionKind:
        return self.event.kind

    def covers(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def text(self) -> str:
        event = self.event
        span = f"{event.id}, {event.kind.value} {show(self.start, self.zone)} to {show(self.end, self.zone)}"
        if event.delay_min is not None:
            span += f", {event.delay_min} min late"
        if event.factor is not None:
            span += f", {event.factor:g} times as long"
        return f"{span}, {event.note}" if event.note else span


@dataclass(frozen=True)
class Shutdown:
    """A closure or closing event: the terminal or roads it shuts, when, and how a message names it."""

    terminal: str | None
    roads: frozenset[str]
    start: dt.datetime
    end: dt.datetime
    zone: ZoneInfo
    text: str


@dataclass(frozen=True)
class Lookups:
    """The scenario indexed by id, its start and end instants, and the events and closures in force."""

    scenario: Scenario
    cities: Mapping[str, City]
    terminals: Mapping[str, Terminal]
    terminal_city: Mapping[str, City]
    services: Mapping[str, Service]
    roads: Mapping[str, Road]
    seminar_of: Mapping[str, Seminar]
    home: ZoneInfo
    earliest: dt.datetime
    latest: dt.datetime
    disruptions: tuple[Event, ...]
    shutdowns: tuple[Shutdown, ...]

    @property
    def rules(self) -> TravelRules:
        return self.scenario.delegation.rules

    def boarding_lead(self, terminal: Terminal) -> int:
        """Minutes from the city centre to boarding: access, check-in, the departure buffer."""
        return terminal.access_min + terminal.check_in_min + self.rules.departure_buffer_min

    def zone(self, city_id: str) -> ZoneInfo | None:
        city = self.cities.get(city_id)
        return city.zone if city is not None else None

    def name(self, city_id: str) -> str:
        city = self.cities.get(city_id)
        return city.name if city is not None else city_id

    def of_kind(self, kind: DisruptionKind) -> list[Event]:
        return [e for e in self.disruptions if e.kind == kind]

    def stop_time(self, service: Service, index: int, kind: str, run_date: dt.date) -> dt.datetime:
        """When a run calls at a stop; a stop with one time uses it for both."""
        stop = service.stops[index]
        text = (stop.depart or stop.arrive) if kind == "depart" else (stop.arrive or stop.depart)
        assert text is not None  # the model gives every stop at least one time
        minute, offset = parse_clock(text)
        zone = self.terminal_city[stop.terminal].zone
        return at(run_date + dt.timedelta(days=offset), minute, zone)

    def run_events(self, kind: DisruptionKind, service: Service, run_date: dt.date) -> list[Event]:
        """The events of a kind that hit the run of a service first departing on run_date."""
        first = self.stop_time(service, 0, "depart", run_date)
        return [e for e in self.of_kind(kind) if e.event.service == service.id and e.covers(first)]

    def slowdowns(self, road: Road, depart: dt.datetime) -> list[Event]:
        return [
            e for e in self.of_kind(DisruptionKind.ROAD_SLOWED) if road.id in e.roads and e.covers(depart)
        ]


def scenario_instant(cities: Mapping[str, City], moment: dt.datetime, city_id: str) -> dt.datetime:
    """A scenario datetime: naive ones are local to the city they refer to."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=cities[city_id].zone)
    return moment.astimezone(dt.UTC)


def read_scenario(
    scenario: Scenario, extra_closures: Sequence[Closure], events: Sequence[Disruption]
) -> Lookups:
    """The scenario's lookups, with ``extra_closures`` and ``events`` in force beside its own."""
    cities = {c.id: c for c in scenario.cities}
    terminal_city = {t.id: c for c in scenario.cities for t in c.terminals}
    services = {s.id: s for s in scenario.services}
    roads = {r.id: r for r in scenario.roads}
    delegation = scenario.delegation
    home = cities[delegation.start_city].zone
    disruptions = tuple(
        resolved
        for e in (*scenario.disruptions, *events)
        if (resolved := _event(scenario, cities, terminal_city, services, roads, home, e)) is not None
    )
    closed = [
        shutdown
        for c in (*scenario.closures, *extra_closures)
        if (shutdown := _closure(cities, terminal_city, roads, c)) is not None
    ]
    closing = (DisruptionKind.TERMINAL_CLOSED, DisruptionKind.ROAD_CLOSED)
    closed += [
        Shutdown(e.event.terminal, e.roads, e.start, e.end, e.zone, e.text())
        for e in disruptions
        if e.kind in closing
    ]
    return Lookups(
        scenario=scenario,
        cities=MappingProxyType(cities),
        terminals=MappingProxyType({t.id: t for c in scenario.cities for t in c.terminals}),
        terminal_city=MappingProxyType(terminal_city),
        services=MappingProxyType(services),
        roads=MappingProxyType(roads),
        seminar_of=MappingProxyType({s.city: s for s in scenario.seminars}),
        home=home,
        earliest=scenario_instant(cities, delegation.earliest_departure, delegation.start_city),
        latest=scenario_instant(cities, delegation.latest_return, delegation.end_city),
        disruptions=disruptions,
        shutdowns=tuple(closed),
    )


def _closure(
    cities: Mapping[str, City], terminal_city: Mapping[str, City], roads: Mapping[str, Road], closure: Closure
) -> Shutdown | None:
    if closure.terminal is not None:
        city = terminal_city.get(closure.terminal)
    else:
        road = roads.get(closure.road or "")
        city = cities.get(road.a) if road is not None else None
    if city is None:
        return None  # names nothing in this scenario, so it closes nothing
    start = scenario_instant(cities, closure.start, city.id)
    end = scenario_instant(cities, closure.end, city.id)
    text = f"{closure.id}: closed {show(start, city.zone)} to {show(end, city.zone)}"
    if closure.note:
        text += f", {closure.note}"
    closed_roads = frozenset({closure.road}) if closure.road is not None else frozenset()
    return Shutdown(closure.terminal, closed_roads, start, end, city.zone, text)


def _event(
    scenario: Scenario,
    cities: Mapping[str, City],
    terminal_city: Mapping[str, City],
    services: Mapping[str, Service],
    roads: Mapping[str, Road],
    home: ZoneInfo,
    event: Disruption,
) -> Event | None:
    """The event's interval as instants, or None when it names nothing in this scenario."""
    city: City | None = None
    named_roads: frozenset[str] = frozenset()
    if event.terminal is not None:
        city = terminal_city.get(event.terminal)
    elif event.road is not None:
        road = roads.get(event.road)
        city = cities.get(road.a) if road is not None else None
        named_roads = frozenset({event.road})
    elif event.region is not None:
        city = next((c for c in scenario.cities if c.region == event.region), None)
        named_roads = frozenset(r.id for r in scenario.roads if event.region in r.regions)
        if not named_roads:
            return None
    elif event.service is not None:
        service = services.get(event.service)
        city = terminal_city.get(service.stops[0].terminal) if service is not None else None
    elif event.city is not None:
        city = cities.get(event.city)
    if city is None:
        if not named_roads or event.start.tzinfo is None or event.end.tzinfo is None:
            return None  # names nothing here, or a region without a city to read local times in
        return Event(event, event.start.astimezone(dt.UTC), event.end.astimezone(dt.UTC), home, named_roads)
    return Event(
        event,
        scenario_instant(cities, event.start, city.id),
        scenario_instant(cities, event.end, city.id),
        city.zone,
        named_roads,
    )
