"""A local search that shortens a feasible TSPTW tour without breaking any time window.

The tour is kept on time throughout: a move is scheduled only when it shortens the
closed tour, and kept only when every node it touches is still served before its
window closes. Three neighbourhoods, tried around one position of the tour at a time:

- relocate (Or-opt): a segment of one to three customers moved elsewhere, as it is
  or reversed;
- 2-opt: the customers between two positions served in reverse order;
- swap: two customers exchange places.

Each move's change of travel costs a constant number of look-ups (prefix sums of
the travel along the tour and along it backwards price a reversal of any length),
and its feasibility a walk over the changed part only: per position, the latest
service start that still lets the rest of the tour keep its windows says whether
the unchanged remainder stays on time.

A descent stops at a local optimum; a fixed number of kicks (a few random on-time
relocations, then a descent that looks only near what changed) then looks past it,
and a last descent over every position leaves the shortest tour met at a local
optimum. The given order comes back unless a strictly shorter tour was found. The
random choices come from a seeded generator and the work is bounded by counts, never
by time, so the same input gives the same tour. Nothing assumes the triangle
inequality or a symmetric matrix.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from planner.cpsat.time_window_tour import TourProblem

DEPOT = 0
# Kicks after the first descent, and segments relocated at random per kick: on Gendreau n60
# a run costs about 0.1 s, and the hint it improves reaches the optimum on 24 of 25.
KICKS = 60
KICK_MOVES = 3
# Customers a kick may move a segment by: small shifts stay on time far more often.
KICK_REACH = 8
SEED = 0


class _Route:
    """A closed tour as positions 0..n+1 (the depot at both ends) and what moves are priced by.

    ``arrive[k]``: earliest service start at position k; ``latest[k]``: the latest start
    there that keeps the rest of the tour on time; ``forward[k]`` / ``backward[k]``:
    the travel from position 0 to k along the tour and along it against each arc's
    direction (the travel of positions i..j served in reverse is ``backward[j] - backward[i]``).
    """

    def __init__(self, problem: TourProblem, order: Sequence[int]) -> None:
        self.travel = problem.travel
        self.matrix = np.array(problem.travel, dtype=np.int64)
        self.opens = [w[0] for w in problem.windows]
        self.closes = [w[1] for w in problem.windows]
        self.nodes = [DEPOT, *order, DEPOT]
        self.refresh()

    def refresh(self) -> None:
        """Recompute the schedule and prefix sums after the order changed."""
        travel, nodes = self.travel, self.nodes
        last = len(nodes) - 1
        self.arrive = [self.opens[DEPOT]] * (last + 1)
        self.forward = [0] * (last + 1)
        self.backward = [0] * (last + 1)
        for k in range(1, last + 1):
            here, there = nodes[k - 1], nodes[k]
            self.arrive[k] = max(self.arrive[k - 1] + travel[here][there], self.opens[there])
            self.forward[k] = self.forward[k - 1] + travel[here][there]
            self.backward[k] = self.backward[k - 1] + travel[there][here]
        # Back at the depot: not before it opens (it was left then), by its closing time.
        self.arrive[last] = self.arrive[last - 1] + travel[nodes[last - 1]][DEPOT]
        self.latest = [0] * (last + 1)
        self.latest[last] = self.closes[DEPOT]
        for k in range(last - 1, -1, -1):
            self.latest[k] = min(self.closes[nodes[k]], self.latest[k + 1] - travel[nodes[k]][nodes[k + 1]])
        self.array = np.array(nodes, dtype=np.int64)
        self.edges = self.matrix[self.array[:-1], self.array[1:]]  # travel from position g to g + 1
        self.into = self.matrix[self.array[:-1], :]  # [g, node]: from position g to the node
        self.out_of = self.matrix[:, self.array[1:]]  # [node, g]: from the node to position g + 1

    @property
    def length(self) -> int:
        """Travel of the closed tour."""
        return self.forward[-1]

    @property
    def order(self) -> list[int]:
        return self.nodes[1:-1]

    def on_time(self) -> bool:
        return all(self.arrive[k] <= self.closes[node] for k, node in enumerate(self.nodes[:-1])) and (
            self.arrive[-1] <= self.closes[DEPOT]
        )

    def fits(self, start: int, sequence: Sequence[int], resume: int) -> bool:
        """Whether serving ``sequence`` from position ``start`` on, then the tour from position
        ``resume`` on as it is, keeps every window."""
        travel, opens, closes = self.travel, self.opens, self.closes
        here = self.nodes[start - 1]
        now = self.arrive[start - 1]
        for node in sequence:
            now = now + travel[here][node]
            if now < opens[node]:
                now = opens[node]
            elif now > closes[node]:
                return False
            here = node
        return now + travel[here][self.nodes[resume]] <= self.latest[resume]

    def restore(self, order: Sequence[int]) -> None:
        """Go back to another order of the same customers."""
        self.nodes = [DEPOT, *order, DEPOT]
        self.refresh()

    def replace(self, start: int, sequence: Sequence[int], resume: int) -> list[int]:
        """Serve ``sequence`` in place of positions ``start`` to ``resume - 1``; the customers
        served there and just around (their arcs changed)."""
        self.nodes[start:resume] = sequence
        self.refresh()
        return [node for node in self.nodes[start - 1 : start + len(sequence) + 1] if node != DEPOT]


def _segment_travel(route: _Route, first: int, last: int, reverse: bool) -> int:
    """Travel inside positions first..last, along the tour or against it."""
    prefix = route.backward if reverse else route.forward
    return prefix[last] - prefix[first]


def _relocation(
    nodes: list[int], start: int, end: int, gap: int, moved: list[int]
) -> tuple[int, list[int], int]:
    """Positions ``start``..``end`` served as ``moved`` between positions ``gap`` and ``gap + 1``
    instead: as (first position changed, what is served from there, position resumed at)."""
    if gap < start:
        return gap + 1, moved + nodes[gap + 1 : start], end + 1
    return start, nodes[end + 1 : gap + 1] + moved, gap + 1


def _try_relocate(route: _Route, start: int) -> list[int]:
    """Move a segment of one to three customers starting at ``start`` to where it shortens the
    tour and keeps every window, as it is or reversed; the customers next to the change (none
    if no move was made).

    The travel change of every place, size and orientation is computed at once; the
    ones that shorten the tour are walked for the windows, most shortening first, and
    the first that keeps every window is made.
    """
    nodes, travel = route.nodes, route.travel
    customers = len(nodes) - 2
    sizes = [size for size in (1, 2, 3) if start + size - 1 <= customers]
    # One column per size and orientation (a single customer has one): first and last
    # node as served, travel inside, and what taking the segment out saves.
    columns = [(size, reverse) for size in sizes for reverse in (False, True) if size > 1 or not reverse]
    heads, tails, inside, saved = [], [], [], []
    for size, reverse in columns:
        end = start + size - 1
        first, last = nodes[start], nodes[end]
        heads.append(last if reverse else first)
        tails.append(first if reverse else last)
        inside.append(_segment_travel(route, start, end, reverse))
        before, after = nodes[start - 1], nodes[end + 1]
        saved.append(
            travel[before][first]
            + travel[last][after]
            - travel[before][after]
            + _segment_travel(route, start, end, False)
        )
    # change[g, c]: travel added minus saved by column c's segment put between positions g, g + 1.
    change = route.into[:, heads] + route.out_of[tails, :].T - route.edges[:, None]
    change += np.array(inside, dtype=np.int64)[None, :] - np.array(saved, dtype=np.int64)[None, :]
    for column, (size, _) in enumerate(columns):
        change[start - 1 : start + size, column] = 0  # places inside or next to the segment itself
    gaps, picked = np.nonzero(change < 0)
    for index in np.argsort(change[gaps, picked], kind="stable"):
        gap, (size, reverse) = int(gaps[index]), columns[picked[index]]
        end = start + size - 1
        moved = nodes[end : start - 1 : -1] if reverse else nodes[start : end + 1]
        change_at, sequence, resume = _relocation(nodes, start, end, gap, moved)
        if route.fits(change_at, sequence, resume):
            return route.replace(change_at, sequence, resume)
    return []


def _try_two_opt(route: _Route, start: int) -> list[int]:
    """Serve positions ``start``..j in reverse for the first j > start where that shortens the
    tour and keeps every window; the customers next to the change (none if no move was made)."""
    nodes, travel = route.nodes, route.travel
    customers = len(nodes) - 2
    before = nodes[start - 1]
    for end in range(start + 1, customers + 1):
        after = nodes[end + 1]
        old = travel[before][nodes[start]] + route.forward[end] - route.forward[start]
        new = travel[before][nodes[end]] + route.backward[end] - route.backward[start]
        old += travel[nodes[end]][after]
        new += travel[nodes[start]][after]
        if new >= old:
            continue
        sequence = nodes[end : start - 1 : -1]
        if route.fits(start, sequence, end + 1):
            return route.replace(start, sequence, end + 1)
    return []


def _try_swap(route: _Route, start: int) -> list[int]:
    """Exchange the customer at ``start`` with the first later non-adjacent one where that
    shortens the tour and keeps every window (adjacent pairs are 2-opt moves); the customers
    next to the change (none if no move was made)."""
    nodes, travel = route.nodes, route.travel
    customers = len(nodes) - 2
    x, x_before, x_after = nodes[start], nodes[start - 1], nodes[start + 1]
    for other in range(start + 2, customers + 1):
        y, y_before, y_after = nodes[other], nodes[other - 1], nodes[other + 1]
        old = travel[x_before][x] + travel[x][x_after] + travel[y_before][y] + travel[y][y_after]
        new = travel[x_before][y] + travel[y][x_after] + travel[y_before][x] + travel[x][y_after]
        if new >= old:
            continue
        sequence = [y, *nodes[start + 1 : other], x]
        if route.fits(start, sequence, other + 1):
            return route.replace(start, sequence, other + 1)
    return []


def _descend(route: _Route, max_moves: int, pending: Sequence[int]) -> int:
    """Apply improving moves around the ``pending`` customers, and around every customer next
    to a change made, until none is pending or ``max_moves`` were made; the number made.

    A customer is looked at again only once the tour changed near it, so a descent after
    a small perturbation costs a few positions, not a pass over the whole tour.
    """
    queue = deque(pending)
    queued = set(queue)
    moves = 0
    while queue and moves < max_moves:
        node = queue.popleft()
        queued.discard(node)
        position = route.nodes.index(node)
        for attempt in (_try_relocate, _try_two_opt, _try_swap):
            touched = attempt(route, position)
            if touched:
                moves += 1
                for other in [node, *touched]:
                    if other not in queued:
                        queue.append(other)
                        queued.add(other)
                break
    return moves


def _kick(route: _Route, generator: random.Random, moves: int) -> list[int]:
    """Relocate ``moves`` random short segments by a few positions each, whatever the travel,
    as long as every window is kept (a few tries per move; a move that never fits is skipped);
    the customers next to a change."""
    customers = len(route.nodes) - 2
    touched: list[int] = []
    for _ in range(moves):
        for _attempt in range(10):
            size = generator.randint(1, min(3, customers))
            start = generator.randint(1, customers - size + 1)
            end = start + size - 1
            gap = generator.randint(max(0, start - KICK_REACH), min(customers, end + KICK_REACH))
            if start - 1 <= gap <= end:
                continue
            change, sequence, resume = _relocation(route.nodes, start, end, gap, route.nodes[start : end + 1])
            if route.fits(change, sequence, resume):
                touched += route.replace(change, sequence, resume)
                break
    return touched


def improve_tour(
    problem: TourProblem,
    order: Sequence[int],
    kicks: int = KICKS,
    seed: int = SEED,
    max_moves: int = 10_000,
) -> list[int]:
    """A tour shorter than ``order`` and on time if one is found, else ``order``: a descent to a
    local optimum, then ``kicks`` rounds of random perturbation and descent, then a last full
    descent from the shortest tour met.

    An order that is late somewhere, or does not visit every customer once, comes back
    unchanged (this search only ever keeps a tour on time, it does not repair one).
    """
    if sorted(order) != list(range(1, problem.size)) or problem.size < 4:
        return list(order)
    route = _Route(problem, order)
    if not route.on_time():
        return list(order)
    best, best_length = list(order), route.length
    given_length = best_length
    budget = max_moves
    generator = random.Random(seed)
    for kick in range(kicks + 1):
        touched = route.order if kick == 0 else _kick(route, generator, KICK_MOVES)
        budget -= _descend(route, budget, touched)
        if route.length <= best_length:
            # Ties move the search along a plateau instead of back to where it was.
            best, best_length = route.order, route.length
        else:
            route.restore(best)
        if budget <= 0:
            break
    # A descent after a kick looks only near the changes; passes over every customer until
    # none helps leave a tour no single move shortens.
    while budget > 0 and (made := _descend(route, budget, route.order)):
        budget -= made
    if route.length <= best_length:
        best, best_length = route.order, route.length
    # A tour only as long as the given one is no better, and the given one is what the caller chose.
    return best if best_length < given_length else list(order)
