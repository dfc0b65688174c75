"""The work and the people: the calendar, the seminars, the delegation and its travel rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, model_validator

from planner.domain.values import (
    Clock,
    ClockWindow,
    Date,
    DateTime,
    FieldProblems,
    Frozen,
    Identifier,
    Minutes,
    Weekday,
    Whole,
    parse_clock,
)


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


class Pin(Frozen):
    """A date (and local start) agreed with the host city."""

    date: Date
    start: Clock | None = Field(default=None, description="Local start; else any the seminar allows.")


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
    pinned: Pin | None = Field(
        default=None,
        description="An agreed date (and start): the seminar is then required, on that date, at that start.",
    )

    @model_validator(mode="before")
    @classmethod
    def _pin_fixes_date_and_start(cls, data: Any) -> Any:
        """A pin is written once and states the fields it implies (required, the dates, the
        start), so every stage and the checker keep it through the rules they already apply."""
        if not isinstance(data, dict) or data.get("pinned") is None:
            return data
        pin = data["pinned"]
        if isinstance(pin, Pin):
            pin = pin.model_dump()
        if not isinstance(pin, dict) or "date" not in pin:
            return data  # the Pin model reports what is missing
        day, start = str(pin["date"]), pin.get("start")
        problems: list[tuple[tuple[str | int, ...], str]] = []
        if data.get("required") is False:
            problems.append((("required",), "a pinned seminar is required: leave required out or true"))
        for name in ("earliest_date", "latest_date"):
            if data.get(name) is not None and str(data[name]) != day:
                problems.append(((name,), f"is {data[name]}, but the seminar is pinned to {day}"))
        other_times = data.get("window") is not None or tuple(data.get("start_times") or (start,)) != (start,)
        if start is not None and other_times:
            message = "a pinned start replaces start_times and window: give neither"
            problems.append((("pinned", "start"), message))
        if problems:
            raise FieldProblems(problems)
        fixed = {**data, "required": True, "earliest_date": pin["date"], "latest_date": pin["date"]}
        if start is not None:
            fixed.update(start_times=(start,), window=None)
        return fixed

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
    daylight_driving: bool = Field(
        default=False,
        description="Drives also only between sunrise and sunset at the road's start city, on the "
        "date the driving window opens.",
    )
    after_seminar_min: Minutes = Field(
        default=0, description="Minutes between a seminar's end and leaving for the next connection."
    )
    departure_buffer_min: Minutes = Field(
        default=0,
        description="Extra minutes at a terminal before boarding, on top of its check-in, whenever "
        "the delegation comes to it from a city (not on a transfer at the same terminal).",
    )
    rest_days: tuple[Date, ...] = Field(
        default=(), description="Home-zone dates with no seminar and no travel."
    )
    avoid_services: tuple[Identifier, ...] = Field(
        default=(), description="Services the delegation will not take (ids)."
    )
    avoid_roads: tuple[Identifier, ...] = Field(default=(), description="Roads it will not drive (ids).")


class Delegation(Frozen):
    """Who travels, from where, until when."""

    size: Whole = Field(default=4, ge=1, le=100, description="People travelling.")
    vehicles: Whole = Field(default=1, ge=1, le=20, description="Cars used for drives.")
    start_city: Identifier
    earliest_departure: DateTime = Field(description="Local to start_city unless offset given.")
    end_city: Identifier
    latest_return: DateTime = Field(description="Local to end_city unless offset given.")
    rules: TravelRules = TravelRules()
