"""Working days and the time axis: local wall-clock times <-> integer UTC minutes.

Internally every instant is an integer number of minutes since the scenario's
epoch: midnight at the start of the horizon in the delegation's home zone (the
start city's zone), expressed in UTC. Local times appear only at the edges, always
with their offset, via zoneinfo and the pinned tzdata package (so 2016 offsets are
the historical ones: the west of Kazakhstan on UTC+5, the rest on UTC+6).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from planner.domain import WEEKDAYS, Calendar, Scenario, Seminar

UTC = dt.UTC


@dataclass(frozen=True)
class TimeAxis:
    """Converts between aware datetimes and minutes since the scenario epoch."""

    epoch: dt.datetime  # aware, UTC
    home_zone: ZoneInfo
    start_date: dt.date

    @classmethod
    def for_scenario(cls, scenario: Scenario) -> TimeAxis:
        zone = scenario.city(scenario.delegation.start_city).zone
        start = scenario.calendar.start_date
        epoch = dt.datetime.combine(start, dt.time(0, 0), tzinfo=zone).astimezone(UTC)
        return cls(epoch=epoch, home_zone=zone, start_date=start)

    def minutes(self, moment: dt.datetime, zone: ZoneInfo | None = None) -> int:
        """Minutes since the epoch; a naive ``moment`` is read in ``zone``."""
        if moment.tzinfo is None:
            if zone is None:
                raise ValueError(f"{moment.isoformat()} has no offset and no zone to read it in")
            moment = moment.replace(tzinfo=zone)
        delta = moment.astimezone(UTC) - self.epoch
        return int(delta.total_seconds() // 60)

    def local_minutes(self, day: dt.date, minute_of_day: int, zone: ZoneInfo) -> int:
        """Minutes since the epoch of a local wall-clock time; minute_of_day >= 1440 means later days.

        Built from the wall-clock time itself, not "midnight + minutes", so it stays
        right on days when the clocks change.
        """
        extra_days, minute = divmod(minute_of_day, 24 * 60)
        wall = dt.datetime.combine(day + dt.timedelta(days=extra_days), dt.time(minute // 60, minute % 60))
        return self.minutes(wall.replace(tzinfo=zone))

    def utc(self, minutes: int) -> dt.datetime:
        return self.epoch + dt.timedelta(minutes=minutes)

    def local(self, minutes: int, zone: ZoneInfo) -> dt.datetime:
        """The aware local datetime of an instant in ``zone``."""
        return self.utc(minutes).astimezone(zone)

    def iso(self, minutes: int, zone: ZoneInfo) -> str:
        """ISO 8601 with offset, to the minute: what a person sees."""
        return self.local(minutes, zone).isoformat(timespec="minutes")

    def local_date(self, minutes: int, zone: ZoneInfo) -> dt.date:
        return self.local(minutes, zone).date()

    def minute_of_day(self, minutes: int, zone: ZoneInfo) -> int:
        moment = self.local(minutes, zone)
        return moment.hour * 60 + moment.minute

    def home_day(self, minutes: int) -> int:
        """Index of the home-zone calendar day containing the instant (0 = start date)."""
        return (self.local_date(minutes, self.home_zone) - self.start_date).days

    def home_day_start(self, day_index: int) -> int:
        day = self.start_date + dt.timedelta(days=day_index)
        return self.local_minutes(day, 0, self.home_zone)


def is_working_day(calendar: Calendar, day: dt.date) -> bool:
    """Working weekday and not a holiday, or a weekend day declared working."""
    if day in calendar.extra_working_dates:
        return True
    return WEEKDAYS[day.weekday()] in calendar.working_weekdays and day not in calendar.holidays


def horizon_dates(calendar: Calendar) -> list[dt.date]:
    return [calendar.start_date + dt.timedelta(days=i) for i in range(calendar.horizon_days)]


def seminar_dates(calendar: Calendar, seminar: Seminar) -> list[dt.date]:
    """Local dates on which a seminar may be held, per calendar and its own limits."""
    dates = []
    for day in horizon_dates(calendar):
        if seminar.earliest_date and day < seminar.earliest_date:
            continue
        if seminar.latest_date and day > seminar.latest_date:
            continue
        if seminar.any_day or is_working_day(calendar, day):
            dates.append(day)
    return dates
