"""The moments worth searching from: when the delegation can usefully leave a city."""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from planner.connections.context import SearchContext
from planner.connections.drives import latest_drive_start


def departure_leave_times(ctx: SearchContext, origin: str, not_before: int, not_after: int) -> list[int]:
    """Leave-the-centre times that just catch each usable timetabled departure from the city."""
    times: set[int] = set()
    for terminal_id, lead in ctx.city_access[origin]:
        for ride in ctx.rides[terminal_id]:
            for depart in ride.departs:
                leave = depart - lead
                if not_before <= leave <= not_after:
                    times.add(leave)
    return sorted(times)


def drive_leave_times(ctx: SearchContext, origin: str, not_before: int, not_after: int) -> list[int]:
    """Moments from which a drive out of the city can first start: where its window opens,
    a closure of its road or the quiet hours end, a slowdown starts or ends, and where a
    home-zone day or night begins inside a window.

    Searching from each of them finds the earliest drive on every day (the next morning
    after a late seminar, rule 16), not just the first one after the seminar: a later
    drive can keep a day's travel limit or spare night minutes. Between two such moments
    nothing about a drive's cost or feasibility changes but its start, so the earliest
    start after each is the one to keep.
    """
    openings: set[int] = set()
    moments: set[int] = set()
    home = ctx.home_city
    night_start, night_end = ctx.rules.night.minutes()
    quiet_end = None if ctx.rules.quiet_hours is None else ctx.rules.quiet_hours.minutes()[1]
    spans = []
    for w_start, w_end in {edge.window for edge in ctx.city_drives[origin]}:
        for index in range(len(ctx.midnights[origin]) - 1):
            opens, closes = ctx.drive_opening(index, (w_start, w_end), origin)
            if closes >= not_before and opens <= not_after:
                spans.append((opens, closes))
                openings.add(opens)
            if quiet_end is not None:
                moments.add(ctx.at_local(index, quiet_end, origin))
    for edge in ctx.city_drives[origin]:
        for interval in ctx.overlay.roads.get(edge.road, ()):
            moments.add(interval.end)
        for interval, _ in ctx.overlay.slowdowns.get(edge.road, ()):
            moments.update((interval.start, interval.end))
    for index in range(len(ctx.midnights[home]) - 1):
        moments.update(
            (
                ctx.midnights[home][index],
                ctx.at_local(index, night_end, home),
                ctx.at_local(index, night_start, home),
            )
        )
    # A moment outside every opening of the windows starts no drive: the opening after it
    # is already a candidate.
    times = openings | {t for t in moments if any(o <= t < c for o, c in spans)}
    return sorted(t for t in times if not_before <= t <= not_after)


def latest_drive_leave_times(
    ctx: SearchContext, origin: str, not_before: int, not_after: int
) -> dict[int, frozenset[int]]:
    """``_latest_drive_moments`` in range, each with the drives (edge ids) it is the last start of.

    Such a moment only matters for a connection starting with that drive: any other first
    leg leaving then is found from the candidate moments of its own.
    """
    return {
        t: frozenset(edges)
        for t, edges in _latest_drive_moments(ctx, origin, not_before, not_after).items()
        if not_before <= t <= not_after
    }


def _latest_drive_moments(
    ctx: SearchContext, origin: str, not_before: int, not_after: int
) -> dict[int, set[int]]:
    """Latest allowed starts of a first drive that can make a connection cheaper.

    The last start of each opening of the window, and the last before a closure of the
    road: a chain of drives leaving then spends its night further along (a later leave
    for the same route onwards). And where the window meets the night or a home midnight,
    a drive's night minutes and how its minutes split across home days change with its
    start, so the best may be the last start before something forbids a later one (the
    quiet hours at either end, a night boundary or a midnight passed).
    """
    quiet = ctx.rules.quiet_hours.minutes() if ctx.rules.quiet_hours is not None else None
    found: dict[int, set[int]] = {}
    if not ctx.city_drives[origin]:
        return found
    home_marks, nights = ctx.home_marks()
    for edge in ctx.city_drives[origin]:
        for index in range(len(ctx.midnights[origin]) - 1):
            opens, closes = ctx.drive_opening(index, edge.window, origin)
            if closes < not_before or opens > not_after:
                continue
            span_end = closes  # a drive lies inside one opening (rule 16)
            inside = home_marks[bisect_right(home_marks, opens) : bisect_left(home_marks, span_end)]
            # Nights are disjoint and in order: the last one starting before the span's end
            # is the only one that can reach into it without a mark inside.
            at = bisect_left(nights, (span_end,)) - 1
            night = at >= 0 and nights[at][1] > opens
            # Always the last start of the opening and the last before a closure: leaving
            # then moves a night's stop further along a chain of drives (a later leave for
            # the same route onwards).
            marks = {closes}
            marks.update(i.start for i in ctx.overlay.roads.get(edge.road, ()) if opens < i.start < span_end)
            if not inside and not night:
                for mark in marks:
                    latest = latest_drive_start(ctx, edge, opens, mark)
                    if latest is not None:
                        found.setdefault(latest, set()).add(id(edge))
                continue  # otherwise cost cannot change with the start
            marks.update(inside)
            if quiet is not None:
                for d in (index, index + 1):
                    marks.add(ctx.at_local(d, quiet[0], origin))
                    marks.add(ctx.at_local(d, quiet[0], edge.destination))
            for mark in marks:
                # The last start arriving by the mark, and the last start before it.
                for arrive_by in (mark, mark - 1 + edge.minutes):
                    latest = latest_drive_start(ctx, edge, opens, min(arrive_by, span_end))
                    if latest is not None:
                        found.setdefault(latest, set()).add(id(edge))
    return found
