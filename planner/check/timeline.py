"""The rules of the seminars and of the trip as a whole, walked in time order."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from planner.check.basics import (
    MAX_DAYS_WALKED,
    NO_PLAN_STATUSES,
    Violation,
    at,
    clock_minutes,
    day_text,
    in_zone,
    is_working_day,
    minutes_between,
    overlap,
    show,
    window_span,
)
from planner.check.context import Context
from planner.check.parse import Connection, Seminar
from planner.domain import DisruptionKind
from planner.domain import Seminar as AskedSeminar

Item = Seminar | Connection


def _itinerary(ctx: Context) -> list[Item]:
    """The seminars and connections in time order."""
    items: list[Item] = [*ctx.seminars, *ctx.connections]

    def key(item: Item) -> tuple[dt.datetime, dt.datetime]:
        if isinstance(item, Seminar):
            return item.start, item.end
        return item.leave, item.arrive

    return sorted(items, key=key)


def start_and_end(ctx: Context) -> Iterator[Violation]:
    """The trip leaves the start city no earlier than the start and reaches the end city by the end."""
    rule = "start_and_end"
    delegation = ctx.lookups.scenario.delegation
    status = ctx.plan.get("status")
    items = _itinerary(ctx)
    if not items and not ctx.legs and status in NO_PLAN_STATUSES:
        return  # no plan, nothing to judge
    reports = ctx.reports.expected
    if items:
        first = items[0]
        begins_in = first.city if isinstance(first, Seminar) else first.from_city
        begins = first.start if isinstance(first, Seminar) else first.leave
        reported = [city for moment, city in reports if moment <= begins]
        if begins_in != delegation.start_city and not (reported and begins_in == reported[-1]):
            yield Violation(
                rule,
                first.where,
                f"the trip begins in {ctx.name(begins_in)}, not in the start city "
                f"{ctx.name(delegation.start_city)}",
            )
        last = items[-1]
        final = last.city if isinstance(last, Seminar) else last.to_city
        last_begins = last.start if isinstance(last, Seminar) else last.leave
        later = [city for moment, city in reports if moment > last_begins]
        if later:
            # Nothing planned after the last report: the trip ends where the coordinator said.
            final = later[-1]
    else:
        final = reports[-1][1] if reports else delegation.start_city
    if status in NO_PLAN_STATUSES:
        yield from _nothing_planned(ctx, status)
        return
    if final != delegation.end_city:
        yield Violation(
            rule,
            items[-1].where if items else "connections",
            f"the trip ends in {ctx.name(final)}, not in the end city {ctx.name(delegation.end_city)}",
        )
    yield from _inside_the_trip_window(ctx)


def _nothing_planned(ctx: Context, status: str) -> Iterator[Violation]:
    """No plan was found: a replan lists only the past it keeps, which need not end anywhere in
    particular; nothing else may be listed."""
    starts = [(leg.where, leg.depart) for leg in ctx.legs] + [(s.where, s.start) for s in ctx.seminars]
    for where, begins in starts:
        if ctx.now is None or begins >= ctx.now:
            yield Violation(
                "start_and_end",
                where,
                f"the status is {status} (no plan), but this is planned "
                + ("after now" if ctx.now is not None else "all the same"),
            )


def _inside_the_trip_window(ctx: Context) -> Iterator[Violation]:
    lookups = ctx.lookups
    delegation = lookups.scenario.delegation
    start_zone = lookups.cities[delegation.start_city].zone
    end_zone = lookups.cities[delegation.end_city].zone
    spans = [(leg.where, leg.depart, leg.arrive) for leg in ctx.legs]
    spans += [(s.where, s.start, s.end) for s in ctx.seminars]
    spans += [(c.where, c.leave, c.arrive) for c in ctx.connections]
    for where, moment, _ in spans:
        if moment < lookups.earliest:
            yield Violation(
                "start_and_end",
                where,
                f"starts at {show(moment, start_zone)}, before the earliest departure "
                f"{show(lookups.earliest, start_zone)}",
            )
    for where, _, moment in spans:
        if moment > lookups.latest:
            yield Violation(
                "start_and_end",
                where,
                f"ends at {show(moment, end_zone)}, after the latest return {show(lookups.latest, end_zone)}",
            )


def seminar_fits(ctx: Context) -> Iterator[Violation]:
    """Each seminar is one the scenario asks for, of its length, inside its window, on a working day
    between its dates."""
    for held in ctx.seminars:
        seminar = ctx.lookups.seminar_of.get(held.city)
        if seminar is None:
            yield Violation("seminar_fits", held.where, f"the scenario has no seminar in {held.city}")
            continue
        yield from _seminar_problems(ctx, held, seminar)


def _seminar_problems(ctx: Context, held: Seminar, seminar: AskedSeminar) -> Iterator[Violation]:
    rule, where = "seminar_fits", held.where
    calendar = ctx.lookups.scenario.calendar
    first_day = calendar.start_date
    last_day = calendar.start_date + dt.timedelta(days=calendar.horizon_days - 1)
    name = ctx.name(held.city)
    length = minutes_between(held.start, held.end)
    if length != seminar.duration_min:
        yield Violation(rule, where, f"the seminar in {name} lasts {length} min, not {seminar.duration_min}")
    day, problem = _start_problem(ctx, held, seminar)
    if problem is not None:
        yield Violation(rule, where, problem)
    if not first_day <= day <= last_day:
        yield Violation(
            rule,
            where,
            f"the seminar in {name} is on {day_text(day)}, outside the horizon "
            f"{first_day.isoformat()} to {last_day.isoformat()}",
        )
    if seminar.earliest_date and day < seminar.earliest_date:
        yield Violation(rule, where, f"{name}: {day_text(day)} is before {seminar.earliest_date.isoformat()}")
    if seminar.latest_date and day > seminar.latest_date:
        yield Violation(rule, where, f"{name}: {day_text(day)} is after {seminar.latest_date.isoformat()}")
    if not seminar.any_day and not is_working_day(ctx.lookups.scenario, day):
        yield Violation(rule, where, f"the seminar in {name} is on {day_text(day)}, not a working day")


def _start_problem(ctx: Context, held: Seminar, seminar: AskedSeminar) -> tuple[dt.date, str | None]:
    """The seminar's date (the day its window opened) and what is wrong with its start, if anything."""
    zone = ctx.lookups.cities[held.city].zone
    name = ctx.name(held.city)
    local = in_zone(held.start, zone)
    day = local.date()
    if seminar.window is None:
        allowed = sorted({clock_minutes(t) for t in seminar.start_times})
        if local.hour * 60 + local.minute not in allowed or local.second:
            return day, (
                f"the seminar in {name} starts at {show(local)}; allowed local starts are "
                f"{', '.join(seminar.start_times)}"
            )
        return day, None
    # A window wrapping past midnight that opened the day before holds the
    # early-morning starts (rule 6); its date is the day it opened.
    for window_day in (day, day - dt.timedelta(days=1)):
        opens, closes = window_span(seminar.window, window_day, zone)
        offset = minutes_between(opens, held.start)
        start_ok = offset >= 0 and offset % seminar.step_min == 0 and not local.second
        end_ok = held.start + dt.timedelta(minutes=seminar.duration_min) <= closes
        if start_ok and end_ok:
            return window_day, None
    return day, (
        f"the seminar in {name} starts at {show(local)}; it must start at "
        f"{seminar.window.start} plus a multiple of {seminar.step_min} min and end by "
        f"{seminar.window.end}"
    )


def one_seminar_per_city(ctx: Context) -> Iterator[Violation]:
    """At most one seminar per city."""
    counts = Counter(s.city for s in ctx.seminars)
    for held in ctx.seminars:
        if counts[held.city] > 1:
            others = [f"seminars.{s.index}" for s in ctx.seminars if s.city == held.city]
            yield Violation(
                "one_seminar_per_city",
                held.where,
                f"{ctx.name(held.city)} holds {counts[held.city]} seminars ({', '.join(others)})",
            )


def city_available(ctx: Context) -> Iterator[Violation]:
    """No seminar while its city is unavailable (a seminar begun before the event came excepted)."""
    frozen = ctx.frozen.seminar_indices
    unavailable = ctx.lookups.of_kind(DisruptionKind.CITY_UNAVAILABLE)
    for held in ctx.seminars:
        if held.index in frozen:
            continue
        for event in unavailable:
            if event.event.city == held.city and held.start < event.end and event.start < held.end:
                zone = ctx.lookups.cities[held.city].zone
                yield Violation(
                    "city_available",
                    held.where,
                    f"the seminar in {ctx.name(held.city)} {show(held.start, zone)} to "
                    f"{show(held.end, zone)} meets a time the city is unavailable ({event.text()})",
                )


@dataclass(frozen=True)
class _Step:
    """One item of the itinerary, with where the delegation is and what came just before it."""

    item: Item
    begins: dt.datetime
    ends: dt.datetime
    at: str  # the city the item begins in
    what: str  # how a message names it
    place: str | None  # where the delegation is then (None: nothing says yet)
    free_since: dt.datetime | None  # when the previous item ended
    previous: Item | None  # the item just before (None after a report)


def _walk(ctx: Context) -> Iterator[_Step]:
    """The itinerary in time order, following the delegation (and the coordinators' reports)."""
    place: str | None = None  # the first item decides (start_and_end judges it)
    free_since: dt.datetime | None = None
    previous: Item | None = None
    reports = list(ctx.reports.expected)
    for item in _itinerary(ctx):
        if isinstance(item, Seminar):
            begins, ends, begins_in = item.start, item.end, item.city
            what = f"the seminar in {ctx.name(item.city)}"
        else:
            begins, ends, begins_in = item.leave, item.arrive, item.from_city
            what = f"the connection {ctx.name(item.from_city)} -> {ctx.name(item.to_city)}"
        while reports and begins >= reports[0][0]:
            # The coordinator's word: from that moment the delegation is in that city.
            moment, place = reports.pop(0)
            previous = None
            free_since = moment if free_since is None else min(free_since, moment)
        yield _Step(item, begins, ends, begins_in, what, place, free_since, previous)
        place = item.city if isinstance(item, Seminar) else item.to_city
        free_since = ends
        previous = item


def no_two_places(ctx: Context) -> Iterator[Violation]:
    """The delegation is in one place at a time: seminars and connections follow each other in time."""
    for step in _walk(ctx):
        where, zone = step.item.where, ctx.lookups.zone(step.at)
        if step.place is not None and step.at != step.place:
            yield Violation(
                "no_two_places",
                where,
                f"{step.what} begins {show(step.begins, zone)}, but the delegation is in "
                f"{ctx.name(step.place)} then",
            )
        if step.free_since is not None and step.begins < step.free_since:
            yield Violation(
                "no_two_places",
                where,
                f"{step.what} begins {show(step.begins, zone)}, before the previous item ends at "
                f"{show(step.free_since, zone)}",
            )
        if step.ends < step.begins:
            yield Violation("no_two_places", where, f"{step.what} ends before it begins")


def buffers(ctx: Context) -> Iterator[Violation]:
    """A connection leaves the city of the seminar before it no sooner than the buffer after it."""
    after = ctx.lookups.rules.after_seminar_min
    if not after:
        return
    for step in _walk(ctx):
        connection, previous = step.item, step.previous
        if not isinstance(connection, Connection) or not isinstance(previous, Seminar):
            continue
        gap = minutes_between(previous.end, connection.leave)
        if gap < after:
            zone = ctx.lookups.zone(step.at)
            yield Violation(
                "buffers",
                connection.where,
                f"{step.what} leaves {show(connection.leave, zone)}, {gap} min after the seminar ends at "
                f"{show(previous.end, zone)}; the delegation asks for {after} min",
            )


def prep_time(ctx: Context) -> Iterator[Violation]:
    """The delegation arrives the preparation time before each seminar."""
    prep = ctx.lookups.rules.min_prep_min
    for step in _walk(ctx):
        seminar, previous = step.item, step.previous
        if not isinstance(seminar, Seminar) or not isinstance(previous, Connection):
            continue
        if previous.to_city != seminar.city:
            continue
        gap = minutes_between(previous.arrive, seminar.start)
        if gap < prep:
            zone = ctx.lookups.zone(step.at)
            yield Violation(
                "prep_time",
                seminar.where,
                f"{step.what} starts {show(seminar.start, zone)}, {gap} min after arriving at "
                f"{show(previous.arrive, zone)}; at least {prep} min are needed",
            )


def required_cities(ctx: Context) -> Iterator[Violation]:
    """Every required city holds its seminar, or the plan says why it cannot."""
    held = {s.city for s in ctx.seminars}
    reported = {u.get("city") for u in ctx.uncovered if isinstance(u, dict) and u.get("required") is True}
    for index, seminar in enumerate(ctx.lookups.scenario.seminars):
        if seminar.required and seminar.city not in held and seminar.city not in reported:
            yield Violation(
                "required_cities",
                f"scenario.seminars.{index}",
                f"the seminar in {ctx.name(seminar.city)} is required but not held, and the plan does "
                "not report it as uncovered",
            )


def daily_travel_limit(ctx: Context) -> Iterator[Violation]:
    """Door-to-door travel per home-zone day stays within the delegation's limit."""
    home, limit = ctx.lookups.home, ctx.lookups.rules.max_travel_min_per_day
    frozen_legs = ctx.frozen.leg_indices
    per_day: dict[dt.date, int] = {}
    # Travel under way before `now` is a fact (a delay may stretch it past the limit): it
    # counts, and a day it alone fills allows no more (rule 22).
    frozen_per_day: dict[dt.date, int] = {}
    who: dict[dt.date, list[str]] = {}
    for conn in ctx.connections:
        frozen = bool(conn.legs) and all(i in frozen_legs for i in conn.legs)
        day = in_zone(conn.leave, home).date()
        # A connection longer than the horizon is nonsense reported elsewhere; do not walk it.
        for _ in range(MAX_DAYS_WALKED):
            midnight = at(day, 0, home)
            if midnight >= conn.arrive:
                break
            share = overlap(conn.leave, conn.arrive, midnight, at(day, 24 * 60, home))
            if share:
                per_day[day] = per_day.get(day, 0) + share
                if frozen:
                    frozen_per_day[day] = frozen_per_day.get(day, 0) + share
                who.setdefault(day, []).append(f"{conn.where} {share} min" + (" under way" if frozen else ""))
            day += dt.timedelta(days=1)
    home_city = ctx.lookups.scenario.delegation.start_city
    for day, minutes in sorted(per_day.items()):
        if minutes > max(limit, frozen_per_day.get(day, 0)):
            yield Violation(
                "daily_travel_limit",
                f"days.{day.isoformat()}",
                f"{minutes} min of travel on {day_text(day)} ({home.key} time, the zone of "
                f"{ctx.name(home_city)}: {', '.join(who[day])}); the limit is {limit} min",
            )
