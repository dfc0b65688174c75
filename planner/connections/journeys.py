"""Connections from a city over the whole trip, built from the searches of its leave slots."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable

from planner.connections.context import SearchContext
from planner.connections.drives import drive_minutes
from planner.connections.memo import SlotFound
from planner.connections.model import Journey, Leg, LegSpec, RawPath, RideEdge
from planner.connections.search import Labels, pareto_search, path_leave, path_specs, postpone_drives
from planner.domain import Mode


def _leg(ctx: SearchContext, spec: LegSpec) -> Leg:
    edge, value = spec
    made = ctx.cache.legs_made
    key = (id(edge), value)
    leg = made.get(key)
    if leg is None:
        leg = made[key] = _new_leg(ctx, spec)
    return leg


def _new_leg(ctx: SearchContext, spec: LegSpec) -> Leg:
    edge, value = spec
    if isinstance(edge, RideEdge):
        run = edge.runs[value]
        return Leg(
            mode=edge.mode,
            service=edge.service,
            from_place=edge.board,
            to_place=edge.alight,
            from_city=edge.from_city,
            to_city=edge.to_city,
            depart=run.depart,
            arrive=run.arrive,
            distance_km=edge.distance_km,
            cost=edge.cost,
            run_date=run.run_date,
        )
    return Leg(
        mode=Mode.DRIVE,
        service=edge.road,
        from_place=edge.origin,
        to_place=edge.destination,
        from_city=edge.origin,
        to_city=edge.destination,
        depart=value,
        arrive=value + drive_minutes(ctx, edge, value),
        distance_km=edge.distance_km,
        cost=edge.cost,
    )


def leave_time(ctx: SearchContext, legs: list[Leg]) -> int:
    """When the delegation must leave the origin centre to make the first leg."""
    first = legs[0]
    if first.mode == Mode.DRIVE:
        return first.depart
    terminal = ctx.terminal(first.from_place)
    return first.depart - ctx.lead[terminal.id]


def make_journey(
    ctx: SearchContext,
    origin: str,
    destination: str,
    legs: list[Leg],
    arrive: int,
    day_minutes: tuple[tuple[int, int], ...] | None = None,
) -> Journey:
    """A connection with its leave time, night minutes, money and per-day travel (``day_minutes``
    when the caller has them already)."""
    leave = leave_time(ctx, legs)
    return Journey(
        origin=origin,
        destination=destination,
        leave=leave,
        arrive=arrive,
        legs=tuple(legs),
        night_min=ctx.night_minutes(leave, arrive),
        cost=round(sum(leg.cost for leg in legs), 2),
        day_minutes=ctx.minutes_per_home_day(leave, arrive) if day_minutes is None else day_minutes,
    )


# What the searches of one origin's leave slots found: per destination reached, its connections by
# signature (legs), each the first found, in the order found.
Found = dict[str, dict[tuple[object, ...], Journey]]


def journeys_from(
    ctx: SearchContext,
    origin: str,
    leave_times: Iterable[int],
    first_drives: dict[int, frozenset[int]] | None = None,
) -> dict[str, list[Journey]]:
    """Pareto sets of connections from ``origin`` to every city, over the given leave times.

    ``first_drives`` restricts the searches of some leave times to connections starting
    with one of the given drives (by edge id); those times need not be in ``leave_times``.
    """
    return pareto_found(connections_found(ctx, origin, leave_times, first_drives))


def connections_found(
    ctx: SearchContext,
    origin: str,
    leave_times: Iterable[int],
    first_drives: dict[int, frozenset[int]] | None = None,
    part: tuple[int, int] = (0, 1),
) -> Found:
    """What the searches of ``origin``'s leave slots find, before the Pareto filter.

    ``part`` (index, count) searches only that one of ``count`` runs of consecutive slots, so
    that workers can share one origin's slots; ``merge_found`` of every part, in order, is what
    the whole search finds, in the same order.
    """
    first_drives = first_drives or {}
    leave_times = set(leave_times)
    found: Found = {}
    # Searches from neighbouring leave times mostly find the same paths. A path seen
    # before (same edges, same runs or drive starts) gives the same journey, or None again
    # when it can be in no plan, so its legs are built once: building legs, postponing
    # drives, counting night minutes is the costly part.
    built: dict[RawPath, tuple[tuple[tuple[str, int], ...], Journey | None]] = {}
    memo = ctx.memo
    ordered = sorted(leave_times | set(first_drives))
    index, count = part
    begin, end = len(ordered) * index // count, len(ordered) * (index + 1) // count
    for position in range(begin, end):
        leave_at = ordered[position]
        leave_before = ordered[position + 1] if position + 1 < len(ordered) else None
        only = None if leave_at in leave_times else first_drives[leave_at]
        output = None
        if memo is not None:
            slot = (origin, leave_at, leave_before, _drive_keys(ctx, only))
            output = memo.recall(ctx, slot)
        if output is None:
            labels, output = _slot_output(ctx, origin, leave_at, leave_before, only, built)
            if memo is not None:
                memo.remember(ctx, slot, labels, output)
        for destination in output.destinations:
            found.setdefault(destination, {})
        for destination, signature, journey in output.connections:
            found[destination].setdefault(signature, journey)  # the first found of equal legs
    return found


def merge_found(parts: Iterable[Found]) -> Found:
    """The parts of one origin's search as one, as if searched in one go (parts in slot order):
    equal legs found again are the same connection, so the first found stays."""
    merged: Found = {}
    for part in parts:
        for destination, connections in part.items():
            into = merged.setdefault(destination, {})
            for signature, journey in connections.items():
                into.setdefault(signature, journey)
    return merged


def pareto_part(found: Found) -> Found:
    """``found`` (one part of an origin's slots) with only the connections ``pareto`` keeps among
    its own, in the order found.

    A connection beaten within a part is beaten in the whole search, and of equal ones the first
    found is kept either way (parts merge in slot order), so ``pareto_found`` of the merged parts
    is the same with or without this: a worker sends back only these.
    """
    kept: Found = {}
    for destination, by_signature in found.items():
        survivors = {id(journey) for journey in pareto(list(by_signature.values()))}
        kept[destination] = {
            signature: journey for signature, journey in by_signature.items() if id(journey) in survivors
        }
    return kept


def pareto_found(found: Found) -> dict[str, list[Journey]]:
    return {destination: pareto(list(found_there.values())) for destination, found_there in found.items()}


def _drive_keys(ctx: SearchContext, only: frozenset[int] | None) -> frozenset[tuple[str, str, str]] | None:
    """Drives named by edge id (this context's) as (road, origin, destination), for any context."""
    if only is None:
        return None
    return frozenset((e.road, e.origin, e.destination) for e in map(ctx.drive_by_id.__getitem__, only))


def _slot_output(
    ctx: SearchContext,
    origin: str,
    leave_at: int,
    leave_before: int | None,
    only: frozenset[int] | None,
    built: dict[RawPath, tuple[tuple[tuple[str, int], ...], Journey | None]],
) -> tuple[Labels, SlotFound]:
    """The search of one slot: the cities it reached, and the connection of every path it keeps
    at a city centre that can be in a plan, in the search's order, with its signature (services
    and departures, roads and starts)."""
    keep, kept = ctx.cache.keep_searches, ctx.cache.journeys
    by_signature: dict[tuple[str, tuple[tuple[str, int], ...]], Journey] = {}
    labels, paths = _paths_at(ctx, origin, leave_at, leave_before, only)
    destinations: dict[str, None] = {}
    connections = []
    postponed: dict[tuple[int, int], int] = {}
    for destination, raw, arrive, index in paths:
        destinations[destination] = None
        known = built.get(raw)
        if known is None:
            # A connection no plan can hold is refused before its legs are built (each a walk
            # postponing its drives): on a large road network most paths are. Its leave is the
            # label's after a ride (exact there, search.py), or its drives' postponed to one
            # another; equal legs have the same leave and arrival, so the same answer.
            leave = path_leave(ctx, labels, index, postponed)
            day_minutes = ctx.minutes_per_home_day(leave, arrive)
            if _refused(ctx, leave, arrive, day_minutes):
                known = built[raw] = ((), None)
            else:
                signature, specs = _legs_of(ctx, origin, labels, raw, index)
                # The same legs (a signature) reached by another path make the same connection.
                journey = by_signature.get((destination, signature))
                if journey is None and keep:
                    journey = kept.get((origin, raw))
                if journey is None:
                    legs = [_leg(ctx, spec) for spec in specs]
                    journey = make_journey(ctx, origin, destination, legs, arrive, day_minutes)
                    if keep:
                        kept[(origin, raw)] = journey
                by_signature[(destination, signature)] = journey
                known = built[raw] = (signature, journey)
        journey = known[1]
        # A connection leaving before its slot is found again by the slot it leaves in.
        if journey is None or journey.leave < leave_at:
            continue
        connections.append((destination, known[0], journey))
    return labels, SlotFound(tuple(destinations), tuple(connections))


def _refused(ctx: SearchContext, leave: int, arrive: int, day_minutes: tuple[tuple[int, int], ...]) -> bool:
    """True when a connection over [leave, arrive) can be in no plan whatever slot finds it: alone
    it travels more than the limit on some home day (rule 22), or it travels on a rest day."""
    if any(minutes > ctx.rules.max_travel_min_per_day for _, minutes in day_minutes):
        return True
    # Exact though late: a label dropped for another (which leaves no earlier and arrives no
    # later) lies inside it, so it is never valid when that one is not.
    return ctx.overlay.rest_overlaps(leave, arrive)


def _paths_at(
    ctx: SearchContext,
    origin: str,
    leave_at: int,
    leave_before: int | None,
    only: frozenset[int] | None = None,
) -> tuple[Labels, list[tuple[str, RawPath, int, int]]]:
    """The search of the slot [leave_at, leave_before) and (destination, raw path, arrival,
    label) of every label it keeps at a city centre."""
    slot = (origin, leave_at, leave_before, only)
    cache = ctx.cache
    cached = cache.paths.get(slot)
    if cached is not None:
        return cache.arrivals[slot], cached
    labels = pareto_search(ctx, origin, leave_at, leave_before, only)
    paths = []
    raw_paths = _RawPaths(labels)
    for key, indices in labels.by_key.items():
        if key[0] != "city" or key[1] == origin:
            continue
        for index in indices:
            paths.append((key[1], (key[1], raw_paths.of(index)), labels.entries[index][0], index))
    if cache.keep_searches:
        cache.paths[slot] = paths
        cache.arrivals[slot] = labels
    return labels, paths


class _RawPaths:
    """The raw path (edge id, run index or drive start per leg) to each label of one search.

    Labels share their prefixes (every label points to the one it extends), so each label's
    path is its predecessor's plus one leg, made once: walking every path from its end would
    repeat the walk over the shared prefixes for each city label.
    """

    def __init__(self, labels: Labels) -> None:
        self.entries = labels.entries
        self.made: dict[int, tuple[tuple[int, int], ...]] = {-1: ()}

    def of(self, index: int) -> tuple[tuple[int, int], ...]:
        made, entries = self.made, self.entries
        unmade = []
        current = index
        while current not in made:
            unmade.append(current)
            current = entries[current][3]
        path = made[current]
        for label in reversed(unmade):
            spec = entries[label][4]
            if spec is not None:
                path = (*path, (id(spec[0]), spec[1]))
            made[label] = path
        return path


def _legs_of(
    ctx: SearchContext, origin: str, labels: Labels, raw: RawPath, index: int
) -> tuple[tuple[tuple[str, int], ...], list[LegSpec]]:
    """The legs of a raw path found in ``labels`` (drives postponed) and its signature; legs
    are built only for a signature not seen before."""
    cache = ctx.cache
    if cache.keep_searches and (origin, raw) in cache.legs:
        return cache.legs[(origin, raw)]
    specs = postpone_drives(ctx, path_specs(labels, index), None)
    signature = tuple(
        (edge.service, edge.runs[value].depart) if isinstance(edge, RideEdge) else (edge.road, value)
        for edge, value in specs
    )
    entry = (signature, specs)
    if cache.keep_searches:
        cache.legs[(origin, raw)] = entry
    return entry


def pareto(journeys: list[Journey]) -> list[Journey]:
    """Drop connections that leave no later, arrive no earlier, and cost no less.

    Night minutes and the minutes on each home day are overlaps of [leave, arrive)
    with fixed windows, so a connection inside another's interval never has more:
    comparing (leave, arrive, money) is exact for the whole objective and the limit.
    """
    journeys.sort(key=lambda j: (-j.leave, j.arrive, j.cost))
    kept: list[Journey] = []
    # Every kept connection leaves no earlier than the next one looked at, so only arrival
    # and money remain to compare: a staircase of (arrival, money), money falling as the
    # arrival grows, answers "is there one no later and no dearer" by bisection.
    arrivals: list[int] = []
    costs: list[float] = []
    for journey in journeys:
        at = bisect_right(arrivals, journey.arrive) - 1
        if at >= 0 and costs[at] <= journey.cost:
            continue
        kept.append(journey)
        # Drop the steps it beats (no earlier arrival, no lower money), keep the staircase.
        end = at + 1
        while end < len(arrivals) and costs[end] >= journey.cost:
            end += 1
        arrivals[at + 1 : end] = [journey.arrive]
        costs[at + 1 : end] = [journey.cost]
    kept.sort(key=lambda j: (j.leave, j.arrive))
    return kept
