"""The values the connection search works with: legs, connections and the compiled edges."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from planner.domain import Mode
from planner.network import Run


@dataclass(frozen=True)
class Leg:
    """One ride on one service, or one drive. Times are epoch minutes."""

    mode: Mode
    service: str  # service id, or road id for drives
    from_place: str  # terminal id, or city id for drives
    to_place: str
    from_city: str
    to_city: str
    depart: int
    arrive: int
    distance_km: float
    cost: float  # for the whole delegation
    run_date: dt.date | None = None  # first-departure date of the service run
    # Who travels on it when not the whole delegation (a team before a member joins it en route):
    # people riding, cars driving; ``cost`` is already theirs.
    people: int | None = None
    vehicles: int | None = None

    @property
    def minutes(self) -> int:
        return self.arrive - self.depart


@dataclass(frozen=True)
class Journey:
    """A connection: legs from one city centre to another, with its measures."""

    origin: str
    destination: str
    leave: int  # leaves the origin centre
    arrive: int  # reaches the destination centre
    legs: tuple[Leg, ...]
    night_min: int
    cost: float
    day_minutes: tuple[tuple[int, int], ...] = field(default=())  # (home day, minutes)

    @property
    def travel_min(self) -> int:
        return self.arrive - self.leave

    @property
    def distance_km(self) -> float:
        return sum(leg.distance_km for leg in self.legs)


@dataclass(frozen=True)
class RideEdge:
    """One (board, alight) pair of a service, with its usable runs under an overlay."""

    service: str
    mode: Mode
    board: str
    alight: str
    from_city: str
    to_city: str
    distance_km: float
    cost: float  # for the whole delegation
    runs: tuple[Run, ...]
    departs: tuple[int, ...]
    transfer_min: int = 0  # at the alighting terminal, to board again there
    access_min: int = 0  # from the alighting terminal to its city centre


@dataclass(frozen=True)
class DriveEdge:
    """One direction of a road."""

    road: str
    origin: str
    destination: str
    minutes: int
    distance_km: float
    cost: float  # for all vehicles
    window: tuple[int, int]  # local minutes of day at the origin


Key = tuple[str, str]  # ("city", id) or ("ready", terminal id): ready to board there
LegSpec = tuple[RideEdge, int] | tuple[DriveEdge, int]  # (edge, run index | drive start)
RawPath = tuple[str, tuple[tuple[int, int], ...]]  # destination, (edge id, run or start) per leg
