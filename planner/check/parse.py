"""The parse step: the raw plan JSON read into immutable items, its shape problems collected.

Every reader here appends what it finds wrong to a ``problems`` list (``plan_format`` for a
missing field or a value of the wrong type, ``local_times`` for a datetime not written in its
city's offset) and leaves the broken item out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.check.basics import DRIVE, NO_PLAN_STATUSES, Violation, show
from planner.check.lookups import Lookups

LEG_KEYS = ("mode", "service", "from", "to", "from_city", "to_city", "depart", "arrive")


@dataclass(frozen=True)
class Leg:
    index: int
    mode: str
    service: str
    origin: str  # terminal id, or city id for a drive
    destination: str
    from_city: str
    to_city: str
    depart: dt.datetime
    arrive: dt.datetime
    run_date: dt.date | None
    raw: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"legs.{self.index}"

    @property
    def is_drive(self) -> bool:
        return self.mode == DRIVE

    @property
    def label(self) -> str:
        """How a message names a leg: the service, or the road driven."""
        return f"the drive on {self.service}" if self.is_drive else self.service


@dataclass(frozen=True)
class Seminar:
    index: int
    city: str
    start: dt.datetime
    end: dt.datetime

    @property
    def where(self) -> str:
        return f"seminars.{self.index}"


@dataclass(frozen=True)
class Connection:
    index: int
    from_city: str
    to_city: str
    leave: dt.datetime
    arrive: dt.datetime
    legs: tuple[int, ...]
    raw: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"connections.{self.index}"


@dataclass(frozen=True)
class PlanItems:
    """The plan's legs, seminars and connections that parsed, and how many of each it lists."""

    legs: tuple[Leg, ...]
    seminars: tuple[Seminar, ...]
    connections: tuple[Connection, ...]
    leg_count: int
    seminar_count: int


Position = tuple[dt.datetime, str]  # (moment, city): where a coordinator said the delegation was


def listed(plan: Mapping[str, Any], key: str, problems: list[Violation]) -> list[Any]:
    """A top-level list of the plan (an empty one, reported, if it is not a list)."""
    value = plan.get(key, [])
    if not isinstance(value, list):
        problems.append(Violation("plan_format", key, f"{key} must be a list"))
        return []
    return value


def _has_fields(item: Any, where: str, keys: Sequence[str], problems: list[Violation]) -> bool:
    if not isinstance(item, dict):
        problems.append(Violation("plan_format", where, "not a JSON object"))
        return False
    missing = [k for k in keys if k not in item]
    if missing:
        problems.append(Violation("plan_format", where, f"missing {', '.join(missing)}"))
        return False
    return True


def read_moment(
    value: Any, where: str, city_id: str, lookups: Lookups, problems: list[Violation]
) -> dt.datetime | None:
    """Parse a plan datetime and check it is written in its city's local offset."""
    if not isinstance(value, str):
        problems.append(Violation("plan_format", where, f"{value!r} is not an ISO 8601 datetime string"))
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        problems.append(Violation("plan_format", where, f"{value!r} is not an ISO 8601 datetime"))
        return None
    zone = lookups.zone(city_id)
    name = lookups.name(city_id)
    if moment.tzinfo is None:
        problems.append(Violation("local_times", where, f"{value} has no UTC offset (local time in {name}?)"))
        if zone is None:
            return None
        # Read it as local so the other rules still judge the rest of the plan.
        return moment.replace(tzinfo=zone).astimezone(dt.UTC)
    if zone is not None:
        expected = moment.astimezone(zone)
        if moment.utcoffset() != expected.utcoffset():
            message = f"{value} is not local time in {name}: that instant is {show(expected)} there"
            problems.append(Violation("local_times", where, message))
    return moment.astimezone(dt.UTC)


def loose_moment(value: Any, city_id: Any, lookups: Lookups) -> dt.datetime | None:
    """A datetime of another document as an instant (naive: local to its city), or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        zone = lookups.zone(city_id) if isinstance(city_id, str) else None
        if zone is None:
            return None
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


def parse_items(plan: Mapping[str, Any], lookups: Lookups, problems: list[Violation]) -> PlanItems:
    raw_legs = listed(plan, "legs", problems)
    legs = tuple(
        leg
        for index, item in enumerate(raw_legs)
        if (leg := _parse_leg(index, item, lookups, problems)) is not None
    )
    raw_seminars = listed(plan, "seminars", problems)
    seminars = tuple(
        seminar
        for index, item in enumerate(raw_seminars)
        if (seminar := _parse_seminar(index, item, lookups, problems)) is not None
    )
    connections = tuple(
        connection
        for index, item in enumerate(listed(plan, "connections", problems))
        if (connection := _parse_connection(index, item, lookups, problems)) is not None
    )
    return PlanItems(legs, seminars, connections, len(raw_legs), len(raw_seminars))


def _parse_leg(index: int, item: Any, lookups: Lookups, problems: list[Violation]) -> Leg | None:
    where = f"legs.{index}"
    if not _has_fields(item, where, LEG_KEYS, problems):
        return None
    if not all(isinstance(item[k], str) for k in LEG_KEYS):
        message = "mode, service, from, to, cities and times must be strings"
        problems.append(Violation("plan_format", where, message))
        return None
    depart = read_moment(item["depart"], f"{where}.depart", item["from_city"], lookups, problems)
    arrive = read_moment(item["arrive"], f"{where}.arrive", item["to_city"], lookups, problems)
    run_date: dt.date | None = None
    if item.get("run_date") is not None:
        try:
            run_date = dt.date.fromisoformat(item["run_date"])
        except (TypeError, ValueError):
            message = f"{item['run_date']!r} is not a date"
            problems.append(Violation("plan_format", f"{where}.run_date", message))
            return None
    if depart is None or arrive is None:
        return None
    return Leg(
        index,
        item["mode"],
        item["service"],
        item["from"],
        item["to"],
        item["from_city"],
        item["to_city"],
        depart,
        arrive,
        run_date,
        item,
    )


def _parse_seminar(index: int, item: Any, lookups: Lookups, problems: list[Violation]) -> Seminar | None:
    where = f"seminars.{index}"
    if not _has_fields(item, where, ("city", "start", "end"), problems):
        return None
    city = item["city"]
    if not isinstance(city, str):
        problems.append(Violation("plan_format", f"{where}.city", f"{city!r} is not a city id"))
        return None
    start = read_moment(item["start"], f"{where}.start", city, lookups, problems)
    end = read_moment(item["end"], f"{where}.end", city, lookups, problems)
    if start is None or end is None:
        return None
    return Seminar(index, city, start, end)


def _parse_connection(
    index: int, item: Any, lookups: Lookups, problems: list[Violation]
) -> Connection | None:
    where = f"connections.{index}"
    if not _has_fields(item, where, ("from_city", "to_city", "leave", "arrive", "legs"), problems):
        return None
    legs = item["legs"]
    if not isinstance(legs, list) or not all(isinstance(i, int) for i in legs):
        problems.append(Violation("plan_format", f"{where}.legs", "legs must be a list of leg indices"))
        return None
    from_city, to_city = str(item["from_city"]), str(item["to_city"])
    leave = read_moment(item["leave"], f"{where}.leave", from_city, lookups, problems)
    arrive = read_moment(item["arrive"], f"{where}.arrive", to_city, lookups, problems)
    if leave is None or arrive is None:
        return None
    return Connection(index, from_city, to_city, leave, arrive, tuple(legs), item)


def read_positions(
    data: Any, where: str, lookups: Lookups, problems: list[Violation]
) -> list[Position] | None:
    """A document's reported positions in time order; None when it has none."""
    raw = data.get("reported_positions") if isinstance(data, dict) else None
    if raw is None:
        return None
    if not isinstance(raw, list):
        problems.append(Violation("plan_format", where, "reported_positions must be a list"))
        return None
    found: list[Position] = []
    for index, item in enumerate(raw):
        city = item.get("city") if isinstance(item, dict) else None
        if not isinstance(city, str) or city not in lookups.cities:
            problems.append(Violation("plan_format", f"{where}.{index}.city", f"unknown city {city!r}"))
            continue
        moment = read_moment(item.get("now"), f"{where}.{index}.now", city, lookups, problems)
        if moment is not None:
            found.append((moment, city))
    return sorted(found)


def check_sections(plan: Mapping[str, Any], seminars: Sequence[Seminar], problems: list[Violation]) -> None:
    """Report the plan's totals and coverage sections when they are not objects."""
    if not isinstance(plan.get("totals"), dict):
        problems.append(Violation("plan_format", "totals", "totals must be an object"))
    coverage_expected = plan.get("status") not in NO_PLAN_STATUSES or seminars
    if not isinstance(plan.get("coverage"), dict) and coverage_expected:
        problems.append(Violation("plan_format", "coverage", "coverage must be an object"))


def is_replan(plan: Mapping[str, Any]) -> bool:
    """Whether the plan is a replanned version (it states what it is based on or changed)."""
    return plan.get("based_on") is not None or plan.get("diff") is not None or "stability_points" in plan
