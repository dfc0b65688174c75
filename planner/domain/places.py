"""Where the delegation can be and how it moves: cities and their terminals, regions, services, roads."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, field_validator, model_validator

from planner.domain.values import (
    MAX_COST_PER_KM,
    MAX_DISTANCE_KM,
    MAX_MONEY,
    WEEKDAYS,
    ClockWindow,
    Date,
    FieldProblems,
    Frozen,
    Identifier,
    Minutes,
    Name,
    Number,
    TimetableClock,
    TimeZoneName,
    Weekday,
    Whole,
)


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


# A contact of a city, printed on the day sheets: a label (``hotel``, ``host``, ``venue``) and its
# text (a name, a phone number, an address), each one line.
def _contact_label(text: str) -> str:
    if not text.strip():
        raise ValueError("a contact's label is a word or two, not empty")
    if len(text) > 40:
        raise ValueError(f"a contact's label is at most 40 characters, not {len(text)}")
    return text


def _contact_text(text: str) -> str:
    if not text.strip():
        raise ValueError("a contact is text (a name, a phone number, an address), not empty")
    return text


ContactLabel = Annotated[Name, AfterValidator(_contact_label)]
ContactText = Annotated[Name, AfterValidator(_contact_text)]


class City(Frozen):
    """A place where the delegation can be, with its time zone and terminals."""

    id: Identifier
    name: Name
    region: Identifier
    lat: Number = Field(ge=-90, le=90)
    lon: Number = Field(ge=-180, le=180)
    timezone: TimeZoneName
    terminals: tuple[Terminal, ...] = ()
    contacts: dict[ContactLabel, ContactText] = Field(
        default_factory=dict,
        max_length=20,
        exclude_if=lambda value: not value,  # absent, not {}, when there are none
        description="Who to reach in the city, label to text (e.g. hotel, host, venue); "
        "printed on the day sheets.",
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Region(Frozen):
    """An administrative region whose officials should attend a seminar."""

    id: Identifier
    name: Name = ""
    weight: Whole = Field(default=100, ge=0, le=1_000_000, description="Points for covering it.")


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
