"""The plan as the pictures read it: every field of the plan document they use, read here and only here.

The pictures draw stored plan versions. The JSON is read as a ``PlanDocument``, so a plan
the planner would not have written fails here, before anything is drawn, with a
``PlanDocumentError`` (a ``ValueError``) naming the first wrong field, e.g. ``legs[0].depart``.
A team plan (``delegation-team-plan/1``) is read the same way: each team's ``plan`` as a plan
document, a wrong field named from the top, e.g. ``teams[1].plan.legs[0].depart``; so is the
own plan of a member who joins a team en route (``teams[0].joiner.plan.legs[0].depart``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from planner.document import LegOut, NightOut, PlanDocument, PlanDocumentError, SeminarOut, read_document
from planner.domain import Disruption
from planner.inputs.problems import TEAM_PLAN_FORMAT


class JsonDocument(Protocol):
    """A typed plan document of either format, as the HTTP layer may hold one."""

    @property
    def format(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


# A plan or team plan JSON as read from a file or the store, or its typed document.
PlanInput = Mapping[str, Any] | PlanDocument | JsonDocument


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
    return _plan_view(document)


def _plan_view(document: PlanDocument) -> PlanView:
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


# --- Team plans ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberShown:
    name: str
    role: str


@dataclass(frozen=True)
class JoinerShown:
    """A member who joins the team en route: from home, on their own legs, to the seminar at ``at``."""

    name: str
    role: str
    home_city: str
    city: str  # where they join the team
    at: dt.datetime  # that seminar's start: from then on they travel with the team
    plan: PlanView  # their own trip there, ending with that seminar


@dataclass(frozen=True)
class TeamShown:
    id: str
    name: str
    members: tuple[MemberShown, ...]
    plan: PlanView  # the team's own plan, of its view of the scenario
    joiner: JoinerShown | None = None


@dataclass(frozen=True)
class TeamPlanView:
    version: int
    status: str
    teams: tuple[TeamShown, ...]  # in the plan's order, which gives each team its colour
    coverage: Coverage
    events: tuple[Disruption, ...]  # every team's events, each once
    now: dt.datetime | None
    based_on: int | None


def is_team_plan(plan: PlanInput) -> bool:
    """True for a team plan (``delegation-team-plan/1``), as JSON or as a typed document."""
    found = plan.get("format") if isinstance(plan, Mapping) else getattr(plan, "format", None)
    return bool(found == TEAM_PLAN_FORMAT)


def read_team_plan(plan: PlanInput) -> TeamPlanView:
    """What the team pictures show of a team plan; ``PlanDocumentError`` names a wrong field."""
    data = plan if isinstance(plan, Mapping) else plan.to_json()
    if data.get("format") != TEAM_PLAN_FORMAT:
        raise PlanDocumentError("format", f"expected {TEAM_PLAN_FORMAT!r}")
    entries = _field(data, "teams", list, "")
    if not entries:
        raise PlanDocumentError("teams", "expected at least one team")
    teams = tuple(_team(entry, f"teams[{index}]") for index, entry in enumerate(entries))
    coverage = _field(data, "coverage", Mapping, "")
    covered = _field(coverage, "regions_covered", list, "coverage")
    uncovered = _field(coverage, "regions_uncovered", list, "coverage")
    events: dict[tuple[str, str], Disruption] = {}
    for team in teams:
        for event in team.plan.events:
            events.setdefault((event.id, event.start.isoformat()), event)
    now = data.get("now")
    based_on = data.get("based_on")
    return TeamPlanView(
        version=_field(data, "version", int, ""),
        status=_field(data, "status", str, ""),
        teams=teams,
        coverage=Coverage(len(covered), len(uncovered)),
        events=tuple(events.values()),
        now=instant(now) if isinstance(now, str) else None,
        based_on=based_on if isinstance(based_on, int) else None,
    )


def _team(entry: Any, where: str) -> TeamShown:
    if not isinstance(entry, Mapping):
        raise PlanDocumentError(where, "expected an object")
    members = tuple(
        MemberShown(
            _field(m, "name", str, f"{where}.members[{i}]"), _field(m, "role", str, f"{where}.members[{i}]")
        )
        for i, m in enumerate(_field(entry, "members", list, where))
    )
    joined = entry.get("joiner")
    return TeamShown(
        id=_field(entry, "id", str, where),
        name=_field(entry, "name", str, where),
        members=members,
        plan=_inner_plan(entry, where),
        joiner=_joiner(entry, f"{where}.joiner") if joined is not None else None,
    )


def _joiner(entry: Mapping[str, Any], where: str) -> JoinerShown:
    """The member who joins the team en route, named as the team's members name them."""
    joined = _field(entry, "joiner", Mapping, where.rsplit(".", 1)[0])
    member = _field(joined, "member", str, where)
    found = next((m for m in entry["members"] if isinstance(m, Mapping) and m.get("id") == member), {})
    return JoinerShown(
        name=str(found.get("name", member)),
        role=str(found.get("role", "")),
        home_city=_field(joined, "home_city", str, where),
        city=_field(joined, "city", str, where),
        at=_instant_field(joined, "at", where),
        plan=_inner_plan(joined, where),
    )


def _inner_plan(entry: Mapping[str, Any], where: str) -> PlanView:
    """``entry['plan']`` as a plan, a wrong field named from the top."""
    plan = _field(entry, "plan", Mapping, where)
    try:
        document = read_document(plan)
    except PlanDocumentError as error:
        inner = "" if error.where == "plan" else f".{error.where}"
        raise PlanDocumentError(f"{where}.plan{inner}", error.message) from None
    return _plan_view(document)


def _instant_field(data: Mapping[str, Any], key: str, where: str) -> dt.datetime:
    """An aware local time, e.g. ``2016-01-19T09:30:00+06:00``."""
    text = _field(data, key, str, where)
    try:
        moment = instant(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise PlanDocumentError(f"{where}.{key}", "expected a local time with its UTC offset")
    return moment


def _field(data: Any, key: str, kind: type, where: str) -> Any:
    """``data[key]`` when it is of ``kind``; else ``PlanDocumentError`` naming ``where.key``."""
    name = f"{where}.{key}" if where else key
    if not isinstance(data, Mapping) or key not in data:
        raise PlanDocumentError(name, "missing")
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise PlanDocumentError(name, f"expected {kind.__name__ if kind is not Mapping else 'an object'}")
    return value
