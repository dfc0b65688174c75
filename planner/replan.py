"""Replanning: from a previous plan, ``now``, the position and the events announced, a new version.

Everything before ``now`` is kept exactly: seminars that started and legs that
departed (a leg under way lands late if a delay event says so). The new plan
starts where the delegation is, and is optimised lexicographically: coverage,
then stability (moves, drops, additions, changed connections, each with a
documented weight), then travel. Each version carries a diff against its
predecessor, with a reason for every city it no longer covers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from planner.calendar import TimeAxis
from planner.collector import collection_paused
from planner.connections import (
    Journey,
    KeptContexts,
    Leg,
    SearchContext,
    SlotMemo,
    build_context,
    context_for,
    make_journey,
)
from planner.document import (
    PlanDocument,
    PlanDocumentError,
    Position,
    ReportedPosition,
    read_document,
)
from planner.domain import Disruption, Mode, Scenario, SolverParams, event_zone
from planner.heuristics import greedy_insertion
from planner.network import TransportNetwork
from planner.objective import scenario_coverage, scenario_max_coverage_points
from planner.problem import (
    OutOfTime,
    Stability,
    StartState,
    build_problem,
    journey_still_usable,
    legs_signature,
)
from planner.replan_diff import diff_plans
from planner.result import (
    Itinerary,
    ReplannedVersion,
    Result,
    SeminarVisit,
)
from planner.solve import ProgressHook, plan_without_travel, solve

# The replan's own solve gets this share of the time left after the connection search; the
# reasons for dropped cities share the rest (a solve that proves optimality early leaves more).
EXPLAINED_SHARE_OF_SOLVE = 0.85


class ReplanError(ValueError):
    """The replanning input cannot be used (the message names the field)."""


@dataclass(frozen=True)
class PlannedTrip:
    """A plan read back into epoch minutes."""

    seminars: tuple[SeminarVisit, ...]
    legs: tuple[Leg, ...]
    connections: tuple[tuple[int, ...], ...]  # leg indices of each connection
    version: int
    events: tuple[Disruption, ...]
    # Where coordinators said the delegation was, at those moments (epoch minutes, city).
    reported_positions: tuple[tuple[int, str], ...] = ()


def previous_document(data: Mapping[str, Any] | PlanDocument) -> PlanDocument:
    """The previous version as a document; ``ReplanError`` names the field it lacks."""
    try:
        return read_document(data)
    except PlanDocumentError as error:
        raise ReplanError(f"previous plan: not a plan JSON of this planner ({error})") from None


def read_plan(scenario: Scenario, axis: TimeAxis, data: Mapping[str, Any] | PlanDocument) -> PlannedTrip:
    """A plan JSON (as written by ``plan_json``), or its document, in domain terms."""
    document = previous_document(data)
    known = {c.id for c in scenario.cities}
    for index, seminar in enumerate(document.seminars):
        if seminar.city not in known:
            raise ReplanError(f"previous plan: seminars.{index}.city: unknown city {seminar.city!r}")
    for index, report in enumerate(document.reported_positions):
        if report.city not in known:
            raise ReplanError(f"previous plan: reported_positions.{index}.city: unknown city {report.city!r}")
    seminars = tuple(
        SeminarVisit(s.city, _minute(axis, s.start), _minute(axis, s.end)) for s in document.seminars
    )
    legs = tuple(
        Leg(
            mode=leg.mode,
            service=leg.service,
            from_place=leg.from_,
            to_place=leg.to,
            from_city=leg.from_city,
            to_city=leg.to_city,
            depart=_minute(axis, leg.depart),
            arrive=_minute(axis, leg.arrive),
            distance_km=float(leg.distance_km),
            cost=float(leg.cost),
            run_date=dt.date.fromisoformat(leg.run_date) if leg.run_date else None,
            people=leg.people,
            vehicles=leg.vehicles,
        )
        for leg in document.legs
    )
    connections = tuple(c.legs for c in document.connections)
    reported = tuple((_minute(axis, r.now), r.city) for r in document.reported_positions)
    return PlannedTrip(seminars, legs, connections, document.version, document.events, reported)


def _minute(axis: TimeAxis, text: str) -> int:
    # The document holds only times with an offset (``LocalTime``).
    return axis.minutes(dt.datetime.fromisoformat(text))


def journey_of(ctx: SearchContext, legs: list[Leg]) -> Journey:
    """A connection made of given legs, measured like the search measures its own."""
    last = legs[-1]
    access = 0 if last.mode == Mode.DRIVE else ctx.terminal(last.to_place).access_min
    arrive = last.arrive + access
    return make_journey(ctx, legs[0].from_city, last.to_city, legs, arrive)


@dataclass(frozen=True)
class Replanned:
    """A new version: the result (whole trip) and its plan document, with diff and reasons."""

    result: Result
    document: PlanDocument

    @functools.cached_property
    def plan(self) -> dict[str, Any]:
        """The plan JSON of the new version."""
        return self.document.to_json()


@collection_paused()  # planner.collector: the build and the model, not the garbage
def replan(
    scenario: Scenario,
    previous: Mapping[str, Any] | PlanDocument,
    now: dt.datetime,
    events: tuple[Disruption, ...] = (),
    position: str | None = None,
    params: SolverParams | None = None,
    network: TransportNetwork | None = None,
    progress: ProgressHook | None = None,
    contexts: KeptContexts | None = None,
    backups: bool = False,
    memo: SlotMemo | None = None,
) -> Replanned:
    """Replan from ``now`` given the events announced by then; the past stays as it was.

    ``contexts`` are the caller's search contexts of ``network`` (planner.connections.context_for):
    given, replans under the same events reuse their connection searches. ``backups`` adds each
    future leg's backup to the new version (planner.backups): the versions a coordinator is given
    (``planner replan``, the HTTP service) have them; what-if and risk replays, which only measure
    a version, skip their cost (about a tenth of a flagship replan). ``memo`` (of ``network``)
    reuses the searches of leave slots that the events do not touch from earlier replans under
    other events (planner.connections.memo); the plan is the same with or without it.
    """
    params = params or scenario.solver
    started = time.perf_counter()
    setup = prepare_replan(scenario, previous, now, events, position, network, contexts, memo, progress)
    while True:
        frame = setup.frame()
        problem, result = _solve_the_rest(
            scenario, setup.network, setup.ctx, frame.start, frame.stability, params, started, progress
        )
        if result.itinerary is not None or not setup.under_way:
            break
        # Going on with the connection leads to no plan: plan as if the delegation turned back
        # at now instead (from the city it set off from, as before it left).
        setup = dataclasses.replace(setup, under_way=frozenset())
    return finish_replan(setup, frame, problem, result, params, started, progress, backups)


@dataclass(frozen=True)
class ReplanFrame:
    """Where the rest of the trip starts: what is done, the connections kept, the start state and
    what the new plan is measured against."""

    done: tuple[SeminarVisit, ...]
    frozen: tuple[Journey, ...]
    start: StartState
    stability: Stability


@dataclass(frozen=True)
class ReplanSetup:
    """A replan's inputs read and checked: the previous version, the events announced by ``now``,
    the network compiled under them, and the connections under way."""

    scenario: Scenario
    network: TransportNetwork
    ctx: SearchContext
    trip: PlannedTrip
    now_min: int
    position: str | None
    announced: tuple[Disruption, ...]
    new_events: tuple[Disruption, ...]
    previous_overlay: Any
    under_way: frozenset[int]

    def frame(self) -> ReplanFrame:
        scenario, ctx, trip, now_min = self.scenario, self.ctx, self.trip, self.now_min
        under_way = set(self.under_way)
        done, frozen = _frozen_past(ctx, trip, now_min, self.previous_overlay, under_way)
        start = _start_state(scenario, self.network.axis, ctx, trip, done, frozen, now_min, self.position)
        return ReplanFrame(done, frozen, start, _stability(scenario, ctx, trip, now_min, under_way))


def prepare_replan(
    scenario: Scenario,
    previous: Mapping[str, Any] | PlanDocument,
    now: dt.datetime,
    events: tuple[Disruption, ...] = (),
    position: str | None = None,
    network: TransportNetwork | None = None,
    contexts: KeptContexts | None = None,
    memo: SlotMemo | None = None,
    progress: ProgressHook | None = None,
) -> ReplanSetup:
    """Read and check a replan's inputs and compile the network under the events announced."""
    if now.tzinfo is None:
        raise ReplanError("now: give the time with its UTC offset, e.g. 2016-01-21T21:40+05:00")
    network = network or TransportNetwork.build(scenario)
    axis = network.axis
    now_min = axis.minutes(now)
    document = previous_document(previous)
    trip = read_plan(scenario, axis, document)
    _check_start(scenario, axis, document, now, now_min, position)
    announced = tuple(e for e in (*trip.events, *events) if _announced_by(scenario, axis, e, now_min))
    announced = _unique(announced)
    new_events = tuple(e for e in announced if e.id not in {p.id for p in trip.events})
    previous_overlay = network.overlay(trip.events)

    if progress:
        progress("connections", {})
    if contexts is None:
        # Nobody keeps this context for another replan: its searches need not be kept either, which
        # lets a cold build spread them over the cores (planner.connections.parallel).
        ctx = build_context(network, network.overlay(announced), memo=memo)
    else:
        ctx = context_for(network, announced, contexts, memo)
    # A reported position says where the delegation is: then no connection is taken as under way.
    under_way = _set_off_and_still_running(ctx, trip, now_min) if position is None else set()
    return ReplanSetup(
        scenario,
        network,
        ctx,
        trip,
        now_min,
        position,
        announced,
        new_events,
        previous_overlay,
        frozenset(under_way),
    )


def finish_replan(
    setup: ReplanSetup,
    frame: ReplanFrame,
    problem: Any,
    result: Result,
    params: SolverParams,
    started: float,
    progress: ProgressHook | None = None,
    backups: bool = False,
) -> Replanned:
    """The new version from the solve of the rest: the whole trip, its diff with reasons, the document."""
    scenario, network, trip, now_min, position = (
        setup.scenario,
        setup.network,
        setup.trip,
        setup.now_min,
        setup.position,
    )
    axis = network.axis
    start = frame.start
    itinerary, whole = _whole_trip(scenario, result, frame.done, frame.frozen)
    if progress:
        progress("explaining", {})
    explain_until = started + params.time_limit_s
    diff = diff_plans(
        scenario, axis, trip, itinerary, now_min, whole, setup.new_events, problem, params, explain_until
    )
    zone = scenario.city(start.city).zone
    # Every position a coordinator reported, this one included: part of the past, like the legs.
    reported = [*trip.reported_positions, *([(now_min, position)] if position is not None else [])]
    version = ReplannedVersion(
        version=trip.version + 1,
        based_on=trip.version,
        now=axis.iso(now_min, zone),
        position=Position(city=start.city, free_at=axis.iso(start.free_at, zone)),
        reported_positions=tuple(
            ReportedPosition(now=axis.iso(minute, scenario.city(city).zone), city=city)
            for minute, city in reported
        ),
        events=setup.announced,
        diff=diff,
        stability_points=result.stability_cost,
    )
    return Replanned(whole, whole.to_document(scenario, axis, version, network if backups else None))


def _check_start(
    scenario: Scenario,
    axis: TimeAxis,
    previous: PlanDocument,
    now: dt.datetime,
    now_min: int,
    position: str | None,
) -> None:
    """No replan from before the previous version's ``now``, nor from a city the scenario lacks."""
    # What the previous version treated as done stays done.
    if previous.now and _minute(axis, previous.now) > now_min:
        raise ReplanError(
            f"now: {now.isoformat()} is before the previous version's now ({previous.now}); "
            "a replan starts from the present of the version it changes or later"
        )
    if position is not None and position not in {c.id for c in scenario.cities}:
        raise ReplanError(f"position: unknown city {position!r}")


def _frozen_past(
    ctx: SearchContext,
    trip: PlannedTrip,
    now_min: int,
    previous_overlay: Any,
    under_way: set[int],
) -> tuple[tuple[SeminarVisit, ...], tuple[Journey, ...]]:
    """Seminars that started and connections that departed before ``now``, kept as they were
    (a leg under way lands later if a delay announced since says so).

    The legs ``under_way`` (``_set_off_and_still_running``) are kept too, departed or not.
    """
    overlay = ctx.overlay
    done = tuple(s for s in trip.seminars if s.start < now_min)
    frozen_legs: dict[int, Leg] = {}
    for number, leg in enumerate(trip.legs):
        if leg.depart >= now_min and number not in under_way:
            continue
        if leg.run_date is not None:
            extra = overlay.delays.get((leg.service, leg.run_date), 0) - previous_overlay.delays.get(
                (leg.service, leg.run_date), 0
            )
            if extra:
                leg = dataclasses.replace(leg, arrive=leg.arrive + extra)
        frozen_legs[number] = leg
    frozen_journeys = []
    for indices in trip.connections:
        legs = [frozen_legs[i] for i in indices if i in frozen_legs]
        if legs:
            frozen_journeys.append(journey_of(ctx, legs))
    return done, tuple(frozen_journeys)


def _set_off_and_still_running(ctx: SearchContext, trip: PlannedTrip, now_min: int) -> set[int]:
    """Indices of the legs of connections left before ``now`` and not yet over, when every leg
    of the connection still runs as planned under the events now known.

    Such a connection is kept whole: the delegation is at the airport or between two flights, and
    only the connection's own rest takes it on from there. Rebuilding it from the city centre at
    ``now`` would add access and check-in times the delegation no longer needs, and could miss
    the flight it is about to board (a replan would then find no plan where the plan still works).
    """
    kept: set[int] = set()
    for indices in trip.connections:
        legs = [trip.legs[i] for i in indices if i < len(trip.legs)]
        if not legs or legs[-1].depart < now_min:
            continue  # nothing left to board: its legs are past anyway
        journey = journey_of(ctx, legs)
        if journey.leave < now_min and journey_still_usable(ctx, journey):
            kept.update(indices)
    return kept


def _stability(
    scenario: Scenario, ctx: SearchContext, trip: PlannedTrip, now_min: int, under_way: set[int]
) -> Stability:
    """What the new plan is measured against: the previous plan's future (a connection kept
    whole as under way is part of the past)."""
    future_seminars = {s.city: s.start for s in trip.seminars if s.start >= now_min}
    future_connections = []
    for indices in trip.connections:
        legs = [trip.legs[i] for i in indices]
        if legs and legs[0].depart >= now_min and not under_way.issuperset(indices):
            future_connections.append(journey_of(ctx, legs))
    return Stability(
        seminar_start=future_seminars,
        connections={(j.origin, j.destination): legs_signature(j) for j in future_connections},
        journeys=tuple(future_connections),
        weights=scenario.objective.stability,
    )


def _solve_the_rest(
    scenario: Scenario,
    network: TransportNetwork,
    ctx: SearchContext,
    start: StartState,
    stability: Stability,
    params: SolverParams,
    started: float,
    progress: ProgressHook | None,
) -> tuple[Any, Result]:
    """The problem from the start state on, and its solve (or the plan without travel when the
    connection search runs out of time)."""
    # The limit bounds the whole replan, as it does a plan (planner.solve.plan): the search
    # stops at 80 % of it less 0.2 s, the solve gets most of what is left, and the reasons
    # for dropped cities (each a small solve) share the rest.
    deadline = started + 0.8 * params.time_limit_s - 0.2
    try:
        problem = build_problem(
            scenario, network, ctx.overlay, start, stability, context=ctx, deadline=deadline
        )
    except OutOfTime:
        return plan_without_travel(
            scenario, params, started, network=network, context=ctx, start=start, stability=stability
        )
    left = params.time_limit_s - (time.perf_counter() - started)
    solve_share = max(0.01, EXPLAINED_SHARE_OF_SOLVE * left)
    limited = params.model_copy(update={"time_limit_s": solve_share})
    result = solve(problem, limited, greedy_insertion(problem), progress=progress)
    return problem, dataclasses.replace(
        result, time_limit_s=params.time_limit_s, runtime_s=time.perf_counter() - started
    )


def _whole_trip(
    scenario: Scenario,
    result: Result,
    done: tuple[SeminarVisit, ...],
    frozen: tuple[Journey, ...],
) -> tuple[Itinerary, Result]:
    """The whole trip: the frozen past, then the new part; its coverage counted over both.

    The replan's ``Problem`` leaves out the seminars already held (they are not offered
    again), so its ``coverage_points`` cannot count the whole trip: counted here instead.
    """
    new_seminars = result.itinerary.seminars if result.itinerary else ()
    new_journeys = result.itinerary.journeys if result.itinerary else ()
    itinerary = Itinerary(done + tuple(new_seminars), frozen + tuple(new_journeys))
    points, regions = scenario_coverage(scenario, {s.city for s in itinerary.seminars})
    whole = dataclasses.replace(
        result,
        itinerary=itinerary if result.itinerary is not None or done or frozen else None,
        coverage_points=points,
        max_coverage_points=scenario_max_coverage_points(scenario),
        covered_regions=tuple(sorted(regions)),
    )
    return itinerary, whole


def _unique(events: tuple[Disruption, ...]) -> tuple[Disruption, ...]:
    seen: dict[tuple[str, str], Disruption] = {}
    for event in events:
        seen.setdefault((event.id, event.start.isoformat()), event)
    return tuple(seen.values())


def _announced_by(scenario: Scenario, axis: TimeAxis, event: Disruption, now_min: int) -> bool:

    return axis.minutes(event.announced_at, event_zone(scenario, event)) <= now_min


def _start_state(
    scenario: Scenario,
    axis: TimeAxis,
    ctx: SearchContext,
    trip: PlannedTrip,
    done: tuple[SeminarVisit, ...],
    frozen: tuple[Journey, ...],
    now_min: int,
    position: str | None,
) -> StartState:
    prep = scenario.delegation.rules.min_prep_min
    delegation = scenario.delegation
    begin = axis.minutes(delegation.earliest_departure, scenario.city(delegation.start_city).zone)
    city, free, ready = delegation.start_city, max(now_min, begin), max(now_min, begin)
    # The latest earlier report of where the delegation was overrides whatever began before it
    # (a connection it was on, a seminar): only what began at or after it still tells where it is.
    earlier = [r for r in trip.reported_positions if r[0] <= now_min]
    report = max(earlier) if earlier else None
    since = report[0] if report is not None else None
    after_frozen = [j for j in frozen if since is None or j.leave >= since]
    after_done = [s for s in done if since is None or s.start >= since]
    last_seminar_end = max((s.end for s in after_done), default=None)
    last_arrival = max(after_frozen, key=lambda j: j.arrive) if after_frozen else None
    if last_arrival is not None and (last_seminar_end is None or last_arrival.arrive > last_seminar_end):
        city = last_arrival.destination
        free = max(now_min, last_arrival.arrive)
        ready = max(now_min, last_arrival.arrive + prep)
    elif last_seminar_end is not None:
        city = next(s.city for s in after_done if s.end == last_seminar_end)
        free = max(now_min, last_seminar_end + scenario.delegation.rules.after_seminar_min)
        ready = max(now_min, last_seminar_end)
    elif report is not None:
        city, free = report[1], max(now_min, begin)
        ready = max(free, report[0] + prep)
    if position is not None and position != city:
        # Where the coordinator says the delegation is, from now (not before the trip starts).
        city, free, ready = position, max(now_min, begin), max(now_min, begin) + prep
    preload: dict[int, int] = {}
    for journey in frozen:
        for day, minutes in journey.day_minutes:
            preload[day] = preload.get(day, 0) + minutes
    covered = frozenset(
        r for s in scenario.seminars if s.city in {d.city for d in done} for r in scenario.regions_served(s)
    )
    return StartState(
        city=city,
        free_at=free,
        seminar_ready_at=ready,
        done_cities=frozenset(s.city for s in done),
        covered_regions=covered,
        day_preload=tuple(sorted(preload.items())),
    )
