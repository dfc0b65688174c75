"""The resolve step of a replan: the previous plan read, its frozen past matched in the plan, and the
stability figures recomputed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.check.basics import Violation, is_integer
from planner.check.lookups import Lookups
from planner.check.parse import LEG_KEYS, Connection, Leg, Seminar, loose_moment
from planner.domain import StabilityWeights

LegKey = tuple[str, str, str, dt.datetime]  # service, from, to, departure


@dataclass(frozen=True)
class PastLeg:
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
class FrozenPast:
    """The previous plan's past, each part with the plan's item that keeps it (None: none does)."""

    legs: tuple[tuple[PastLeg, Leg | None], ...] = ()
    seminars: tuple[tuple[Seminar, int | None], ...] = ()

    @property
    def leg_indices(self) -> frozenset[int]:
        """The plan's legs that had departed before now."""
        return frozenset(leg.index for _, leg in self.legs if leg is not None)

    @property
    def seminar_indices(self) -> frozenset[int]:
        """The plan's seminars that had begun before now."""
        return frozenset(index for _, index in self.seminars if index is not None)


@dataclass(frozen=True)
class Planned:
    """A leg of the previous plan, as a replan's stability figures compare it."""

    service: str
    origin: str  # terminal id, or city id for a drive
    destination: str
    from_city: str
    to_city: str
    depart: dt.datetime


@dataclass(frozen=True)
class Change:
    """What a replan changed, recomputed: future seminars (city -> start) and future legs."""

    old: Mapping[str, dt.datetime]
    new: Mapping[str, dt.datetime]
    removed: frozenset[LegKey]
    added: frozenset[LegKey]


@dataclass(frozen=True)
class Stability:
    """A replan's stability recomputed: what moved, and the points it costs."""

    points: int
    added: tuple[str, ...]
    moved: tuple[str, ...]
    dropped: tuple[str, ...]
    changed: tuple[str, ...]  # where the changed connections are
    change: Change


def frozen_past(
    previous: dict[str, Any],
    now: dt.datetime,
    legs: Sequence[Leg],
    seminars: Sequence[Seminar],
    lookups: Lookups,
    problems: list[Violation],
) -> FrozenPast:
    """The previous plan's legs and seminars begun before now, each matched to the first plan item
    equal to it that no earlier one took."""
    taken: set[int] = set()
    leg_matches: list[tuple[PastLeg, Leg | None]] = []
    for past in _past_legs(previous, now, lookups, problems):
        key = (past.mode, past.service, past.origin, past.destination, past.run_date, past.depart)
        match = next(
            (
                leg
                for leg in legs
                if leg.index not in taken
                and (leg.mode, leg.service, leg.origin, leg.destination, leg.run_date, leg.depart) == key
            ),
            None,
        )
        if match is not None:
            taken.add(match.index)
        leg_matches.append((past, match))
    held: set[int] = set()
    seminar_matches: list[tuple[Seminar, int | None]] = []
    for seminar in _past_seminars(previous, now, lookups, problems):
        match_index = next(
            (
                s.index
                for s in seminars
                if s.index not in held
                and (s.city, s.start, s.end) == (seminar.city, seminar.start, seminar.end)
            ),
            None,
        )
        if match_index is not None:
            held.add(match_index)
        seminar_matches.append((seminar, match_index))
    return FrozenPast(tuple(leg_matches), tuple(seminar_matches))


def _past_legs(
    previous: dict[str, Any], now: dt.datetime, lookups: Lookups, problems: list[Violation]
) -> list[PastLeg]:
    """The previous plan's legs that had departed before now (malformed ones reported)."""
    raw = previous.get("legs", [])
    if not isinstance(raw, list):
        problems.append(Violation("plan_format", "previous.legs", "the previous plan's legs must be a list"))
        return []
    past: list[PastLeg] = []
    for index, item in enumerate(raw):
        where = f"previous.legs.{index}"
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in LEG_KEYS):
            problems.append(Violation("plan_format", where, "not a leg of the plan contract"))
            continue
        depart = loose_moment(item["depart"], item["from_city"], lookups)
        arrive = loose_moment(item["arrive"], item["to_city"], lookups)
        run_date: dt.date | None = None
        try:
            if item.get("run_date") is not None:
                run_date = dt.date.fromisoformat(item["run_date"])
        except (TypeError, ValueError):
            depart = None
        if depart is None or arrive is None:
            problems.append(Violation("plan_format", where, "unreadable depart, arrive or run_date"))
            continue
        if depart < now:
            past.append(
                PastLeg(
                    index, item["mode"], item["service"], item["from"], item["to"], run_date, depart, arrive
                )
            )
    return past


def _past_seminars(
    previous: dict[str, Any], now: dt.datetime, lookups: Lookups, problems: list[Violation]
) -> list[Seminar]:
    raw = previous.get("seminars", [])
    if not isinstance(raw, list):
        message = "the previous plan's seminars must be a list"
        problems.append(Violation("plan_format", "previous.seminars", message))
        return []
    past: list[Seminar] = []
    for index, item in enumerate(raw):
        city = item.get("city") if isinstance(item, dict) else None
        start = loose_moment(item.get("start"), city, lookups) if isinstance(item, dict) else None
        end = loose_moment(item.get("end"), city, lookups) if isinstance(item, dict) else None
        if not isinstance(city, str) or start is None or end is None:
            message = "not a seminar of the plan contract"
            problems.append(Violation("plan_format", f"previous.seminars.{index}", message))
            continue
        if start < now:
            past.append(Seminar(index, city, start, end))
    return past


def _previous_trip(
    previous: dict[str, Any], lookups: Lookups
) -> tuple[list[tuple[str, dt.datetime]], list[Planned | None], list[list[int]]]:
    """Seminars (city, start), legs (None where unreadable) and connections (leg indices) of
    the previous plan; what is malformed is reported under frozen_past's reading or skipped."""
    seminars: list[tuple[str, dt.datetime]] = []
    raw = previous.get("seminars")
    for item in raw if isinstance(raw, list) else []:
        city = item.get("city") if isinstance(item, dict) else None
        start = loose_moment(item.get("start"), city, lookups) if isinstance(city, str) else None
        if isinstance(city, str) and start is not None:
            seminars.append((city, start))
    legs: list[Planned | None] = []
    keys = ("service", "from", "to", "from_city", "to_city", "depart")
    raw = previous.get("legs")
    for item in raw if isinstance(raw, list) else []:
        planned: Planned | None = None
        if isinstance(item, dict) and all(isinstance(item.get(k), str) for k in keys):
            depart = loose_moment(item["depart"], item["from_city"], lookups)
            if depart is not None:
                planned = Planned(
                    item["service"], item["from"], item["to"], item["from_city"], item["to_city"], depart
                )
        legs.append(planned)
    connections: list[list[int]] = []
    raw = previous.get("connections")
    for item in raw if isinstance(raw, list) else []:
        indices = item.get("legs") if isinstance(item, dict) else None
        if isinstance(indices, list) and all(is_integer(i) for i in indices):
            connections.append(indices)
    return seminars, legs, connections


def _connections_before(
    old_legs: Sequence[Planned | None], old_connections: Sequence[list[int]], now: dt.datetime
) -> dict[tuple[str, str], tuple[tuple[str, dt.datetime], ...]]:
    """The previous plan's future connections by (from city, to city): their legs' services and
    departures (the later connection when two join the same cities)."""
    before: dict[tuple[str, str], tuple[tuple[str, dt.datetime], ...]] = {}
    for indices in old_connections:
        chain = [old_legs[i] if 0 <= i < len(old_legs) else None for i in indices]
        path = [leg for leg in chain if leg is not None]
        if path and len(path) == len(chain) and path[0].depart >= now:
            before[(path[0].from_city, path[-1].to_city)] = tuple((leg.service, leg.depart) for leg in path)
    return before


def recompute_stability(
    previous: dict[str, Any],
    now: dt.datetime,
    plan_legs: Sequence[Leg],
    plan_seminars: Sequence[Seminar],
    connection_legs: Sequence[tuple[Connection, Sequence[Leg]]],
    weights: StabilityWeights,
    lookups: Lookups,
) -> Stability:
    """A replan's stability against the previous plan, counting from the whole minute of ``now``."""
    now = now.replace(second=0, microsecond=0)  # the planner counts in whole minutes
    seminars, old_legs, old_connections = _previous_trip(previous, lookups)
    old = {city: start for city, start in seminars if start >= now}
    new = {s.city: s.start for s in plan_seminars if s.start >= now}
    added = tuple(c for c in new if c not in old)
    moved = tuple(c for c in new if c in old and old[c] != new[c])
    dropped = tuple(c for c in old if c not in new)
    before = _connections_before(old_legs, old_connections, now)
    changed = tuple(
        conn.where
        for conn, legs in connection_legs
        if legs
        and legs[0].depart >= now
        and before.get((conn.from_city, conn.to_city)) != tuple((leg.service, leg.depart) for leg in legs)
    )
    points = (
        weights.add_city * len(added)
        + weights.move_seminar * len(moved)
        + weights.drop_city * len(dropped)
        + weights.change_connection * len(changed)
    )
    old_keys = {
        (leg.service, leg.origin, leg.destination, leg.depart)
        for leg in old_legs
        if leg is not None and leg.depart >= now
    }
    new_keys = {
        (leg.service, leg.origin, leg.destination, leg.depart) for leg in plan_legs if leg.depart >= now
    }
    change = Change(old, new, frozenset(old_keys - new_keys), frozenset(new_keys - old_keys))
    return Stability(points, added, moved, dropped, changed, change)
