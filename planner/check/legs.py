"""The rules of each leg and of the connections they make up."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence

from planner.check.basics import (
    Violation,
    after,
    day_text,
    gap_text,
    in_window,
    in_zone,
    minutes_between,
    road_minutes,
    show,
    slowed,
    window_span,
)
from planner.check.context import Context
from planner.check.parse import Connection, Leg
from planner.check.rides import connection_arrive, connection_leave
from planner.daylight import daylight
from planner.domain import DisruptionKind, Road


def leg_in_timetable(ctx: Context) -> Iterator[Violation]:
    """Every ride is a run of a scenario service on a day it runs, between two of its stops."""
    for leg in ctx.legs:
        reading = ctx.rides.get(leg.index)
        for problem in reading.problems if reading is not None else ():
            yield Violation("leg_in_timetable", leg.where, problem)


def drive_on_road(ctx: Context) -> Iterator[Violation]:
    """Every drive follows a scenario road, inside its daylight window, taking its time."""
    frozen = ctx.frozen.leg_indices
    for leg in ctx.legs:
        if leg.is_drive:
            yield from _drive_problems(ctx, leg, leg.index in frozen)


def _drive_problems(ctx: Context, leg: Leg, frozen: bool) -> Iterator[Violation]:
    rule, where = "drive_on_road", leg.where
    road = ctx.lookups.roads.get(leg.service)
    if road is None:
        yield Violation(rule, where, f"{leg.service} is not a road of the scenario")
        return
    ends = [(road.a, road.b)] + ([(road.b, road.a)] if road.both_ways else [])
    if (leg.origin, leg.destination) not in ends:
        way = "either way" if road.both_ways else f"one way, {road.a} to {road.b}"
        yield Violation(
            rule,
            where,
            f"road {road.id} joins {road.a} and {road.b} ({way}); the leg drives {leg.origin} to "
            f"{leg.destination}",
        )
        return
    if (leg.from_city, leg.to_city) != (leg.origin, leg.destination):
        yield Violation(
            rule,
            where,
            f"from_city/to_city {leg.from_city}/{leg.to_city} differ from the road ends "
            f"{leg.origin}/{leg.destination}",
        )
    base = road_minutes(road)
    slowdowns = ctx.lookups.slowdowns(road, leg.depart)
    minutes = slowed(base, [e.event.factor or 1.0 for e in slowdowns])
    taken = minutes_between(leg.depart, leg.arrive)
    # A frozen drive had set off before the slowdown was known: either duration will do.
    allowed = {base, minutes, *(slowed(base, [e.event.factor or 1.0]) for e in slowdowns)}
    if taken != minutes and not (frozen and taken in allowed):
        why = f" ({'; '.join(e.text() for e in slowdowns)})" if slowdowns else ""
        yield Violation(rule, where, f"road {road.id} takes {minutes} min{why}, the drive takes {taken} min")
    # The window holds the whole drive as it is really driven (slowed), or as planned when frozen.
    end = leg.depart + after(base) if frozen else max(leg.arrive, leg.depart + after(minutes))
    yield from _driving_window(ctx, leg, road, end)


def _driving_window(ctx: Context, leg: Leg, road: Road, end: dt.datetime) -> Iterator[Violation]:
    window = road.driving_window or ctx.lookups.rules.driving_window
    zone = ctx.lookups.cities[leg.origin].zone
    day = in_zone(leg.depart, zone).date()
    # A window wrapping past midnight may have opened the day before (rule 16).
    days = (day - dt.timedelta(days=1), day)
    spans = [window_span(window, d, zone) for d in days]
    if not any(opens <= leg.depart and end <= closes for opens, closes in spans):
        yield Violation(
            "drive_on_road",
            leg.where,
            f"drive on {road.id} from {show(leg.depart, zone)} to {show(end, zone)} is outside "
            f"the driving window {window.start}-{window.end} in {ctx.name(leg.origin)}",
        )
    elif ctx.lookups.rules.daylight_driving:
        city = ctx.lookups.cities[leg.origin]
        for d, (opens, closes) in zip(days, spans, strict=True):
            sun = daylight(city.lat, city.lon, d, zone)
            if (
                opens <= leg.depart
                and end <= closes
                and sun is not None
                and sun[0] <= leg.depart
                and end <= sun[1]
            ):
                return
        yield Violation(
            "drive_on_road",
            leg.where,
            f"drive on {road.id} from {show(leg.depart, zone)} to {show(end, zone)} is not in daylight "
            f"in {ctx.name(leg.origin)} (the delegation drives from sunrise to sunset only)",
        )


def _unfrozen_legs(ctx: Context) -> Iterator[Leg]:
    """The legs the events judge: not those that had left before the events came."""
    frozen = ctx.frozen.leg_indices
    return (leg for leg in ctx.legs if leg.index not in frozen)


def not_closed(ctx: Context) -> Iterator[Violation]:
    """No leg uses a terminal or road while it is closed."""
    for leg in _unfrozen_legs(ctx):
        depart, arrive = ctx.times(leg)
        for shut in ctx.lookups.shutdowns:
            zone, span = shut.zone, shut.text
            if leg.is_drive:
                if leg.service in shut.roads and depart < shut.end and shut.start < arrive:
                    yield Violation(
                        "not_closed",
                        leg.where,
                        f"drive on {leg.service} {show(depart, zone)} to "
                        f"{show(arrive, zone)} meets a road closure ({span})",
                    )
                continue
            if shut.terminal == leg.origin and shut.start <= depart < shut.end:
                yield Violation(
                    "not_closed",
                    leg.where,
                    f"{leg.service} departs {leg.origin} at {show(depart, zone)} while it is closed ({span})",
                )
            if shut.terminal == leg.destination and shut.start <= arrive < shut.end:
                yield Violation(
                    "not_closed",
                    leg.where,
                    f"{leg.service} arrives at {leg.destination} at {show(arrive, zone)} "
                    f"while it is closed ({span})",
                )


def not_cancelled(ctx: Context) -> Iterator[Violation]:
    """No ride uses a cancelled run."""
    for leg in _unfrozen_legs(ctx):
        service = ctx.lookups.services.get(leg.service)
        if leg.is_drive or service is None or leg.run_date is None:
            continue
        for event in ctx.lookups.run_events(DisruptionKind.SERVICE_CANCELLED, service, leg.run_date):
            yield Violation(
                "not_cancelled",
                leg.where,
                f"the {service.id} run of {day_text(leg.run_date)} is cancelled ({event.text()})",
            )


def _leg_cities(ctx: Context, leg: Leg) -> tuple[str, str]:
    """The cities a leg really starts and ends in (by terminal), else what it claims."""
    if leg.is_drive:
        return leg.origin, leg.destination
    start = ctx.lookups.terminal_city.get(leg.origin)
    end = ctx.lookups.terminal_city.get(leg.destination)
    return (start.id if start else leg.from_city), (end.id if end else leg.to_city)


def quiet_hours(ctx: Context) -> Iterator[Violation]:
    """No leg departs (or arrives) during the delegation's quiet hours."""
    quiet = ctx.lookups.rules.quiet_hours
    if quiet is None:
        return
    for leg in _unfrozen_legs(ctx):
        for moment, city_id, what in zip(
            ctx.times(leg), _leg_cities(ctx, leg), ("departs", "arrives"), strict=True
        ):
            zone = ctx.lookups.zone(city_id)
            if zone is None:
                continue
            local = in_zone(moment, zone)
            if in_window(quiet, local.hour * 60 + local.minute):
                yield Violation(
                    "quiet_hours",
                    leg.where,
                    f"{leg.label} {what} at {show(local)} in {ctx.name(city_id)}, inside the quiet hours "
                    f"{quiet.start}-{quiet.end}",
                )


def _parsed_legs(ctx: Context, conn: Connection) -> list[Leg] | None:
    """The connection's legs in order, or None when one of them did not parse (a plan_format
    problem already)."""
    legs = [ctx.leg_at.get(i) for i in conn.legs]
    if any(leg is None for leg in legs):
        return None
    return [leg for leg in legs if leg is not None]


def legs_chain(ctx: Context) -> Iterator[Violation]:
    """A connection's legs chain: each starts where the previous ended, after the transfer it needs."""
    for conn in ctx.connections:
        if not conn.legs or any(not 0 <= i < ctx.items.leg_count for i in conn.legs):
            continue  # reported under connection_times
        legs = _parsed_legs(ctx, conn)
        if legs is not None:
            yield from _chain_problems(ctx, conn, legs)
    for leg in ctx.legs:
        if leg.arrive < leg.depart:
            yield Violation("legs_chain", leg.where, f"{leg.label} arrives before it departs")


def _chain_problems(ctx: Context, conn: Connection, legs: Sequence[Leg]) -> Iterator[Violation]:
    for prev, nxt in itertools.pairwise(legs):
        where = nxt.where
        pair = f"in {conn.where}, legs {prev.index} -> {nxt.index}"
        if nxt.from_city != prev.to_city:
            yield Violation(
                "legs_chain",
                where,
                f"{pair}: {prev.label} ends in {ctx.name(prev.to_city)}, but {nxt.label} starts in "
                f"{ctx.name(nxt.from_city)}",
            )
            continue
        need, why = _gap_needed(ctx, prev, nxt)
        if need is None:
            continue
        gap = minutes_between(prev.arrive, nxt.depart)
        if gap < need:
            zone = ctx.lookups.zone(nxt.from_city)
            yield Violation(
                "legs_chain",
                where,
                f"{pair}: {prev.label} arrives {show(prev.arrive, zone)} and {nxt.label} departs "
                f"{show(nxt.depart, zone)}, {gap_text(gap)}; {why} needs {need} min",
            )


def _gap_needed(ctx: Context, prev: Leg, nxt: Leg) -> tuple[int | None, str]:
    """Minimum minutes between two consecutive legs, and what they are for."""
    terminals = ctx.lookups.terminals
    if prev.is_drive and nxt.is_drive:
        return 0, "driving on"
    if prev.is_drive:
        board = terminals.get(nxt.origin)
        if board is None:
            return None, ""
        return ctx.lookups.boarding_lead(board), f"access and check-in at {nxt.origin}"
    alight = terminals.get(prev.destination)
    if alight is None:
        return None, ""
    if nxt.is_drive:
        return alight.access_min, f"access from {prev.destination}"
    board = terminals.get(nxt.origin)
    if board is None:
        return None, ""
    if prev.destination == nxt.origin:
        transfer = board.check_in_min if board.transfer_min is None else board.transfer_min
        return transfer, f"the transfer at {nxt.origin}"
    return (
        alight.access_min + ctx.lookups.boarding_lead(board),
        f"access from {prev.destination}, to {nxt.origin} and check-in",
    )


def connection_times(ctx: Context) -> Iterator[Violation]:
    """A connection's cities, leave, arrive and travel minutes are those of its legs; each leg
    belongs to exactly one connection."""
    owners: dict[int, list[int]] = {}
    for conn in ctx.connections:
        for i in conn.legs:
            owners.setdefault(i, []).append(conn.index)
        bad = [i for i in conn.legs if not 0 <= i < ctx.items.leg_count]
        if bad:
            yield Violation("connection_times", conn.where, f"leg indices {bad} do not exist")
        elif not conn.legs:
            yield Violation("connection_times", conn.where, "a connection without legs")
        elif (legs := _parsed_legs(ctx, conn)) is not None:
            yield from _connection_problems(ctx, conn, legs)
    for i in range(ctx.items.leg_count):
        holders = owners.get(i, [])
        if len(holders) != 1:
            held = ", ".join(f"connections.{c}" for c in holders) or "no connection"
            yield Violation("connection_times", f"legs.{i}", f"the leg belongs to {held}, not exactly one")


def _connection_problems(ctx: Context, conn: Connection, legs: Sequence[Leg]) -> Iterator[Violation]:
    rule, where = "connection_times", conn.where
    first, last = legs[0], legs[-1]
    if conn.from_city != first.from_city:
        message = f"from_city is {conn.from_city}, but the first leg starts in {first.from_city}"
        yield Violation(rule, where, message)
    if conn.to_city != last.to_city:
        yield Violation(rule, where, f"to_city is {conn.to_city}, but the last leg ends in {last.to_city}")
    leave = connection_leave(first, ctx.lookups)
    from_zone = ctx.lookups.zone(conn.from_city)
    if leave is not None and leave != conn.leave:
        yield Violation(
            rule,
            where,
            f"leave is {show(conn.leave, from_zone)}, but {first.label} departs "
            f"{show(first.depart, from_zone)}, so the delegation leaves the centre at "
            f"{show(leave, from_zone)}",
        )
    arrive = connection_arrive(last, ctx.lookups)
    to_zone = ctx.lookups.zone(conn.to_city)
    if arrive is not None and arrive != conn.arrive:
        yield Violation(
            rule,
            where,
            f"arrive is {show(conn.arrive, to_zone)}, but {last.label} arrives "
            f"{show(last.arrive, to_zone)}, so the delegation reaches the centre at "
            f"{show(arrive, to_zone)}",
        )
    travel = conn.raw.get("travel_min")
    actual = minutes_between(conn.leave, conn.arrive)
    if travel != actual:
        yield Violation(rule, where, f"travel_min is {travel}, but leave to arrive is {actual} min")
