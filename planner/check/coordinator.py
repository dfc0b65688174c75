"""The coordinators' own rules: rest days and the services and roads the delegation avoids.

The buffer after a seminar is judged in ``planner.check.timeline`` (it follows the itinerary
in time order); the departure buffer is part of every boarding's lead, judged with the
connection's leave in ``connection_times`` and between legs in ``legs_chain``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from planner.check.basics import Violation, show
from planner.check.context import Context


def _rest_spans(ctx: Context) -> list[tuple[dt.date, dt.datetime, dt.datetime]]:
    home = ctx.lookups.home
    spans = []
    for day in sorted(set(ctx.lookups.rules.rest_days)):
        begins = dt.datetime.combine(day, dt.time(), tzinfo=home)
        ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=home)
        spans.append((day, begins.astimezone(dt.UTC), ends.astimezone(dt.UTC)))
    return spans


def rest_days(ctx: Context) -> Iterator[Violation]:
    """No seminar on a rest day and no connection under way during one (home-zone dates)."""
    spans = _rest_spans(ctx)
    if not spans:
        return
    items = [(s.where, f"the seminar in {ctx.name(s.city)}", s.start, s.end, s.city) for s in ctx.seminars]
    for c in ctx.connections:
        what = f"the connection {ctx.name(c.from_city)} -> {ctx.name(c.to_city)}"
        items.append((c.where, what, c.leave, c.arrive, c.from_city))
    for where, what, begins, ends, city in items:
        for day, rest_begins, rest_ends in spans:
            if begins < rest_ends and rest_begins < ends:
                zone = ctx.lookups.zone(city)
                yield Violation(
                    "rest_days",
                    where,
                    f"{what} ({show(begins, zone)} to {show(ends, zone)}) falls on the rest day {day}",
                )


def avoided(ctx: Context) -> Iterator[Violation]:
    """No leg takes a service or drives a road the delegation avoids."""
    rules = ctx.lookups.rules
    for leg in ctx.legs:
        if leg.is_drive and leg.service in rules.avoid_roads:
            yield Violation("avoided", leg.where, f"drives {leg.service}, a road the delegation avoids")
        elif not leg.is_drive and leg.service in rules.avoid_services:
            yield Violation("avoided", leg.where, f"takes {leg.service}, a service the delegation avoids")
