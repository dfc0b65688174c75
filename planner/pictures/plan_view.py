"""The plan as the pictures read it: every field of the plan document they use, read here and only here.

The pictures draw stored plan versions. The JSON is read as a ``PlanDocument``, so a plan
the planner would not have written fails here, before anything is drawn, with a
``PlanDocumentError`` (a ``ValueError``) naming the first wrong field, e.g. ``legs[0].depart``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.document import LegOut, NightOut, PlanDocument, SeminarOut, read_document
from planner.domain import Disruption

PlanInput = Mapping[str, Any] | PlanDocument  # a plan JSON as read from a file or the store, or its document


def instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass(frozen=True)
class SeminarHeld:
    city: str
    city_name: str | None  # the name the plan gives, if any; else the scenario's
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class LegTaken:
    mode: str
    service: str
    from_city: str
    to_city: str
    depart: dt.datetime
    arrive: dt.datetime


@dataclass(frozen=True)
class NightSpent:
    date: dt.date
    on: str | None  # the service slept on, for a night in transit on board
    mode: str | None
    city: str | None
    in_transit: bool


@dataclass(frozen=True)
class Totals:
    travel_hours: float
    distance_km: float


@dataclass(frozen=True)
class Coverage:
    covered: int
    uncovered: int


@dataclass(frozen=True)
class PlanView:
    version: int
    status: str
    has_seminars: bool  # the plan lists seminars (possibly none), as every plan document does
    seminars: tuple[SeminarHeld, ...]
    legs: tuple[LegTaken, ...]
    nights: tuple[NightSpent, ...]
    events: tuple[Disruption, ...]
    totals: Totals | None
    coverage: Coverage | None
    now: dt.datetime | None  # when this version was made, for a replanned one
    based_on: int | None
    position_city: str | None


def read_plan(plan: PlanInput) -> PlanView:
    """What the map and the timeline show of a plan; ``PlanDocumentError`` names a wrong field."""
    document = read_document(plan)
    return PlanView(
        version=document.version,
        status=document.status.value,
        has_seminars=True,
        seminars=tuple(_seminar(seminar) for seminar in document.seminars),
        legs=tuple(_leg(leg) for leg in document.legs),
        nights=tuple(_night(night) for night in document.nights),
        events=document.events,
        totals=Totals(document.totals.travel_hours, document.totals.distance_km),
        coverage=Coverage(len(document.coverage.regions_covered), len(document.coverage.regions_uncovered)),
        now=instant(document.now) if document.now else None,
        based_on=document.based_on,
        position_city=document.position.city if document.position is not None else None,
    )


def _seminar(seminar: SeminarOut) -> SeminarHeld:
    return SeminarHeld(
        city=seminar.city,
        city_name=seminar.city_name,
        start=instant(seminar.start),
        end=instant(seminar.end),
    )


def _leg(leg: LegOut) -> LegTaken:
    return LegTaken(
        mode=leg.mode.value,
        service=leg.service,
        from_city=leg.from_city,
        to_city=leg.to_city,
        depart=instant(leg.depart),
        arrive=instant(leg.arrive),
    )


def _night(night: NightOut) -> NightSpent:
    return NightSpent(
        date=dt.date.fromisoformat(night.date),
        on=night.on,
        mode=night.mode.value if night.mode is not None else None,
        city=night.city,
        in_transit=bool(night.in_transit),
    )
