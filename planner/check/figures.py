"""The rules of the plan's figures: totals, region coverage and the objective, recomputed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from planner.check.basics import (
    COST_TOLERANCE,
    DISTANCE_TOLERANCE_KM,
    DRIVE,
    GAP_DIGITS,
    NO_PLAN_STATUSES,
    RIDE_MODES,
    TOTALS_TOLERANCE,
    Violation,
    as_number,
    is_integer,
    minutes_between,
    show,
    window_minutes,
)
from planner.check.context import Context
from planner.check.parse import Connection, Leg
from planner.check.rides import connection_arrive, connection_leave, leg_party, ride_figures


def _compare(
    where: str, label: str, mine: float, theirs: Any, digits: int, tolerance: float
) -> Iterator[Violation]:
    """Compare a recomputed figure with the plan's, rounded as plan_json rounds it."""
    if as_number(theirs) is None:
        yield Violation("totals", where, f"{label} is {theirs!r}, expected a number near {mine:g}")
        return
    rounded = round(mine, digits)
    if abs(rounded - theirs) <= tolerance + 1e-9:
        return
    # A figure half-way between two roundings (18248.35) may be summed just under the half by the
    # plan and just over it here (the same legs added in another order): the plan's rounding of
    # a value equal to this one but for float noise is right too.
    noise = 1e-9 * max(1.0, abs(mine))
    if abs(mine - theirs) <= 0.5 * 10**-digits + noise:
        return
    yield Violation("totals", where, f"{label} is {theirs:g}, recomputed {rounded:g}")


def _people(ctx: Context, leg: Leg) -> int:
    people, cars = leg_party(leg, ctx.lookups)
    return cars if leg.mode == DRIVE else people


def _factor(ctx: Context, mode: str) -> float:
    emissions = ctx.lookups.scenario.emissions
    return float(getattr(emissions, mode, 0.0)) if mode in (*RIDE_MODES, DRIVE) else 0.0


def _road_money(ctx: Context, leg: Leg) -> tuple[float, float] | None:
    """(distance km, cost) of a drive on a scenario road, for all the delegation's vehicles."""
    road = ctx.lookups.roads.get(leg.service)
    if road is None:
        return None
    _, vehicles = leg_party(leg, ctx.lookups)
    return road.distance_km, road.distance_km * road.cost_per_km * vehicles


def totals(ctx: Context) -> Iterator[Violation]:
    """The plan's totals (time, distance, money, CO2e, nights) are its legs' sums."""
    night, home = ctx.lookups.rules.night, ctx.lookups.home
    for conn in ctx.connections:
        spent = window_minutes(conn.leave, conn.arrive, night, home)
        if "night_min" in conn.raw and conn.raw["night_min"] != spent:
            yield Violation(
                "totals",
                f"{conn.where}.night_min",
                f"night_min is {conn.raw['night_min']}, but {spent} min of it lie in the night "
                f"{night.start}-{night.end} ({home.key})",
            )
    for leg in ctx.legs:
        yield from _leg_figures(ctx, leg)
    yield from _sums(ctx)


def _leg_figures(ctx: Context, leg: Leg) -> Iterator[Violation]:
    """Minutes, distance, cost and CO2 of one leg, recomputed from the scenario."""
    where, raw = leg.where, leg.raw
    taken = minutes_between(leg.depart, leg.arrive)
    if "minutes" in raw and raw["minutes"] != taken:
        yield Violation(
            "totals", f"{where}.minutes", f"minutes is {raw['minutes']}, but depart to arrive is {taken}"
        )
    figures: tuple[float, float] | None = None
    if leg.is_drive:
        figures = _road_money(ctx, leg)
    elif leg.mode in RIDE_MODES:
        figures = ride_figures(leg, ctx.stop_pair(leg), ctx.lookups)
    if figures is not None:
        km, money = figures
        given = raw.get("distance_km")
        yield from _compare(f"{where}.distance_km", "distance_km", km, given, 1, DISTANCE_TOLERANCE_KM)
        yield from _compare(f"{where}.cost", "cost", money, raw.get("cost"), 2, COST_TOLERANCE)
    given_km = as_number(raw.get("distance_km"))
    if "co2_kg" in raw and given_km is not None:
        mine = _factor(ctx, leg.mode) * given_km * _people(ctx, leg)
        yield from _compare(f"{where}.co2_kg", "co2_kg", mine, raw["co2_kg"], 1, TOTALS_TOLERANCE)


def _sums(ctx: Context) -> Iterator[Violation]:
    """The plan's ``totals`` against the sums of its connections and legs."""
    raw_totals = ctx.plan.get("totals")
    stated: Mapping[str, Any] = raw_totals if isinstance(raw_totals, dict) else {}
    night, home = ctx.lookups.rules.night, ctx.lookups.home
    travel_min = sum(minutes_between(c.leave, c.arrive) for c in ctx.connections)
    night_min = sum(window_minutes(c.leave, c.arrive, night, home) for c in ctx.connections)
    cost = distance = co2 = 0.0
    km_by_mode: dict[str, float] = {}
    co2_by_mode: dict[str, float] = {}
    for leg in ctx.legs:
        km = as_number(leg.raw.get("distance_km")) or 0.0
        cost += as_number(leg.raw.get("cost")) or 0.0
        distance += km
        leg_co2 = _factor(ctx, leg.mode) * km * _people(ctx, leg)
        co2 += leg_co2
        km_by_mode[leg.mode] = km_by_mode.get(leg.mode, 0.0) + km
        co2_by_mode[leg.mode] = co2_by_mode.get(leg.mode, 0.0) + leg_co2
    # (key, recomputed, digits the plan rounds to, tolerance): counts are exact.
    expected: list[tuple[str, float, int, float]] = [
        ("seminars", ctx.items.seminar_count, 0, 0),
        ("legs", ctx.items.leg_count, 0, 0),
        ("travel_hours", travel_min / 60, 2, TOTALS_TOLERANCE),
        ("night_travel_hours", night_min / 60, 2, TOTALS_TOLERANCE),
        ("cost", cost, 2, TOTALS_TOLERANCE),
        ("distance_km", distance, 1, TOTALS_TOLERANCE),
        ("co2_kg", co2, 1, TOTALS_TOLERANCE),
    ]
    for key, mine, digits, tolerance in expected:
        if key not in stated:
            yield Violation("totals", f"totals.{key}", f"totals has no {key}")
            continue
        yield from _compare(f"totals.{key}", key, mine, stated[key], digits, tolerance)
    currency = ctx.lookups.scenario.currency
    if "currency" in stated and stated["currency"] != currency:
        yield Violation("totals", "totals.currency", f"currency is {stated['currency']}, not {currency}")
    for key, mine_by_mode in (("distance_km_by_mode", km_by_mode), ("co2_kg_by_mode", co2_by_mode)):
        given = stated.get(key)
        if not isinstance(given, dict):
            continue
        for mode in sorted(set(given) | set(mine_by_mode)):
            mine = mine_by_mode.get(mode, 0.0)
            label = f"{key}[{mode}]"
            yield from _compare(
                f"totals.{key}.{mode}", label, mine, given.get(mode, 0.0), 1, TOTALS_TOLERANCE
            )


def region_coverage(ctx: Context) -> Iterator[Violation]:
    """A region counts as covered only if a seminar serving it is held; the points are those of the
    regions and cities covered, and the cities without a seminar are listed as uncovered."""
    coverage = ctx.plan.get("coverage")
    if not isinstance(coverage, dict):
        return  # a plan_format problem, or a plan with nothing in it
    rule, mine = "region_coverage", ctx.coverage
    regions = set(mine.regions)
    given = coverage.get("regions_covered")
    if not isinstance(given, list) or set(given) != regions:
        message = f"regions_covered is {given}, but the seminars held cover {sorted(regions)}"
        yield Violation(rule, "coverage.regions_covered", message)
    if coverage.get("points") != mine.points:
        yield Violation(
            rule, "coverage.points", f"points is {coverage.get('points')}, recomputed {mine.points}"
        )
    if "max_points" in coverage and coverage["max_points"] != mine.max_points:
        message = f"max_points is {coverage['max_points']}, recomputed {mine.max_points}"
        yield Violation(rule, "coverage.max_points", message)
    uncovered = coverage.get("regions_uncovered")
    expected_uncovered = set(mine.region_weights) - regions
    if isinstance(uncovered, list) and set(uncovered) != expected_uncovered:
        message = f"regions_uncovered is {uncovered}, expected {sorted(expected_uncovered)}"
        yield Violation(rule, "coverage.regions_uncovered", message)
    listed = {str(u.get("city")) for u in ctx.uncovered if isinstance(u, dict)}
    for city in sorted(listed & mine.held):
        yield Violation(rule, "uncovered", f"{ctx.name(city)} is listed as uncovered but holds a seminar")
    for city in sorted(set(ctx.lookups.seminar_of) - mine.held - listed):
        yield Violation(
            rule, "uncovered", f"{ctx.name(city)} holds no seminar and is not listed as uncovered"
        )


def _leg_money(ctx: Context, leg: Leg) -> float:
    """A leg's money as the plan states it when it agrees with the fare or road (else the
    recomputed figure, rounded to 0.01 as rule 20 rounds it)."""
    figures = _road_money(ctx, leg) if leg.is_drive else ride_figures(leg, ctx.stop_pair(leg), ctx.lookups)
    mine = figures[1] if figures is not None else None
    given = as_number(leg.raw.get("cost"))
    if given is not None and (mine is None or abs(round(mine, 2) - given) <= COST_TOLERANCE):
        return given
    return round(mine, 2) if mine is not None else 0.0


def _connection_cost(ctx: Context, conn: Connection, legs: list[Leg]) -> int:
    """Secondary cost of a connection in 1/60 points (rule 24), from its legs."""
    weights = ctx.lookups.scenario.objective
    leave = connection_leave(legs[0], ctx.lookups) if legs else None
    arrive = connection_arrive(legs[-1], ctx.lookups) if legs else None
    leave = leave if leave is not None else conn.leave
    arrive = arrive if arrive is not None else conn.arrive
    travel = minutes_between(leave, arrive)
    night = window_minutes(leave, arrive, ctx.lookups.rules.night, ctx.lookups.home)
    money = round(sum(_leg_money(ctx, leg) for leg in legs), 2)
    return (
        travel * weights.travel_per_hour
        + night * weights.night_per_hour
        + round(money * weights.cost_per_unit * 60)
    )


def _secondary(ctx: Context) -> int:
    """The secondary cost (1/60 points) of the connections the delegation sets off on from ``since``
    (those it left for before then, under way or done, are the past the version did not plan)."""
    total = 0
    for conn in ctx.connections:
        legs = ctx.legs_of(conn)
        if ctx.since is None or conn.leave >= ctx.since:
            total += _connection_cost(ctx, conn, legs)
    return total


def _objective_terms(ctx: Context) -> tuple[tuple[int, int, int] | None, Violation | None]:
    """(scale, divisor, stability_scale) as the plan states them, None when it states none (a plan
    without an objective, or written before the terms were published); and what is wrong with them."""
    solver = ctx.plan.get("solver")
    terms = solver.get("objective_terms") if isinstance(solver, dict) else None
    if terms is None:
        return None, None
    names = ("scale", "divisor", "stability_scale")
    values = [terms.get(k) for k in names] if isinstance(terms, dict) else []
    numbers = [v for v in values if is_integer(v) and v > 0]
    if len(numbers) != len(names):
        message = f"objective_terms is {terms!r}, not positive integers {', '.join(names)}"
        return None, Violation("objective", "solver.objective_terms", message)
    return (numbers[0], numbers[1], numbers[2]), None


def objective(ctx: Context) -> Iterator[Violation]:
    """The objective is the published formula over the plan's coverage, secondary and stability
    points; the bound does not exceed it, and equals it when OPTIMAL."""
    rule, plan = "objective", ctx.plan
    terms, problem = _objective_terms(ctx)
    if problem is not None:
        yield problem
    # A plan missing parts has no figures to recompute.
    secondary = _secondary(ctx) if ctx.figures_complete else 0
    coverage = plan.get("coverage")
    if ctx.figures_complete and isinstance(coverage, dict):
        given = coverage.get("secondary_points")
        mine = round(secondary / 60, 2)
        number = as_number(given)
        if number is None or abs(number - mine) > 1e-6:
            scope = f", from {show(ctx.since, ctx.lookups.home)} on" if ctx.since is not None else ""
            yield Violation(
                rule,
                "coverage.secondary_points",
                f"secondary_points is {given!r}, but the connections{scope} cost {mine:g} "
                f"({secondary} 1/60 points)",
            )
    status = plan.get("status")
    if status in NO_PLAN_STATUSES or "objective" not in plan:
        return  # no plan, or a document that states no objective figures at all
    stated = plan.get("objective")
    if not is_integer(stated):
        yield Violation(
            rule, "objective", f"a plan with status {status} states its objective, not {stated!r}"
        )
        return
    bound = plan.get("bound")
    if bound is not None and not is_integer(bound):
        yield Violation(rule, "bound", f"bound is {bound!r}, not an integer or null")
        return
    yield from _bound_and_gap(plan, stated, bound)
    solver = plan.get("solver")
    if terms is None and isinstance(solver, dict) and solver.get("objective_terms") is None:
        yield Violation(
            rule,
            "solver.objective_terms",
            f"a plan with status {status} and an objective states the terms that recompute it",
        )
    if ctx.figures_complete and terms is not None:
        yield from _objective_value(ctx, stated, secondary, terms)


def _bound_and_gap(plan: Mapping[str, Any], objective: int, bound: int | None) -> Iterator[Violation]:
    rule, status, gap = "objective", plan.get("status"), plan.get("gap")
    if bound is not None and bound > objective:
        yield Violation(
            rule, "bound", f"bound is {bound}, above the objective {objective}: a lower bound never is"
        )
    if status == "OPTIMAL" and bound != objective:
        message = f"status is OPTIMAL, so the bound must be the objective {objective}, not {bound}"
        yield Violation(rule, "bound", message)
    expected: float | None = None
    if bound is not None:
        expected = 0.0 if objective == 0 else max(0.0, (objective - bound) / abs(objective))
        expected = round(expected, GAP_DIGITS)
    stated = as_number(gap)
    if expected is None and gap is not None:
        yield Violation(rule, "gap", f"gap is {gap!r}, but without a bound there is none")
    elif expected is not None and (stated is None or abs(stated - expected) > 1e-9):
        yield Violation(rule, "gap", f"gap is {gap!r}, but (objective - bound) / |objective| is {expected:g}")
    elif status == "OPTIMAL" and gap:
        yield Violation(rule, "gap", f"status is OPTIMAL, so the gap must be 0, not {gap!r}")


def _objective_value(
    ctx: Context, objective: int, secondary: int, terms: tuple[int, int, int]
) -> Iterator[Violation]:
    """The objective recomputed with the scale and divisor the plan states."""
    rule = "objective"
    scale, divisor, unit = terms
    if ctx.stability is not None:
        stability = ctx.stability.points
    else:
        stated = ctx.plan.get("stability_points")
        stability = stated if is_integer(stated) else 0
    cost = secondary + unit * stability
    points, most = ctx.coverage.points, ctx.coverage.max_points
    mine = scale * (most - points) + cost // divisor
    if objective != mine:
        yield Violation(
            rule,
            "objective",
            f"objective is {objective}, recomputed {mine} = {scale} x ({most} - "
            f"{points}) uncovered points + ({secondary} secondary + {unit} x {stability} "
            f"stability) // {divisor}",
        )
    if cost % divisor:
        yield Violation(
            rule,
            "solver.objective_terms.divisor",
            f"divisor {divisor} does not divide the plan's cost {cost} (secondary {secondary} + "
            f"{unit} x {stability} stability), as it divides every cost of the model",
        )
    if cost // divisor >= scale:
        yield Violation(
            rule,
            "solver.objective_terms.scale",
            f"scale {scale} (one coverage point) does not outweigh the plan's own cost "
            f"{cost} // {divisor} = {cost // divisor}",
        )
