"""What changes the network or the calendar for a time: closures, disruptions, and the zone of their times."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from planner.domain.values import DateTime, FieldProblems, Frozen, Identifier, Name, Number, Whole, comparable

if TYPE_CHECKING:
    from planner.domain.scenario import Scenario


class Closure(Frozen):
    """A terminal or road known to be closed over an interval."""

    id: Identifier
    terminal: Identifier | None = None
    road: Identifier | None = None
    start: DateTime
    end: DateTime
    note: str = ""

    @model_validator(mode="after")
    def _target(self) -> Closure:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if (self.terminal is None) == (self.road is None):
            problems.append(((), "name exactly one of terminal or road"))
        # One local and one with an offset are compared with the scenario (reference_problems).
        if comparable(self.start, self.end) and self.end <= self.start:
            problems.append((("end",), f"end must be after start ({self.end} is not after {self.start})"))
        if problems:
            raise FieldProblems(problems)
        return self


class DisruptionKind(StrEnum):
    TERMINAL_CLOSED = "terminal_closed"  # no departures or arrivals at a terminal
    ROAD_CLOSED = "road_closed"  # a road, or every road through a region
    SERVICE_CANCELLED = "service_cancelled"  # runs of a service first departing in the interval
    SERVICE_DELAYED = "service_delayed"  # those runs leave and arrive delay_min later
    ROAD_SLOWED = "road_slowed"  # drives starting in the interval take `factor` times longer
    CITY_UNAVAILABLE = "city_unavailable"  # no seminar there in the interval


_TARGETS: dict[DisruptionKind, tuple[tuple[str, ...], ...]] = {
    DisruptionKind.TERMINAL_CLOSED: (("terminal",),),
    DisruptionKind.ROAD_CLOSED: (("road",), ("region",)),
    DisruptionKind.SERVICE_CANCELLED: (("service",),),
    DisruptionKind.SERVICE_DELAYED: (("service", "delay_min"),),
    DisruptionKind.ROAD_SLOWED: (("road", "factor"), ("region", "factor")),
    DisruptionKind.CITY_UNAVAILABLE: (("city",),),
}
_TARGET_FIELDS = ("terminal", "road", "region", "service", "city", "delay_min", "factor")


class Disruption(Frozen):
    """A time-bounded change to the network or calendar, known from ``announced_at``.

    Datetimes without an offset are local to the place the event names (the
    terminal's or city's zone, a road's first city, a region's first city, a
    service's first stop).
    """

    id: Identifier
    kind: DisruptionKind
    announced_at: DateTime = Field(description="When the coordinator learns of it.")
    start: DateTime
    end: DateTime
    terminal: Identifier | None = None
    road: Identifier | None = None
    region: Identifier | None = None
    service: Identifier | None = None
    city: Identifier | None = None
    delay_min: Whole | None = Field(default=None, ge=1, le=7 * 24 * 60)
    factor: Number | None = Field(default=None, ge=1.0, le=10.0)
    note: str = ""

    @model_validator(mode="after")
    def _fields_of_kind(self) -> Disruption:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        # One local and one with an offset are compared with the scenario (disruption_problems).
        if comparable(self.start, self.end) and self.end <= self.start:
            problems.append((("end",), f"end must be after start ({self.end} is not after {self.start})"))
        given = {name for name in _TARGET_FIELDS if getattr(self, name) is not None}
        options = _TARGETS[self.kind]
        if not any(given == set(option) for option in options):
            wanted = " or ".join("+".join(option) for option in options)
            problems.append(
                ((), f"a {self.kind.value} event takes {wanted}; got {'+'.join(sorted(given)) or 'nothing'}")
            )
        if problems:
            raise FieldProblems(problems)
        return self


class EventTimeline(Frozen):
    """A what-if file: events that will be announced during the trip."""

    name: Name
    description: str = ""
    scenario: str | None = Field(default=None, description="The scenario it is written for.")
    events: tuple[Disruption, ...] = Field(min_length=1)


def city_zones(scenario: Scenario) -> dict[str, ZoneInfo]:
    return {c.id: c.zone for c in scenario.cities}


def event_zone_or_none(scenario: Scenario, event: Disruption | Closure) -> ZoneInfo | None:
    """The zone a local datetime of an event is read in (rule 19), or None if it names no known place.

    The place is the one the event names: a terminal's or a city's zone, a road's first city, a
    region's first city (the start city when the region has none), a service's first stop.
    Validation calls this on scenarios not yet known to be sound, hence the None.
    """
    zones = city_zones(scenario)
    terminal_city = {t.id: c.id for c in scenario.cities for t in c.terminals}
    disruption = event if isinstance(event, Disruption) else None
    city: str | None = None
    if event.terminal is not None:
        city = terminal_city.get(event.terminal)
    elif disruption is not None and disruption.city is not None:
        city = disruption.city
    elif event.road is not None:
        city = next((r.a for r in scenario.roads if r.id == event.road), None)
    elif disruption is not None and disruption.region is not None:
        city = next(
            (c.id for c in scenario.cities if c.region == disruption.region), scenario.delegation.start_city
        )
    elif disruption is not None and disruption.service is not None:
        service = next((s for s in scenario.services if s.id == disruption.service), None)
        city = terminal_city.get(service.stops[0].terminal) if service is not None else None
    return zones.get(city) if city is not None else None


def event_zone(scenario: Scenario, event: Disruption | Closure) -> ZoneInfo:
    """The zone a local datetime of an event of a valid scenario is read in: the place it names."""
    zone = event_zone_or_none(scenario, event)
    if zone is None:
        raise KeyError(f"event {event.id!r} names no place of the scenario")
    return zone
