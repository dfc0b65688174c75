"""When a drive may start under the driving rules (rules 15-18 of scenarios/README.md)."""

from __future__ import annotations

import itertools
from bisect import bisect_right

from planner.connections.context import SearchContext
from planner.connections.model import DriveEdge


def drive_minutes(ctx: SearchContext, edge: DriveEdge, start: int) -> int:
    """Minutes a drive starting at ``start`` takes, slowed by snow or convoys if so announced."""
    if edge.road not in ctx.overlay.slowdowns:  # most roads: one call per drive timed
        return edge.minutes
    factor = ctx.overlay.drive_factor(edge.road, start)
    return edge.minutes if factor == 1.0 else round(edge.minutes * factor)


def drive_fits(ctx: SearchContext, edge: DriveEdge, start: int) -> int | None:
    """Minutes of a drive starting exactly at ``start``, or None when the rules forbid it.

    Rules 15-18 of scenarios/README.md: one opening of the driving window holds start
    and arrival, no closure of the road overlaps [start, arrival), neither end falls
    in the quiet hours.
    """
    minutes = drive_minutes(ctx, edge, start)
    end = start + minutes
    if end > ctx.horizon_end:
        return None
    if not any(
        opens <= start and end <= closes
        for opens, closes in ctx.drive_openings(edge.window, edge.origin, start)
    ):
        return None
    if ctx.overlay.road_closed(edge.road, start, end) is not None:
        return None
    if ctx.quiet(start, edge.origin) or ctx.quiet(end, edge.destination):
        return None
    return minutes


def drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """Start of the drive that arrives earliest among those starting at or after ``not_before``."""
    key = (id(edge), not_before)
    starts = ctx.cache.drive_starts
    if key in starts:
        return starts[key]
    found = _drive_start(ctx, edge, not_before)
    starts[key] = found
    return found


def _earliest_fit(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """The earliest start >= not_before that the rules allow (rules 15-18).

    It jumps only over starts that are certainly refused: up to the next opening of the
    window when the drive does not fit the current one, past a closure it would meet,
    but never past the end of a slowdown (after which the drive may be shorter and fit).
    """
    start = not_before
    slow_ends = sorted(i.end for i, _ in ctx.overlay.slowdowns.get(edge.road, ()))
    w_start, w_end = edge.window
    if not slow_ends and w_start < w_end and ctx.steady[edge.origin] and ctx.sun is None:
        return _earliest_fit_steady(ctx, edge, start)
    while start <= ctx.horizon_end:
        minutes = drive_minutes(ctx, edge, start)
        end = start + minutes
        openings = ctx.drive_openings(edge.window, edge.origin, start)
        shorter_from = next((e for e in slow_ends if e > start), None)
        if not any(o <= start and end <= c for o, c in openings):
            later = [o for o, _ in openings if o > start]
            if shorter_from is not None:
                later.append(shorter_from)
            if not later:
                return None
            start = min(later)
            continue
        closed = ctx.overlay.road_closed(edge.road, start, end)
        if closed is not None:
            start = closed.end if shorter_from is None else min(closed.end, shorter_from)
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(end, edge.destination):
            start += 1
            continue
        return start
    return None


def _earliest_fit_steady(ctx: SearchContext, edge: DriveEdge, start: int) -> int | None:
    """``_earliest_fit`` for the usual case, by plain arithmetic: a window inside one day,
    a zone that keeps its offset, a road without slowdowns (fixed length)."""
    w_start, w_end = edge.window
    minutes = edge.minutes
    midnights = ctx.midnights[edge.origin]
    if minutes > w_end - w_start:
        return None
    index = bisect_right(midnights, start) - 1
    while start <= ctx.horizon_end and 0 <= index < len(midnights) - 1:
        opens, closes = midnights[index] + w_start, midnights[index] + w_end
        start = max(start, opens)
        if start + minutes > closes:
            index += 1
            start = midnights[index] + w_start if index < len(midnights) else start
            continue
        closed = ctx.overlay.road_closed(edge.road, start, start + minutes)
        if closed is not None:
            start = closed.end
            index = bisect_right(midnights, start) - 1
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(start + minutes, edge.destination):
            start += 1
            continue
        return start if start + minutes <= ctx.horizon_end else None
    return None


def _drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int) -> int | None:
    """Earliest arrival, not earliest start: where a slowdown ends, waiting for its end
    may arrive sooner than setting off slowed (the only way a drive overtakes another)."""
    best = _earliest_fit(ctx, edge, not_before)
    if best is None:
        return None
    best_arrival = best + drive_minutes(ctx, edge, best)
    for interval, _ in ctx.overlay.slowdowns.get(edge.road, ()):
        if best < interval.end < best_arrival:
            other = _earliest_fit(ctx, edge, interval.end)
            if other is not None and other + drive_minutes(ctx, edge, other) < best_arrival:
                best, best_arrival = other, other + drive_minutes(ctx, edge, other)
    return best


def latest_drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int, arrive_by: int) -> int | None:
    """The latest start >= not_before of an allowed drive arriving by ``arrive_by`` (memoised:
    the same postponements recur across the searches of a profile)."""
    key = (id(edge), not_before, arrive_by)
    latest_starts = ctx.cache.latest_starts
    if key in latest_starts:
        return latest_starts[key]
    w_start, w_end = edge.window
    if not (w_start < w_end and ctx.steady[edge.origin]) or ctx.sun is not None:
        found = _latest_drive_start(ctx, edge, not_before, arrive_by)
    elif ctx.overlay.slowdowns.get(edge.road):
        found = _latest_slowed_steady(ctx, edge, not_before, arrive_by)
    else:
        last = min(arrive_by, ctx.horizon_end) - edge.minutes
        found = _latest_steady(ctx, edge, edge.minutes, not_before, last)
    latest_starts[key] = found
    return found


def _latest_slowed_steady(ctx: SearchContext, edge: DriveEdge, not_before: int, arrive_by: int) -> int | None:
    """``_latest_drive_start`` on a slowed road, piece by piece.

    A drive's length depends on its start only through the slowdowns containing the start,
    so it is fixed between two consecutive slowdown bounds: each such piece of starts is
    searched by the steady arithmetic with that length, latest piece first. The answer is
    the same as trying every minute, in a few steps per piece.
    """
    bounds = {b for interval, _ in ctx.overlay.slowdowns[edge.road] for b in (interval.start, interval.end)}
    top = min(arrive_by, ctx.horizon_end)
    if top <= not_before:
        return None
    cuts = sorted({not_before, top, *(b for b in bounds if not_before < b < top)}, reverse=True)
    for upper, lower in itertools.pairwise(cuts):  # the starts in [lower, upper) share one length
        minutes = drive_minutes(ctx, edge, lower)
        last = min(upper - 1, top - minutes)
        found = _latest_steady(ctx, edge, minutes, lower, last)
        if found is not None:
            return found
    return None


def _latest_steady(
    ctx: SearchContext, edge: DriveEdge, minutes: int, not_before: int, last: int
) -> int | None:
    """The latest start in [not_before, last] of a drive of ``minutes`` the rules allow, by plain
    arithmetic in the usual case: a window inside one day, a zone that keeps its offset, and a
    length that does not change over those starts."""
    w_start, w_end = edge.window
    if minutes > w_end - w_start:
        return None
    midnights = ctx.midnights[edge.origin]
    start = last
    while start >= not_before:
        index = bisect_right(midnights, start) - 1
        if index < 0 or index >= len(midnights) - 1:
            return None
        opens, closes = midnights[index] + w_start, midnights[index] + w_end
        if start + minutes > closes:
            start = closes - minutes
            continue
        if start < opens:
            start = midnights[index - 1] + w_end - minutes if index > 0 else not_before - 1
            continue
        closed = ctx.overlay.road_closed(edge.road, start, start + minutes)
        if closed is not None:
            start = closed.start - minutes
            continue
        if ctx.quiet(start, edge.origin) or ctx.quiet(start + minutes, edge.destination):
            start -= 1
            continue
        return start
    return None


def _latest_drive_start(ctx: SearchContext, edge: DriveEdge, not_before: int, arrive_by: int) -> int | None:
    """The latest start >= not_before of an allowed drive arriving by ``arrive_by``.

    Exact: starts are tried from the latest down, and the only jumps skip starts the
    rules certainly refuse (a drive that cannot fit the window's opening it starts in,
    or that would meet a closure); on a road with a slowdown every minute is tried,
    as a slowed drive's length changes with its start.
    """
    slowed = bool(ctx.overlay.slowdowns.get(edge.road))
    start = arrive_by - edge.minutes
    while start >= not_before:
        minutes = drive_minutes(ctx, edge, start)
        end = start + minutes
        if end <= arrive_by and drive_fits(ctx, edge, start) is not None:
            return start
        step = 1
        if not slowed and end <= arrive_by:
            openings = ctx.drive_openings(edge.window, edge.origin, start)
            if not any(o <= start and end <= c for o, c in openings):
                # The latest start that fits an opening ending before this drive would.
                fits = [c - minutes for o, c in openings if c - minutes < start and c - minutes >= o]
                if fits:
                    step = start - max(fits)
            else:
                closed = ctx.overlay.road_closed(edge.road, start, end)
                if closed is not None:
                    step = max(1, end - closed.start)
        start -= step
    return None
