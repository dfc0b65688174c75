"""Frozen, self-validating models of a scenario.

A scenario is everything a plan depends on: the calendar, the cities and their
terminals, the seminars, the regions to cover, the delegation and its rules, the
transport network (timetabled services and roads), closures known at planning
time, objective weights and solver parameters.

Times of day are written as local wall-clock times ``"HH:MM"`` of the place they
refer to; a timetable time may carry a day offset (``"07:47+1"``). Datetimes
without an offset are local to the city they refer to; datetimes with an offset
are taken as given. The models never convert to UTC themselves: see
``planner.calendar`` for that.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

# "HH:MM", or "HH:MM+D" in timetables: two-digit hours and minutes, a one-digit day offset.
_CLOCK = re.compile(r"(\d\d):(\d\d)(?:\+(\d))?", re.ASCII)
_LONG_OFFSET = re.compile(r"\d\d:\d\d\+\d{2,}", re.ASCII)

# Upper limits of quantities the format leaves open: far beyond any trip, and finite.
MAX_MONEY = 1e9  # a fare, per person
MAX_COST_PER_KM = 1e6
MAX_DISTANCE_KM = 40_000.0  # about the Earth's circumference
MAX_WEIGHT = 1_000_000
MAX_EMISSION_FACTOR = 100.0  # kg CO2e per passenger-km or vehicle-km

# Dates and datetimes as the scenario format writes them (ISO 8601), within these years.
FIRST_YEAR, LAST_YEAR = 1900, 2199
_DATE = re.compile(r"\d{4}-\d\d-\d\d", re.ASCII)
_DATETIME = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,6})?)?(?:Z|[+-]\d\d(?::?\d\d)?)?", re.ASCII
)


def shown(value: object, limit: int = 40) -> str:
    """A value as a message quotes it, cut short when long."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@functools.cache
def parse_clock(text: str) -> tuple[int, int]:
    """Return (minutes after local midnight, day offset) of ``"HH:MM"`` or ``"HH:MM+D"``."""
    match = _CLOCK.fullmatch(text)
    if not match:
        if _LONG_OFFSET.fullmatch(text):
            raise ValueError(f"{shown(text)}: the day offset is one digit, like '07:47+1'")
        raise ValueError(f"{shown(text)} is not a time of day like '07:40' or '07:47+1'")
    hours, minutes, offset = int(match[1]), int(match[2]), int(match[3] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"{text!r} is not a valid time of day")
    return hours * 60 + minutes, offset


def _clock(text: str) -> str:
    _minutes, offset = parse_clock(text)
    if offset:
        raise ValueError(f"{text!r}: a day offset is only allowed in timetables")
    return text


def _timetable_clock(text: str) -> str:
    parse_clock(text)
    return text


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown IANA time zone {shown(name)}") from exc
    return name


def _number(value: object) -> object:
    """Numbers only: not true/false (YAML's yes/no), nothing too large for a float."""
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {str(value).lower()}")
    if isinstance(value, int) and not math.isfinite(_as_float(value)):
        raise ValueError("is too large: only finite numbers are allowed")
    if isinstance(value, str) and value.strip().lower().lstrip("+-") in _NOT_FINITE_TEXTS:
        raise ValueError(f"{shown(value)} is not a finite number: only finite numbers are allowed")
    if isinstance(value, str) and _looks_infinite(value):
        raise ValueError(f"{shown(value)} is too large: only finite numbers are allowed")
    return value


_NOT_FINITE_TEXTS = {"nan", "inf", "infinity", ".inf", ".nan"}


def _looks_infinite(text: str) -> bool:
    """A number written as text (1e400) that no float holds."""
    try:
        return not math.isfinite(float(text))
    except ValueError:
        return False


def _as_float(value: int) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _year(moment: dt.date) -> None:
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise ValueError(f"{moment.isoformat()} is not between the years {FIRST_YEAR} and {LAST_YEAR}")


def _date(value: object) -> dt.date:
    """A date written like 2016-01-18 (an actual date of the calendar)."""
    if isinstance(value, dt.datetime):
        raise ValueError(f"{value.isoformat()} has a time: give a date like 2016-01-18")
    if isinstance(value, dt.date):
        day = value
    elif isinstance(value, str) and _DATE.fullmatch(value):
        try:
            day = dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a date of the calendar ({exc})") from None
    else:
        raise ValueError(f"{shown(value)} is not a date like 2016-01-18")
    _year(day)
    return day


def _datetime(value: object) -> dt.datetime:
    """A datetime written like "2016-01-18T08:00", optionally with its UTC offset."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and _DATETIME.fullmatch(value):
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value} is not a date and time of the calendar ({exc})") from None
    else:
        raise ValueError(
            f'{shown(value)} is not a datetime like "2016-01-18T08:00" (local) or '
            '"2016-01-18T08:00+06:00" (with its UTC offset)'
        )
    _year(moment)
    return moment


def _one_line(text: str) -> str:
    """Names appear in calendars, maps and tables: one line, no control characters, 200 at most."""
    if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in text):
        raise ValueError("a name is one line of text: no line breaks, tabs or other control characters")
    if len(text) > 200:
        raise ValueError(f"a name is at most 200 characters, not {len(text)}")
    return text


Name = Annotated[str, AfterValidator(_one_line)]
Clock = Annotated[str, AfterValidator(_clock)]
TimetableClock = Annotated[str, AfterValidator(_timetable_clock)]
TimeZoneName = Annotated[str, AfterValidator(_zone)]
Identifier = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Whole = Annotated[int, BeforeValidator(_number)]
Number = Annotated[float, BeforeValidator(_number)]
Minutes = Annotated[Whole, Field(ge=0, le=7 * 24 * 60)]
Date = Annotated[dt.date, BeforeValidator(_date)]
DateTime = Annotated[dt.datetime, BeforeValidator(_datetime)]


def _comparable(a: dt.datetime, b: dt.datetime) -> bool:
    """Both local or both with an offset: comparable without knowing the place."""
    return (a.tzinfo is None) == (b.tzinfo is None)


class FieldProblems(ValueError):
    """What is wrong with a model, each with its own field path (relative to the model)."""

    def __init__(self, problems: list[tuple[tuple[str | int, ...], str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{'.'.join(map(str, p)) or '(here)'}: {m}" for p, m in problems))


class Frozen(BaseModel):
    """Base of every scenario model: immutable, unknown keys are errors, numbers are finite."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Mode(StrEnum):
    """How a leg travels."""

    FLIGHT = "flight"
    TRAIN = "train"
    BUS = "bus"
    DRIVE = "drive"


class TerminalKind(StrEnum):
    AIRPORT = "airport"
    STATION = "station"
    BUS_STATION = "bus_station"


class ClockWindow(Frozen):
    """A daily local window ``start``-``end``; ``end`` before ``start`` wraps past midnight."""

    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _not_empty(self) -> ClockWindow:
        # Equal ends would read as empty or as the whole day; neither is written so.
        if self.start == self.end:
            raise ValueError(
                f"start and end are both {self.start}: a window needs two different times "
                "(00:00-23:59 for nearly the whole day; leave quiet hours out with null)"
            )
        return self

    def minutes(self) -> tuple[int, int]:
        return parse_clock(self.start)[0], parse_clock(self.end)[0]

    def contains(self, minute_of_day: int) -> bool:
        """True when a local minute of day lies in the window (start inclusive, end exclusive)."""
        start, end = self.minutes()
        if start <= end:
            return start <= minute_of_day < end
        return minute_of_day >= start or minute_of_day < end


class Calendar(Frozen):
    """The planning horizon and which days are working days."""

    start_date: Date = Field(description="First day of the horizon (local).")
    horizon_days: Whole = Field(ge=1, le=60, description="Number of days in the horizon.")
    working_weekdays: tuple[Weekday, ...] = Field(
        default=("mon", "tue", "wed", "thu", "fri"),
        description="Weekdays on which seminars may be held.",
    )
    holidays: tuple[Date, ...] = Field(
        default=(), description="Non-working dates (already moved by the weekend rule)."
    )
    extra_working_dates: tuple[Date, ...] = Field(
        default=(), description="Weekend dates declared working (moved working days)."
    )

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.horizon_days - 1)


class Terminal(Frozen):
    """An airport, station or bus station serving a city."""

    id: Identifier
    kind: TerminalKind
    name: Name = ""
    access_min: Minutes = Field(
        default=30, description="Minutes between the city centre and the terminal, each way."
    )
    check_in_min: Minutes = Field(
        default=0, description="Minutes at the terminal before a departure (check-in, boarding)."
    )
    transfer_min: Minutes | None = Field(
        default=None,
        description="Minimum minutes between an arrival and a departure at this terminal; "
        "defaults to check_in_min.",
    )

    @property
    def min_transfer_min(self) -> int:
        return self.check_in_min if self.transfer_min is None else self.transfer_min


class City(Frozen):
    """A place where the delegation can be, with its time zone and terminals."""

    id: Identifier
    name: Name
    region: Identifier
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    timezone: TimeZoneName
    terminals: tuple[Terminal, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Region(Frozen):
    """An administrative region whose officials should attend a seminar."""

    id: Identifier
    name: Name = ""
    weight: Whole = Field(default=100, ge=0, le=1_000_000, description="Points for covering it.")


class Seminar(Frozen):
    """The work to do in one city."""

    city: Identifier
    duration_min: Whole = Field(default=180, ge=1, le=24 * 60)
    start_times: tuple[Clock, ...] = Field(
        default=(), description="Allowed local start times; or give `window`."
    )
    window: ClockWindow | None = Field(
        default=None,
        description="A local window the whole seminar must fit in; starts every `step_min`.",
    )
    step_min: Whole = Field(default=30, ge=5, le=24 * 60)
    earliest_date: Date | None = None
    latest_date: Date | None = None
    any_day: bool = Field(
        default=False, description="True: also on weekends and holidays (the city says so)."
    )
    required: bool = Field(default=False, description="The plan must hold this seminar.")
    weight: Whole = Field(
        default=0, ge=0, le=1_000_000, description="Points for holding it, besides its regions."
    )
    serves: tuple[Identifier, ...] = Field(
        default=(), description="Other regions whose officials travel in to this seminar."
    )

    @model_validator(mode="after")
    def _one_way_to_give_times(self) -> Seminar:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if bool(self.start_times) == (self.window is not None):
            problems.append(((), "give either start_times or window, not both and not neither"))
        if self.earliest_date and self.latest_date and self.earliest_date > self.latest_date:
            problems.append(
                (
                    ("latest_date",),
                    f"earliest_date is after latest_date ({self.earliest_date} > {self.latest_date})",
                )
            )
        if self.window is not None:
            start, end = self.window.minutes()
            length = (end - start) % (24 * 60)
            if length < self.duration_min:
                problems.append(
                    (
                        ("window",),
                        f"the window {self.window.start}-{self.window.end} is {length} minutes long, "
                        f"shorter than the seminar (duration_min {self.duration_min})",
                    )
                )
        if problems:
            raise FieldProblems(problems)
        return self

    def local_start_minutes(self) -> list[int]:
        """Allowed local start times as minutes after midnight, ascending."""
        if self.window is None:
            return sorted({parse_clock(t)[0] for t in self.start_times})
        start, end = self.window.minutes()
        if end <= start:
            end += 24 * 60  # wraps past midnight: starts may fall on the next date (rule 6)
        return list(range(start, end - self.duration_min + 1, self.step_min))


class TravelRules(Frozen):
    """The delegation's rules for travelling."""

    quiet_hours: ClockWindow | None = Field(
        default=ClockWindow(start="00:00", end="05:00"),
        description="Local hours in which no leg may depart or arrive.",
    )
    min_prep_min: Minutes = Field(
        default=60, description="Minutes between arriving in a city and a seminar there."
    )
    max_travel_min_per_day: Whole = Field(
        default=14 * 60,
        ge=60,
        le=24 * 60,
        description="Door-to-door travel minutes per calendar day (home zone).",
    )
    night: ClockWindow = Field(
        default=ClockWindow(start="22:00", end="06:00"),
        description="Hours whose travel minutes carry the night penalty (home zone).",
    )
    driving_window: ClockWindow = Field(
        default=ClockWindow(start="08:00", end="20:00"),
        description="Default daily window for drives (local at the start city).",
    )


class Delegation(Frozen):
    """Who travels, from where, until when."""

    size: Whole = Field(default=4, ge=1, le=100, description="People travelling.")
    vehicles: Whole = Field(default=1, ge=1, le=20, description="Cars used for drives.")
    start_city: Identifier
    earliest_departure: DateTime = Field(description="Local to start_city unless offset given.")
    end_city: Identifier
    latest_return: DateTime = Field(description="Local to end_city unless offset given.")
    rules: TravelRules = TravelRules()


class Stop(Frozen):
    """One stop of a service, with local times at that stop."""

    terminal: Identifier
    arrive: TimetableClock | None = None
    depart: TimetableClock | None = None


class Service(Frozen):
    """A timetabled flight, train or bus: one run per operating day."""

    id: Identifier
    mode: Literal[Mode.FLIGHT, Mode.TRAIN, Mode.BUS]
    operator: str = ""
    stops: tuple[Stop, ...] = Field(min_length=2)
    days: tuple[Weekday, ...] = Field(default=WEEKDAYS, description="Weekdays of the first departure.")
    valid_from: Date | None = None
    valid_to: Date | None = None
    fare: Number = Field(default=0, ge=0, le=MAX_MONEY, description="Fare per person for the whole run.")
    distance_km: Number | None = Field(
        default=None, gt=0, le=MAX_DISTANCE_KM, description="Whole-run distance; default great circle."
    )
    note: str = ""

    @field_validator("days", mode="before")
    @classmethod
    def _daily(cls, value: object) -> object:
        return WEEKDAYS if value == "daily" else value

    @model_validator(mode="after")
    def _stop_times(self) -> Service:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        last = len(self.stops) - 1
        if self.stops[0].depart is None:
            problems.append((("stops", 0, "depart"), "the first stop needs a depart time"))
        if self.stops[-1].arrive is None:
            problems.append((("stops", last, "arrive"), "the last stop needs an arrive time"))
        for index, stop in enumerate(self.stops[1:-1], 1):
            if stop.arrive is None and stop.depart is None:
                problems.append(
                    (("stops", index), f"intermediate stop {stop.terminal} needs a time (arrive or depart)")
                )
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            problems.append(
                (("valid_to",), f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
            )
        if problems:
            raise FieldProblems(problems)
        return self


class Road(Frozen):
    """A drivable segment between two city centres."""

    id: Identifier
    a: Identifier = Field(description="One end (a city id).")
    b: Identifier = Field(description="The other end (a city id).")
    distance_km: Number = Field(gt=0, le=MAX_DISTANCE_KM)
    duration_min: Whole | None = Field(default=None, gt=0, le=7 * 24 * 60)
    speed_kmh: Number | None = Field(default=None, gt=0, le=150)
    both_ways: bool = True
    driving_window: ClockWindow | None = Field(
        default=None, description="Local window at the start city; default the rules' one."
    )
    cost_per_km: Number = Field(default=0, ge=0, le=MAX_COST_PER_KM, description="Per vehicle-km.")
    regions: tuple[Identifier, ...] = Field(
        default=(), description="Regions it runs through (for region-wide closures)."
    )
    note: str = ""

    @model_validator(mode="after")
    def _duration(self) -> Road:
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if (self.duration_min is None) == (self.speed_kmh is None):
            problems.append(((), "give either duration_min or speed_kmh (exactly one)"))
        if self.a == self.b:
            problems.append((("b",), f"a road joins two different cities; a and b are both {self.a!r}"))
        if problems:
            raise FieldProblems(problems)
        return self

    @property
    def minutes(self) -> int:
        if self.duration_min is not None:
            return self.duration_min
        assert self.speed_kmh is not None
        return round(self.distance_km / self.speed_kmh * 60)


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
        if _comparable(self.start, self.end) and self.end <= self.start:
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
        if _comparable(self.start, self.end) and self.end <= self.start:
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


class StabilityWeights(Frozen):
    """What each change costs when replanning (ranked after coverage, before travel)."""

    move_seminar: Whole = Field(
        default=10, ge=0, le=MAX_WEIGHT, description="A seminar moved to another time."
    )
    drop_city: Whole = Field(default=20, ge=0, le=MAX_WEIGHT, description="A planned city no longer visited.")
    add_city: Whole = Field(
        default=5, ge=0, le=MAX_WEIGHT, description="A city visited that was not planned."
    )
    change_connection: Whole = Field(
        default=2, ge=0, le=MAX_WEIGHT, description="A connection replaced by another."
    )


class Objective(Frozen):
    """Weights of the secondary objective; coverage always ranks first."""

    travel_per_hour: Whole = Field(
        default=60, ge=0, le=MAX_WEIGHT, description="Points per door-to-door hour."
    )
    night_per_hour: Whole = Field(default=30, ge=0, le=MAX_WEIGHT, description="Extra points per night hour.")
    cost_per_unit: Number = Field(
        default=0.001, ge=0, le=1000, description="Points per unit of money (fares and fuel)."
    )
    stability: StabilityWeights = StabilityWeights()


class SolverParams(Frozen):
    """How the CP-SAT search runs."""

    time_limit_s: Number = Field(default=30.0, gt=0, le=3600)
    deterministic_limit: Number | None = Field(
        default=None,
        gt=0,
        le=1e6,
        description="A limit in CP-SAT's deterministic time (work, not seconds): the same answer "
        "on any machine, however busy. Both limits apply; the first reached ends the search.",
    )
    workers: Whole = Field(default=1, ge=1, le=64)
    seed: Whole = Field(default=0, ge=0, le=2**31 - 1)
    prune_dominated: bool = Field(
        default=True, description="Drop arcs that can never be in a better plan (exact)."
    )


class EmissionFactors(Frozen):
    """kg CO2e per passenger-km (per vehicle-km for drives)."""

    flight: Number = Field(default=0.246, ge=0, le=MAX_EMISSION_FACTOR)
    train: Number = Field(default=0.035, ge=0, le=MAX_EMISSION_FACTOR)
    bus: Number = Field(default=0.027, ge=0, le=MAX_EMISSION_FACTOR)
    drive: Number = Field(default=0.168, ge=0, le=MAX_EMISSION_FACTOR)
    source: str = (
        "UK DESNZ/DEFRA GHG conversion factors 2023 (domestic flight with radiative "
        "forcing, national rail, coach, average car per vehicle-km); rounded"
    )


class Scenario(Frozen):
    """Everything a plan depends on."""

    name: Name
    description: str = ""
    currency: str = "KZT"
    calendar: Calendar
    regions: tuple[Region, ...]
    cities: tuple[City, ...]
    seminars: tuple[Seminar, ...]
    delegation: Delegation
    services: tuple[Service, ...] = ()
    roads: tuple[Road, ...] = ()
    closures: tuple[Closure, ...] = ()
    disruptions: tuple[Disruption, ...] = Field(
        default=(), description="Events already known when the first plan is made."
    )
    objective: Objective = Objective()
    solver: SolverParams = SolverParams()
    emissions: EmissionFactors = EmissionFactors()

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = reference_problems(self)
        if problems:
            raise DanglingReferences(problems)
        return self

    # Lookups used everywhere; cheap enough to rebuild on demand.
    def city(self, city_id: str) -> City:
        for city in self.cities:
            if city.id == city_id:
                return city
        raise KeyError(city_id)

    def terminal_city(self) -> dict[str, City]:
        return {t.id: c for c in self.cities for t in c.terminals}

    def terminals(self) -> dict[str, Terminal]:
        return {t.id: t for c in self.cities for t in c.terminals}

    def regions_served(self, seminar: Seminar) -> tuple[str, ...]:
        """The region of the seminar's city first, then the ones it also serves."""
        own = self.city(seminar.city).region
        return (own, *[r for r in seminar.serves if r != own])


class DanglingReferences(FieldProblems):
    """Ids that name nothing, or are used twice, and times out of order; each with its field path."""


def reference_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """Every duplicate id and every reference to an unknown id, with its field path."""
    problems: list[tuple[tuple[str | int, ...], str]] = []

    def unique(section: str, key: str, ids: list[tuple[tuple[str | int, ...], str]]) -> set[str]:
        seen: set[str] = set()
        for path, ident in ids:
            if ident in seen:
                problems.append(((section, *path, key), f"duplicate id {ident!r}"))
            seen.add(ident)
        return seen

    region_ids = unique("regions", "id", [((i,), r.id) for i, r in enumerate(scenario.regions)])
    city_ids = unique("cities", "id", [((i,), c.id) for i, c in enumerate(scenario.cities)])
    terminal_ids = unique(
        "cities",
        "id",
        [
            ((i, "terminals", j), t.id)
            for i, c in enumerate(scenario.cities)
            for j, t in enumerate(c.terminals)
        ],
    )
    unique("services", "id", [((i,), s.id) for i, s in enumerate(scenario.services)])
    road_ids = unique("roads", "id", [((i,), r.id) for i, r in enumerate(scenario.roads)])
    unique("closures", "id", [((i,), c.id) for i, c in enumerate(scenario.closures)])
    unique("seminars", "city", [((i,), s.city) for i, s in enumerate(scenario.seminars)])

    def known(path: tuple[str | int, ...], value: str, ids: set[str], kind: str) -> None:
        if value not in ids:
            problems.append((path, f"unknown {kind} {value!r}"))

    for i, city in enumerate(scenario.cities):
        known(("cities", i, "region"), city.region, region_ids, "region")
    for i, seminar in enumerate(scenario.seminars):
        known(("seminars", i, "city"), seminar.city, city_ids, "city")
        for j, region in enumerate(seminar.serves):
            known(("seminars", i, "serves", j), region, region_ids, "region")
    for field in ("start_city", "end_city"):
        known(("delegation", field), getattr(scenario.delegation, field), city_ids, "city")
    zone_of = {t.id: c.zone for c in scenario.cities for t in c.terminals}
    for i, service in enumerate(scenario.services):
        for j, stop in enumerate(service.stops):
            known(("services", i, "stops", j, "terminal"), stop.terminal, terminal_ids, "terminal")
        if all(stop.terminal in zone_of for stop in service.stops):
            problems.extend(_backward_times(scenario, i, service, zone_of))
    for i, road in enumerate(scenario.roads):
        known(("roads", i, "a"), road.a, city_ids, "city")
        known(("roads", i, "b"), road.b, city_ids, "city")
        for j, region in enumerate(road.regions):
            known(("roads", i, "regions", j), region, region_ids, "region")
    problems.extend(disruption_problems(scenario, scenario.disruptions, ("disruptions",)))
    for i, closure in enumerate(scenario.closures):
        if closure.terminal is not None:
            known(("closures", i, "terminal"), closure.terminal, terminal_ids, "terminal")
        if closure.road is not None:
            known(("closures", i, "road"), closure.road, road_ids, "road")
        zone = _closure_zone(scenario, closure)
        mixed = not _comparable(closure.start, closure.end)
        if mixed and zone is not None and _instant(closure.end, zone) <= _instant(closure.start, zone):
            problems.append(
                (
                    ("closures", i, "end"),
                    f"end must be after start ({closure.end} is not after {closure.start})",
                )
            )
    problems.extend(_trip_problems(scenario))
    return problems


# The trip may begin before the calendar's horizon and end after it (travel only), by this much.
TRIP_MARGIN_DAYS = 31


def _instant(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A scenario datetime on the real time line: a local one is read in ``zone``."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(dt.UTC)


def _city_zones(scenario: Scenario) -> dict[str, ZoneInfo]:
    return {c.id: c.zone for c in scenario.cities}


def _closure_zone(scenario: Scenario, closure: Closure) -> ZoneInfo | None:
    zones = _city_zones(scenario)
    if closure.terminal is not None:
        city = next((c.id for c in scenario.cities for t in c.terminals if t.id == closure.terminal), None)
    else:
        city = next((r.a for r in scenario.roads if r.id == closure.road), None)
    return zones.get(city) if city is not None else None


def _event_zone(scenario: Scenario, event: Disruption) -> ZoneInfo | None:
    """The zone a local datetime of an event is read in (rule 19), or None if it names nothing."""
    zones = _city_zones(scenario)
    terminal_city = {t.id: c.id for c in scenario.cities for t in c.terminals}
    city: str | None = None
    if event.terminal is not None:
        city = terminal_city.get(event.terminal)
    elif event.city is not None:
        city = event.city
    elif event.road is not None:
        city = next((r.a for r in scenario.roads if r.id == event.road), None)
    elif event.region is not None:
        city = next(
            (c.id for c in scenario.cities if c.region == event.region), scenario.delegation.start_city
        )
    elif event.service is not None:
        service = next((s for s in scenario.services if s.id == event.service), None)
        city = terminal_city.get(service.stops[0].terminal) if service is not None else None
    return zones.get(city) if city is not None else None


def trip_window(scenario: Scenario) -> tuple[dt.datetime, dt.datetime]:
    """The trip's earliest departure and latest return as instants (UTC) of a valid scenario."""
    zones = _city_zones(scenario)
    delegation = scenario.delegation
    return (
        _instant(delegation.earliest_departure, zones[delegation.start_city]),
        _instant(delegation.latest_return, zones[delegation.end_city]),
    )


def _trip_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], str]]:
    """The trip's window: latest_return after earliest_departure, and near the calendar's horizon."""
    delegation = scenario.delegation
    zones = _city_zones(scenario)
    start_zone, end_zone = zones.get(delegation.start_city), zones.get(delegation.end_city)
    if start_zone is None or end_zone is None:
        return []  # an unknown city is reported on its own
    leave = _instant(delegation.earliest_departure, start_zone)
    back = _instant(delegation.latest_return, end_zone)
    if back <= leave:
        return [
            (
                ("delegation", "latest_return"),
                f"latest_return {delegation.latest_return.isoformat()} is not after earliest_departure "
                f"{delegation.earliest_departure.isoformat()}: the trip has no time",
            )
        ]
    calendar = scenario.calendar
    first = dt.datetime.combine(calendar.start_date, dt.time(), tzinfo=start_zone).astimezone(dt.UTC)
    after = dt.datetime.combine(
        calendar.end_date + dt.timedelta(days=1), dt.time(), tzinfo=start_zone
    ).astimezone(dt.UTC)
    margin = dt.timedelta(days=TRIP_MARGIN_DAYS)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    horizon = f"the calendar's horizon ({calendar.start_date} to {calendar.end_date})"
    if leave >= after:
        problems.append(
            (
                ("delegation", "earliest_departure"),
                f"earliest_departure {delegation.earliest_departure.isoformat()} is after {horizon}: "
                "no date is left for a seminar",
            )
        )
    elif leave < first - margin:
        problems.append(
            (
                ("delegation", "earliest_departure"),
                f"earliest_departure {delegation.earliest_departure.isoformat()} is more than "
                f"{TRIP_MARGIN_DAYS} days before {horizon}",
            )
        )
    if back <= first:
        problems.append(
            (
                ("delegation", "latest_return"),
                f"latest_return {delegation.latest_return.isoformat()} is before {horizon}: "
                "no date is left for a seminar",
            )
        )
    elif back > after + margin:
        problems.append(
            (
                ("delegation", "latest_return"),
                f"latest_return {delegation.latest_return.isoformat()} is more than {TRIP_MARGIN_DAYS} "
                f"days after {horizon}",
            )
        )
    return problems


def _backward_times(
    scenario: Scenario, index: int, service: Service, zone_of: dict[str, ZoneInfo]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Stop times of a run that go backwards in real time (rule 10), on any date of the horizon.

    Each stop's times are local to its own city, so a westbound flight may land at an
    earlier clock time than it left; what must not happen is an instant before the one
    before it (a departure before the arrival at the same stop, an arrival before the
    previous departure).
    """
    start = scenario.calendar.start_date
    for offset in range(scenario.calendar.horizon_days):
        run_date = start + dt.timedelta(days=offset)
        previous: tuple[dt.datetime, str] | None = None
        for j, stop in enumerate(service.stops):
            zone = zone_of[stop.terminal]
            for kind in ("arrive", "depart"):
                text = getattr(stop, kind)
                if text is None:
                    continue
                minute, days = parse_clock(text)
                wall = dt.datetime.combine(
                    run_date + dt.timedelta(days=days), dt.time(minute // 60, minute % 60)
                )
                moment = wall.replace(tzinfo=zone).astimezone(dt.UTC)
                if previous is not None and (
                    moment < previous[0] or (kind == "arrive" and moment == previous[0])
                ):
                    return [
                        (
                            ("services", index, "stops", j, kind),
                            f"{kind} {text} at {stop.terminal} is not after {previous[1]} (run of "
                            f"{run_date.isoformat()}): stop times must move forward; add a day "
                            "offset such as +1 for a later day",
                        )
                    ]
                previous = (moment, f"{kind} {text} at {stop.terminal}")
    return []


def disruption_problems(
    scenario: Scenario, events: tuple[Disruption, ...], prefix: tuple[str | int, ...]
) -> list[tuple[tuple[str | int, ...], str]]:
    """Unknown ids named by events, and one id used by two events whose intervals overlap."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    known = {
        "terminal": {t.id for c in scenario.cities for t in c.terminals},
        "road": {r.id for r in scenario.roads},
        "region": {r.id for r in scenario.regions},
        "service": {s.id for s in scenario.services},
        "city": {c.id for c in scenario.cities},
    }
    for index, event in enumerate(events):
        for field, ids in known.items():
            value = getattr(event, field)
            if value is not None and value not in ids:
                problems.append(((*prefix, index, field), f"unknown {field} {value!r}"))
    # Each interval on the real time line (a local datetime in the zone of the place it names).
    # (An event naming nothing is reported above; its local times are read as UTC here.)
    spans: list[tuple[dt.datetime, dt.datetime]] = []
    for index, event in enumerate(events):
        zone = _event_zone(scenario, event)
        start, end = _instant(event.start, zone or dt.UTC), _instant(event.end, zone or dt.UTC)
        if zone is not None and not _comparable(event.start, event.end) and end <= start:
            problems.append(
                ((*prefix, index, "end"), f"end must be after start ({event.end} is not after {event.start})")
            )
        spans.append((start, end))
    for index, event in enumerate(events):
        for before, earlier in enumerate(events[:index]):
            span, other = spans[index], spans[before]
            if earlier.id == event.id and other[0] < span[1] and span[0] < other[1]:
                problems.append(
                    ((*prefix, index, "id"), f"duplicate id {event.id!r} with an overlapping interval")
                )
    return problems
