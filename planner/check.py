"""An independent checker: re-verify a plan JSON against the raw scenario.

``check_plan(scenario, plan)`` takes the dict that ``planner.result.plan_json``
produces (what ``planner plan --out`` writes) and returns every way it breaks the
scenario's rules, as :class:`Violation` items; an empty list means the plan is
valid.

The checker deliberately shares no code with the search and the solver: it never
imports the network, connection search, problem builder or CP-SAT model, and it
redoes its own time arithmetic (local wall-clock times through ``zoneinfo``,
working days, timetable runs, great-circle distances). A bug in the planner's
calendar or timetable code then shows up as a disagreement instead of being
repeated here. Only the scenario models and their clock parser are shared.

Disruption events (``scenario.disruptions`` plus the ``events`` argument) change
what is valid. Their datetimes without an offset are local to the place they
name: a terminal's city, the city, a road's first city ``a``, a region's first
city in ``scenario.cities``, a service's first stop.

- ``terminal_closed``: no ride departs from or arrives at the terminal in
  [start, end) (``not_closed``).
- ``road_closed``: no drive on the road, or on any road whose ``regions`` hold
  the region, overlaps [start, end) (``not_closed``).
- ``service_cancelled``: no leg rides a run of the service whose scheduled first
  departure lies in [start, end) (``not_cancelled``).
- ``service_delayed``: such a run calls at every stop ``delay_min`` later; a leg on
  it must say so (``leg_in_timetable``), and quiet hours are judged on the delayed
  times. Two delays of one run add up.
- ``road_slowed``: a drive starting in [start, end) takes ``round(minutes *
  factor)`` minutes (``drive_on_road``, also for the driving window). Two
  slowdowns of one drive multiply.
- ``city_unavailable``: no seminar in the city overlaps [start, end)
  (``city_available``).

Given the plan that was being followed (``previous``) and the present instant
(``now``), the past is frozen (``frozen_past``): every seminar of ``previous``
that started before ``now`` is in the plan unchanged, every leg of ``previous``
that departed before ``now`` is in the plan with the same mode, service, ends,
run date and departure, arriving as before or later by exactly the delay of a
``service_delayed`` event on its run (for a drive: as long as a ``road_slowed``
event makes it), and nothing else in the plan departs or starts before ``now``.
Those frozen legs had left before the events came: they are only checked to
exist in the undisturbed timetable (or road network), and by the rules that
tie the trip together (``legs_chain``, ``connection_times``, ``no_two_places``,
``prep_time``, ``daily_travel_limit``, ``totals``); frozen seminars are exempt
from ``city_available``. Those rules use the legs' own (possibly delayed)
times; ``not_closed`` and ``quiet_hours`` judge a ride on a delayed run at the
times it really runs, whatever the leg says.

The objective and its figures (``objective``), judged with the weights of
``scenario.objective``:

- ``coverage.secondary_points`` is the secondary cost of the connections (rule 24 of
  scenarios/README.md): for each, ``travel_min * travel_per_hour + night_min *
  night_per_hour + round(money * cost_per_unit * 60)`` in 1/60 points, with the travel
  and night minutes recomputed from its legs (leave and arrive by rule 4, night minutes
  by rule 21, in the home zone) and money the sum of its legs' money rounded to 0.01 (a
  leg's as the plan states it where that is within the ``totals`` tolerance of the fare
  or road money recomputed here, else the recomputed one); the sum divided by 60 and
  rounded to 0.01. A replanned version (one stating ``now``) counts only what it
  planned: the connections whose first leg departs at or after its ``now``. The
  connections' own ``travel_min`` and ``night_min`` are judged under
  ``connection_times`` and ``totals``.
- INFEASIBLE and TIME_LIMIT (no plan), and a document without an ``objective`` key, are
  exempt from the rest. Otherwise ``objective`` is an integer; ``bound``, when not null,
  is at most ``objective`` (a lower bound of a minimisation) and equals it under OPTIMAL
  (which needs a bound); ``gap`` is ``(objective - bound) / |objective|`` rounded to 6
  digits (0 when the objective is 0, null without a bound), so 0 under OPTIMAL.
- ``objective == scale * (max_points - points) + (secondary + stability_scale *
  stability) // divisor``, with ``scale``, ``divisor`` and ``stability_scale`` as
  ``solver.objective_terms`` states them, ``points`` and ``max_points`` as recomputed
  under ``totals``, ``secondary`` as above in 1/60 points, and ``stability`` the
  stability points recomputed as below (without ``previous``: the plan's
  ``stability_points``; 0 for a first version). ``divisor`` divides ``secondary +
  stability_scale * stability`` (it divides every cost of the model) and the quotient is
  below ``scale`` (one coverage point outweighs the whole cost).

A plan that states an objective must state ``solver.objective_terms``.

A replan's stability figures (``stability``), given ``previous`` and ``now``, for a plan
that is a replanned version (``based_on``, ``diff`` or ``stability_points`` set).
*Future* means: a seminar starting at or after ``now`` (its whole minute, as the planner
counts), a leg departing at or after it, a connection whose first leg does. A reported
``position`` changes none of it (the connections from it are future ones like any
other), and the frozen legs, having departed before ``now``, are never future.

- ``stability_points`` (unless the plan has no objective: no new plan, no figure), with
  the weights of ``objective.stability``: for each future seminar of the plan,
  ``add_city`` when ``previous`` had no future seminar in its city, ``move_seminar``
  when it had one starting at another instant; for each future connection of the plan,
  ``change_connection`` unless ``previous`` had a future connection between the same
  two cities (its first leg's ``from_city``, its last leg's ``to_city``; the later one
  when two) with the same legs (service and departure, in order); ``drop_city`` for each
  future seminar city of ``previous`` without a future seminar in the plan.
- ``diff``: ``seminars.kept``, ``moved``, ``dropped`` and ``added`` list exactly the cities
  whose future seminar is at the same instant, at another, gone, or new (with those
  instants: ``start``, ``old_start``, ``new_start``); ``legs.removed`` and ``legs.added``
  the future legs (service, from, to, departure) only ``previous`` has, or only the plan;
  ``changes`` is the number of moved, dropped and added seminars and removed and added
  legs.

Rule names (``Violation.rule``): ``start_and_end``, ``leg_in_timetable``,
``drive_on_road``, ``not_closed``, ``not_cancelled``, ``quiet_hours``,
``legs_chain``, ``connection_times``, ``seminar_fits``, ``one_seminar_per_city``,
``city_available``, ``no_two_places``, ``prep_time``, ``daily_travel_limit``,
``required_cities``, ``totals``, ``objective``, ``stability``, ``local_times``,
``frozen_past``, and ``plan_format`` for a plan that is not shaped like the contract at
all (a missing field, a value of the wrong type), in which case the broken item is left
out of the other rules (and the objective is not recomputed).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from planner.domain import (
    WEEKDAYS,
    City,
    ClockWindow,
    Closure,
    Disruption,
    DisruptionKind,
    Road,
    Scenario,
    Seminar,
    Service,
    Terminal,
    parse_clock,
)

RULES = (
    "start_and_end",
    "leg_in_timetable",
    "drive_on_road",
    "not_closed",
    "not_cancelled",
    "quiet_hours",
    "legs_chain",
    "connection_times",
    "seminar_fits",
    "one_seminar_per_city",
    "city_available",
    "no_two_places",
    "prep_time",
    "daily_travel_limit",
    "required_cities",
    "totals",
    "objective",
    "stability",
    "local_times",
    "frozen_past",
    "plan_format",
)

RIDE_MODES = ("flight", "train", "bus")
DRIVE = "drive"
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
EARTH_RADIUS_KM = 6371.0
# The plan rounds leg money to cents and distances to 0.1 km; these absorb that.
COST_TOLERANCE = 1.0
DISTANCE_TOLERANCE_KM = 0.2
# Totals are compared after rounding the recomputed value to the plan's digits.
TOTALS_TOLERANCE = 0.05
# A plan rounds the relative gap to this many digits.
GAP_DIGITS = 6
# Statuses under which a plan may legitimately hold nothing at all.
NO_PLAN_STATUSES = ("INFEASIBLE", "TIME_LIMIT")
MAX_DAYS_WALKED = 400


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, where in the plan, and what is wrong."""

    rule: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: [{self.rule}] {self.message}"


def check_plan(
    scenario: Scenario,
    plan: dict,
    extra_closures: Sequence[Closure] = (),
    events: Sequence[Disruption] = (),
    previous: dict | None = None,
    now: dt.datetime | None = None,
    position: str | None = None,
) -> list[Violation]:
    """Every violation of the scenario's rules in ``plan`` (empty: the plan is valid).

    ``position`` (with ``previous`` and ``now``) is where the coordinator reported the
    delegation at ``now``: the frozen past ends there, so what the plan does from ``now``
    on starts in that city, whatever the past legs say.

    ``extra_closures`` are treated exactly like ``scenario.closures`` (replanning
    adds closures learnt after the plan was made), and ``events`` like
    ``scenario.disruptions``. With both ``previous`` (the plan being followed, same
    JSON shape) and ``now`` (an aware instant; a naive one is read in the start
    city's zone), what happened before ``now`` is frozen: see the module docstring.
    """
    return _Checker(scenario, plan, extra_closures, events, previous, now, position).run()


# ---------------------------------------------------------------------------
# Time helpers, written here on purpose rather than borrowed from planner.calendar.


def _at(day: dt.date, minute_of_day: int, zone: ZoneInfo) -> dt.datetime:
    """The instant (in UTC) of a local wall-clock time; minute_of_day may run past midnight."""
    days, minute = divmod(minute_of_day, 24 * 60)
    local = dt.datetime.combine(
        day + dt.timedelta(days=days), dt.time(minute // 60, minute % 60), tzinfo=zone
    )
    # Every instant is kept in UTC: Python subtracts two datetimes sharing a ZoneInfo as
    # wall-clock times, which is wrong across a DST change.
    return local.astimezone(dt.UTC)


def _after(minutes: int) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)


def _minutes(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from one instant to another (negative when end is earlier)."""
    return math.floor((end - start).total_seconds() / 60)


def _local(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def _show(moment: dt.datetime, zone: ZoneInfo | None = None) -> str:
    """A local time with its offset, as a person reads it: ``2016-01-19 07:00+06:00``."""
    local = _local(moment, zone) if zone is not None else moment
    return local.isoformat(sep=" ", timespec="minutes")


def _day(day: dt.date) -> str:
    return f"{day.isoformat()} ({DAY_NAMES[day.weekday()]})"


def _label(leg: _Leg) -> str:
    """How a message names a leg: the service, or the road driven."""
    return f"the drive on {leg.service}" if leg.is_drive else leg.service


def _gap_text(gap: int) -> str:
    return f"{gap} min later" if gap >= 0 else f"{-gap} min before that"


def _clock_minutes(text: str) -> int:
    return parse_clock(text)[0]


def _in_window(window: ClockWindow, minute_of_day: int) -> bool:
    """Start inclusive, end exclusive, wrapping past midnight when end < start."""
    start, end = _clock_minutes(window.start), _clock_minutes(window.end)
    if start <= end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def _window_span(window: ClockWindow, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The window opening on a local date, as instants (its end on the next day if it wraps)."""
    start, end = _clock_minutes(window.start), _clock_minutes(window.end)
    if end <= start:
        end += 24 * 60
    return _at(day, start, zone), _at(day, end, zone)


def _overlap(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> int:
    """Minutes two half-open intervals share."""
    return max(0, _minutes(max(a_start, b_start), min(a_end, b_end)))


def _window_minutes(start: dt.datetime, end: dt.datetime, window: ClockWindow, zone: ZoneInfo) -> int:
    """Minutes of [start, end) inside a daily local window."""
    total = 0
    day = _local(start, zone).date() - dt.timedelta(days=1)  # a window opened the day before
    last = _local(end, zone).date()
    while day <= last:
        w_start, w_end = _window_span(window, day, zone)
        total += _overlap(start, end, w_start, w_end)
        day += dt.timedelta(days=1)
    return total


def _is_working_day(scenario: Scenario, day: dt.date) -> bool:
    calendar = scenario.calendar
    if day in calendar.extra_working_dates:
        return True
    return WEEKDAYS[day.weekday()] in calendar.working_weekdays and day not in calendar.holidays


def _great_circle_km(a: City, b: City) -> float:
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.lon - a.lon)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def _road_minutes(road: Road) -> int:
    if road.duration_min is not None:
        return road.duration_min
    assert road.speed_kmh is not None  # the model insists on one of the two
    return round(road.distance_km / road.speed_kmh * 60)


def _slowed(minutes: int, factors: Sequence[float]) -> int:
    """A drive's minutes under slowdowns (several multiply)."""
    return round(minutes * math.prod(factors)) if factors else minutes


def _integer(value: Any) -> TypeGuard[int]:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> float | None:
    """A plan number as float, or None when the value is not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


# ---------------------------------------------------------------------------
# The plan, parsed once into instants.


@dataclass(frozen=True)
class _Leg:
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
    raw: dict[str, Any]

    @property
    def where(self) -> str:
        return f"legs.{self.index}"

    @property
    def is_drive(self) -> bool:
        return self.mode == DRIVE


@dataclass(frozen=True)
class _Seminar:
    index: int
    city: str
    start: dt.datetime
    end: dt.datetime

    @property
    def where(self) -> str:
        return f"seminars.{self.index}"


@dataclass(frozen=True)
class _Connection:
    index: int
    from_city: str
    to_city: str
    leave: dt.datetime
    arrive: dt.datetime
    legs: tuple[int, ...]
    raw: dict[str, Any]

    @property
    def where(self) -> str:
        return f"connections.{self.index}"


@dataclass(frozen=True)
class _Closed:
    """A closure with its interval as instants."""

    closure: Closure
    start: dt.datetime
    end: dt.datetime
    zone: ZoneInfo


@dataclass(frozen=True)
class _Event:
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
        span = (
            f"{event.id}, {event.kind.value} {_show(self.start, self.zone)} to {_show(self.end, self.zone)}"
        )
        if event.delay_min is not None:
            span += f", {event.delay_min} min late"
        if event.factor is not None:
            span += f", {event.factor:g} times as long"
        return f"{span}, {event.note}" if event.note else span


@dataclass(frozen=True)
class _PastLeg:
    """A leg of the previous plan that had departed before now."""

    index: int
    mode: str
    service: str
    origin: str
    destination: str
    run_date: dt.date | None
    depart: dt.datetime
    arrive: dt.datetime

    @property
    def where(self) -> str:
        return f"previous.legs.{self.index}"


@dataclass(frozen=True)
class _Planned:
    """A leg of the previous plan, as a replan's stability figures compare it."""

    service: str
    origin: str  # terminal id, or city id for a drive
    destination: str
    from_city: str
    to_city: str
    depart: dt.datetime


@dataclass(frozen=True)
class _Change:
    """What a replan changed, recomputed: future seminars (city -> start) and future legs."""

    old: dict[str, dt.datetime]
    new: dict[str, dt.datetime]
    removed: set[tuple[str, str, str, dt.datetime]]
    added: set[tuple[str, str, str, dt.datetime]]


class _Checker:
    def __init__(
        self,
        scenario: Scenario,
        plan: dict,
        extra_closures: Sequence[Closure],
        events: Sequence[Disruption] = (),
        previous: dict | None = None,
        now: dt.datetime | None = None,
        position: str | None = None,
    ) -> None:
        self.scenario = scenario
        self.plan = plan
        self.violations: list[Violation] = []
        self.cities = {c.id: c for c in scenario.cities}
        self.terminals: dict[str, Terminal] = {t.id: t for c in scenario.cities for t in c.terminals}
        self.terminal_city: dict[str, City] = {t.id: c for c in scenario.cities for t in c.terminals}
        self.services: dict[str, Service] = {s.id: s for s in scenario.services}
        self.roads: dict[str, Road] = {r.id: r for r in scenario.roads}
        self.seminar_of: dict[str, Seminar] = {s.city: s for s in scenario.seminars}
        delegation = scenario.delegation
        self.rules = delegation.rules
        self.home = self.cities[delegation.start_city].zone
        self.earliest = self._scenario_instant(delegation.earliest_departure, delegation.start_city)
        self.latest = self._scenario_instant(delegation.latest_return, delegation.end_city)
        self.closed = [
            closed for c in (*scenario.closures, *extra_closures) if (closed := self._closed(c)) is not None
        ]
        self.legs: list[_Leg] = []
        self.seminars: list[_Seminar] = []
        self.connections: list[_Connection] = []
        self.leg_count = 0
        self.stop_pair: dict[int, tuple[int, int]] = {}  # leg index -> (board, alight) stop
        self.lists: dict[str, list[Any]] = {}
        self.disruptions = [
            resolved for e in (*scenario.disruptions, *events) if (resolved := self._event(e)) is not None
        ]
        self.previous = previous
        self.position = position if previous is not None and now is not None else None
        self.now: dt.datetime | None = None
        if now is not None:
            self.now = (now if now.tzinfo is not None else now.replace(tzinfo=self.home)).astimezone(dt.UTC)
        # (moment, city): where coordinators said the delegation was; set by _reported_positions.
        self.reports: list[tuple[dt.datetime, str]] = []
        self.frozen_legs: set[int] = set()  # plan leg indices matching a leg that had departed
        self.frozen_seminars: set[int] = set()
        self.true_times: dict[int, tuple[dt.datetime, dt.datetime]] = {}  # delayed runs' real times
        self.leg_at: dict[int, _Leg] = {}  # the parsed legs by index, filled on first use
        self.points = 0  # coverage points of the seminars held, recomputed
        self.max_points = 0

    # -- plumbing ----------------------------------------------------------

    def add(self, rule: str, where: str, message: str) -> None:
        assert rule in RULES, rule
        self.violations.append(Violation(rule, where, message))

    def zone(self, city_id: str) -> ZoneInfo | None:
        city = self.cities.get(city_id)
        return city.zone if city is not None else None

    def name(self, city_id: str) -> str:
        city = self.cities.get(city_id)
        return city.name if city is not None else city_id

    def _scenario_instant(self, moment: dt.datetime, city_id: str) -> dt.datetime:
        """A scenario datetime: naive ones are local to the city they refer to."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.cities[city_id].zone)
        return moment.astimezone(dt.UTC)

    def _closed(self, closure: Closure) -> _Closed | None:
        if closure.terminal is not None:
            city = self.terminal_city.get(closure.terminal)
        else:
            road = self.roads.get(closure.road or "")
            city = self.cities.get(road.a) if road is not None else None
        if city is None:
            return None  # names nothing in this scenario, so it closes nothing
        return _Closed(
            closure,
            self._scenario_instant(closure.start, city.id),
            self._scenario_instant(closure.end, city.id),
            city.zone,
        )

    def _event(self, event: Disruption) -> _Event | None:
        """The event's interval as instants, or None when it names nothing in this scenario."""
        city: City | None = None
        roads: frozenset[str] = frozenset()
        if event.terminal is not None:
            city = self.terminal_city.get(event.terminal)
        elif event.road is not None:
            road = self.roads.get(event.road)
            city = self.cities.get(road.a) if road is not None else None
            roads = frozenset({event.road})
        elif event.region is not None:
            city = next((c for c in self.scenario.cities if c.region == event.region), None)
            roads = frozenset(r.id for r in self.scenario.roads if event.region in r.regions)
            if not roads:
                return None
        elif event.service is not None:
            service = self.services.get(event.service)
            city = self.terminal_city.get(service.stops[0].terminal) if service is not None else None
        elif event.city is not None:
            city = self.cities.get(event.city)
        if city is None:
            if not roads or event.start.tzinfo is None or event.end.tzinfo is None:
                return None  # names nothing here, or a region without a city to read local times in
            return _Event(
                event, event.start.astimezone(dt.UTC), event.end.astimezone(dt.UTC), self.home, roads
            )
        return _Event(
            event,
            self._scenario_instant(event.start, city.id),
            self._scenario_instant(event.end, city.id),
            city.zone,
            roads,
        )

    def _of_kind(self, kind: DisruptionKind) -> list[_Event]:
        return [e for e in self.disruptions if e.kind == kind]

    def _run_events(self, kind: DisruptionKind, service: Service, run_date: dt.date) -> list[_Event]:
        """The events of a kind that hit the run of a service first departing on run_date."""
        first = self._stop_time(service, 0, "depart", run_date)
        return [e for e in self._of_kind(kind) if e.event.service == service.id and e.covers(first)]

    def _slowdowns(self, road: Road, depart: dt.datetime) -> list[_Event]:
        return [
            e for e in self._of_kind(DisruptionKind.ROAD_SLOWED) if road.id in e.roads and e.covers(depart)
        ]

    def run(self) -> list[Violation]:
        if not isinstance(self.plan, dict):
            self.add("plan_format", "", "the plan is not a JSON object")
            return self.violations
        self._parse()
        self._reported_positions()
        self._frozen_past()
        for leg in self.legs:
            frozen = leg.index in self.frozen_legs
            if leg.is_drive:
                self._drive_on_road(leg, frozen)
            else:
                self._leg_in_timetable(leg, frozen)
            if frozen:
                continue  # it had left before the events came
            self._not_closed(leg)
            self._not_cancelled(leg)
            self._quiet_hours(leg)
        self._connections()
        self._seminar_fits()
        self._one_seminar_per_city()
        self._city_available()
        self._timeline()
        self._daily_travel_limit()
        self._required_cities()
        self._totals()
        self._coverage()
        stability = self._stability()
        self._objective(stability)
        return self.violations

    # -- parsing -----------------------------------------------------------

    def _items(self, key: str) -> list[Any]:
        """A top-level list of the plan (reported once if it is not a list)."""
        if key not in self.lists:
            value = self.plan.get(key, [])
            if not isinstance(value, list):
                self.add("plan_format", key, f"{key} must be a list")
                value = []
            self.lists[key] = value
        return self.lists[key]

    def _fields(self, item: Any, where: str, keys: Sequence[str]) -> bool:
        if not isinstance(item, dict):
            self.add("plan_format", where, "not a JSON object")
            return False
        missing = [k for k in keys if k not in item]
        if missing:
            self.add("plan_format", where, f"missing {', '.join(missing)}")
            return False
        return True

    def _moment(self, value: Any, where: str, city_id: str) -> dt.datetime | None:
        """Parse a plan datetime and check it is written in its city's local offset."""
        if not isinstance(value, str):
            self.add("plan_format", where, f"{value!r} is not an ISO 8601 datetime string")
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            self.add("plan_format", where, f"{value!r} is not an ISO 8601 datetime")
            return None
        zone = self.zone(city_id)
        if moment.tzinfo is None:
            self.add("local_times", where, f"{value} has no UTC offset (local time in {self.name(city_id)}?)")
            if zone is None:
                return None
            # Read it as local so the other rules still judge the rest of the plan.
            return moment.replace(tzinfo=zone).astimezone(dt.UTC)
        if zone is not None:
            expected = moment.astimezone(zone)
            if moment.utcoffset() != expected.utcoffset():
                self.add(
                    "local_times",
                    where,
                    f"{value} is not local time in {self.name(city_id)}: "
                    f"that instant is {_show(expected)} there",
                )
        return moment.astimezone(dt.UTC)

    def _parse(self) -> None:
        raw_legs = self._items("legs")
        self.leg_count = len(raw_legs)
        leg_keys = ("mode", "service", "from", "to", "from_city", "to_city", "depart", "arrive")
        for index, item in enumerate(raw_legs):
            where = f"legs.{index}"
            if not self._fields(item, where, leg_keys):
                continue
            if not all(isinstance(item[k], str) for k in leg_keys):
                self.add("plan_format", where, "mode, service, from, to, cities and times must be strings")
                continue
            depart = self._moment(item["depart"], f"{where}.depart", item["from_city"])
            arrive = self._moment(item["arrive"], f"{where}.arrive", item["to_city"])
            run_date: dt.date | None = None
            if item.get("run_date") is not None:
                try:
                    run_date = dt.date.fromisoformat(item["run_date"])
                except (TypeError, ValueError):
                    self.add("plan_format", f"{where}.run_date", f"{item['run_date']!r} is not a date")
                    continue
            if depart is None or arrive is None:
                continue
            self.legs.append(
                _Leg(
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
            )
        for index, item in enumerate(self._items("seminars")):
            where = f"seminars.{index}"
            if not self._fields(item, where, ("city", "start", "end")):
                continue
            city = item["city"]
            if not isinstance(city, str):
                self.add("plan_format", f"{where}.city", f"{city!r} is not a city id")
                continue
            start = self._moment(item["start"], f"{where}.start", city)
            end = self._moment(item["end"], f"{where}.end", city)
            if start is not None and end is not None:
                self.seminars.append(_Seminar(index, city, start, end))
        for index, item in enumerate(self._items("connections")):
            where = f"connections.{index}"
            if not self._fields(item, where, ("from_city", "to_city", "leave", "arrive", "legs")):
                continue
            legs = item["legs"]
            if not isinstance(legs, list) or not all(isinstance(i, int) for i in legs):
                self.add("plan_format", f"{where}.legs", "legs must be a list of leg indices")
                continue
            leave = self._moment(item["leave"], f"{where}.leave", str(item["from_city"]))
            arrive = self._moment(item["arrive"], f"{where}.arrive", str(item["to_city"]))
            if leave is not None and arrive is not None:
                self.connections.append(
                    _Connection(
                        index, str(item["from_city"]), str(item["to_city"]), leave, arrive, tuple(legs), item
                    )
                )

    # -- legs ----------------------------------------------------------------

    def _stop_time(self, service: Service, index: int, kind: str, run_date: dt.date) -> dt.datetime:
        """When a run calls at a stop; a stop with one time uses it for both."""
        stop = service.stops[index]
        text = (stop.depart or stop.arrive) if kind == "depart" else (stop.arrive or stop.depart)
        assert text is not None  # the model gives every stop at least one time
        minute, offset = parse_clock(text)
        zone = self.terminal_city[stop.terminal].zone
        return _at(run_date + dt.timedelta(days=offset), minute, zone)

    def _runs_on(self, service: Service, run_date: dt.date) -> str | None:
        """Why a service has no run on a date, or None when it runs."""
        if WEEKDAYS[run_date.weekday()] not in service.days:
            return f"{service.id} does not run on {_day(run_date)}; it runs on {', '.join(service.days)}"
        if service.valid_from and run_date < service.valid_from:
            return f"{service.id} runs only from {service.valid_from.isoformat()}, not on {_day(run_date)}"
        if service.valid_to and run_date > service.valid_to:
            return f"{service.id} runs only until {service.valid_to.isoformat()}, not on {_day(run_date)}"
        return None

    def _leg_in_timetable(self, leg: _Leg, frozen: bool = False) -> None:
        rule, where = "leg_in_timetable", leg.where
        if leg.mode not in RIDE_MODES:
            self.add(rule, where, f"unknown mode {leg.mode!r} (flight, train, bus or drive)")
            return
        service = self.services.get(leg.service)
        if service is None:
            self.add(rule, where, f"{leg.service} is not a service of the scenario")
            return
        if service.mode != leg.mode:
            self.add(rule, where, f"{service.id} is a {service.mode}, but the leg says {leg.mode}")
        for place, claimed, end in (
            (leg.origin, leg.from_city, "from"),
            (leg.destination, leg.to_city, "to"),
        ):
            city = self.terminal_city.get(place)
            if city is None:
                self.add(rule, where, f"{end} {place!r} is not a terminal of the scenario")
                return
            if city.id != claimed:
                self.add(rule, where, f"{end}_city is {claimed}, but terminal {place} is in {city.id}")
        stops = service.stops
        last = len(stops) - 1
        boards = [i for i, s in enumerate(stops) if s.terminal == leg.origin]
        alights = [i for i, s in enumerate(stops) if s.terminal == leg.destination]
        if not boards or not alights:
            missing = leg.origin if not boards else leg.destination
            calls = " - ".join(s.terminal for s in stops)
            self.add(rule, where, f"{service.id} does not call at {missing} (it calls at {calls})")
            return
        pairs = [(i, j) for i in boards for j in alights if i < j]
        if not pairs:
            self.add(rule, where, f"{service.id} calls at {leg.destination} before {leg.origin}, not after")
            return
        # Boarding needs a departure time (set-down-only stops have none), alighting an arrival.
        usable = [(i, j) for i, j in pairs if (i == 0 or stops[i].depart) and (j == last or stops[j].arrive)]
        if not usable:
            self.add(
                rule,
                where,
                f"{service.id} does not take up passengers at {leg.origin} or set down at {leg.destination}",
            )
            return
        self.stop_pair[leg.index] = usable[0]
        if leg.run_date is None:
            self.add(rule, where, f"the {service.id} leg has no run_date")
            return
        why_not = self._runs_on(service, leg.run_date)
        if why_not is not None:
            self.add(rule, where, why_not)
            return
        delays = self._run_events(DisruptionKind.SERVICE_DELAYED, service, leg.run_date)
        late = sum(e.event.delay_min or 0 for e in delays)
        # (minutes late at departure, at arrival) the leg may show. A frozen leg had left on
        # time: only its arrival may be late (or both, when the delay was known when it left).
        shifts = [(late, late)]
        if frozen:
            known = {late, *(e.event.delay_min or 0 for e in delays)}
            shifts = [(0, 0), *((0, d) for d in sorted(known)), *((d, d) for d in sorted(known))]
        for i, j in usable:
            depart = self._stop_time(service, i, "depart", leg.run_date)
            arrive = self._stop_time(service, j, "arrive", leg.run_date)
            for d_late, a_late in shifts:
                if depart + _after(d_late) == leg.depart and arrive + _after(a_late) == leg.arrive:
                    self.stop_pair[leg.index] = (i, j)
                    return
        i, j = usable[0]
        depart = self._stop_time(service, i, "depart", leg.run_date) + _after(late)
        arrive = self._stop_time(service, j, "arrive", leg.run_date) + _after(late)
        if not frozen and late:
            self.true_times[leg.index] = (depart, arrive)  # quiet hours are judged on these
        board_zone = self.terminal_city[leg.origin].zone
        alight_zone = self.terminal_city[leg.destination].zone
        why = ""
        if late:
            why = f" (delayed: {'; '.join(e.text() for e in delays)})"
        self.add(
            rule,
            where,
            f"{service.id} of {leg.run_date.isoformat()} leaves {leg.origin} at {_show(depart, board_zone)} "
            f"and reaches {leg.destination} at {_show(arrive, alight_zone)}{why}; the leg says "
            f"{_show(leg.depart, board_zone)} to {_show(leg.arrive, alight_zone)}",
        )

    def _drive_on_road(self, leg: _Leg, frozen: bool = False) -> None:
        rule, where = "drive_on_road", leg.where
        road = self.roads.get(leg.service)
        if road is None:
            self.add(rule, where, f"{leg.service} is not a road of the scenario")
            return
        ends = [(road.a, road.b)] + ([(road.b, road.a)] if road.both_ways else [])
        if (leg.origin, leg.destination) not in ends:
            way = "either way" if road.both_ways else f"one way, {road.a} to {road.b}"
            self.add(
                rule,
                where,
                f"road {road.id} joins {road.a} and {road.b} ({way}); the leg drives {leg.origin} to "
                f"{leg.destination}",
            )
            return
        if (leg.from_city, leg.to_city) != (leg.origin, leg.destination):
            self.add(
                rule,
                where,
                f"from_city/to_city {leg.from_city}/{leg.to_city} differ from the road ends "
                f"{leg.origin}/{leg.destination}",
            )
        base = _road_minutes(road)
        slowdowns = self._slowdowns(road, leg.depart)
        minutes = _slowed(base, [e.event.factor or 1.0 for e in slowdowns])
        taken = _minutes(leg.depart, leg.arrive)
        # A frozen drive had set off before the slowdown was known: either duration will do.
        allowed = {base, minutes, *(_slowed(base, [e.event.factor or 1.0]) for e in slowdowns)}
        if taken != minutes and not (frozen and taken in allowed):
            why = f" ({'; '.join(e.text() for e in slowdowns)})" if slowdowns else ""
            self.add(rule, where, f"road {road.id} takes {minutes} min{why}, the drive takes {taken} min")
        window = road.driving_window or self.rules.driving_window
        zone = self.cities[leg.origin].zone
        day = _local(leg.depart, zone).date()
        # The window holds the whole drive as it is really driven (slowed), or as planned when frozen;
        # a window wrapping past midnight may have opened the day before (rule 16).
        end = leg.depart + _after(base) if frozen else max(leg.arrive, leg.depart + _after(minutes))
        spans = [_window_span(window, d, zone) for d in (day - dt.timedelta(days=1), day)]
        if not any(opens <= leg.depart and end <= closes for opens, closes in spans):
            self.add(
                rule,
                where,
                f"drive on {road.id} from {_show(leg.depart, zone)} to {_show(end, zone)} is outside "
                f"the driving window {window.start}-{window.end} in {self.name(leg.origin)}",
            )

    def _leg_cities(self, leg: _Leg) -> tuple[str, str]:
        """The cities a leg really starts and ends in (by terminal), else what it claims."""
        if leg.is_drive:
            return leg.origin, leg.destination
        start = self.terminal_city.get(leg.origin)
        end = self.terminal_city.get(leg.destination)
        return (start.id if start else leg.from_city), (end.id if end else leg.to_city)

    def _shutdowns(self) -> list[tuple[str | None, frozenset[str], dt.datetime, dt.datetime, ZoneInfo, str]]:
        """(terminal, roads, start, end, zone, description) of every closure and closing event."""
        found: list[tuple[str | None, frozenset[str], dt.datetime, dt.datetime, ZoneInfo, str]] = []
        for closed in self.closed:
            closure = closed.closure
            span = (
                f"{closure.id}: closed {_show(closed.start, closed.zone)} to {_show(closed.end, closed.zone)}"
            )
            if closure.note:
                span += f", {closure.note}"
            roads = frozenset({closure.road}) if closure.road is not None else frozenset()
            found.append((closure.terminal, roads, closed.start, closed.end, closed.zone, span))
        for event in self.disruptions:
            if event.kind in (DisruptionKind.TERMINAL_CLOSED, DisruptionKind.ROAD_CLOSED):
                found.append(
                    (event.event.terminal, event.roads, event.start, event.end, event.zone, event.text())
                )
        return found

    def _times(self, leg: _Leg) -> tuple[dt.datetime, dt.datetime]:
        """When a leg really departs and arrives: a delayed run's times, else what the leg says."""
        return self.true_times.get(leg.index, (leg.depart, leg.arrive))

    def _not_closed(self, leg: _Leg) -> None:
        depart, arrive = self._times(leg)
        for terminal, roads, start, end, zone, span in self._shutdowns():
            if leg.is_drive:
                if leg.service in roads and depart < end and start < arrive:
                    self.add(
                        "not_closed",
                        leg.where,
                        f"drive on {leg.service} {_show(depart, zone)} to "
                        f"{_show(arrive, zone)} meets a road closure ({span})",
                    )
                continue
            if terminal == leg.origin and start <= depart < end:
                self.add(
                    "not_closed",
                    leg.where,
                    f"{leg.service} departs {leg.origin} at {_show(depart, zone)} "
                    f"while it is closed ({span})",
                )
            if terminal == leg.destination and start <= arrive < end:
                self.add(
                    "not_closed",
                    leg.where,
                    f"{leg.service} arrives at {leg.destination} at {_show(arrive, zone)} "
                    f"while it is closed ({span})",
                )

    def _not_cancelled(self, leg: _Leg) -> None:
        service = self.services.get(leg.service)
        if leg.is_drive or service is None or leg.run_date is None:
            return
        for event in self._run_events(DisruptionKind.SERVICE_CANCELLED, service, leg.run_date):
            self.add(
                "not_cancelled",
                leg.where,
                f"the {service.id} run of {_day(leg.run_date)} is cancelled ({event.text()})",
            )

    def _quiet_hours(self, leg: _Leg) -> None:
        quiet = self.rules.quiet_hours
        if quiet is None:
            return
        for moment, city_id, what in zip(
            self._times(leg), self._leg_cities(leg), ("departs", "arrives"), strict=True
        ):
            zone = self.zone(city_id)
            if zone is None:
                continue
            local = _local(moment, zone)
            if _in_window(quiet, local.hour * 60 + local.minute):
                self.add(
                    "quiet_hours",
                    leg.where,
                    f"{_label(leg)} {what} at {_show(local)} in {self.name(city_id)}, inside the quiet hours "
                    f"{quiet.start}-{quiet.end}",
                )

    # -- connections -----------------------------------------------------------

    def _connections(self) -> None:
        by_index = {leg.index: leg for leg in self.legs}
        owners: dict[int, list[int]] = {}
        for conn in self.connections:
            for i in conn.legs:
                owners.setdefault(i, []).append(conn.index)
            bad = [i for i in conn.legs if not 0 <= i < self.leg_count]
            if bad:
                self.add("connection_times", conn.where, f"leg indices {bad} do not exist")
                continue
            if not conn.legs:
                self.add("connection_times", conn.where, "a connection without legs")
                continue
            legs = [by_index.get(i) for i in conn.legs]
            if any(leg is None for leg in legs):
                continue  # a malformed leg, already reported as plan_format
            chain = [leg for leg in legs if leg is not None]
            self._legs_chain(conn, chain)
            self._connection_times(conn, chain)
        for leg in self.legs:
            if leg.arrive < leg.depart:
                self.add("legs_chain", leg.where, f"{_label(leg)} arrives before it departs")
        for i in range(self.leg_count):
            holders = owners.get(i, [])
            if len(holders) != 1:
                held = ", ".join(f"connections.{c}" for c in holders) or "no connection"
                self.add("connection_times", f"legs.{i}", f"the leg belongs to {held}, not exactly one")

    def _legs_chain(self, conn: _Connection, legs: list[_Leg]) -> None:
        for prev, nxt in itertools.pairwise(legs):
            where = nxt.where
            pair = f"in {conn.where}, legs {prev.index} -> {nxt.index}"
            if nxt.from_city != prev.to_city:
                self.add(
                    "legs_chain",
                    where,
                    f"{pair}: {_label(prev)} ends in {self.name(prev.to_city)}, but {_label(nxt)} starts in "
                    f"{self.name(nxt.from_city)}",
                )
                continue
            need, why = self._gap_needed(prev, nxt)
            if need is None:
                continue
            gap = _minutes(prev.arrive, nxt.depart)
            if gap < need:
                zone = self.zone(nxt.from_city)
                self.add(
                    "legs_chain",
                    where,
                    f"{pair}: {_label(prev)} arrives {_show(prev.arrive, zone)} and {_label(nxt)} departs "
                    f"{_show(nxt.depart, zone)}, {_gap_text(gap)}; {why} needs {need} min",
                )

    def _gap_needed(self, prev: _Leg, nxt: _Leg) -> tuple[int | None, str]:
        """Minimum minutes between two consecutive legs, and what they are for."""
        if prev.is_drive and nxt.is_drive:
            return 0, "driving on"
        if prev.is_drive:
            board = self.terminals.get(nxt.origin)
            if board is None:
                return None, ""
            return board.access_min + board.check_in_min, f"access and check-in at {nxt.origin}"
        alight = self.terminals.get(prev.destination)
        if alight is None:
            return None, ""
        if nxt.is_drive:
            return alight.access_min, f"access from {prev.destination}"
        board = self.terminals.get(nxt.origin)
        if board is None:
            return None, ""
        if prev.destination == nxt.origin:
            transfer = board.check_in_min if board.transfer_min is None else board.transfer_min
            return transfer, f"the transfer at {nxt.origin}"
        return (
            alight.access_min + board.access_min + board.check_in_min,
            f"access from {prev.destination}, to {nxt.origin} and check-in",
        )

    def _connection_leave(self, first: _Leg) -> dt.datetime | None:
        if first.is_drive:
            return first.depart
        terminal = self.terminals.get(first.origin)
        if terminal is None:
            return None
        return first.depart - dt.timedelta(minutes=terminal.check_in_min + terminal.access_min)

    def _connection_arrive(self, last: _Leg) -> dt.datetime | None:
        if last.is_drive:
            return last.arrive
        terminal = self.terminals.get(last.destination)
        if terminal is None:
            return None
        return last.arrive + dt.timedelta(minutes=terminal.access_min)

    def _connection_times(self, conn: _Connection, legs: list[_Leg]) -> None:
        rule, where = "connection_times", conn.where
        first, last = legs[0], legs[-1]
        if conn.from_city != first.from_city:
            self.add(
                rule, where, f"from_city is {conn.from_city}, but the first leg starts in {first.from_city}"
            )
        if conn.to_city != last.to_city:
            self.add(rule, where, f"to_city is {conn.to_city}, but the last leg ends in {last.to_city}")
        leave = self._connection_leave(first)
        from_zone = self.zone(conn.from_city)
        if leave is not None and leave != conn.leave:
            self.add(
                rule,
                where,
                f"leave is {_show(conn.leave, from_zone)}, but {_label(first)} departs "
                f"{_show(first.depart, from_zone)}, so the delegation leaves the centre at "
                f"{_show(leave, from_zone)}",
            )
        arrive = self._connection_arrive(last)
        to_zone = self.zone(conn.to_city)
        if arrive is not None and arrive != conn.arrive:
            self.add(
                rule,
                where,
                f"arrive is {_show(conn.arrive, to_zone)}, but {_label(last)} arrives "
                f"{_show(last.arrive, to_zone)}, so the delegation reaches the centre at "
                f"{_show(arrive, to_zone)}",
            )
        travel = conn.raw.get("travel_min")
        actual = _minutes(conn.leave, conn.arrive)
        if travel != actual:
            self.add(rule, where, f"travel_min is {travel}, but leave to arrive is {actual} min")

    # -- seminars ----------------------------------------------------------------

    def _seminar_fits(self) -> None:
        calendar = self.scenario.calendar
        first_day = calendar.start_date
        last_day = calendar.start_date + dt.timedelta(days=calendar.horizon_days - 1)
        for held in self.seminars:
            rule, where = "seminar_fits", held.where
            seminar = self.seminar_of.get(held.city)
            if seminar is None:
                self.add(rule, where, f"the scenario has no seminar in {held.city}")
                continue
            zone = self.cities[held.city].zone
            name = self.name(held.city)
            local = _local(held.start, zone)
            day = local.date()
            minute = local.hour * 60 + local.minute
            length = _minutes(held.start, held.end)
            if length != seminar.duration_min:
                self.add(rule, where, f"the seminar in {name} lasts {length} min, not {seminar.duration_min}")
            if seminar.window is None:
                allowed = sorted({_clock_minutes(t) for t in seminar.start_times})
                if minute not in allowed or local.second:
                    self.add(
                        rule,
                        where,
                        f"the seminar in {name} starts at {_show(local)}; allowed local starts are "
                        f"{', '.join(seminar.start_times)}",
                    )
            else:
                # A window wrapping past midnight that opened the day before holds the
                # early-morning starts (rule 6); its date is the day it opened.
                fits = False
                for window_day in (day, day - dt.timedelta(days=1)):
                    opens, closes = _window_span(seminar.window, window_day, zone)
                    offset = _minutes(opens, held.start)
                    start_ok = offset >= 0 and offset % seminar.step_min == 0 and not local.second
                    end_ok = held.start + dt.timedelta(minutes=seminar.duration_min) <= closes
                    if start_ok and end_ok:
                        fits, day = True, window_day
                        break
                if not fits:
                    self.add(
                        rule,
                        where,
                        f"the seminar in {name} starts at {_show(local)}; it must start at "
                        f"{seminar.window.start} plus a multiple of {seminar.step_min} min and end by "
                        f"{seminar.window.end}",
                    )
            if not first_day <= day <= last_day:
                self.add(
                    rule,
                    where,
                    f"the seminar in {name} is on {_day(day)}, outside the horizon "
                    f"{first_day.isoformat()} to {last_day.isoformat()}",
                )
            if seminar.earliest_date and day < seminar.earliest_date:
                self.add(rule, where, f"{name}: {_day(day)} is before {seminar.earliest_date.isoformat()}")
            if seminar.latest_date and day > seminar.latest_date:
                self.add(rule, where, f"{name}: {_day(day)} is after {seminar.latest_date.isoformat()}")
            if not seminar.any_day and not _is_working_day(self.scenario, day):
                self.add(rule, where, f"the seminar in {name} is on {_day(day)}, not a working day")

    def _one_seminar_per_city(self) -> None:
        counts = Counter(s.city for s in self.seminars)
        for held in self.seminars:
            if counts[held.city] > 1:
                others = [f"seminars.{s.index}" for s in self.seminars if s.city == held.city]
                self.add(
                    "one_seminar_per_city",
                    held.where,
                    f"{self.name(held.city)} holds {counts[held.city]} seminars ({', '.join(others)})",
                )

    def _city_available(self) -> None:
        for held in self.seminars:
            if held.index in self.frozen_seminars:
                continue  # it had begun before the event came
            for event in self._of_kind(DisruptionKind.CITY_UNAVAILABLE):
                if event.event.city == held.city and held.start < event.end and event.start < held.end:
                    zone = self.cities[held.city].zone
                    self.add(
                        "city_available",
                        held.where,
                        f"the seminar in {self.name(held.city)} {_show(held.start, zone)} to "
                        f"{_show(held.end, zone)} meets a time the city is unavailable ({event.text()})",
                    )

    # -- the frozen past ------------------------------------------------------------

    def _loose_moment(self, value: Any, city_id: Any) -> dt.datetime | None:
        """A datetime of the previous plan as an instant (naive: local to its city), or None."""
        if not isinstance(value, str):
            return None
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
        if moment.tzinfo is None:
            zone = self.zone(city_id) if isinstance(city_id, str) else None
            if zone is None:
                return None
            moment = moment.replace(tzinfo=zone)
        return moment.astimezone(dt.UTC)

    def _past_legs(self, previous: dict[str, Any], now: dt.datetime) -> list[_PastLeg]:
        """The previous plan's legs that had departed before now (malformed ones reported)."""
        raw = previous.get("legs", [])
        if not isinstance(raw, list):
            self.add("plan_format", "previous.legs", "the previous plan's legs must be a list")
            return []
        past: list[_PastLeg] = []
        for index, item in enumerate(raw):
            where = f"previous.legs.{index}"
            keys = ("mode", "service", "from", "to", "from_city", "to_city", "depart", "arrive")
            if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys):
                self.add("plan_format", where, "not a leg of the plan contract")
                continue
            depart = self._loose_moment(item["depart"], item["from_city"])
            arrive = self._loose_moment(item["arrive"], item["to_city"])
            run_date: dt.date | None = None
            try:
                if item.get("run_date") is not None:
                    run_date = dt.date.fromisoformat(item["run_date"])
            except (TypeError, ValueError):
                depart = None
            if depart is None or arrive is None:
                self.add("plan_format", where, "unreadable depart, arrive or run_date")
                continue
            if depart < now:
                past.append(
                    _PastLeg(
                        index,
                        item["mode"],
                        item["service"],
                        item["from"],
                        item["to"],
                        run_date,
                        depart,
                        arrive,
                    )
                )
        return past

    def _past_seminars(self, previous: dict[str, Any], now: dt.datetime) -> list[_Seminar]:
        raw = previous.get("seminars", [])
        if not isinstance(raw, list):
            self.add("plan_format", "previous.seminars", "the previous plan's seminars must be a list")
            return []
        past: list[_Seminar] = []
        for index, item in enumerate(raw):
            city = item.get("city") if isinstance(item, dict) else None
            start = self._loose_moment(item.get("start"), city) if isinstance(item, dict) else None
            end = self._loose_moment(item.get("end"), city) if isinstance(item, dict) else None
            if not isinstance(city, str) or start is None or end is None:
                self.add("plan_format", f"previous.seminars.{index}", "not a seminar of the plan contract")
                continue
            if start < now:
                past.append(_Seminar(index, city, start, end))
        return past

    def _late_arrivals(self, leg: _Leg) -> set[int]:
        """Minutes a frozen leg may arrive later than planned: a delay of its run, or a slowdown."""
        if leg.is_drive:
            road = self.roads.get(leg.service)
            if road is None:
                return set()
            base = _road_minutes(road)
            factors = [e.event.factor or 1.0 for e in self._slowdowns(road, leg.depart)]
            return {_slowed(base, factors) - base, *(_slowed(base, [f]) - base for f in factors)}
        service = self.services.get(leg.service)
        if service is None or leg.run_date is None:
            return set()
        delays = [
            e.event.delay_min or 0
            for e in self._run_events(DisruptionKind.SERVICE_DELAYED, service, leg.run_date)
        ]
        return {sum(delays), *delays}

    def _frozen_past(self) -> None:
        previous, now = self.previous, self.now
        if previous is None or now is None:
            return
        if not isinstance(previous, dict):
            self.add("plan_format", "previous", "the previous plan is not a JSON object")
            return
        rule = "frozen_past"
        home = self.home
        for past in self._past_legs(previous, now):
            key = (past.mode, past.service, past.origin, past.destination, past.run_date, past.depart)
            match = next(
                (
                    leg
                    for leg in self.legs
                    if leg.index not in self.frozen_legs
                    and (leg.mode, leg.service, leg.origin, leg.destination, leg.run_date, leg.depart) == key
                ),
                None,
            )
            what = f"{past.service} {past.origin} -> {past.destination}"
            if past.mode == DRIVE:
                what = f"the drive on {what}"
            if match is None:
                self.add(
                    rule,
                    past.where,
                    f"{what} departed at {_show(past.depart, home)}, before now ({_show(now, home)}), "
                    "but the plan has no such leg (same mode, service, ends, run date and departure)",
                )
                continue
            self.frozen_legs.add(match.index)
            late = _minutes(past.arrive, match.arrive)
            if late and late not in self._late_arrivals(match):
                zone = self.zone(match.to_city)
                self.add(
                    rule,
                    match.where,
                    f"{what} departed before now ({_show(now, home)}) and was to arrive at "
                    f"{_show(past.arrive, zone)}; the plan says {_show(match.arrive, zone)}, which no "
                    "delay event explains",
                )
        for leg in self.legs:
            if leg.depart < now and leg.index not in self.frozen_legs:
                self.add(
                    rule,
                    leg.where,
                    f"{_label(leg)} departs at {_show(leg.depart, self.zone(leg.from_city))}, before now "
                    f"({_show(now, home)}), but the previous plan had no such leg",
                )
        for seminar in self._past_seminars(previous, now):
            zone = self.zone(seminar.city)
            match_index = next(
                (
                    s.index
                    for s in self.seminars
                    if s.index not in self.frozen_seminars
                    and (s.city, s.start, s.end) == (seminar.city, seminar.start, seminar.end)
                ),
                None,
            )
            if match_index is None:
                self.add(
                    "frozen_past",
                    f"previous.seminars.{seminar.index}",
                    f"the seminar in {self.name(seminar.city)} {_show(seminar.start, zone)} to "
                    f"{_show(seminar.end, zone)} began before now ({_show(now, home)}), but the plan does "
                    "not hold it unchanged",
                )
            else:
                self.frozen_seminars.add(match_index)
        for held in self.seminars:
            if held.start < now and held.index not in self.frozen_seminars:
                self.add(
                    rule,
                    held.where,
                    f"the seminar in {self.name(held.city)} starts at "
                    f"{_show(held.start, self.zone(held.city))}, before now ({_show(now, home)}), but the "
                    "previous plan had no such seminar",
                )

    # -- the trip as a whole -------------------------------------------------------

    def _events(self) -> list[_Seminar | _Connection]:
        events: list[_Seminar | _Connection] = [*self.seminars, *self.connections]

        def key(event: _Seminar | _Connection) -> tuple[dt.datetime, dt.datetime]:
            if isinstance(event, _Seminar):
                return event.start, event.end
            return event.leave, event.arrive

        return sorted(events, key=key)

    def _timeline(self) -> None:
        events = self._events()
        self._start_and_end(events)
        place: str | None = None  # where the delegation is; the first event decides (start_and_end judges it)
        free_since: dt.datetime | None = None
        previous: _Seminar | _Connection | None = None
        prep = self.rules.min_prep_min
        reports = list(self.reports)
        for event in events:
            if isinstance(event, _Seminar):
                begins, ends, at = event.start, event.end, event.city
                what = f"the seminar in {self.name(event.city)}"
            else:
                begins, ends, at = event.leave, event.arrive, event.from_city
                what = f"the connection {self.name(event.from_city)} -> {self.name(event.to_city)}"
            while reports and begins >= reports[0][0]:
                # The coordinator's word: from that moment the delegation is in that city.
                moment, place = reports.pop(0)
                previous = None
                free_since = moment if free_since is None else min(free_since, moment)
            zone = self.zone(at)
            if place is not None and at != place:
                self.add(
                    "no_two_places",
                    event.where,
                    f"{what} begins {_show(begins, zone)}, but the delegation is in {self.name(place)} then",
                )
            if free_since is not None and begins < free_since:
                self.add(
                    "no_two_places",
                    event.where,
                    f"{what} begins {_show(begins, zone)}, before the previous item ends at "
                    f"{_show(free_since, zone)}",
                )
            if ends < begins:
                self.add("no_two_places", event.where, f"{what} ends before it begins")
            if (
                isinstance(event, _Seminar)
                and isinstance(previous, _Connection)
                and previous.to_city == event.city
            ):
                gap = _minutes(previous.arrive, event.start)
                if gap < prep:
                    self.add(
                        "prep_time",
                        event.where,
                        f"{what} starts {_show(event.start, zone)}, {gap} min after arriving at "
                        f"{_show(previous.arrive, zone)}; at least {prep} min are needed",
                    )
            place = event.city if isinstance(event, _Seminar) else event.to_city
            free_since = ends
            previous = event

    def _start_and_end(self, events: list[_Seminar | _Connection]) -> None:
        rule = "start_and_end"
        delegation = self.scenario.delegation
        status = self.plan.get("status")
        if not events and not self.legs and status in NO_PLAN_STATUSES:
            return  # no plan, nothing to judge
        start_zone = self.cities[delegation.start_city].zone
        end_zone = self.cities[delegation.end_city].zone
        if events:
            first = events[0]
            at = first.city if isinstance(first, _Seminar) else first.from_city
            begins = first.start if isinstance(first, _Seminar) else first.leave
            reported = [city for moment, city in self.reports if moment <= begins]
            if at != delegation.start_city and not (reported and at == reported[-1]):
                self.add(
                    rule,
                    first.where,
                    f"the trip begins in {self.name(at)}, not in the start city "
                    f"{self.name(delegation.start_city)}",
                )
            last = events[-1]
            final = last.city if isinstance(last, _Seminar) else last.to_city
            last_begins = last.start if isinstance(last, _Seminar) else last.leave
            later = [city for moment, city in self.reports if moment > last_begins]
            if later:
                # Nothing planned after the last report: the trip ends where the coordinator said.
                final = later[-1]
        else:
            final = self.reports[-1][1] if self.reports else delegation.start_city
        if status in NO_PLAN_STATUSES:
            # No plan was found: a replan lists only the past it keeps, which need not end
            # anywhere in particular; nothing else may be listed.
            for where, begins in self._listed_starts():
                if self.now is None or begins >= self.now:
                    self.add(
                        rule,
                        where,
                        f"the status is {status} (no plan), but this is planned "
                        + ("after now" if self.now is not None else "all the same"),
                    )
            return
        if final != delegation.end_city:
            where = events[-1].where if events else "connections"
            self.add(
                rule,
                where,
                f"the trip ends in {self.name(final)}, not in the end city {self.name(delegation.end_city)}",
            )
        spans = [(leg.where, leg.depart, leg.arrive) for leg in self.legs]
        spans += [(s.where, s.start, s.end) for s in self.seminars]
        spans += [(c.where, c.leave, c.arrive) for c in self.connections]
        for where, moment, _ in spans:
            if moment < self.earliest:
                self.add(
                    rule,
                    where,
                    f"starts at {_show(moment, start_zone)}, before the earliest departure "
                    f"{_show(self.earliest, start_zone)}",
                )
        for where, _, moment in spans:
            if moment > self.latest:
                self.add(
                    rule,
                    where,
                    f"ends at {_show(moment, end_zone)}, "
                    f"after the latest return {_show(self.latest, end_zone)}",
                )

    def _reported_positions(self) -> None:
        """Where coordinators said the delegation was: the plan's ``reported_positions``, which
        must repeat the previous version's and add ``position`` at ``now`` when one is given."""
        rule = "frozen_past"
        stated = self._position_list(self.plan, "reported_positions")
        if self.previous is None or self.now is None:
            self.reports = stated if stated is not None else []
            return
        stated_now = self.previous.get("now") if isinstance(self.previous, dict) else None
        before = self._loose_moment(stated_now, self.scenario.delegation.start_city)
        minute = self.now.replace(second=0, microsecond=0)
        if before is not None and minute < before.replace(second=0, microsecond=0):
            self.add(
                rule,
                "now",
                f"now ({_show(self.now, self.home)}) is before the previous version's now "
                f"({_show(before, self.home)}): what that version treated as done stays done",
            )
        expected = self._position_list(self.previous, "previous.reported_positions") or []
        if self.position is not None:
            expected.append((self.now.replace(second=0, microsecond=0), self.position))
        self.reports = expected
        if stated is not None and stated != expected:
            self.add(
                rule,
                "reported_positions",
                "the reported positions are "
                + ", ".join(f"{self.name(c)} at {_show(m, self.zone(c))}" for m, c in stated)
                + "; the previous version's and this report give "
                + ", ".join(f"{self.name(c)} at {_show(m, self.zone(c))}" for m, c in expected),
            )

    def _position_list(self, data: Any, where: str) -> list[tuple[dt.datetime, str]] | None:
        """A document's reported positions in time order; None when it has none."""
        raw = data.get("reported_positions") if isinstance(data, dict) else None
        if raw is None:
            return None
        found: list[tuple[dt.datetime, str]] = []
        if not isinstance(raw, list):
            self.add("plan_format", where, "reported_positions must be a list")
            return None
        for index, item in enumerate(raw):
            city = item.get("city") if isinstance(item, dict) else None
            if city not in self.cities:
                self.add("plan_format", f"{where}.{index}.city", f"unknown city {city!r}")
                continue
            moment = self._moment(item.get("now"), f"{where}.{index}.now", city)
            if moment is not None:
                found.append((moment, city))
        return sorted(found)

    def _listed_starts(self) -> list[tuple[str, dt.datetime]]:
        """Where and when each leg and seminar of the plan begins."""
        return [(leg.where, leg.depart) for leg in self.legs] + [(s.where, s.start) for s in self.seminars]

    def _daily_travel_limit(self) -> None:
        limit = self.rules.max_travel_min_per_day
        per_day: dict[dt.date, int] = {}
        # Travel under way before `now` is a fact (a delay may stretch it past the limit): it
        # counts, and a day it alone fills allows no more (rule 22).
        frozen_per_day: dict[dt.date, int] = {}
        who: dict[dt.date, list[str]] = {}
        for conn in self.connections:
            frozen = bool(conn.legs) and all(i in self.frozen_legs for i in conn.legs)
            day = _local(conn.leave, self.home).date()
            # A connection longer than the horizon is nonsense reported elsewhere; do not walk it.
            for _ in range(MAX_DAYS_WALKED):
                midnight = _at(day, 0, self.home)
                if midnight >= conn.arrive:
                    break
                share = _overlap(conn.leave, conn.arrive, midnight, _at(day, 24 * 60, self.home))
                if share:
                    per_day[day] = per_day.get(day, 0) + share
                    if frozen:
                        frozen_per_day[day] = frozen_per_day.get(day, 0) + share
                    who.setdefault(day, []).append(
                        f"{conn.where} {share} min" + (" under way" if frozen else "")
                    )
                day += dt.timedelta(days=1)
        home_name = self.scenario.delegation.start_city
        for day, minutes in sorted(per_day.items()):
            if minutes > max(limit, frozen_per_day.get(day, 0)):
                self.add(
                    "daily_travel_limit",
                    f"days.{day.isoformat()}",
                    f"{minutes} min of travel on {_day(day)} ({self.home.key} time, the zone of "
                    f"{self.name(home_name)}: {', '.join(who[day])}); the limit is {limit} min",
                )

    def _required_cities(self) -> None:
        held = {s.city for s in self.seminars}
        reported = {
            u.get("city")
            for u in self._items("uncovered")
            if isinstance(u, dict) and u.get("required") is True
        }
        for index, seminar in enumerate(self.scenario.seminars):
            if seminar.required and seminar.city not in held and seminar.city not in reported:
                self.add(
                    "required_cities",
                    f"scenario.seminars.{index}",
                    f"the seminar in {self.name(seminar.city)} is required but not held, and the plan does "
                    "not report it as uncovered",
                )

    # -- recomputed figures -----------------------------------------------------------

    def _compare(
        self, where: str, label: str, mine: float, theirs: Any, digits: int, tolerance: float
    ) -> None:
        """Compare a recomputed figure with the plan's, rounded as plan_json rounds it."""
        if _number(theirs) is None:
            self.add("totals", where, f"{label} is {theirs!r}, expected a number near {mine:g}")
            return
        rounded = round(mine, digits)
        if abs(rounded - theirs) > tolerance + 1e-9:
            self.add("totals", where, f"{label} is {theirs:g}, recomputed {rounded:g}")

    def _ride_figures(self, leg: _Leg) -> tuple[float, float] | None:
        """(distance km, cost) of a ride, from great-circle stop distances and the fare."""
        service = self.services.get(leg.service)
        pair = self.stop_pair.get(leg.index)
        if service is None or pair is None:
            return None
        cumulative = [0.0]
        for prev, stop in itertools.pairwise(service.stops):
            step = _great_circle_km(self.terminal_city[prev.terminal], self.terminal_city[stop.terminal])
            cumulative.append(cumulative[-1] + step)
        total = cumulative[-1]
        if service.distance_km is not None and total > 0:
            cumulative = [d * service.distance_km / total for d in cumulative]
            total = service.distance_km
        board, alight = pair
        distance = cumulative[alight] - cumulative[board]
        share = distance / total if total else 1.0  # all stops in one place: the whole fare
        return distance, service.fare * share * self.scenario.delegation.size

    def _people(self, mode: str) -> int:
        delegation = self.scenario.delegation
        return delegation.vehicles if mode == DRIVE else delegation.size

    def _factor(self, mode: str) -> float:
        return float(getattr(self.scenario.emissions, mode, 0.0)) if mode in (*RIDE_MODES, DRIVE) else 0.0

    def _totals(self) -> None:
        raw_totals = self.plan.get("totals")
        totals: dict[str, Any] = raw_totals if isinstance(raw_totals, dict) else {}
        if not isinstance(raw_totals, dict):
            self.add("plan_format", "totals", "totals must be an object")
        night = self.rules.night
        travel_min = 0
        night_min = 0
        for conn in self.connections:
            travel_min += _minutes(conn.leave, conn.arrive)
            spent = _window_minutes(conn.leave, conn.arrive, night, self.home)
            night_min += spent
            if "night_min" in conn.raw and conn.raw["night_min"] != spent:
                self.add(
                    "totals",
                    f"{conn.where}.night_min",
                    f"night_min is {conn.raw['night_min']}, but {spent} min of it lie in the night "
                    f"{night.start}-{night.end} ({self.home.key})",
                )
        cost = distance = co2 = 0.0
        km_by_mode: dict[str, float] = {}
        co2_by_mode: dict[str, float] = {}
        for leg in self.legs:
            self._leg_figures(leg)
            km = _number(leg.raw.get("distance_km")) or 0.0
            cost += _number(leg.raw.get("cost")) or 0.0
            distance += km
            leg_co2 = self._factor(leg.mode) * km * self._people(leg.mode)
            co2 += leg_co2
            km_by_mode[leg.mode] = km_by_mode.get(leg.mode, 0.0) + km
            co2_by_mode[leg.mode] = co2_by_mode.get(leg.mode, 0.0) + leg_co2
        # (key, recomputed, digits the plan rounds to, tolerance): counts are exact.
        expected: list[tuple[str, float, int, float]] = [
            ("seminars", len(self._items("seminars")), 0, 0),
            ("legs", self.leg_count, 0, 0),
            ("travel_hours", travel_min / 60, 2, TOTALS_TOLERANCE),
            ("night_travel_hours", night_min / 60, 2, TOTALS_TOLERANCE),
            ("cost", cost, 2, TOTALS_TOLERANCE),
            ("distance_km", distance, 1, TOTALS_TOLERANCE),
            ("co2_kg", co2, 1, TOTALS_TOLERANCE),
        ]
        for key, mine, digits, tolerance in expected:
            if key not in totals:
                self.add("totals", f"totals.{key}", f"totals has no {key}")
                continue
            self._compare(f"totals.{key}", key, mine, totals[key], digits, tolerance)
        if "currency" in totals and totals["currency"] != self.scenario.currency:
            self.add(
                "totals", "totals.currency", f"currency is {totals['currency']}, not {self.scenario.currency}"
            )
        for key, mine_by_mode in (("distance_km_by_mode", km_by_mode), ("co2_kg_by_mode", co2_by_mode)):
            given = totals.get(key)
            if not isinstance(given, dict):
                continue
            for mode in sorted(set(given) | set(mine_by_mode)):
                self._compare(
                    f"totals.{key}.{mode}",
                    f"{key}[{mode}]",
                    mine_by_mode.get(mode, 0.0),
                    given.get(mode, 0.0),
                    1,
                    TOTALS_TOLERANCE,
                )

    def _leg_figures(self, leg: _Leg) -> None:
        """Minutes, distance, cost and CO2 of one leg, recomputed from the scenario."""
        where = leg.where
        if "minutes" in leg.raw and leg.raw["minutes"] != _minutes(leg.depart, leg.arrive):
            self.add(
                "totals",
                f"{where}.minutes",
                f"minutes is {leg.raw['minutes']}, "
                f"but depart to arrive is {_minutes(leg.depart, leg.arrive)}",
            )
        figures: tuple[float, float] | None = None
        if leg.is_drive:
            road = self.roads.get(leg.service)
            if road is not None:
                vehicles = self.scenario.delegation.vehicles
                figures = road.distance_km, road.distance_km * road.cost_per_km * vehicles
        elif leg.mode in RIDE_MODES:
            figures = self._ride_figures(leg)
        if figures is not None:
            km, money = figures
            self._compare(
                f"{where}.distance_km",
                "distance_km",
                km,
                leg.raw.get("distance_km"),
                1,
                DISTANCE_TOLERANCE_KM,
            )
            self._compare(f"{where}.cost", "cost", money, leg.raw.get("cost"), 2, COST_TOLERANCE)
        given_km = _number(leg.raw.get("distance_km"))
        if "co2_kg" in leg.raw and given_km is not None:
            mine = self._factor(leg.mode) * given_km * self._people(leg.mode)
            self._compare(f"{where}.co2_kg", "co2_kg", mine, leg.raw["co2_kg"], 1, TOTALS_TOLERANCE)

    def _coverage(self) -> None:
        weights = {r.id: r.weight for r in self.scenario.regions}
        held = {s.city for s in self.seminars if s.city in self.seminar_of}
        regions: set[str] = set()
        points = 0
        for city in held:
            seminar = self.seminar_of[city]
            regions |= {self.cities[city].region, *seminar.serves}
            points += seminar.weight
        points += sum(weights.get(r, 0) for r in regions)
        every_region = {r for s in self.scenario.seminars for r in (self.cities[s.city].region, *s.serves)}
        most = sum(s.weight for s in self.scenario.seminars) + sum(weights.get(r, 0) for r in every_region)
        self.points, self.max_points = points, most
        coverage = self.plan.get("coverage")
        status = self.plan.get("status")
        if not isinstance(coverage, dict):
            if status not in NO_PLAN_STATUSES or self.seminars:
                self.add("plan_format", "coverage", "coverage must be an object")
            return
        given = coverage.get("regions_covered")
        if not isinstance(given, list) or set(given) != regions:
            self.add(
                "totals",
                "coverage.regions_covered",
                f"regions_covered is {given}, but the seminars held cover {sorted(regions)}",
            )
        if coverage.get("points") != points:
            self.add("totals", "coverage.points", f"points is {coverage.get('points')}, recomputed {points}")
        if "max_points" in coverage and coverage["max_points"] != most:
            self.add(
                "totals", "coverage.max_points", f"max_points is {coverage['max_points']}, recomputed {most}"
            )
        uncovered = coverage.get("regions_uncovered")
        if isinstance(uncovered, list) and set(uncovered) != set(weights) - regions:
            self.add(
                "totals",
                "coverage.regions_uncovered",
                f"regions_uncovered is {uncovered}, expected {sorted(set(weights) - regions)}",
            )
        listed = {str(u.get("city")) for u in self._items("uncovered") if isinstance(u, dict)}
        for city in sorted(listed & held):
            self.add("totals", "uncovered", f"{self.name(city)} is listed as uncovered but holds a seminar")
        for city in sorted(set(self.seminar_of) - held - listed):
            self.add(
                "totals", "uncovered", f"{self.name(city)} holds no seminar and is not listed as uncovered"
            )

    # -- the objective and a replan's stability -----------------------------------------

    def _is_replan(self) -> bool:
        plan = self.plan
        return plan.get("based_on") is not None or plan.get("diff") is not None or "stability_points" in plan

    def _legs_of(self, conn: _Connection) -> list[_Leg]:
        """The connection's legs that parsed, in its order."""
        if len(self.leg_at) != len(self.legs):
            self.leg_at = {leg.index: leg for leg in self.legs}
        return [self.leg_at[i] for i in conn.legs if i in self.leg_at]

    def _leg_money(self, leg: _Leg) -> float:
        """A leg's money as the plan states it when it agrees with the fare or road (else the
        recomputed figure, rounded to 0.01 as rule 20 rounds it)."""
        mine: float | None = None
        if leg.is_drive:
            road = self.roads.get(leg.service)
            if road is not None:
                mine = road.distance_km * road.cost_per_km * self.scenario.delegation.vehicles
        else:
            figures = self._ride_figures(leg)
            mine = figures[1] if figures is not None else None
        given = _number(leg.raw.get("cost"))
        if given is not None and (mine is None or abs(round(mine, 2) - given) <= COST_TOLERANCE):
            return given
        return round(mine, 2) if mine is not None else 0.0

    def _connection_cost(self, conn: _Connection, legs: list[_Leg]) -> int:
        """Secondary cost of a connection in 1/60 points (rule 24), from its legs."""
        weights = self.scenario.objective
        leave = self._connection_leave(legs[0]) if legs else None
        arrive = self._connection_arrive(legs[-1]) if legs else None
        leave = leave if leave is not None else conn.leave
        arrive = arrive if arrive is not None else conn.arrive
        travel = _minutes(leave, arrive)
        night = _window_minutes(leave, arrive, self.rules.night, self.home)
        money = round(sum(self._leg_money(leg) for leg in legs), 2)
        return (
            travel * weights.travel_per_hour
            + night * weights.night_per_hour
            + round(money * weights.cost_per_unit * 60)
        )

    def _figures_since(self) -> dt.datetime | None:
        """From when the plan's figures count: a replanned version's own ``now``, else all of it."""
        stated = self.plan.get("now")
        if stated is not None:
            moment = self._loose_moment(stated, None)
            if moment is None:
                self.add("plan_format", "now", f"{stated!r} is not an ISO 8601 datetime with its offset")
            return moment
        return self.now if self._is_replan() and self.previous is not None else None

    def _secondary(self, since: dt.datetime | None) -> int:
        """The secondary cost (1/60 points) of the connections whose first leg departs from ``since``."""
        total = 0
        for conn in self.connections:
            legs = self._legs_of(conn)
            first = legs[0].depart if legs else conn.leave
            if since is None or first >= since:
                total += self._connection_cost(conn, legs)
        return total

    def _objective_terms(self) -> tuple[int, int, int] | None:
        """(scale, divisor, stability_scale) as the plan states them; None when it states none
        (a plan without an objective, or written before the terms were published)."""
        solver = self.plan.get("solver")
        terms = solver.get("objective_terms") if isinstance(solver, dict) else None
        if terms is None:
            return None
        names = ("scale", "divisor", "stability_scale")
        values = [terms.get(k) for k in names] if isinstance(terms, dict) else []
        numbers = [v for v in values if _integer(v) and v > 0]
        if len(numbers) != len(names):
            self.add(
                "objective",
                "solver.objective_terms",
                f"objective_terms is {terms!r}, not positive integers {', '.join(names)}",
            )
            return None
        return numbers[0], numbers[1], numbers[2]

    def _objective(self, stability: int | None) -> None:
        rule = "objective"
        plan = self.plan
        since = self._figures_since()
        terms = self._objective_terms()
        # A plan missing parts has no figures to recompute.
        figures = not any(v.rule == "plan_format" for v in self.violations)
        secondary = self._secondary(since) if figures else 0
        coverage = plan.get("coverage")
        if figures and isinstance(coverage, dict):
            given = coverage.get("secondary_points")
            mine = round(secondary / 60, 2)
            number = _number(given)
            if number is None or abs(number - mine) > 1e-6:
                scope = f", from {_show(since, self.home)} on" if since is not None else ""
                self.add(
                    rule,
                    "coverage.secondary_points",
                    f"secondary_points is {given!r}, but the connections{scope} cost {mine:g} "
                    f"({secondary} 1/60 points)",
                )
        status = plan.get("status")
        if status in NO_PLAN_STATUSES or "objective" not in plan:
            return  # no plan, or a document that states no objective figures at all
        objective, bound, gap = plan.get("objective"), plan.get("bound"), plan.get("gap")
        if not _integer(objective):
            self.add(
                rule, "objective", f"a plan with status {status} states its objective, not {objective!r}"
            )
            return
        if bound is not None and not _integer(bound):
            self.add(rule, "bound", f"bound is {bound!r}, not an integer or null")
            return
        if bound is not None and bound > objective:
            self.add(
                rule, "bound", f"bound is {bound}, above the objective {objective}: a lower bound never is"
            )
        if status == "OPTIMAL" and bound != objective:
            self.add(
                rule,
                "bound",
                f"status is OPTIMAL, so the bound must be the objective {objective}, not {bound}",
            )
        expected: float | None = None
        if bound is not None:
            expected = 0.0 if objective == 0 else max(0.0, (objective - bound) / abs(objective))
            expected = round(expected, GAP_DIGITS)
        stated = _number(gap)
        if expected is None and gap is not None:
            self.add(rule, "gap", f"gap is {gap!r}, but without a bound there is none")
        elif expected is not None and (stated is None or abs(stated - expected) > 1e-9):
            self.add(rule, "gap", f"gap is {gap!r}, but (objective - bound) / |objective| is {expected:g}")
        elif status == "OPTIMAL" and gap:
            self.add(rule, "gap", f"status is OPTIMAL, so the gap must be 0, not {gap!r}")
        solver = self.plan.get("solver")
        if terms is None and isinstance(solver, dict) and solver.get("objective_terms") is None:
            self.add(
                rule,
                "solver.objective_terms",
                f"a plan with status {status} and an objective states the terms that recompute it",
            )
        if figures and terms is not None:
            self._objective_value(objective, secondary, stability, terms)

    def _objective_value(
        self, objective: int, secondary: int, stability: int | None, terms: tuple[int, int, int]
    ) -> None:
        """The objective recomputed with the scale and divisor the plan states."""
        rule = "objective"
        scale, divisor, unit = terms
        if stability is None:
            stated = self.plan.get("stability_points")
            stability = stated if _integer(stated) else 0
        cost = secondary + unit * stability
        mine = scale * (self.max_points - self.points) + cost // divisor
        if objective != mine:
            self.add(
                rule,
                "objective",
                f"objective is {objective}, recomputed {mine} = {scale} x ({self.max_points} - "
                f"{self.points}) uncovered points + ({secondary} secondary + {unit} x {stability} "
                f"stability) // {divisor}",
            )
        if cost % divisor:
            self.add(
                rule,
                "solver.objective_terms.divisor",
                f"divisor {divisor} does not divide the plan's cost {cost} (secondary {secondary} + "
                f"{unit} x {stability} stability), as it divides every cost of the model",
            )
        if cost // divisor >= scale:
            self.add(
                rule,
                "solver.objective_terms.scale",
                f"scale {scale} (one coverage point) does not outweigh the plan's own cost "
                f"{cost} // {divisor} = {cost // divisor}",
            )

    def _previous_trip(
        self, previous: dict[str, Any]
    ) -> tuple[list[tuple[str, dt.datetime]], list[_Planned | None], list[list[int]]]:
        """Seminars (city, start), legs (None where unreadable) and connections (leg indices) of
        the previous plan; what is malformed is reported under frozen_past's reading or skipped."""
        seminars: list[tuple[str, dt.datetime]] = []
        raw = previous.get("seminars")
        for item in raw if isinstance(raw, list) else []:
            city = item.get("city") if isinstance(item, dict) else None
            start = self._loose_moment(item.get("start"), city) if isinstance(city, str) else None
            if isinstance(city, str) and start is not None:
                seminars.append((city, start))
        legs: list[_Planned | None] = []
        keys = ("service", "from", "to", "from_city", "to_city", "depart")
        raw = previous.get("legs")
        for item in raw if isinstance(raw, list) else []:
            planned: _Planned | None = None
            if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys):
                depart = self._loose_moment(item["depart"], item["from_city"])
                if depart is not None:
                    planned = _Planned(
                        item["service"], item["from"], item["to"], item["from_city"], item["to_city"], depart
                    )
            legs.append(planned)
        connections: list[list[int]] = []
        raw = previous.get("connections")
        for item in raw if isinstance(raw, list) else []:
            indices = item.get("legs") if isinstance(item, dict) else None
            if isinstance(indices, list) and all(_integer(i) for i in indices):
                connections.append(indices)
        return seminars, legs, connections

    def _stability(self) -> int | None:
        """A replan's stability points recomputed from previous, the plan and now (None when not
        judged); its ``stability_points`` and ``diff`` compared with them."""
        previous, now = self.previous, self.now
        if not isinstance(previous, dict) or now is None or not self._is_replan():
            return None
        if any(v.rule == "plan_format" for v in self.violations):
            return None  # one of the two plans is missing parts: no figures to recompute
        now = now.replace(second=0, microsecond=0)  # the planner counts in whole minutes
        weights = self.scenario.objective.stability
        seminars, old_legs, old_connections = self._previous_trip(previous)
        old = {city: start for city, start in seminars if start >= now}
        new = {s.city: s.start for s in self.seminars if s.start >= now}
        added = [c for c in new if c not in old]
        moved = [c for c in new if c in old and old[c] != new[c]]
        dropped = [c for c in old if c not in new]
        before: dict[tuple[str, str], tuple[tuple[str, dt.datetime], ...]] = {}
        for indices in old_connections:
            chain = [old_legs[i] if 0 <= i < len(old_legs) else None for i in indices]
            path = [leg for leg in chain if leg is not None]
            if path and len(path) == len(chain) and path[0].depart >= now:
                before[(path[0].from_city, path[-1].to_city)] = tuple(
                    (leg.service, leg.depart) for leg in path
                )
        changed = []
        for conn in self.connections:
            legs = self._legs_of(conn)
            if not legs or legs[0].depart < now:
                continue
            if before.get((conn.from_city, conn.to_city)) != tuple((leg.service, leg.depart) for leg in legs):
                changed.append(conn.where)
        points = (
            weights.add_city * len(added)
            + weights.move_seminar * len(moved)
            + weights.drop_city * len(dropped)
            + weights.change_connection * len(changed)
        )
        given = self.plan.get("stability_points")
        if self.plan.get("objective") is not None and given != points:
            self.add(
                "stability",
                "stability_points",
                f"stability_points is {given!r}, recomputed {points}: cities added {len(added)} x "
                f"{weights.add_city}, seminars moved {len(moved)} x {weights.move_seminar}, cities "
                f"dropped {len(dropped)} x {weights.drop_city}, connections changed {len(changed)} x "
                f"{weights.change_connection}" + (f" ({', '.join(changed)})" if changed else ""),
            )
        old_keys = {
            (leg.service, leg.origin, leg.destination, leg.depart)
            for leg in old_legs
            if leg is not None and leg.depart >= now
        }
        new_keys = {
            (leg.service, leg.origin, leg.destination, leg.depart) for leg in self.legs if leg.depart >= now
        }
        self._diff(_Change(old, new, old_keys - new_keys, new_keys - old_keys))
        return points

    def _diff(self, change: _Change) -> None:
        rule = "stability"
        diff = self.plan.get("diff")
        if not isinstance(diff, dict):
            self.add(rule, "diff", "a replanned version carries its diff against the previous plan")
            return
        old, new = change.old, change.new
        wanted: dict[str, dict[str, tuple[dt.datetime, ...]]] = {
            "kept": {c: (old[c],) for c in old if c in new and new[c] == old[c]},
            "moved": {c: (old[c], new[c]) for c in old if c in new and new[c] != old[c]},
            "dropped": {c: (old[c],) for c in old if c not in new},
            "added": {c: (new[c],) for c in new if c not in old},
        }
        times = {
            "kept": ("start",),
            "moved": ("old_start", "new_start"),
            "dropped": ("old_start",),
            "added": ("start",),
        }
        seminars = diff.get("seminars")
        for part, expected in wanted.items():
            where = f"diff.seminars.{part}"
            listed = seminars.get(part) if isinstance(seminars, dict) else None
            if not isinstance(listed, list):
                self.add(rule, where, f"{part} must be a list of seminars")
                continue
            stated: dict[str, tuple[dt.datetime | None, ...]] = {}
            for item in listed:
                city = item.get("city") if isinstance(item, dict) else None
                if isinstance(city, str):
                    stated[city] = tuple(self._loose_moment(item.get(k), city) for k in times[part])
            if len(listed) != len(stated) or set(stated) != set(expected):
                cities = [str(i.get("city")) if isinstance(i, dict) else "?" for i in listed]
                self.add(
                    rule,
                    where,
                    f"{part} lists {', '.join(cities) or 'nothing'}; "
                    f"recomputed {', '.join(expected) or 'nothing'}",
                )
                continue
            for city, moments in expected.items():
                for name, mine, theirs in zip(times[part], moments, stated[city], strict=True):
                    if mine != theirs:
                        self.add(rule, where, f"{city}: {name} should be {_show(mine, self.zone(city))}")
        legs = diff.get("legs")
        for part, keys in (("removed", change.removed), ("added", change.added)):
            where = f"diff.legs.{part}"
            listed = legs.get(part) if isinstance(legs, dict) else None
            if not isinstance(listed, list):
                self.add(rule, where, f"{part} must be a list of legs")
                continue
            found: list[tuple[str, str, str, dt.datetime] | None] = []
            for item in listed:
                key: tuple[str, str, str, dt.datetime] | None = None
                if isinstance(item, dict) and all(
                    isinstance(item.get(k), str) for k in ("service", "from", "to")
                ):
                    place = self.terminal_city.get(item["from"])
                    depart = self._loose_moment(item.get("depart"), place.id if place else item["from"])
                    if depart is not None:
                        key = (item["service"], item["from"], item["to"], depart)
                found.append(key)
            if len(found) != len(set(found)) or set(found) != keys:
                missing = sorted(
                    f"{k[0]} {k[1]}->{k[2]} {_show(k[3], self.home)}" for k in keys - set(found) if k
                )
                extra = sorted(
                    f"{k[0]} {k[1]}->{k[2]} {_show(k[3], self.home)}" if k else "an unreadable leg"
                    for k in set(found) - keys
                )
                self.add(
                    rule,
                    where,
                    f"{part} legs do not match the plans: missing {', '.join(missing) or 'none'}; "
                    f"not {part}: {', '.join(extra) or 'none'}"
                    + (", and some listed twice" if len(found) != len(set(found)) else ""),
                )
        count = (
            sum(len(v) for k, v in wanted.items() if k != "kept") + len(change.removed) + len(change.added)
        )
        if diff.get("changes") != count:
            self.add(
                rule,
                "diff.changes",
                f"changes is {diff.get('changes')!r}, recomputed {count} (seminars moved, dropped and added, "
                "legs removed and added)",
            )
