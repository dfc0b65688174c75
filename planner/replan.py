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
import time
from dataclasses import dataclass
from typing import Any

from planner.calendar import TimeAxis
from planner.connections import Journey, Leg, SearchContext
from planner.domain import Disruption, DisruptionKind, Mode, Scenario, SolverParams
from planner.network import TransportNetwork
from planner.problem import OutOfTime, Stability, StartState, build_problem, legs_signature
from planner.result import Itinerary, Result, SeminarVisit, UncoveredReason, leg_json, plan_json
from planner.solve import ProgressHook, plan_without_travel, solve

# The replan's own solve gets this share of the time left after the connection search; the
# reasons for dropped cities share the rest (a solve that proves optimality early leaves more).
EXPLAINED_SHARE_OF_SOLVE = 0.85
# What one dropped city's explanation may take at most, and the least worth starting.
EXPLANATION_LIMIT_S = 5.0
MIN_EXPLANATION_S = 0.05


class ReplanError(ValueError):
    """The replanning input cannot be used (the message names the field)."""


@dataclass(frozen=True)
class PlannedTrip:
    """A plan JSON read back into epoch minutes."""

    seminars: tuple[SeminarVisit, ...]
    legs: tuple[Leg, ...]
    connections: tuple[tuple[int, ...], ...]  # leg indices of each connection
    version: int
    events: tuple[Disruption, ...]
    # Where coordinators said the delegation was, at those moments (epoch minutes, city).
    reported_positions: tuple[tuple[int, str], ...] = ()


def read_plan(scenario: Scenario, axis: TimeAxis, data: dict[str, Any]) -> PlannedTrip:
    """Parse a plan JSON (as written by ``plan_json``) back into domain terms."""
    try:
        seminars = tuple(
            SeminarVisit(s["city"], axis.minutes(_instant(s["start"])), axis.minutes(_instant(s["end"])))
            for s in data["seminars"]
        )
        legs = tuple(
            Leg(
                mode=Mode(leg["mode"]),
                service=leg["service"],
                from_place=leg["from"],
                to_place=leg["to"],
                from_city=leg["from_city"],
                to_city=leg["to_city"],
                depart=axis.minutes(_instant(leg["depart"])),
                arrive=axis.minutes(_instant(leg["arrive"])),
                distance_km=float(leg["distance_km"]),
                cost=float(leg["cost"]),
                run_date=dt.date.fromisoformat(leg["run_date"]) if leg.get("run_date") else None,
            )
            for leg in data["legs"]
        )
        connections = tuple(tuple(c["legs"]) for c in data["connections"])
        events = tuple(Disruption.model_validate(e) for e in data.get("events", []))
        reported = tuple(
            (axis.minutes(_instant(r["now"])), str(r["city"])) for r in data.get("reported_positions", [])
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReplanError(f"previous plan: not a plan JSON of this planner ({exc})") from None
    known = {c.id for c in scenario.cities}
    for index, seminar in enumerate(seminars):
        if seminar.city not in known:
            raise ReplanError(f"previous plan: seminars.{index}.city: unknown city {seminar.city!r}")
    for index, (_, city) in enumerate(reported):
        if city not in known:
            raise ReplanError(f"previous plan: reported_positions.{index}.city: unknown city {city!r}")
    return PlannedTrip(seminars, legs, connections, int(data.get("version", 1)), events, reported)


def _instant(text: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment


def journey_of(ctx: SearchContext, legs: list[Leg]) -> Journey:
    """A connection made of given legs, measured like the search measures its own."""
    from planner.connections import make_journey

    last = legs[-1]
    access = 0 if last.mode == Mode.DRIVE else ctx.terminal(last.to_place).access_min
    arrive = last.arrive + access
    return make_journey(ctx, legs[0].from_city, last.to_city, legs, arrive)


@dataclass(frozen=True)
class Replanned:
    """A new version: the result (whole trip) and its plan JSON with diff and reasons."""

    result: Result
    plan: dict[str, Any]


def replan(
    scenario: Scenario,
    previous: dict[str, Any],
    now: dt.datetime,
    events: tuple[Disruption, ...] = (),
    position: str | None = None,
    params: SolverParams | None = None,
    network: TransportNetwork | None = None,
    progress: ProgressHook | None = None,
) -> Replanned:
    """Replan from ``now`` given the events announced by then; the past stays as it was."""
    if now.tzinfo is None:
        raise ReplanError("now: give the time with its UTC offset, e.g. 2016-01-21T21:40+05:00")
    params = params or scenario.solver
    started = time.perf_counter()
    network = network or TransportNetwork.build(scenario)
    axis = network.axis
    now_min = axis.minutes(now)
    trip = read_plan(scenario, axis, previous)
    if previous.get("now"):
        # What the previous version treated as done stays done: no replan from before it.
        try:
            before = _instant(str(previous["now"]))
        except ValueError as exc:
            raise ReplanError(f"previous plan: now: {exc}") from None
        if axis.minutes(before) > now_min:
            raise ReplanError(
                f"now: {now.isoformat()} is before the previous version's now ({previous['now']}); "
                "a replan starts from the present of the version it changes or later"
            )
    if position is not None and position not in {c.id for c in scenario.cities}:
        raise ReplanError(f"position: unknown city {position!r}")
    announced = tuple(e for e in (*trip.events, *events) if _announced_by(scenario, axis, e, now_min))
    announced = _unique(announced)
    new_events = tuple(e for e in announced if e.id not in {p.id for p in trip.events})
    previous_overlay = network.overlay(trip.events)

    from planner.connections import context_for

    if progress:
        progress("connections", {})
    ctx = context_for(network, announced)
    overlay = ctx.overlay
    # The frozen past: seminars that started, legs that departed.
    done = tuple(s for s in trip.seminars if s.start < now_min)
    frozen_legs: list[Leg] = []
    for leg in trip.legs:
        if leg.depart >= now_min:
            continue
        if leg.run_date is not None:
            extra = overlay.delays.get((leg.service, leg.run_date), 0) - previous_overlay.delays.get(
                (leg.service, leg.run_date), 0
            )
            if extra:
                leg = dataclasses.replace(leg, arrive=leg.arrive + extra)
        frozen_legs.append(leg)
    frozen_journeys = []
    for indices in trip.connections:
        legs = [frozen_legs[i] for i in indices if i < len(trip.legs) and trip.legs[i].depart < now_min]
        if legs:
            frozen_journeys.append(journey_of(ctx, legs))

    start = _start_state(scenario, axis, ctx, trip, done, frozen_journeys, now_min, position)
    future_seminars = {s.city: s.start for s in trip.seminars if s.start >= now_min}
    future_connections = []
    for indices in trip.connections:
        legs = [trip.legs[i] for i in indices]
        if legs and legs[0].depart >= now_min:
            future_connections.append(journey_of(ctx, legs))
    stability = Stability(
        seminar_start=future_seminars,
        connections={(j.origin, j.destination): legs_signature(j) for j in future_connections},
        journeys=tuple(future_connections),
        weights=scenario.objective.stability,
    )
    # The limit bounds the whole replan, as it does a plan (planner.solve.plan): the search
    # stops at 80 % of it less 0.2 s, the solve gets most of what is left, and the reasons
    # for dropped cities (each a small solve) share the rest.
    deadline = started + 0.8 * params.time_limit_s - 0.2
    try:
        problem = build_problem(scenario, network, overlay, start, stability, context=ctx, deadline=deadline)
    except OutOfTime:
        problem, result = plan_without_travel(
            scenario, params, started, network=network, context=ctx, start=start, stability=stability
        )
    else:
        left = params.time_limit_s - (time.perf_counter() - started)
        solve_share = max(0.01, EXPLAINED_SHARE_OF_SOLVE * left)
        result = solve(problem, params.model_copy(update={"time_limit_s": solve_share}), progress)
        result = dataclasses.replace(
            result, time_limit_s=params.time_limit_s, runtime_s=time.perf_counter() - started
        )

    # The whole trip: the frozen past, then the new part.
    new_seminars = result.itinerary.seminars if result.itinerary else ()
    new_journeys = result.itinerary.journeys if result.itinerary else ()
    itinerary = Itinerary(done + tuple(new_seminars), tuple(frozen_journeys) + tuple(new_journeys))
    held = [s.city for s in itinerary.seminars]
    regions = {r for s in scenario.seminars if s.city in held for r in scenario.regions_served(s)}
    points = sum(r.weight for r in scenario.regions if r.id in regions) + sum(
        s.weight for s in scenario.seminars if s.city in held
    )
    all_regions = {r for s in scenario.seminars for r in scenario.regions_served(s)}
    whole = dataclasses.replace(
        result,
        itinerary=itinerary if result.itinerary is not None or done or frozen_journeys else None,
        coverage_points=points,
        max_coverage_points=sum(r.weight for r in scenario.regions if r.id in all_regions)
        + sum(s.weight for s in scenario.seminars),
        covered_regions=tuple(sorted(regions)),
    )
    data = plan_json(scenario, axis, whole)
    zone = scenario.city(start.city).zone
    data["version"] = trip.version + 1
    data["based_on"] = trip.version
    data["now"] = axis.iso(now_min, zone)
    data["position"] = {
        "city": start.city,
        "free_at": axis.iso(start.free_at, zone),
    }
    # Every position a coordinator reported, this one included: part of the past, like the legs.
    reported = [*trip.reported_positions, *([(now_min, position)] if position is not None else [])]
    data["reported_positions"] = [
        {"now": axis.iso(minute, scenario.city(city).zone), "city": city} for minute, city in reported
    ]
    data["events"] = [e.model_dump(mode="json", exclude_defaults=True) for e in announced]
    if progress:
        progress("explaining", {})
    explain_until = started + params.time_limit_s
    data["diff"] = diff_plans(
        scenario, axis, trip, itinerary, now_min, whole, new_events, problem, params, explain_until
    )
    data["stability_points"] = result.stability_cost
    return Replanned(whole, data)


def _unique(events: tuple[Disruption, ...]) -> tuple[Disruption, ...]:
    seen: dict[tuple[str, str], Disruption] = {}
    for event in events:
        seen.setdefault((event.id, event.start.isoformat()), event)
    return tuple(seen.values())


def _announced_by(scenario: Scenario, axis: TimeAxis, event: Disruption, now_min: int) -> bool:
    from planner.network import event_zone

    return axis.minutes(event.announced_at, event_zone(scenario, event)) <= now_min


def _start_state(
    scenario: Scenario,
    axis: TimeAxis,
    ctx: SearchContext,
    trip: PlannedTrip,
    done: tuple[SeminarVisit, ...],
    frozen: list[Journey],
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
        free = ready = max(now_min, last_seminar_end)
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


def _leg_key(leg: Leg) -> tuple[str, int, str, str]:
    return (leg.service, leg.depart, leg.from_place, leg.to_place)


def _leg_summary(scenario: Scenario, axis: TimeAxis, leg: Leg) -> dict[str, Any]:
    full = leg_json(scenario, axis, leg)
    return {key: full[key] for key in ("mode", "service", "from", "to", "depart", "arrive")}


def _touches(scenario: Scenario, event: Disruption, city: str) -> bool:
    """Does an event concern a city: its terminals, roads, region, services or itself?"""
    terminals = {t.id for t in scenario.city(city).terminals}
    region = scenario.city(city).region
    if event.city == city or event.terminal in terminals or event.region == region:
        return True
    if event.road is not None:
        road = next(r for r in scenario.roads if r.id == event.road)
        return city in (road.a, road.b) or region in road.regions
    if event.service is not None:
        service = next(s for s in scenario.services if s.id == event.service)
        return any(stop.terminal in terminals for stop in service.stops)
    return False


def diff_plans(
    scenario: Scenario,
    axis: TimeAxis,
    before: PlannedTrip,
    after: Itinerary,
    now_min: int,
    result: Result,
    new_events: tuple[Disruption, ...],
    problem: Any,
    params: SolverParams,
    explain_until: float | None = None,
) -> dict[str, Any]:
    """Seminars kept, moved, dropped (with why) and added; legs removed and added.

    A dropped city's reason may need a solve of its own; those end by ``explain_until``
    (a ``time.perf_counter()`` value), and a reason not examined by then says so.
    """
    zones = {c.id: c.zone for c in scenario.cities}
    names = {c.id: c.name for c in scenario.cities}
    old = {s.city: s for s in before.seminars if s.start >= now_min}
    new = {s.city: s for s in after.seminars if s.start >= now_min}
    kept, moved, dropped, added = [], [], [], []
    reasons = {u.city: u for u in result.uncovered}
    for city, seminar in old.items():
        if city in new and new[city].start == seminar.start:
            kept.append({"city": city, "start": axis.iso(seminar.start, zones[city])})
        elif city in new:
            moved.append(
                {
                    "city": city,
                    "old_start": axis.iso(seminar.start, zones[city]),
                    "new_start": axis.iso(new[city].start, zones[city]),
                }
            )
        else:
            dropped.append(
                {
                    "city": city,
                    "old_start": axis.iso(seminar.start, zones[city]),
                    **_why_dropped(
                        scenario,
                        names,
                        city,
                        reasons.get(city),
                        new_events,
                        problem,
                        params,
                        new,
                        explain_until,
                    ),
                }
            )
    for city, seminar in new.items():
        if city not in old:
            added.append({"city": city, "start": axis.iso(seminar.start, zones[city])})
    old_legs = {_leg_key(leg): leg for leg in before.legs if leg.depart >= now_min}
    new_legs = {_leg_key(leg): leg for leg in after.legs if leg.depart >= now_min}
    removed = [_leg_summary(scenario, axis, leg) for key, leg in old_legs.items() if key not in new_legs]
    added_legs = [_leg_summary(scenario, axis, leg) for key, leg in new_legs.items() if key not in old_legs]
    return {
        "seminars": {"kept": kept, "moved": moved, "dropped": dropped, "added": added},
        "legs": {"removed": removed, "added": added_legs},
        "changes": len(moved) + len(dropped) + len(added) + len(removed) + len(added_legs),
    }


def _why_dropped(
    scenario: Scenario,
    names: dict[str, str],
    city: str,
    uncovered: Any,
    new_events: tuple[Disruption, ...],
    problem: Any,
    params: SolverParams,
    new: dict[str, SeminarVisit],
    explain_until: float | None = None,
) -> dict[str, str]:
    related = [e for e in new_events if _touches(scenario, e, city)]
    because = f" because of {', '.join(e.id for e in related)}" if related else ""
    if uncovered is None:
        return {"reason": "unknown", "detail": "not in the new plan"}
    if uncovered.reason == UncoveredReason.NO_WINDOW:
        unavailable = [e for e in related if e.kind == DisruptionKind.CITY_UNAVAILABLE]
        if unavailable:
            return {
                "reason": "unavailable",
                "detail": f"{names[city]} cannot host a seminar in the time left ({unavailable[0].id})",
            }
        return {
            "reason": "no_window",
            "detail": f"no working-day slot left in {names[city]} before the trip ends",
        }
    if uncovered.reason == UncoveredReason.NO_PLAN:
        return {"reason": "no_plan", "detail": f"{names[city]}: {uncovered.detail}"}
    if uncovered.reason == UncoveredReason.UNREACHABLE:
        return {
            "reason": "unreachable",
            "detail": f"{names[city]} cannot be reached and left again before the horizon ends{because}",
        }
    # Traded off: what would covering it cost? Solve again with the city required.
    forced = dataclasses.replace(problem, required=problem.required | {city})
    budget = min(params.time_limit_s, EXPLANATION_LIMIT_S)
    if explain_until is not None:
        budget = min(budget, explain_until - time.perf_counter())
    if budget < MIN_EXPLANATION_S:
        return {
            "reason": "traded_off",
            "detail": f"{names[city]} could be visited, but not together with the cities chosen; "
            f"what covering it would cost was not examined within the time limit{because}",
        }
    alternative = solve(forced, params.model_copy(update={"time_limit_s": budget}))
    if alternative.itinerary is None:
        detail = f"{names[city]} can be reached, but no plan holds it together with the rest{because}"
    else:
        kept = {s.city for s in alternative.itinerary.seminars}
        lost = [names[c] for c in new if c not in kept]
        if lost:
            detail = f"covering {names[city]} would drop {' and '.join(lost)}{because}"
        else:
            detail = f"covering {names[city]} is possible but costs more travel or changes{because}"
    return {"reason": "traded_off", "detail": detail}
