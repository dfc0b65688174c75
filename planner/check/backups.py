"""The rule ``backup_legs``: each leg's backup (what to take if the leg is cancelled) is real.

A backup is judged like a connection of the plan under one more event: the leg's own run
cancelled (a drive: its road closed until midnight at the city it leaves, that day). Its legs
are rides of the timetable or drives on the roads (as ``leg_in_timetable`` and
``drive_on_road`` judge them), none on the cancelled run or the closed road, none on a run
cancelled or through a terminal or road closed by the events in force; they chain (as
``legs_chain`` judges it) from the city the leg leaves, leaving its centre no earlier than the
leg's departure, to the city its connection reaches, and ``arrive`` is when the last one
reaches that city's centre. ``keeps_seminar`` is true only when that is the preparation time
before the next seminar there (or, for the connection that ends the trip, by the latest
return). A leg of a replanned version that departed before its ``now`` has no backup.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Mapping
from typing import Any

from planner.check.basics import Violation, after, at, in_zone, minutes_between, show
from planner.check.context import Context
from planner.check.legs import _drive_problems, _gap_needed
from planner.check.parse import Leg, read_moment
from planner.check.rides import connection_arrive, connection_leave, read_ride
from planner.domain import DisruptionKind

RULE = "backup_legs"
_LEG_KEYS = ("mode", "service", "from", "to", "from_city", "to_city", "depart", "arrive")


def backup_legs(ctx: Context) -> Iterator[Violation]:
    """Each leg's backup is real: its legs exist, avoid the cancelled run, chain end to end, and
    it keeps the seminar only if it arrives in time."""
    raw_legs = ctx.plan.get("legs")
    if not isinstance(raw_legs, list):
        return
    for index, item in enumerate(raw_legs):
        backup = item.get("backup") if isinstance(item, dict) else None
        leg = ctx.leg_at.get(index)
        if backup is None or leg is None:
            continue
        where = f"legs.{index}.backup"
        if not isinstance(backup, dict):
            yield Violation(RULE, where, "a backup is an object")
            continue
        if ctx.since is not None and leg.depart < ctx.since:
            yield Violation(RULE, where, f"{leg.label} departed before now: the past has no backup")
            continue
        yield from _judge(ctx, leg, backup, where)


def _judge(ctx: Context, cancelled: Leg, backup: Mapping[str, Any], where: str) -> Iterator[Violation]:
    raw = backup.get("legs")
    if not isinstance(raw, list):
        yield Violation(RULE, f"{where}.legs", "legs must be a list")
        return
    problems: list[Violation] = []
    legs = [_parse(ctx, item, f"{where}.legs.{j}", problems) for j, item in enumerate(raw)]
    yield from (Violation(RULE, p.where, p.message) for p in problems)
    if any(leg is None for leg in legs):
        return
    parsed = [leg for leg in legs if leg is not None]
    for j, leg in enumerate(parsed):
        yield from _leg_problems(ctx, cancelled, leg, f"{where}.legs.{j}")
    yield from _ends(ctx, cancelled, parsed, backup, where)


def _parse(ctx: Context, item: Any, where: str, problems: list[Violation]) -> Leg | None:
    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in _LEG_KEYS):
        problems.append(Violation(RULE, where, f"a backup leg needs {', '.join(_LEG_KEYS)} as strings"))
        return None
    depart = read_moment(item["depart"], f"{where}.depart", item["from_city"], ctx.lookups, problems)
    arrive = read_moment(item["arrive"], f"{where}.arrive", item["to_city"], ctx.lookups, problems)
    run_date = None
    if item.get("run_date") is not None:
        try:
            run_date = dt.date.fromisoformat(item["run_date"])
        except (TypeError, ValueError):
            problems.append(Violation(RULE, f"{where}.run_date", f"{item['run_date']!r} is not a date"))
            return None
    if depart is None or arrive is None:
        return None
    keys = (item["mode"], item["service"], item["from"], item["to"], item["from_city"], item["to_city"])
    return Leg(-1, *keys, depart, arrive, run_date, item)


def _closed_until(ctx: Context, cancelled: Leg) -> dt.datetime:
    """A cancelled drive's road is closed until midnight at the city it leaves."""
    zone = ctx.lookups.cities[cancelled.origin].zone
    return at(in_zone(cancelled.depart, zone).date() + dt.timedelta(days=1), 0, zone)


def _leg_problems(ctx: Context, cancelled: Leg, leg: Leg, where: str) -> Iterator[Violation]:
    """The leg exists (timetable or road), and uses neither the cancelled run nor anything the
    events in force shut."""
    if leg.is_drive:
        problems = [v.message for v in _drive_problems(ctx, leg, False)]
    else:
        problems = list(read_ride(leg, False, ctx.lookups).problems)
    yield from (Violation(RULE, where, problem) for problem in problems)
    if cancelled.is_drive and leg.is_drive and leg.service == cancelled.service:
        if cancelled.origin in ctx.lookups.cities and leg.depart < _closed_until(ctx, cancelled):
            yield Violation(RULE, where, f"drives {leg.service} the day it is assumed closed")
    elif not leg.is_drive and (leg.service, leg.run_date) == (cancelled.service, cancelled.run_date):
        yield Violation(RULE, where, f"rides the cancelled run of {leg.service} ({cancelled.run_date})")
    service = ctx.lookups.services.get(leg.service)
    if service is not None and leg.run_date is not None and not leg.is_drive:
        for event in ctx.lookups.run_events(DisruptionKind.SERVICE_CANCELLED, service, leg.run_date):
            yield Violation(RULE, where, f"the {service.id} run is cancelled ({event.text()})")
    for shut in ctx.lookups.shutdowns:
        hit = (
            leg.service in shut.roads and leg.depart < shut.end and shut.start < leg.arrive
            if leg.is_drive
            else any(
                shut.terminal == place and shut.start <= moment < shut.end
                for place, moment in ((leg.origin, leg.depart), (leg.destination, leg.arrive))
            )
        )
        if hit:
            yield Violation(RULE, where, f"{leg.label} meets a closure ({shut.text})")


def _ends(
    ctx: Context, cancelled: Leg, legs: list[Leg], backup: Mapping[str, Any], where: str
) -> Iterator[Violation]:
    """The legs chain from the cancelled leg's city to where its connection goes, and the
    arrival and ``keeps_seminar`` are what they say."""
    to_city = next((c.to_city for c in ctx.connections if cancelled.index in c.legs), backup.get("to_city"))
    if backup.get("to_city") != to_city:
        yield Violation(
            RULE, f"{where}.to_city", f"{backup.get('to_city')!r}, but the connection goes to {to_city}"
        )
    keeps = backup.get("keeps_seminar")
    if not isinstance(keeps, bool):
        yield Violation(RULE, f"{where}.keeps_seminar", "keeps_seminar must be true or false")
        return
    if not legs:
        if keeps or backup.get("arrive") is not None:
            yield Violation(RULE, f"{where}.keeps_seminar", "no legs: nothing arrives, nothing is kept")
        return
    first, last = legs[0], legs[-1]
    if first.from_city != cancelled.from_city:
        yield Violation(RULE, f"{where}.legs.0", f"starts in {first.from_city}, not {cancelled.from_city}")
    leave = connection_leave(first, ctx.lookups)
    if leave is not None and leave < cancelled.depart:
        yield Violation(
            RULE,
            f"{where}.legs.0",
            f"leaves at {show(leave)}, before the cancellation at {show(cancelled.depart)}",
        )
    for j, (prev, nxt) in enumerate(itertools.pairwise(legs), start=1):
        need, why = _gap_needed(ctx, prev, nxt)
        if nxt.from_city != prev.to_city:
            yield Violation(RULE, f"{where}.legs.{j}", f"starts in {nxt.from_city}, not {prev.to_city}")
        elif need is not None and minutes_between(prev.arrive, nxt.depart) < need:
            yield Violation(RULE, f"{where}.legs.{j}", f"{why} needs {need} min")
    if last.to_city != to_city:
        yield Violation(RULE, f"{where}.legs.{len(legs) - 1}", f"ends in {last.to_city}, not {to_city}")
    arrive = connection_arrive(last, ctx.lookups)
    stated = read_moment(backup.get("arrive"), f"{where}.arrive", str(to_city), ctx.lookups, [])
    if arrive is not None and stated != arrive:
        yield Violation(
            RULE,
            f"{where}.arrive",
            f"says {backup.get('arrive')}, the legs reach the centre at {show(arrive)}",
        )
    if keeps and arrive is not None:
        due = _due(ctx, backup.get("seminar_city"), cancelled)
        if due is None or arrive > due:
            yield Violation(
                RULE,
                f"{where}.keeps_seminar",
                f"true, but it arrives {show(arrive)}, after {show(due) if due else 'any seminar'}",
            )


def _due(ctx: Context, city: Any, cancelled: Leg) -> dt.datetime | None:
    """The latest arrival that keeps the next seminar in ``city`` (or the trip's end)."""
    if city is None:
        return ctx.lookups.latest
    start = min(
        (s.start for s in ctx.seminars if s.city == city and s.start > cancelled.depart), default=None
    )
    return None if start is None else start - after(ctx.lookups.rules.min_prep_min)
