"""Time handling: historical 2016 offsets, DST-safe local times, working days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from planner.calendar import TimeAxis, is_working_day, seminar_dates
from planner.connections import build_context
from planner.domain import Calendar, Seminar
from planner.network import TransportNetwork


def test_2016_offsets_are_historical(flagship):
    """In January 2016 Aktau was on UTC+5 and Astana on UTC+6 (both +5 since 2024)."""
    axis = TimeAxis.for_scenario(flagship)
    noon = axis.local_minutes(dt.date(2016, 1, 20), 12 * 60, flagship.city("astana").zone)
    assert axis.iso(noon, flagship.city("astana").zone) == "2016-01-20T12:00+06:00"
    assert axis.iso(noon, flagship.city("aktau").zone) == "2016-01-20T11:00+05:00"


def test_epoch_is_home_midnight_in_utc(flagship):
    """Minute 0 is local midnight of the start date in the start city's zone."""
    axis = TimeAxis.for_scenario(flagship)
    assert axis.epoch.isoformat() == "2016-01-17T18:00:00+00:00"
    assert axis.home_day(0) == 0 and axis.home_day(24 * 60 - 1) == 0 and axis.home_day(24 * 60) == 1


def test_local_minutes_survive_a_dst_change():
    """09:00 on the day the clocks go forward is 09:00 local, not 10:00."""
    berlin = ZoneInfo("Europe/Berlin")
    epoch = dt.datetime(2016, 3, 26, 23, 0, tzinfo=dt.UTC)  # midnight in Berlin, UTC+1
    axis = TimeAxis(epoch=epoch, home_zone=berlin, start_date=dt.date(2016, 3, 27))
    nine = axis.local_minutes(dt.date(2016, 3, 27), 9 * 60, berlin)
    assert axis.iso(nine, berlin) == "2016-03-27T09:00+02:00"
    assert nine == 9 * 60 - 60  # an hour of that night never happened


def test_working_days_and_holidays():
    """Weekends and holidays are off; a declared working Saturday is on."""
    calendar = Calendar(
        start_date=dt.date(2016, 3, 1),
        horizon_days=10,
        holidays=(dt.date(2016, 3, 7), dt.date(2016, 3, 8)),
        extra_working_dates=(dt.date(2016, 3, 5),),
    )
    assert is_working_day(calendar, dt.date(2016, 3, 4))  # Friday
    assert is_working_day(calendar, dt.date(2016, 3, 5))  # Saturday, moved working day
    assert not is_working_day(calendar, dt.date(2016, 3, 6))  # Sunday
    assert not is_working_day(calendar, dt.date(2016, 3, 8))  # Women's Day


def test_seminar_dates_respect_limits_and_any_day():
    """A seminar's own date limits apply; any_day allows weekends."""
    calendar = Calendar(start_date=dt.date(2016, 1, 18), horizon_days=7)
    bounded = Seminar(city="x", start_times=("09:30",), earliest_date=dt.date(2016, 1, 20))
    assert [d.day for d in seminar_dates(calendar, bounded)] == [20, 21, 22]
    weekend = Seminar(city="x", start_times=("09:30",), any_day=True)
    assert len(seminar_dates(calendar, weekend)) == 7


def test_minutes_split_by_home_day(flagship):
    """An overnight interval splits its minutes at home midnight."""
    context = build_context(TransportNetwork.build(flagship))
    axis = context.network.axis
    start = axis.local_minutes(dt.date(2016, 1, 18), 22 * 60, axis.home_zone)
    assert context.minutes_per_home_day(start, start + 4 * 60) == ((0, 120), (1, 120))
