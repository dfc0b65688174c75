"""Sunrise and sunset, for drives in daylight only (``rules.daylight_driving``).

The sun's times come from astral (the NOAA formulas), rounded inwards to whole minutes: the
first whole minute at or after sunrise, the last at or before sunset, so a drive kept inside
them is in daylight to the minute.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from astral import Observer
from astral.sun import elevation, sun


def daylight(lat: float, lon: float, day: dt.date, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime] | None:
    """(sunrise, sunset) of the local date ``day`` at a place, as aware local datetimes on whole
    minutes; None when the sun does not rise that day. Where it does not set, the whole day."""
    observer = Observer(latitude=lat, longitude=lon)
    try:
        times = sun(observer, date=day, tzinfo=zone)
    except ValueError:
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone)
        if elevation(observer, noon) <= 0:
            return None
        start = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        return start, start + dt.timedelta(days=1)
    return _minute_up(times["sunrise"]), _minute_down(times["sunset"])


def _minute_down(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def _minute_up(moment: dt.datetime) -> dt.datetime:
    down = _minute_down(moment)
    return down if down == moment else down + dt.timedelta(minutes=1)
