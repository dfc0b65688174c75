"""The multi-label search from one city centre over one leave slot."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import cast

from planner.connections.context import SearchContext
from planner.connections.drives import drive_minutes, drive_start, latest_drive_start
from planner.connections.model import DriveEdge, Key, LegSpec, RideEdge

# A label: (time, money, barred terminal, previous label index or -1, the leg taken to
# get there, key, leave, drive chain); see pareto_search. Once a ride is taken the leave is
# exact; before (no leg yet, or only drives) it is the earliest the leave can be, as the
# drives are still to be postponed to whatever follows.
Label = tuple[int, float, "str | None", int, "LegSpec | None", Key, int, "tuple[int, ...] | None"]


@dataclass
class Labels:
    """What a search found: every kept label, and per key the indices of its labels."""

    entries: list[Label] = field(default_factory=list)
    by_key: dict[Key, list[int]] = field(default_factory=dict)

    def __contains__(self, key: Key) -> bool:
        return key in self.by_key

    def __getitem__(self, key: Key) -> tuple[int, int | None, LegSpec | None]:
        """The earliest label at a key: (time, previous index, leg)."""
        label = self.entries[self.by_key[key][0]]
        return label[0], label[3], label[4]

    def items(self) -> list[tuple[Key, tuple[int, int | None, LegSpec | None]]]:
        """(key, earliest label) for every key reached."""
        return [(key, self[key]) for key in self.by_key]


def _dominated(
    labels: Labels,
    key: Key,
    money: float,
    barred: str | None,
    leave: int,
    chain: tuple[int, ...] | None,
) -> bool:
    """True when a label kept at ``key`` (so arriving no later) does at least as well for
    every continuation as the one described, so the latter can be dropped.

    - It costs no more, and is no more restricted: ``barred`` is the terminal a ride just
      set the delegation down at, which from the centre may not be boarded again before
      its transfer time (rule 5; the "ready" label of that terminal covers that case).
    - Its connection leaves no earlier. Once a ride is taken the leave is known exactly
      (drives before it postponed to make it, rule 16); before, a label only knows the
      earliest its leave can be (postponing moves it later). The kept label's leave (exact
      or earliest) must reach the other's exact ``leave``.
    - Before any ride (``chain`` is not None: no leg yet, or only drives) the leave is not
      known, as postponing the drives depends on what follows; only a label over the same
      drives, which will be postponed alike, can stand in for it.
    """
    for index in labels.by_key.get(key, ()):
        kept = labels.entries[index]
        if kept[1] > money or not (kept[2] is None or kept[2] == barred):
            continue
        if chain is not None:
            if kept[7] == chain:
                return True
        elif kept[6] >= leave:
            return True
    return False


# A heap entry: (time, money, order, key, barred, previous, leg, leave, chain); ``order``
# (a counter) breaks ties in insertion order, so the search is deterministic.
_Entry = tuple[int, float, int, Key, "str | None", int, "LegSpec | None", int, "tuple[int, ...] | None"]


def pareto_search(
    ctx: SearchContext,
    origin: str,
    leave_at: int,
    leave_before: int | None = None,
    only: frozenset[int] | None = None,
) -> Labels:
    """Multi-label search from ``origin``: at every city centre and terminal, the labels no
    other label beats on (arrival, money, leave), for connections whose first leg leaves
    the centre in [leave_at, leave_before).

    ``journeys_from`` runs one search per candidate leave time, each up to the next one,
    so every connection is found by exactly the search of its own leave slot. With
    ``only``, the first leg must be one of those drives (edge ids).

    No label arrives after what the daily limit allows for its connection (rule 22): a
    connection leaving at L must end by ``ctx.leave_bound(L)``; that is the only cut.
    """
    horizon = ctx.horizon_end
    if leave_before is None:
        leave_before = horizon + 1
    labels = Labels()
    heap: list[_Entry] = [(leave_at, 0.0, 0, ("city", origin), None, -1, None, leave_at, ())]
    counter = 1
    by_key = labels.by_key
    postponed: dict[tuple[int, int], int] = {}
    while heap:
        time, money, _, key, barred, previous, spec, leave, chain = heappop(heap)
        if key in by_key and _dominated(labels, key, money, barred, leave, chain):
            continue
        here = len(labels.entries)
        label: Label = (time, money, barred, previous, spec, key, leave, chain)
        labels.entries.append(label)
        by_key.setdefault(key, []).append(here)
        limit = horizon if chain is not None else min(horizon, ctx.leave_bound(leave))
        if key[0] == "city":
            if only is None or chain != ():
                counter = _to_terminals(ctx, labels, heap, counter, here, label, limit)
            counter = _drives_out(ctx, labels, heap, counter, here, label, limit, origin, only, leave_before)
        else:
            counter = _rides_out(ctx, labels, heap, counter, here, label, limit, leave_before, postponed)
    return labels


def _to_terminals(
    ctx: SearchContext,
    labels: Labels,
    heap: list[_Entry],
    counter: int,
    here: int,
    label: Label,
    limit: int,
) -> int:
    """Push the labels ready to board at each terminal of the city of label ``here``; returns
    the counter after them."""
    time, money, barred, _, _, (_, city), leave, chain = label
    for terminal_id, lead in ctx.city_access[city]:
        if terminal_id == barred:
            continue  # the same terminal again: its transfer time applies (rule 5)
        ready: Key = ("ready", terminal_id)
        if time + lead <= limit and (
            ready not in labels.by_key or not _dominated(labels, ready, money, None, leave, chain)
        ):
            heappush(heap, (time + lead, money, counter, ready, None, here, None, leave, chain))
            counter += 1
    return counter


def _drives_out(
    ctx: SearchContext,
    labels: Labels,
    heap: list[_Entry],
    counter: int,
    here: int,
    label: Label,
    limit: int,
    origin: str,
    only: frozenset[int] | None,
    leave_before: int,
) -> int:
    """Push the labels of every drive out of the city of label ``here``; returns the counter
    after them."""
    time, money, _, _, _, (_, city), leave, chain = label
    by_key = labels.by_key
    for drive in ctx.city_drives[city]:
        if only is not None and chain == () and id(drive) not in only:
            continue
        target: Key = ("city", drive.destination)
        next_chain: tuple[int, ...] | None = None
        if chain is not None:
            # Drives before any ride: the leave floats, as they are postponed to
            # whatever follows (rule 16), so nothing is cut by the daily limit yet.
            # A chain never comes back to a city: waiting there instead leaves later
            # and costs less.
            if drive.destination in ctx.chain_cities(origin, chain):
                continue
            next_chain = (*chain, id(drive))
        next_money = money + drive.cost
        # Checked before the drive is timed: every label kept there is no later.
        if target in by_key and _dominated(labels, target, next_money, None, leave, next_chain):
            continue
        begin = drive_start(ctx, drive, time)
        if begin is None:
            continue
        if chain == () and begin >= leave_before:
            continue  # a later search's slot
        end = begin + drive_minutes(ctx, drive, begin)
        if end > limit:
            continue
        next_leave = begin if chain == () else leave
        heappush(heap, (end, next_money, counter, target, None, here, (drive, begin), next_leave, next_chain))
        counter += 1
    return counter


def _rides_out(
    ctx: SearchContext,
    labels: Labels,
    heap: list[_Entry],
    counter: int,
    here: int,
    label: Label,
    limit: int,
    leave_before: int,
    postponed: dict[tuple[int, int], int],
) -> int:
    """Push the labels of the next usable run of every ride from the terminal of label
    ``here``: ready to board again there, and at the city centre; returns the counter after
    them."""
    time, money, _, _, _, (_, terminal), leave, chain = label
    horizon = ctx.horizon_end
    lead_here = ctx.lead[terminal]
    by_key = labels.by_key
    for ride in ctx.rides[terminal]:
        departs = ride.departs
        index = bisect_left(departs, time)
        if index == len(departs):
            continue
        run = ride.runs[index]
        ride_limit = limit
        if chain is None:
            next_leave = leave
        elif chain == ():
            # The first ride fixes the leave: just in time for it.
            next_leave = departs[index] - lead_here
            if next_leave >= leave_before:
                continue  # a later search's slot
            ride_limit = min(horizon, ctx.leave_bound(next_leave))
        else:
            # A ride after drives fixes the leave too: the drives postponed to make it.
            next_leave = _postponed_leave(ctx, labels, here, departs[index] - lead_here, postponed)
            ride_limit = min(horizon, ctx.leave_bound(next_leave))
        arrive = run.arrive
        if arrive > ride_limit:
            continue
        next_money = money + ride.cost
        # A key no label has reached yet needs no dominance check (most, early in a search).
        ready_key: Key = ("ready", ride.alight)
        ready_at = arrive + ride.transfer_min
        if ready_at <= ride_limit and (
            ready_key not in by_key or not _dominated(labels, ready_key, next_money, None, next_leave, None)
        ):
            heappush(
                heap, (ready_at, next_money, counter, ready_key, None, here, (ride, index), next_leave, None)
            )
            counter += 1
        city_key: Key = ("city", ride.to_city)
        city_at = arrive + ride.access_min
        if city_at <= ride_limit and (
            city_key not in by_key
            or not _dominated(labels, city_key, next_money, ride.alight, next_leave, None)
        ):
            heappush(
                heap,
                (city_at, next_money, counter, city_key, ride.alight, here, (ride, index), next_leave, None),
            )
            counter += 1
    return counter


def _postponed_leave(
    ctx: SearchContext, labels: Labels, index: int, arrive_by: int, known: dict[tuple[int, int], int]
) -> int:
    """The leave of a chain of drives (the path to a label) postponed to arrive by ``arrive_by``:
    ``postpone_drives`` of the path's legs, first start only.

    Each drive's latest start depends only on its own earliest start and the start of the drive
    after it, so the leave from any label of the chain given the time it must arrive by is kept in
    ``known`` (one search's, by label index): a chain is asked once for every ride out of every
    terminal it reaches, and its prefixes are shared by the chains that extend it. Rides leaving
    after a window has closed postpone the last drive to the same start, so the rest of the walk
    is the same too. On a large road network (30 cities) the walks were half of the search.
    """
    entries = labels.entries
    walked: list[tuple[int, int]] = []
    leave = arrive_by
    current = index
    while current >= 0:
        label = entries[current]
        spec = label[4]
        if spec is None:  # the origin, or ready at a terminal: no leg
            current = label[3]
            continue
        step = (current, arrive_by)
        found = known.get(step)
        if found is not None:
            leave = found
            break
        walked.append(step)
        edge, start = spec
        # A chain (no ride yet) holds drives only.
        leave = arrive_by = _postponed_start(ctx, cast(DriveEdge, edge), start, arrive_by)
        current = label[3]
    for step in walked:
        known[step] = leave
    return leave


def path_leave(ctx: SearchContext, labels: Labels, index: int, known: dict[tuple[int, int], int]) -> int:
    """When the connection of the path to city label ``index`` leaves: as ``postpone_drives`` of
    its legs with nothing to make after them gives it, ``known`` shared by the calls on one search.

    After a ride the label knows it exactly; a path of drives alone leaves when its drives, the
    last as found and each earlier one postponed to make the next, start.
    """
    label = labels.entries[index]
    spec = label[4]
    if label[7] is None or spec is None:  # after a ride, or the origin itself
        return label[6]
    return _postponed_leave(ctx, labels, label[3], spec[1], known)


def postpone_drives(ctx: SearchContext, specs: list[LegSpec], arrive_by: int | None) -> list[LegSpec]:
    """The legs with each drive that feeds a later leg (or must arrive by ``arrive_by``)
    started as late as still makes it (rule 16: the latest start the rules allow, not just
    the last instant), so waiting happens at the hotel, not at a terminal."""
    specs = list(specs)
    for position in range(len(specs) - 1, -1, -1):
        edge, value = specs[position]
        if isinstance(edge, RideEdge):
            arrive_by = edge.runs[value].depart - ctx.lead[edge.board]
            continue
        if arrive_by is not None:
            specs[position] = (edge, _postponed_start(ctx, edge, value, arrive_by))
        arrive_by = specs[position][1]
    return specs


def _postponed_start(ctx: SearchContext, drive: DriveEdge, start: int, arrive_by: int) -> int:
    """The start of a drive found at ``start``, postponed to the latest the rules allow that still
    arrives by ``arrive_by``; ``start`` itself when no later one does."""
    if arrive_by > start + drive_minutes(ctx, drive, start):
        latest = latest_drive_start(ctx, drive, start, arrive_by)
        if latest is not None and latest > start:
            return latest
    return start


def earliest_arrival(ctx: SearchContext, origin: str, leave_at: int) -> Labels:
    """The search from ``origin`` at ``leave_at``; ``labels[key][0]`` is the earliest arrival."""
    return pareto_search(ctx, origin, leave_at)


def path_specs(labels: Labels, index: int) -> list[LegSpec]:
    """The legs (edge, run index or drive start) of the path to a label, in order."""
    specs: list[LegSpec] = []
    current = index
    while current >= 0:
        previous, spec = labels.entries[current][3:5]
        if spec is not None:
            specs.append(spec)
        current = previous
    specs.reverse()
    return specs
