"""What a replan changed against the previous version, and why each city it dropped was dropped;
what covering a city a plan traded off would take."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING, Any

from planner.calendar import TimeAxis
from planner.connections import Leg
from planner.document import (
    Diff,
    LegChanges,
    SeminarChanges,
    SeminarDropped,
    SeminarKept,
    SeminarMoved,
    SolveStatus,
)
from planner.domain import Disruption, DisruptionKind, Scenario, SolverParams
from planner.heuristics import greedy_insertion
from planner.objective import scenario_coverage
from planner.result import Itinerary, Result, UncoveredReason, leg_moves, totals
from planner.solve import solve

if TYPE_CHECKING:
    from planner.replan import PlannedTrip

# What one dropped city's explanation may take at most, and the least worth starting.
EXPLANATION_LIMIT_S = 5.0
MIN_EXPLANATION_S = 0.05


def _leg_key(leg: Leg) -> tuple[str, int, str, str]:
    return (leg.service, leg.depart, leg.from_place, leg.to_place)


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
) -> Diff:
    """Seminars kept, moved, dropped (with why) and added; legs removed and added.

    A dropped city's reason may need a solve of its own; those end by ``explain_until``
    (a ``time.perf_counter()`` value), and a reason not examined by then says so.
    """
    zones = {c.id: c.zone for c in scenario.cities}
    names = {c.id: c.name for c in scenario.cities}
    old = {s.city: s for s in before.seminars if s.start >= now_min}
    new = {s.city: s for s in after.seminars if s.start >= now_min}
    kept: list[SeminarKept] = []
    moved: list[SeminarMoved] = []
    dropped: list[SeminarDropped] = []
    reasons = {u.city: u for u in result.uncovered}
    for city, seminar in old.items():
        old_start = axis.iso(seminar.start, zones[city])
        if city in new and new[city].start == seminar.start:
            kept.append(SeminarKept(city=city, start=old_start))
        elif city in new:
            moved.append(
                SeminarMoved(city=city, old_start=old_start, new_start=axis.iso(new[city].start, zones[city]))
            )
        else:
            why = _why_dropped(
                scenario,
                names,
                city,
                reasons.get(city),
                new_events,
                problem,
                params,
                result,
                now_min,
                explain_until,
            )
            dropped.append(SeminarDropped(city=city, old_start=old_start, **why))
    added = [
        SeminarKept(city=city, start=axis.iso(seminar.start, zones[city]))
        for city, seminar in new.items()
        if city not in old
    ]
    old_legs = {_leg_key(leg): leg for leg in before.legs if leg.depart >= now_min}
    new_legs = {_leg_key(leg): leg for leg in after.legs if leg.depart >= now_min}
    removed = [leg_moves(scenario, axis, leg) for key, leg in old_legs.items() if key not in new_legs]
    added_legs = [leg_moves(scenario, axis, leg) for key, leg in new_legs.items() if key not in old_legs]
    return Diff(
        seminars=SeminarChanges(
            kept=tuple(kept), moved=tuple(moved), dropped=tuple(dropped), added=tuple(added)
        ),
        legs=LegChanges(removed=tuple(removed), added=tuple(added_legs)),
        changes=len(moved) + len(dropped) + len(added) + len(removed) + len(added_legs),
    )


def _why_dropped(
    scenario: Scenario,
    names: dict[str, str],
    city: str,
    uncovered: Any,
    new_events: tuple[Disruption, ...],
    problem: Any,
    params: SolverParams,
    result: Result,
    now_min: int,
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
    budget = min(params.time_limit_s, EXPLANATION_LIMIT_S)
    if explain_until is not None:
        budget = min(budget, explain_until - time.perf_counter())
    return {
        "reason": "traded_off",
        "detail": covering_detail(scenario, problem, params, city, result, budget, now_min) + because,
    }


def covering_detail(
    scenario: Scenario,
    problem: Any,
    params: SolverParams,
    city: str,
    chosen: Result,
    budget: float,
    now_min: int | None = None,
) -> str:
    """What covering a traded-off ``city`` would take, from a solve of ``problem`` with the city
    required (at most ``budget`` seconds): the cities and regions the best such plan gives up and
    its travel hours, night hours and cost against ``chosen``.

    For a replan (``now_min`` given), ``chosen`` is the whole trip and ``problem`` the rest of it
    from now: the seminars and connections begun before ``now_min`` are put before the other plan.
    """
    name = scenario.city(city).name
    if budget < MIN_EXPLANATION_S:
        return (
            f"{name} could be visited, but not together with the cities chosen; "
            "what covering it would cost was not examined within the time limit"
        )
    forced = dataclasses.replace(problem, required=problem.required | {city})
    alternative = solve(forced, params.model_copy(update={"time_limit_s": budget}), greedy_insertion(forced))
    if alternative.itinerary is None or chosen.itinerary is None:
        if alternative.status == SolveStatus.INFEASIBLE:
            return f"{name} can be reached, but no plan holds it together with the required cities"
        return f"{name} can be reached, but no plan holding it was found within {budget:.1f} s"
    names = {c.id: c.name for c in scenario.cities}
    other = alternative.itinerary
    if now_min is not None:
        begun = chosen.itinerary
        other = Itinerary(
            tuple(s for s in begun.seminars if s.start < now_min) + other.seminars,
            tuple(j for j in begun.journeys if j.leave < now_min) + other.journeys,
        )
    held = {s.city for s in other.seminars}
    _, other_regions = scenario_coverage(scenario, held)
    lost = [names[s.city] for s in chosen.itinerary.seminars if s.city not in held]
    lost_regions = [r for r in chosen.covered_regions if r not in other_regions]
    before, after = totals(scenario, chosen.itinerary), totals(scenario, other)
    given_up = f"would give up {_listed(lost)}" if lost else "would keep every city chosen"
    regions = ", every region still covered"
    if lost_regions:
        regions = f", leaving {', '.join(lost_regions)} uncovered"
    night = after.night_travel_hours - before.night_travel_hours
    at_night = (
        f"{after.night_travel_hours:.1f} h of it at night ({_signed(night, 1)} h), "
        if after.night_travel_hours or before.night_travel_hours
        else ""
    )
    figures = (
        f"{after.travel_hours:.1f} h of travel ({_signed(after.travel_hours - before.travel_hours, 1)} h), "
        f"{at_night}{after.cost:,.0f} {after.currency} ({_signed(after.cost - before.cost, 0)})"
    )
    proven = (
        ""
        if alternative.status == SolveStatus.OPTIMAL
        else f" (the best such plan found in {budget:.1f} s, not proven the best)"
    )
    return f"covering {name} {given_up}{regions}: {figures}{proven}"


def _listed(names: list[str]) -> str:
    """``A``, ``A and B``, ``A, B and C``."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _signed(change: float, digits: int) -> str:
    """A difference with its sign, thousands grouped; one that rounds to zero is ``+0``."""
    rounded = round(change, digits)
    return f"{rounded + 0.0:+,.{digits}f}"  # + 0.0 turns -0.0 into 0.0


def explain_trade_offs(
    scenario: Scenario,
    problem: Any,
    result: Result,
    params: SolverParams,
    until: float,
    per_city_s: float = EXPLANATION_LIMIT_S,
) -> Result:
    """``result`` with each traded-off city's detail saying what covering it would take (one solve
    each of at most ``per_city_s``, :func:`covering_detail`); the solves end by ``until`` (a
    ``time.perf_counter()`` value)."""
    if result.itinerary is None:
        return result
    uncovered = []
    for item in result.uncovered:
        if item.reason == UncoveredReason.TRADED_OFF:
            budget = min(params.time_limit_s, per_city_s, until - time.perf_counter())
            detail = covering_detail(scenario, problem, params, item.city, result, budget)
            item = dataclasses.replace(item, detail=detail)
        uncovered.append(item)
    return dataclasses.replace(result, uncovered=tuple(uncovered))
