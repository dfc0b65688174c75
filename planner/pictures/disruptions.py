"""The closures and disruptions a picture shows: each once, with aware times, named in words."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from planner.domain import DisruptionKind, Scenario, event_zone
from planner.pictures.drawing import local_text
from planner.pictures.plan_view import PlanView, TeamPlanView


@dataclass(frozen=True)
class InForce:
    """A closure or disruption in force for the plan, with aware times."""

    id: str
    kind: DisruptionKind
    start: dt.datetime
    end: dt.datetime
    terminal: str | None = None
    road: str | None = None
    region: str | None = None
    service: str | None = None
    city: str | None = None
    delay_min: int | None = None
    factor: float | None = None
    note: str = ""


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def in_force(scenario: Scenario, plan: PlanView | TeamPlanView) -> list[InForce]:
    """The scenario's closures and known disruptions and the plan's events, each once, by start."""
    found: dict[tuple[str, str], InForce] = {}
    for closure in scenario.closures:
        zone = event_zone(scenario, closure)
        kind = DisruptionKind.TERMINAL_CLOSED if closure.terminal else DisruptionKind.ROAD_CLOSED
        item = InForce(
            id=closure.id,
            kind=kind,
            start=_aware(closure.start, zone),
            end=_aware(closure.end, zone),
            terminal=closure.terminal,
            road=closure.road,
            note=closure.note,
        )
        found.setdefault((item.id, item.start.isoformat()), item)
    for event in [*scenario.disruptions, *plan.events]:
        zone = event_zone(scenario, event)
        item = InForce(
            id=event.id,
            kind=event.kind,
            start=_aware(event.start, zone),
            end=_aware(event.end, zone),
            terminal=event.terminal,
            road=event.road,
            region=event.region,
            service=event.service,
            city=event.city,
            delay_min=event.delay_min,
            factor=event.factor,
            note=event.note,
        )
        found.setdefault((item.id, item.start.isoformat()), item)
    return sorted(found.values(), key=lambda i: (i.start, i.id))


def describe(scenario: Scenario, item: InForce, short: bool = False) -> str:
    """What is closed or changed, in words."""
    if item.terminal is not None:
        city = scenario.terminal_city()[item.terminal]
        return f"{item.terminal} closed" if short else f"{city.name} {item.terminal} closed"
    if item.kind == DisruptionKind.ROAD_CLOSED and item.road is not None:
        return f"road {item.road} closed"
    if item.kind == DisruptionKind.ROAD_CLOSED and item.region is not None:
        return f"roads of {_region_name(scenario, item.region)} closed"
    if item.kind == DisruptionKind.ROAD_SLOWED:
        place = f"road {item.road}" if item.road else f"roads of {_region_name(scenario, item.region or '')}"
        return f"{place} slowed x{item.factor:g}"
    if item.kind == DisruptionKind.SERVICE_CANCELLED:
        return f"{item.service} cancelled"
    if item.kind == DisruptionKind.SERVICE_DELAYED:
        hours, minutes = divmod(item.delay_min or 0, 60)
        delay = f"{hours} h" if hours else ""
        delay += f" {minutes:02d}" if hours and minutes else ("" if hours else f"{minutes} min")
        return f"{item.service} delayed {delay}"
    if item.kind == DisruptionKind.CITY_UNAVAILABLE and item.city is not None:
        return f"{scenario.city(item.city).name} unavailable"
    return item.kind.value.replace("_", " ")


def _region_name(scenario: Scenario, region_id: str) -> str:
    region = next((r for r in scenario.regions if r.id == region_id), None)
    return region.name or region.id if region is not None else region_id


def closed_roads(scenario: Scenario, items: list[InForce]) -> dict[str, list[str]]:
    """Road id -> ids of the closures on it (a region closure closes every road through it)."""
    closed: dict[str, list[str]] = {}
    for item in items:
        if item.kind != DisruptionKind.ROAD_CLOSED:
            continue
        for road in scenario.roads:
            if road.id == item.road or (item.region is not None and item.region in road.regions):
                closed.setdefault(road.id, []).append(item.id)
    return closed


@dataclass(frozen=True)
class Reach:
    """Where the delegation is on one row of a timeline: the cities it is in or travels between,
    and the services (a drive: its road) of the legs on the row."""

    places: frozenset[str]
    services: frozenset[str]


def touches(scenario: Scenario, item: InForce, reach: Reach) -> bool:
    """Whether a closure or disruption bears on a row: it is at one of the row's places or on one of
    its legs (a closed terminal of a city, a road from a city or driven, a service taken or calling
    at a city, a city)."""
    if item.terminal is not None:
        return scenario.terminal_city()[item.terminal].id in reach.places
    if item.kind in (DisruptionKind.ROAD_CLOSED, DisruptionKind.ROAD_SLOWED):
        roads = [r for r in scenario.roads if r.id == item.road or (item.region and item.region in r.regions)]
        in_region = item.region is not None and any(
            scenario.city(place).region == item.region for place in reach.places
        )
        return in_region or any(
            road.id in reach.services or road.a in reach.places or road.b in reach.places for road in roads
        )
    if item.service is not None:
        service = next((s for s in scenario.services if s.id == item.service), None)
        calls = {scenario.terminal_city()[stop.terminal].id for stop in service.stops} if service else set()
        return item.service in reach.services or not calls.isdisjoint(reach.places)
    if item.city is not None:
        return item.city in reach.places
    return True


def disruption_lines(scenario: Scenario, items: list[InForce]) -> list[str]:
    """One numbered line per closure or disruption, with local times and the note."""
    lines = []
    for number, item in enumerate(items, 1):
        # Service events and slowdowns apply to what starts in the interval, not to the hours.
        applies_to = {
            DisruptionKind.SERVICE_CANCELLED: "runs leaving ",
            DisruptionKind.SERVICE_DELAYED: "runs leaving ",
            DisruptionKind.ROAD_SLOWED: "drives starting ",
        }.get(item.kind, "")
        when = f"{applies_to}{local_text(item.start)} to {local_text(item.end)}"
        line = f"{number}  {describe(scenario, item)}: {when}"
        if item.note:
            line += f"  ({item.note})"
        lines.append(line)
    return lines
