"""The rules of a replan: its frozen past and its stability figures, against the previous version."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from planner.check.basics import DRIVE, Violation, minutes_between, road_minutes, show, slowed
from planner.check.context import Context
from planner.check.parse import Leg, loose_moment
from planner.check.previous import Change, LegKey
from planner.domain import DisruptionKind


def _late_arrivals(ctx: Context, leg: Leg) -> set[int]:
    """Minutes a frozen leg may arrive later than planned: a delay of its run, or a slowdown."""
    lookups = ctx.lookups
    if leg.is_drive:
        road = lookups.roads.get(leg.service)
        if road is None:
            return set()
        base = road_minutes(road)
        factors = [e.event.factor or 1.0 for e in lookups.slowdowns(road, leg.depart)]
        return {slowed(base, factors) - base, *(slowed(base, [f]) - base for f in factors)}
    service = lookups.services.get(leg.service)
    if service is None or leg.run_date is None:
        return set()
    delays = [
        e.event.delay_min or 0
        for e in lookups.run_events(DisruptionKind.SERVICE_DELAYED, service, leg.run_date)
    ]
    return {sum(delays), *delays}


def frozen_past(ctx: Context) -> Iterator[Violation]:
    """A replan keeps what was done or under way before now, and starts where the delegation was
    reported."""
    now = ctx.now
    if ctx.previous is None or now is None:
        return
    yield from _reported_positions(ctx, now)
    if not isinstance(ctx.previous, dict):
        return  # a plan_format problem
    yield from _frozen_legs(ctx, now)
    yield from _frozen_seminars(ctx, now)


def _reported_positions(ctx: Context, now: dt.datetime) -> Iterator[Violation]:
    """The plan's reported positions repeat the previous version's and add this report; its now
    is not before the previous version's."""
    home, reports = ctx.lookups.home, ctx.reports
    before = reports.previous_now
    if before is not None and now.replace(second=0, microsecond=0) < before.replace(second=0, microsecond=0):
        yield Violation(
            "frozen_past",
            "now",
            f"now ({show(now, home)}) is before the previous version's now "
            f"({show(before, home)}): what that version treated as done stays done",
        )
    if reports.stated is not None and reports.stated != reports.expected:
        zone = ctx.lookups.zone
        yield Violation(
            "frozen_past",
            "reported_positions",
            "the reported positions are "
            + ", ".join(f"{ctx.name(c)} at {show(m, zone(c))}" for m, c in reports.stated)
            + "; the previous version's and this report give "
            + ", ".join(f"{ctx.name(c)} at {show(m, zone(c))}" for m, c in reports.expected),
        )


def _frozen_legs(ctx: Context, now: dt.datetime) -> Iterator[Violation]:
    home = ctx.lookups.home
    for past, match in ctx.frozen.legs:
        what = f"{past.service} {past.origin} -> {past.destination}"
        if past.mode == DRIVE:
            what = f"the drive on {what}"
        if match is None:
            yield Violation(
                "frozen_past",
                past.where,
                f"{what} departed at {show(past.depart, home)}, before now ({show(now, home)}), "
                "but the plan has no such leg (same mode, service, ends, run date and departure)",
            )
            continue
        late = minutes_between(past.arrive, match.arrive)
        if late and late not in _late_arrivals(ctx, match):
            zone = ctx.lookups.zone(match.to_city)
            yield Violation(
                "frozen_past",
                match.where,
                f"{what} departed before now ({show(now, home)}) and was to arrive at "
                f"{show(past.arrive, zone)}; the plan says {show(match.arrive, zone)}, which no "
                "delay event explains",
            )
    frozen = ctx.frozen.leg_indices
    for leg in ctx.legs:
        if leg.depart < now and leg.index not in frozen:
            yield Violation(
                "frozen_past",
                leg.where,
                f"{leg.label} departs at {show(leg.depart, ctx.lookups.zone(leg.from_city))}, before now "
                f"({show(now, home)}), but the previous plan had no such leg",
            )


def _frozen_seminars(ctx: Context, now: dt.datetime) -> Iterator[Violation]:
    home = ctx.lookups.home
    for seminar, match_index in ctx.frozen.seminars:
        if match_index is None:
            zone = ctx.lookups.zone(seminar.city)
            yield Violation(
                "frozen_past",
                f"previous.seminars.{seminar.index}",
                f"the seminar in {ctx.name(seminar.city)} {show(seminar.start, zone)} to "
                f"{show(seminar.end, zone)} began before now ({show(now, home)}), but the plan does "
                "not hold it unchanged",
            )
    frozen = ctx.frozen.seminar_indices
    for held in ctx.seminars:
        if held.start < now and held.index not in frozen:
            yield Violation(
                "frozen_past",
                held.where,
                f"the seminar in {ctx.name(held.city)} starts at "
                f"{show(held.start, ctx.lookups.zone(held.city))}, before now ({show(now, home)}), but the "
                "previous plan had no such seminar",
            )


def stability(ctx: Context) -> Iterator[Violation]:
    """A replan's stability points and diff are those of its changes against the previous version."""
    figures = ctx.stability
    if figures is None:
        return
    weights = ctx.lookups.scenario.objective.stability
    given = ctx.plan.get("stability_points")
    if ctx.plan.get("objective") is not None and given != figures.points:
        changed = figures.changed
        yield Violation(
            "stability",
            "stability_points",
            f"stability_points is {given!r}, recomputed {figures.points}: "
            f"cities added {len(figures.added)} x {weights.add_city}, "
            f"seminars moved {len(figures.moved)} x {weights.move_seminar}, "
            f"cities dropped {len(figures.dropped)} x {weights.drop_city}, "
            f"connections changed {len(changed)} x "
            f"{weights.change_connection}" + (f" ({', '.join(changed)})" if changed else ""),
        )
    diff = ctx.plan.get("diff")
    if not isinstance(diff, dict):
        yield Violation("stability", "diff", "a replanned version carries its diff against the previous plan")
        return
    change = figures.change
    wanted = _seminar_changes(change)
    yield from _diff_seminars(ctx, diff.get("seminars"), wanted)
    yield from _diff_legs(ctx, diff.get("legs"), change)
    count = sum(len(v) for k, v in wanted.items() if k != "kept") + len(change.removed) + len(change.added)
    if diff.get("changes") != count:
        yield Violation(
            "stability",
            "diff.changes",
            f"changes is {diff.get('changes')!r}, recomputed {count} (seminars moved, dropped and added, "
            "legs removed and added)",
        )


# The instants each part of a diff's seminars states, in order.
_DIFF_TIMES = {
    "kept": ("start",),
    "moved": ("old_start", "new_start"),
    "dropped": ("old_start",),
    "added": ("start",),
}


def _seminar_changes(change: Change) -> dict[str, dict[str, tuple[dt.datetime, ...]]]:
    old, new = change.old, change.new
    return {
        "kept": {c: (old[c],) for c in old if c in new and new[c] == old[c]},
        "moved": {c: (old[c], new[c]) for c in old if c in new and new[c] != old[c]},
        "dropped": {c: (old[c],) for c in old if c not in new},
        "added": {c: (new[c],) for c in new if c not in old},
    }


def _diff_seminars(
    ctx: Context, seminars: Any, wanted: Mapping[str, Mapping[str, tuple[dt.datetime, ...]]]
) -> Iterator[Violation]:
    for part, expected in wanted.items():
        where = f"diff.seminars.{part}"
        listed = seminars.get(part) if isinstance(seminars, dict) else None
        if not isinstance(listed, list):
            yield Violation("stability", where, f"{part} must be a list of seminars")
            continue
        stated: dict[str, tuple[dt.datetime | None, ...]] = {}
        for item in listed:
            city = item.get("city") if isinstance(item, dict) else None
            if isinstance(city, str):
                stated[city] = tuple(loose_moment(item.get(k), city, ctx.lookups) for k in _DIFF_TIMES[part])
        if len(listed) != len(stated) or set(stated) != set(expected):
            cities = [str(i.get("city")) if isinstance(i, dict) else "?" for i in listed]
            yield Violation(
                "stability",
                where,
                f"{part} lists {', '.join(cities) or 'nothing'}; "
                f"recomputed {', '.join(expected) or 'nothing'}",
            )
            continue
        for city, moments in expected.items():
            for name, mine, theirs in zip(_DIFF_TIMES[part], moments, stated[city], strict=True):
                if mine != theirs:
                    yield Violation(
                        "stability", where, f"{city}: {name} should be {show(mine, ctx.lookups.zone(city))}"
                    )


def _diff_legs(ctx: Context, legs: Any, change: Change) -> Iterator[Violation]:
    home = ctx.lookups.home
    for part, keys in (("removed", change.removed), ("added", change.added)):
        where = f"diff.legs.{part}"
        listed = legs.get(part) if isinstance(legs, dict) else None
        if not isinstance(listed, list):
            yield Violation("stability", where, f"{part} must be a list of legs")
            continue
        found = [_listed_leg(ctx, item) for item in listed]
        if len(found) != len(set(found)) or set(found) != keys:
            missing = sorted(f"{k[0]} {k[1]}->{k[2]} {show(k[3], home)}" for k in keys - set(found) if k)
            extra = sorted(
                f"{k[0]} {k[1]}->{k[2]} {show(k[3], home)}" if k else "an unreadable leg"
                for k in set(found) - keys
            )
            yield Violation(
                "stability",
                where,
                f"{part} legs do not match the plans: missing {', '.join(missing) or 'none'}; "
                f"not {part}: {', '.join(extra) or 'none'}"
                + (", and some listed twice" if len(found) != len(set(found)) else ""),
            )


def _listed_leg(ctx: Context, item: Any) -> LegKey | None:
    """A leg as a diff lists it (service, from, to, departure), or None when unreadable."""
    if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("service", "from", "to")):
        return None
    place = ctx.lookups.terminal_city.get(item["from"])
    depart = loose_moment(item.get("depart"), place.id if place else item["from"], ctx.lookups)
    if depart is None:
        return None
    return item["service"], item["from"], item["to"], depart
