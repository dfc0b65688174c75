"""Solve results and itineraries in domain terms, and the plan document built from them.

``Result.to_document`` builds the plan once, as a ``planner.document.PlanDocument``;
``plan_json`` is that document dumped. The plan JSON is a contract other tools rely on:
top-level ``status``, ``objective``, ``bound``, ``seminars`` (``city``, ``start``, ``end``),
``legs`` (``mode``, ``service``, ``from``, ``to``, ``depart``, ``arrive``), ``uncovered``
(``city``, ``reason``) and ``totals``; every datetime is ISO 8601 local to its city
with its offset. ``solver.objective_terms`` (scale, divisor, stability_scale) lets a reader
recompute ``objective`` from the plan's own figures (``planner.check``, rule ``objective``).
A replan adds what only it knows (``ReplannedVersion``) while the document is built, never
by editing the JSON afterwards.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from planner.backups import with_backups
from planner.calendar import TimeAxis
from planner.connections import Journey, Leg
from planner.document import (
    FORMAT,
    Co2Factors,
    ConnectionOut,
    Coverage,
    Diff,
    LegMoves,
    LegOut,
    NightOut,
    ObjectiveTerms,
    PlanDocument,
    Position,
    ReportedPosition,
    SeminarOut,
    SolverOut,
    SolveStatus,
    Totals,
    UncoveredOut,
    UncoveredReason,
)
from planner.domain import Disruption, Mode, Scenario
from planner.network import TransportNetwork

if TYPE_CHECKING:
    from planner.connections.store import ConnectionStore


@dataclass(frozen=True)
class SeminarVisit:
    city: str
    start: int
    end: int


@dataclass(frozen=True)
class Uncovered:
    city: str
    reason: UncoveredReason
    detail: str
    required: bool = False


@dataclass(frozen=True)
class Itinerary:
    """Seminars in order, and the connections before, between and after them."""

    seminars: tuple[SeminarVisit, ...]
    journeys: tuple[Journey, ...]

    @property
    def legs(self) -> tuple[Leg, ...]:
        return tuple(leg for journey in self.journeys for leg in journey.legs)


@dataclass(frozen=True)
class Result:
    """What a solve returns, always: never None, whatever happened."""

    status: SolveStatus
    objective: int | None
    bound: int | None
    runtime_s: float
    itinerary: Itinerary | None
    uncovered: tuple[Uncovered, ...]
    coverage_points: int
    max_coverage_points: int
    covered_regions: tuple[str, ...]
    secondary_cost: int  # 1/60 points
    seed: int
    workers: int
    time_limit_s: float
    stability_cost: int = 0  # stability points (replanning)
    warnings: tuple[str, ...] = field(default=())
    stats: dict[str, float] = field(default_factory=dict)
    method: str = "direct"  # how the daily travel limit was settled
    # What recomputing ``objective`` from the plan needs (``baseline.objective_terms``): scale,
    # divisor, stability_scale. Empty when there is no objective.
    objective_terms: dict[str, int] = field(default_factory=dict)

    @property
    def gap(self) -> float | None:
        if self.objective is None or self.bound is None:
            return None
        if self.objective == 0:
            return 0.0
        return max(0.0, (self.objective - self.bound) / abs(self.objective))

    def to_document(
        self,
        scenario: Scenario,
        axis: TimeAxis,
        replanned: ReplannedVersion | None = None,
        network: TransportNetwork | None = None,
        store: ConnectionStore | None = None,
    ) -> PlanDocument:
        """The plan document of this result (and, for a replan, what the new version states);
        given the network, each leg from ``now`` on gets its backup (planner.backups), kept in
        ``store`` when given."""
        return plan_document(scenario, axis, self, replanned, network, store)


def _co2_kg(scenario: Scenario, leg: Leg) -> float:
    factors = scenario.emissions
    per_km = {
        Mode.FLIGHT: factors.flight,
        Mode.TRAIN: factors.train,
        Mode.BUS: factors.bus,
        Mode.DRIVE: factors.drive,
    }[leg.mode]
    if leg.mode == Mode.DRIVE:
        people = leg.vehicles or scenario.delegation.vehicles
    else:
        people = leg.people or scenario.delegation.size
    return per_km * leg.distance_km * people


def nights(scenario: Scenario, axis: TimeAxis, itinerary: Itinerary) -> tuple[NightOut, ...]:
    """Where the delegation is at 03:00 (home zone) of each night of the trip: from its earliest
    departure (before it, the delegation is not on its trip: a team waiting for a member who is free
    only later spends those nights at home, not in a hotel) to its last arrival."""
    result: list[NightOut] = []
    if not itinerary.journeys and not itinerary.seminars:
        return ()
    first = scenario.delegation.start_city
    leaves = axis.minutes(scenario.delegation.earliest_departure, scenario.city(first).zone)
    events: list[tuple[int, str]] = [(j.arrive, j.destination) for j in itinerary.journeys]
    trip_end = max([j.arrive for j in itinerary.journeys] + [s.end for s in itinerary.seminars])
    day = 0
    while True:
        moment = axis.home_day_start(day + 1) + 3 * 60
        if moment >= trip_end:
            break
        if moment < leaves:
            day += 1
            continue
        on_leg = next((leg for leg in itinerary.legs if leg.depart <= moment < leg.arrive), None)
        in_transit = next((j for j in itinerary.journeys if j.leave <= moment < j.arrive), None)
        date = (axis.start_date + dt.timedelta(days=day)).isoformat()
        if on_leg is not None:
            result.append(NightOut(date=date, city=None, on=on_leg.service, mode=on_leg.mode))
        elif in_transit is not None:
            at = next(
                (leg.to_city for leg in in_transit.legs if leg.arrive <= moment),
                in_transit.origin,
            )
            result.append(NightOut(date=date, city=at, on=None, mode=None, in_transit=True))
        else:
            place = first
            for arrive, city in events:
                if arrive <= moment:
                    place = city
            result.append(NightOut(date=date, city=place, on=None, mode=None))
        day += 1
    return tuple(result)


def totals(scenario: Scenario, itinerary: Itinerary | None) -> Totals:
    """Travel hours, night hours, money, distance and CO2 by mode, recomputed from legs."""
    journeys = itinerary.journeys if itinerary else ()
    legs = itinerary.legs if itinerary else ()
    co2_by_mode: dict[str, float] = {}
    km_by_mode: dict[str, float] = {}
    for leg in legs:
        co2_by_mode[leg.mode.value] = co2_by_mode.get(leg.mode.value, 0.0) + _co2_kg(scenario, leg)
        km_by_mode[leg.mode.value] = km_by_mode.get(leg.mode.value, 0.0) + leg.distance_km
    factors = scenario.emissions
    return Totals(
        seminars=len(itinerary.seminars) if itinerary else 0,
        legs=len(legs),
        travel_hours=round(sum(j.travel_min for j in journeys) / 60, 2),
        night_travel_hours=round(sum(j.night_min for j in journeys) / 60, 2),
        cost=round(sum(leg.cost for leg in legs), 2),
        currency=scenario.currency,
        distance_km=round(sum(leg.distance_km for leg in legs), 1),
        distance_km_by_mode={k: round(v, 1) for k, v in sorted(km_by_mode.items())},
        co2_kg=round(sum(co2_by_mode.values()), 1),
        co2_kg_by_mode={k: round(v, 1) for k, v in sorted(co2_by_mode.items())},
        co2_factors=Co2Factors(
            flight_kg_per_pkm=factors.flight,
            train_kg_per_pkm=factors.train,
            bus_kg_per_pkm=factors.bus,
            drive_kg_per_vehicle_km=factors.drive,
            source=factors.source,
        ),
    )


def leg_out(scenario: Scenario, axis: TimeAxis, leg: Leg) -> LegOut:
    zones = {c.id: c.zone for c in scenario.cities}
    return LegOut(
        mode=leg.mode,
        service=leg.service,
        from_=leg.from_place,
        to=leg.to_place,
        from_city=leg.from_city,
        to_city=leg.to_city,
        depart=axis.iso(leg.depart, zones[leg.from_city]),
        arrive=axis.iso(leg.arrive, zones[leg.to_city]),
        run_date=leg.run_date.isoformat() if leg.run_date else None,
        minutes=leg.minutes,
        distance_km=leg.distance_km,
        cost=leg.cost,
        co2_kg=round(_co2_kg(scenario, leg), 1),
        people=leg.people,
        vehicles=leg.vehicles,
    )


def leg_moves(scenario: Scenario, axis: TimeAxis, leg: Leg) -> LegMoves:
    """A leg as a diff states it: where it goes and when."""
    zones = {c.id: c.zone for c in scenario.cities}
    return LegMoves(
        mode=leg.mode,
        service=leg.service,
        from_=leg.from_place,
        to=leg.to_place,
        depart=axis.iso(leg.depart, zones[leg.from_city]),
        arrive=axis.iso(leg.arrive, zones[leg.to_city]),
    )


# What an OPTIMAL status promises, stated in every plan (README, "Connection search").
OPTIMAL_OVER = (
    "every itinerary the movement rules of scenarios/README.md allow, except that a connection "
    "made only of drives starts its first drive at a candidate moment (a seminar's end, the trip's "
    "start, a window opening or last start, the end of a closure, quiet hours or slowdown, the last "
    "start before a closure, a home-zone midnight or night boundary), postponed where a later drive "
    "fixes the timing, and each later drive at its earliest allowed start"
)


@dataclass(frozen=True)
class ReplannedVersion:
    """What a replanned version states besides its itinerary, known to the replan alone."""

    version: int
    based_on: int
    now: str  # local time of the position's city, with its offset
    position: Position
    reported_positions: tuple[ReportedPosition, ...]  # every report so far, this one included
    events: tuple[Disruption, ...]  # in force at ``now``
    diff: Diff
    stability_points: int


def _itinerary_parts(
    scenario: Scenario, axis: TimeAxis, itinerary: Itinerary | None
) -> tuple[tuple[SeminarOut, ...], tuple[LegOut, ...], tuple[ConnectionOut, ...]]:
    if itinerary is None:
        return (), (), ()
    zones = {c.id: c.zone for c in scenario.cities}
    names = {c.id: c.name for c in scenario.cities}
    serves = {s.city: scenario.regions_served(s) for s in scenario.seminars}
    seminars = tuple(
        SeminarOut(
            city=visit.city,
            city_name=names[visit.city],
            start=axis.iso(visit.start, zones[visit.city]),
            end=axis.iso(visit.end, zones[visit.city]),
            regions=tuple(serves[visit.city]),
        )
        for visit in itinerary.seminars
    )
    legs: list[LegOut] = []
    connections: list[ConnectionOut] = []
    for journey in itinerary.journeys:
        first_leg = len(legs)
        legs.extend(leg_out(scenario, axis, leg) for leg in journey.legs)
        connections.append(
            ConnectionOut(
                from_city=journey.origin,
                to_city=journey.destination,
                leave=axis.iso(journey.leave, zones[journey.origin]),
                arrive=axis.iso(journey.arrive, zones[journey.destination]),
                travel_min=journey.travel_min,
                night_min=journey.night_min,
                legs=tuple(range(first_leg, len(legs))),
            )
        )
    return seminars, tuple(legs), tuple(connections)


def _solver(result: Result) -> SolverOut:
    terms = result.objective_terms
    return SolverOut(
        seed=result.seed,
        workers=result.workers,
        time_limit_s=result.time_limit_s,
        method=result.method,
        optimal_over=OPTIMAL_OVER,
        objective_terms=ObjectiveTerms.model_validate(terms) if terms else None,
        stats=result.stats,
    )


def _coverage(scenario: Scenario, result: Result) -> Coverage:
    all_regions = sorted({r.id for r in scenario.regions})
    return Coverage(
        points=result.coverage_points,
        max_points=result.max_coverage_points,
        regions_covered=result.covered_regions,
        regions_uncovered=tuple(r for r in all_regions if r not in result.covered_regions),
        secondary_points=round(result.secondary_cost / 60, 2),
    )


def plan_document(
    scenario: Scenario,
    axis: TimeAxis,
    result: Result,
    replanned: ReplannedVersion | None = None,
    network: TransportNetwork | None = None,
    store: ConnectionStore | None = None,
) -> PlanDocument:
    """The plan document of a result; a replan adds what only it knows (``replanned``), and the
    network, when given, a backup for each leg from ``now`` on (kept in ``store`` when given)."""
    itinerary = result.itinerary
    seminars, legs, connections = _itinerary_parts(scenario, axis, itinerary)
    document = PlanDocument(
        format=FORMAT,
        scenario=scenario.name,
        version=1,  # replanning numbers its versions and links them by based_on
        based_on=None,
        events=(),
        reported_positions=(),  # where coordinators said the delegation was (replanning)
        diff=None,
        status=result.status,
        objective=result.objective,
        bound=result.bound,
        gap=None if result.gap is None else round(result.gap, 6),
        runtime_s=round(result.runtime_s, 3),
        solver=_solver(result),
        coverage=_coverage(scenario, result),
        seminars=seminars,
        legs=legs,
        connections=connections,
        nights=nights(scenario, axis, itinerary) if itinerary else (),
        totals=totals(scenario, itinerary),
        uncovered=tuple(
            UncoveredOut(city=u.city, reason=u.reason, detail=u.detail, required=u.required)
            for u in result.uncovered
        ),
        warnings=result.warnings,
    )
    if replanned is not None:
        stated = {field.name: getattr(replanned, field.name) for field in dataclasses.fields(replanned)}
        document = document.model_copy(update=stated)
    # Backups need the version's ``now`` and events, so they come after what a replan states.
    return document if network is None else with_backups(scenario, network, document, store)


def plan_json(
    scenario: Scenario, axis: TimeAxis, result: Result, network: TransportNetwork | None = None
) -> dict[str, Any]:
    """The plan as the JSON contract (a plain dict ready for json.dumps); with backups when the
    network is given."""
    return result.to_document(scenario, axis, network=network).to_json()
