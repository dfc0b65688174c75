"""The resolve step: the parsed plan and the scenario joined into one immutable :class:`Context`.

Whatever more than one rule needs is worked out here once (the frozen past of a replan, the
reported positions, each ride's timetable reading, the coverage and stability recomputed), so
the rules are pure functions of the context and their order does not matter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from planner.check.basics import Violation
from planner.check.lookups import Lookups, read_scenario
from planner.check.parse import (
    Connection,
    Leg,
    PlanItems,
    Position,
    Seminar,
    check_sections,
    is_replan,
    listed,
    loose_moment,
    parse_items,
    read_positions,
)
from planner.check.previous import FrozenPast, Stability, frozen_past, recompute_stability
from planner.check.rides import RideReading, read_ride
from planner.domain import Closure, Disruption, Scenario


@dataclass(frozen=True)
class Coverage:
    """The coverage the plan's seminars earn, recomputed from the scenario."""

    held: frozenset[str]  # cities holding one of the scenario's seminars
    regions: frozenset[str]
    points: int
    max_points: int
    region_weights: Mapping[str, int]


@dataclass(frozen=True)
class Reports:
    """Where coordinators said the delegation was: as the plan states it, and as it must be."""

    stated: tuple[Position, ...] | None  # the plan's reported_positions (None: it has none)
    expected: tuple[Position, ...]  # the previous version's and this report (without one: stated)
    previous_now: dt.datetime | None  # the previous version's now


@dataclass(frozen=True)
class Context:
    """Everything the rules judge, resolved once and never changed."""

    lookups: Lookups
    plan: Mapping[str, Any]  # the raw document, read by the rules of its figures
    items: PlanItems
    leg_at: Mapping[int, Leg]  # the parsed legs by index
    uncovered: tuple[Any, ...]  # the plan's uncovered list, as given
    problems: tuple[Violation, ...]  # the parse step's findings: plan_format and local_times
    previous: Any  # the previous version, as given (None: not a replan check)
    now: dt.datetime | None  # in UTC
    reports: Reports
    frozen: FrozenPast
    rides: Mapping[int, RideReading]  # by leg index, for the legs that are not drives
    coverage: Coverage
    since: dt.datetime | None  # from when the plan's figures count (None: all of it)
    figures_complete: bool  # no plan_format problem: the objective's figures can be recomputed
    stability: Stability | None  # None when not judged

    @property
    def legs(self) -> tuple[Leg, ...]:
        return self.items.legs

    @property
    def seminars(self) -> tuple[Seminar, ...]:
        return self.items.seminars

    @property
    def connections(self) -> tuple[Connection, ...]:
        return self.items.connections

    def name(self, city_id: str) -> str:
        return self.lookups.name(city_id)

    def times(self, leg: Leg) -> tuple[dt.datetime, dt.datetime]:
        """When a leg really departs and arrives: a delayed run's times, else what the leg says."""
        reading = self.rides.get(leg.index)
        if reading is not None and reading.true_times is not None:
            return reading.true_times
        return leg.depart, leg.arrive

    def stop_pair(self, leg: Leg) -> tuple[int, int] | None:
        reading = self.rides.get(leg.index)
        return reading.stop_pair if reading is not None else None

    def legs_of(self, conn: Connection) -> list[Leg]:
        """The connection's legs that parsed, in its order."""
        return [self.leg_at[i] for i in conn.legs if i in self.leg_at]


def resolve(
    scenario: Scenario,
    plan: dict[str, Any],
    extra_closures: Sequence[Closure],
    events: Sequence[Disruption],
    previous: Any,
    now: dt.datetime | None,
    position: str | None,
) -> Context:
    """Parse the plan (and the previous version) and resolve what the rules share."""
    lookups = read_scenario(scenario, extra_closures, events)
    problems: list[Violation] = []
    items = parse_items(plan, lookups, problems)
    now_utc: dt.datetime | None = None
    if now is not None:
        now_utc = (now if now.tzinfo is not None else now.replace(tzinfo=lookups.home)).astimezone(dt.UTC)
    replanning = previous is not None and now_utc is not None
    reports = _reports(plan, previous if replanning else None, now_utc, position, lookups, problems)
    frozen = FrozenPast()
    if replanning and now_utc is not None:
        if isinstance(previous, dict):
            frozen = frozen_past(previous, now_utc, items.legs, items.seminars, lookups, problems)
        else:
            problems.append(Violation("plan_format", "previous", "the previous plan is not a JSON object"))
    uncovered = tuple(listed(plan, "uncovered", problems))
    check_sections(plan, items.seminars, problems)
    # Both documents whole (whether the plan's own ``now`` reads is judged after): the stability
    # figures can be recomputed.
    parts_complete = not any(p.rule == "plan_format" for p in problems)
    since = _figures_since(plan, previous, now_utc, lookups, problems)
    frozen_legs = frozen.leg_indices
    rides = {
        leg.index: read_ride(leg, leg.index in frozen_legs, lookups) for leg in items.legs if not leg.is_drive
    }
    leg_at = {leg.index: leg for leg in items.legs}
    stability: Stability | None = None
    if isinstance(previous, dict) and now_utc is not None and is_replan(plan) and parts_complete:
        stability = recompute_stability(
            previous,
            now_utc,
            items.legs,
            items.seminars,
            [(conn, [leg_at[i] for i in conn.legs if i in leg_at]) for conn in items.connections],
            scenario.objective.stability,
            lookups,
        )
    return Context(
        lookups=lookups,
        plan=plan,
        items=items,
        leg_at=MappingProxyType(leg_at),
        uncovered=uncovered,
        problems=tuple(problems),
        previous=previous,
        now=now_utc,
        reports=reports,
        frozen=frozen,
        rides=MappingProxyType(rides),
        coverage=_coverage(items.seminars, lookups),
        since=since,
        figures_complete=not any(p.rule == "plan_format" for p in problems),
        stability=stability,
    )


def _reports(
    plan: dict[str, Any],
    previous: Any,
    now: dt.datetime | None,
    position: str | None,
    lookups: Lookups,
    problems: list[Violation],
) -> Reports:
    """The plan's reported positions, and what they must be: a replan repeats the previous
    version's and adds ``position`` at ``now`` when one is given."""
    stated = read_positions(plan, "reported_positions", lookups, problems)
    stated_tuple = tuple(stated) if stated is not None else None
    if previous is None or now is None:
        return Reports(stated_tuple, stated_tuple or (), None)
    stated_now = previous.get("now") if isinstance(previous, dict) else None
    previous_now = loose_moment(stated_now, lookups.scenario.delegation.start_city, lookups)
    expected = read_positions(previous, "previous.reported_positions", lookups, problems) or []
    if position is not None:
        expected.append((now.replace(second=0, microsecond=0), position))
    return Reports(stated_tuple, tuple(expected), previous_now)


def _figures_since(
    plan: dict[str, Any], previous: Any, now: dt.datetime | None, lookups: Lookups, problems: list[Violation]
) -> dt.datetime | None:
    """From when the plan's figures count: a replanned version's own ``now``, else all of it."""
    stated = plan.get("now")
    if stated is not None:
        moment = loose_moment(stated, None, lookups)
        if moment is None:
            message = f"{stated!r} is not an ISO 8601 datetime with its offset"
            problems.append(Violation("plan_format", "now", message))
        return moment
    return now if is_replan(plan) and previous is not None else None


def _coverage(seminars: Sequence[Seminar], lookups: Lookups) -> Coverage:
    """Regions covered (a city's own and those its seminar serves) and points, of the seminars held."""
    scenario = lookups.scenario
    weights = {r.id: r.weight for r in scenario.regions}
    held = {s.city for s in seminars if s.city in lookups.seminar_of}
    regions: set[str] = set()
    points = 0
    for city in held:
        seminar = lookups.seminar_of[city]
        regions |= {lookups.cities[city].region, *seminar.serves}
        points += seminar.weight
    points += sum(weights.get(r, 0) for r in regions)
    every_region = {r for s in scenario.seminars for r in (lookups.cities[s.city].region, *s.serves)}
    most = sum(s.weight for s in scenario.seminars) + sum(weights.get(r, 0) for r in every_region)
    return Coverage(frozenset(held), frozenset(regions), points, most, MappingProxyType(weights))
