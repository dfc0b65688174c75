"""The scalar types of the scenario format, their checks, and the base of every scenario model."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

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


def comparable(a: dt.datetime, b: dt.datetime) -> bool:
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
