"""What every part of the checker shares: the violation, its tolerances, and its own time arithmetic.

The time helpers are written here on purpose rather than borrowed from ``planner.calendar``: a bug
there then shows up as a disagreement instead of being repeated here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard
from zoneinfo import ZoneInfo

from planner.domain import WEEKDAYS, City, ClockWindow, Road, Scenario, parse_clock

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


def at(day: dt.date, minute_of_day: int, zone: ZoneInfo) -> dt.datetime:
    """The instant (in UTC) of a local wall-clock time; minute_of_day may run past midnight."""
    days, minute = divmod(minute_of_day, 24 * 60)
    local = dt.datetime.combine(
        day + dt.timedelta(days=days), dt.time(minute // 60, minute % 60), tzinfo=zone
    )
    # Every instant is kept in UTC: Python subtracts two datetimes sharing a ZoneInfo as
    # wall-clock times, which is wrong across a DST change.
    return local.astimezone(dt.UTC)


def after(minutes: int) -> dt.timedelta:
    return dt.timedelta(minutes=minutes)


def minutes_between(start: dt.datetime, end: dt.datetime) -> int:
    """Whole minutes from one instant to another (negative when end is earlier)."""
    return math.floor((end - start).total_seconds() / 60)


def in_zone(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    return moment.astimezone(zone)


def show(moment: dt.datetime, zone: ZoneInfo | None = None) -> str:
    """A local time with its offset, as a person reads it: ``2016-01-19 07:00+06:00``."""
    local = in_zone(moment, zone) if zone is not None else moment
    return local.isoformat(sep=" ", timespec="minutes")


def day_text(day: dt.date) -> str:
    return f"{day.isoformat()} ({DAY_NAMES[day.weekday()]})"


def gap_text(gap: int) -> str:
    return f"{gap} min later" if gap >= 0 else f"{-gap} min before that"


def clock_minutes(text: str) -> int:
    return parse_clock(text)[0]


def in_window(window: ClockWindow, minute_of_day: int) -> bool:
    """Start inclusive, end exclusive, wrapping past midnight when end < start."""
    start, end = clock_minutes(window.start), clock_minutes(window.end)
    if start <= end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


def window_span(window: ClockWindow, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The window opening on a local date, as instants (its end on the next day if it wraps)."""
    start, end = clock_minutes(window.start), clock_minutes(window.end)
    if end <= start:
        end += 24 * 60
    return at(day, start, zone), at(day, end, zone)


def overlap(a_start: dt.datetime, a_end: dt.datetime, b_start: dt.datetime, b_end: dt.datetime) -> int:
    """Minutes two half-open intervals share."""
    return max(0, minutes_between(max(a_start, b_start), min(a_end, b_end)))


def window_minutes(start: dt.datetime, end: dt.datetime, window: ClockWindow, zone: ZoneInfo) -> int:
    """Minutes of [start, end) inside a daily local window."""
    total = 0
    day = in_zone(start, zone).date() - dt.timedelta(days=1)  # a window opened the day before
    last = in_zone(end, zone).date()
    while day <= last:
        w_start, w_end = window_span(window, day, zone)
        total += overlap(start, end, w_start, w_end)
        day += dt.timedelta(days=1)
    return total


def is_working_day(scenario: Scenario, day: dt.date) -> bool:
    calendar = scenario.calendar
    if day in calendar.extra_working_dates:
        return True
    return WEEKDAYS[day.weekday()] in calendar.working_weekdays and day not in calendar.holidays


def great_circle_km(a: City, b: City) -> float:
    phi1, phi2 = math.radians(a.lat), math.radians(b.lat)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.lon - a.lon)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def road_minutes(road: Road) -> int:
    if road.duration_min is not None:
        return road.duration_min
    assert road.speed_kmh is not None  # the model insists on one of the two
    return round(road.distance_km / road.speed_kmh * 60)


def slowed(minutes: int, factors: Sequence[float]) -> int:
    """A drive's minutes under slowdowns (several multiply)."""
    return round(minutes * math.prod(factors)) if factors else minutes


def is_integer(value: Any) -> TypeGuard[int]:
    """True for an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_number(value: Any) -> float | None:
    """A plan number as float, or None when the value is not a number."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None
