"""Searches remembered across sets of events: what a leave slot's search found, and what it looked at.

A replan compiles the network under the events announced so far and searches every leave slot
again, although most events (a fog at Aktau on the 12th, a delayed train on the 20th) lie far
from what a slot's search ever looks at. The search of a slot is deterministic and reads the
events only through two kinds of question:

- the first run of a ride (service, board, alight) that departs at or after an instant, which
  depends on the runs departing between that instant and the run found (cancelled, delayed and
  closed-terminal runs are not in the list);
- when a drive over a road may start and how long it takes, which depends on the closures and
  slowdowns of that road over the starts considered plus one drive's length.

So each slot's search leaves a footprint: per ride, the span of departures its questions covered;
per road, the span of drive times. An event touches a footprint when it can change an answer
inside it (a run of that service departing in the span before or after its delay, a closure of a
terminal boarded or alighted at in the span, a closure or slowdown of a road in its span). Two sets
of events that touch a footprint in exactly the same items give every question the same answer,
so the search makes the same steps and finds the same connections: its result is reused. Nothing
is guessed; a footprint is a superset of what the search read, so a reuse is exact.

A ``SlotMemo`` belongs to one compiled scenario (one ``TransportNetwork``); the risk replay keeps
one per worker for all its samples, a service worker one per loaded scenario.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner.connections.model import Journey, Key
from planner.network import Overlay, TransportNetwork

if TYPE_CHECKING:
    from planner.connections.context import SearchContext
    from planner.connections.search import Labels

RideKey = tuple[str, str, str]  # service, board terminal, alight terminal
DriveKey = tuple[str, str, str]  # road, origin city, destination city
# A slot as the memo knows it: origin, leave at, leave before, the only first drives (by DriveKey).
MemoSlot = tuple[str, int, "int | None", "frozenset[DriveKey] | None"]
Signature = tuple[tuple[str, int], ...]  # a connection's legs: (service, departure) or (road, start)
Item = tuple[object, ...]  # one thing an overlay changes, hashable


@dataclass(frozen=True)
class Footprint:
    """The spans a search's questions covered: per ride [first instant asked, last departure that
    could answer], per drive [first start asked, last instant a considered drive could reach]."""

    rides: dict[RideKey, tuple[int, int]]
    drives: dict[DriveKey, tuple[int, int]]
    rides_by_service: dict[str, list[RideKey]]
    boarding: dict[str, list[RideKey]]
    alighting: dict[str, list[RideKey]]
    drives_by_road: dict[str, list[DriveKey]]


@dataclass(frozen=True)
class SlotFound:
    """What a slot's search found: the cities it reached, and the connections that can be in a
    plan, in the order found, as (destination, signature, connection)."""

    destinations: tuple[str, ...]
    connections: tuple[tuple[str, Signature, Journey], ...]


@dataclass
class _Remembered:
    footprint: Footprint
    touched: frozenset[Item]
    output: SlotFound


@dataclass
class _Base:
    """The network before any event, indexed for footprints."""

    rides_from: dict[str, list[RideKey]]  # terminal -> rides boarding there
    drives_from: dict[str, list[tuple[DriveKey, int]]]  # city -> (drive, minutes)
    departs: dict[RideKey, dict[dt.date, int]]  # scheduled departure per run date
    longest: dict[RideKey, int]  # the longest run, minutes
    # False when a service links the same two terminals twice (a loop): its rides are not told
    # apart by (service, board, alight), so nothing is remembered for such a network.
    usable: bool = True


def _base(network: TransportNetwork) -> _Base:
    rides_from: dict[str, list[RideKey]] = {}
    drives_from: dict[str, list[tuple[DriveKey, int]]] = {}
    departs: dict[RideKey, dict[dt.date, int]] = {}
    longest: dict[RideKey, int] = {}
    usable = True
    for tail, head, data in network.graph.edges(data=True):
        if data["kind"] == "ride":
            key = (data["service"], tail[1], head[1])
            usable = usable and key not in departs
            rides_from.setdefault(tail[1], []).append(key)
            departs[key] = {run.run_date: run.depart for run in data["runs"]}
            longest[key] = max((run.arrive - run.depart for run in data["runs"]), default=0)
        elif data["kind"] == "drive":
            drives_from.setdefault(tail[1], []).append(((data["road"], tail[1], head[1]), data["minutes"]))
    return _Base(rides_from, drives_from, departs, longest, usable)


@dataclass
class SlotMemo:
    """Slot searches of one network, reused across event sets (see the module's docstring).

    At most ``per_slot`` results per slot and ``limit`` in all are kept, least recently used
    dropped first; connections are shared between the results that found them.
    """

    network: TransportNetwork
    per_slot: int = 4
    limit: int = 20_000
    hits: int = 0
    misses: int = 0
    _slots: OrderedDict[MemoSlot, list[_Remembered]] = field(default_factory=OrderedDict, repr=False)
    _size: int = field(default=0, repr=False)
    # Equal connections found under different events are kept once (the same signature may not
    # be the same connection: a slowed drive keeps its road and start but arrives later).
    _journeys: dict[Journey, Journey] = field(default_factory=dict, repr=False)
    _index: _Base | None = field(default=None, repr=False)

    @property
    def base(self) -> _Base:
        if self._index is None:
            self._index = _base(self.network)
        return self._index

    def recall(self, ctx: SearchContext, slot: MemoSlot) -> SlotFound | None:
        """The output of a search of ``slot`` made under events that touch it as ``ctx``'s do."""
        remembered = self._slots.get(slot)
        if remembered is None or not self.base.usable:
            self.misses += 1
            return None
        for entry in remembered:
            if touched_items(self.base, ctx.overlay, entry.footprint) == entry.touched:
                self._slots.move_to_end(slot)
                self.hits += 1
                return entry.output
        self.misses += 1
        return None

    def remember(self, ctx: SearchContext, slot: MemoSlot, labels: Labels, output: SlotFound) -> None:
        if not self.base.usable:
            return
        footprint = footprint_of(ctx, self.base, labels)
        shared = SlotFound(
            output.destinations,
            tuple(
                (destination, signature, self._journeys.setdefault(j, j))
                for destination, signature, j in output.connections
            ),
        )
        entry = _Remembered(footprint, touched_items(self.base, ctx.overlay, footprint), shared)
        remembered = self._slots.setdefault(slot, [])
        self._slots.move_to_end(slot)
        remembered.insert(0, entry)
        self._size += 1
        if len(remembered) > self.per_slot:
            remembered.pop()
            self._size -= 1
        while self._size > self.limit:
            _, dropped = self._slots.popitem(last=False)
            self._size -= len(dropped)
        if len(self._journeys) > 4 * self.limit:
            self._journeys.clear()  # only a sharing table: results keep their own connections


def footprint_of(ctx: SearchContext, base: _Base, labels: Labels) -> Footprint:
    """What the search that kept ``labels`` asked of the events (a superset; see the module)."""
    from planner.connections.drives import drive_minutes, drive_start

    # The span of label times at each key (a city centre, or a terminal ready to board): one pass
    # over the labels, the hot loop of a memo kept while planning.
    spans: dict[Key, list[int]] = {}
    for entry in labels.entries:
        time = entry[0]
        span = spans.get(entry[5])
        if span is None:
            spans[entry[5]] = [time, time]
        elif time < span[0]:
            span[0] = time
        elif time > span[1]:
            span[1] = time
    cities = {place: span for (kind, place), span in spans.items() if kind == "city"}
    terminals = {place: span for (kind, place), span in spans.items() if kind != "city"}
    latest = max((span[1] for span in spans.values()), default=0)
    # Nothing after the horizon can be used: a run found there is refused like no run at all, and
    # no drive may end after it.
    horizon = ctx.horizon_end
    rides: dict[RideKey, tuple[int, int]] = {}
    for terminal, (first, last) in terminals.items():
        for key in base.rides_from.get(terminal, ()):
            ride = ctx.ride_by_key.get(key)
            answer = horizon
            if ride is not None:
                index = bisect_left(ride.departs, last)
                if index < len(ride.departs):
                    answer = min(horizon, ride.departs[index])
                    latest = max(latest, answer)  # a postponed drive may have to make this run
            rides[key] = (first, answer)
    drives: dict[DriveKey, tuple[int, int]] = {}
    edges = ctx.drive_edges
    for city, (first, last) in cities.items():
        for key, minutes in base.drives_from.get(city, ()):
            edge = edges[key]
            # The longest a drive on this road can take under these events: every slowdown at once.
            factor = math.prod(max(1.0, slow) for _, slow in ctx.overlay.slowdowns.get(key[0], ()))
            longest = math.ceil(minutes * factor) + 1
            begin = drive_start(ctx, edge, last)
            # The earliest arrival from ``last`` is settled by the drives starting before it; the
            # postponements ask about starts up to the latest instant any label or run reached.
            reach = horizon if begin is None else begin + drive_minutes(ctx, edge, begin)
            drives[key] = (first, max(reach, latest) + longest)
    return Footprint(
        rides=rides,
        drives=drives,
        rides_by_service=_group(rides, 0),
        boarding=_group(rides, 1),
        alighting=_group(rides, 2),
        drives_by_road=_group(drives, 0),
    )


def _group(
    keys: dict[tuple[str, str, str], tuple[int, int]], part: int
) -> dict[str, list[tuple[str, str, str]]]:
    grouped: dict[str, list[tuple[str, str, str]]] = {}
    for key in keys:
        grouped.setdefault(key[part], []).append(key)
    return grouped


def touched_items(base: _Base, overlay: Overlay, footprint: Footprint) -> frozenset[Item]:
    """The changes of ``overlay`` that can change an answer inside ``footprint``."""
    items: set[Item] = set()
    rides = footprint.rides

    def run_in_span(service: str, run_date: dt.date, delay: int) -> bool:
        for key in footprint.rides_by_service.get(service, ()):
            depart = base.departs[key].get(run_date)
            if depart is None:
                continue
            first, last = rides[key]
            if first <= depart <= last or first <= depart + delay <= last:
                return True
        return False

    for (service, run_date), delay in overlay.delays.items():
        if run_in_span(service, run_date, delay):
            items.add(("delay", service, run_date, delay))
    for service, run_date in overlay.cancelled:
        if run_in_span(service, run_date, overlay.delays.get((service, run_date), 0)):
            items.add(("cancel", service, run_date))
    for terminal, intervals in overlay.terminals.items():
        for interval in intervals:
            if any(
                interval.start <= rides[key][1] and interval.end >= rides[key][0]
                for key in footprint.boarding.get(terminal, ())
            ) or any(
                interval.start <= rides[key][1] + base.longest[key] and interval.end >= rides[key][0]
                for key in footprint.alighting.get(terminal, ())
            ):
                items.add(("terminal", terminal, interval.start, interval.end))
    drives = footprint.drives
    for road, intervals in overlay.roads.items():
        for interval in intervals:
            if any(
                interval.start <= drives[key][1] and interval.end >= drives[key][0]
                for key in footprint.drives_by_road.get(road, ())
            ):
                items.add(("road", road, interval.start, interval.end))
    for road, slowdowns in overlay.slowdowns.items():
        # Two equal slowdowns compound, so each copy is an item of its own (numbered).
        copies: dict[tuple[int, int, float], int] = {}
        for interval, factor in slowdowns:
            copy = copies[(interval.start, interval.end, factor)] = (
                copies.get((interval.start, interval.end, factor), 0) + 1
            )
            if any(
                interval.start <= drives[key][1] and interval.end >= drives[key][0]
                for key in footprint.drives_by_road.get(road, ())
            ):
                items.add(("slow", road, interval.start, interval.end, factor, copy))
    return frozenset(items)
