"""A restricted dynamic program (beam search) over partial tours, for a first TSPTW tour.

The classic restricted DP for the TSPTW (Malandraki & Dial 1996): level k holds
partial tours from the depot through k customers, each a label (visited set, last
node, earliest service start there, travel so far). Every label is extended by
every customer it may visit next; among labels with the same visited set and last
node only the non-dominated survive (none other has no more travel and no later
time), and the ``width`` shortest go on to the next level. A whole level is a set
of numpy arrays, extended as labels x candidates at once, so a width of a few
thousand costs under a second on 60 customers.

It only restricts the search using what the problem's reductions prove: tightened
windows, precedences and the arcs a feasible tour can use. Their shortest-path
bounds end a label as soon as a node still to visit (or the depot, to return)
can no longer be reached before its window closes, so no width is spent on
partial tours that cannot be completed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from planner.cpsat.time_window_tour import Reductions, TourProblem

DEPOT = 0
MAX_NODES = 64  # the visited set is one bit per node in a uint64

Ints = NDArray[np.int64]
Masks = NDArray[np.uint64]


@dataclass(frozen=True)
class _Instance:
    """The problem as arrays: matrices indexed [from, to], windows and masks indexed by node."""

    travel: Ints
    path_bound: Ints
    opens: Ints
    closes: Ints  # the depot's entry: when the tour must be back
    allowed: NDArray[np.bool_]  # allowed[i, j]: the arc i -> j survived the reductions
    required: Masks  # per node, the customers that must be served before it
    bits: Masks  # per node, its bit in a visited set
    cheapest_entry: Ints  # per node, the least travel of an arc into it


@dataclass(frozen=True)
class _Level:
    """Partial tours with the same number of customers, one array entry per label."""

    visited: Masks
    last: Ints
    time: Ints  # earliest service start at the last node
    travel: Ints
    parent: Ints  # index of the label it extends, in the previous level

    def pick(self, index: Ints) -> _Level:
        return _Level(
            self.visited[index], self.last[index], self.time[index], self.travel[index], self.parent[index]
        )


def _arrays(problem: TourProblem, reductions: Reductions) -> _Instance:
    size = problem.size
    allowed = np.zeros((size, size), dtype=np.bool_)
    for i, j in reductions.arcs:
        allowed[i, j] = True
    bits = np.left_shift(np.uint64(1), np.arange(size, dtype=np.uint64))
    travel = np.array(problem.travel, dtype=np.int64)
    cheapest_entry = np.where(allowed, travel, np.iinfo(np.int64).max).min(axis=0)
    required = np.zeros(size, dtype=np.uint64)
    for i, j in reductions.before:
        required[j] |= bits[i]
    return _Instance(
        travel=travel,
        path_bound=np.array(reductions.path_bound, dtype=np.int64),
        opens=np.array([w[0] for w in reductions.windows], dtype=np.int64),
        closes=np.array([w[1] for w in reductions.windows], dtype=np.int64),
        allowed=allowed,
        required=required,
        bits=bits,
        cheapest_entry=np.where(cheapest_entry == np.iinfo(np.int64).max, 0, cheapest_entry),
    )


def _extend(level: _Level, instance: _Instance) -> _Level:
    """Every label followed by every customer it may visit next, on time and after its predecessors."""
    visited = level.visited[:, None]
    unvisited = (visited & instance.bits[None, :]) == 0
    ready = (visited & instance.required[None, :]) == instance.required[None, :]
    start = np.maximum(level.time[:, None] + instance.travel[level.last], instance.opens[None, :])
    fits = instance.allowed[level.last] & unvisited & ready & (start <= instance.closes[None, :])
    fits[:, DEPOT] = False
    parent, node = np.nonzero(fits)
    return _Level(
        visited=level.visited[parent] | instance.bits[node],
        last=node.astype(np.int64),
        time=start[parent, node],
        travel=level.travel[parent] + instance.travel[level.last[parent], node],
        parent=parent.astype(np.int64),
    )


def _non_dominated(level: _Level) -> Ints:
    """Indices of the labels that no label with the same visited set and last node dominates.

    Sorted by (visited, last, travel, time), a label survives if its time is earlier
    than every time before it in its group. The running minimum over the groups in one
    pass: shifting each group's times below all earlier groups' makes it restart there.
    """
    order = np.lexsort((level.time, level.travel, level.last, level.visited))
    visited, last, time = level.visited[order], level.last[order], level.time[order]
    starts_group = np.ones(len(order), dtype=np.bool_)
    starts_group[1:] = (visited[1:] != visited[:-1]) | (last[1:] != last[:-1])
    span = int(time.max() - time.min()) + 1
    shifted = time - np.cumsum(starts_group) * span
    best_before = np.empty_like(shifted)
    best_before[0] = shifted[0] + 1
    best_before[1:] = np.minimum.accumulate(shifted)[:-1]
    return order[starts_group | (shifted < best_before)].astype(np.int64)


def _can_finish(level: _Level, instance: _Instance) -> NDArray[np.bool_]:
    """Whether every node still to visit, the depot included, can be reached before it closes."""
    to_visit = (level.visited[:, None] & instance.bits[None, :]) == 0  # the depot's bit is never set
    soonest = level.time[:, None] + instance.path_bound[level.last]
    return ~np.any(to_visit & (soonest > instance.closes[None, :]), axis=1)


def _next_level(level: _Level, instance: _Instance, width: int) -> _Level:
    """The ``width`` shortest non-dominated labels one customer further (ties: earlier time)."""
    children = _extend(level, instance)
    if len(children.last) == 0:
        return children
    children = children.pick(_non_dominated(children))
    children = children.pick(np.flatnonzero(_can_finish(children, instance)))
    to_visit = (children.visited[:, None] & instance.bits[None, :]) == 0
    estimate = children.travel + (to_visit * instance.cheapest_entry[None, :]).sum(axis=1)
    shortest = np.lexsort((children.time, estimate))[:width]
    return children.pick(shortest.astype(np.int64))


def _closing_label(level: _Level, instance: _Instance) -> int | None:
    """The label whose tour, closed by the arc back to the depot in time, travels least."""
    back = level.time + instance.travel[level.last, DEPOT]
    total = level.travel + instance.travel[level.last, DEPOT]
    on_time = np.flatnonzero(instance.allowed[level.last, DEPOT] & (back <= instance.closes[DEPOT]))
    if len(on_time) == 0:
        return None
    return int(on_time[np.lexsort((back[on_time], total[on_time]))[0]])


def beam_tour(problem: TourProblem, reductions: Reductions, width: int = 300) -> list[int] | None:
    """A feasible customer order from a beam of ``width`` labels per level, or None.

    None when the beam loses every label (a narrow beam can miss all feasible tours),
    when the reductions found no tour exists, or beyond ``MAX_NODES`` nodes.
    Deterministic: ties are broken by the order the labels were made in.
    """
    if reductions.infeasible or not 2 <= problem.size <= MAX_NODES or width < 1:
        return None
    instance = _arrays(problem, reductions)
    level = _Level(
        visited=np.zeros(1, dtype=np.uint64),
        last=np.zeros(1, dtype=np.int64),
        time=np.array([reductions.windows[DEPOT][0]], dtype=np.int64),
        travel=np.zeros(1, dtype=np.int64),
        parent=np.full(1, -1, dtype=np.int64),
    )
    history = []
    for _ in range(problem.size - 1):
        level = _next_level(level, instance, width)
        if len(level.last) == 0:
            return None
        history.append(level)
    label = _closing_label(level, instance)
    if label is None:
        return None
    order = []
    for step in reversed(history):
        order.append(int(step.last[label]))
        label = int(step.parent[label])
    return order[::-1]
