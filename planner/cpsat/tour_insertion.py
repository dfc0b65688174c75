"""A first on-time TSPTW tour by cheapest insertion, repaired and shortened by moving segments.

One of the tours ``planner.cpsat.time_window_tour.best_hint`` chooses from (with the beam search of
``planner.cpsat.tour_beam``), and the schedule that scores any order: minutes late first, then
travel.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.cpsat.time_window_tour import TourProblem

DEPOT = 0


def _soonest_service_first(problem: TourProblem) -> list[int]:
    """Greedy order: next, the customer whose service can start soonest while still on time."""
    travel, windows = problem.travel, problem.windows
    now, here = windows[DEPOT][0], DEPOT
    waiting = set(range(1, problem.size))
    order = []
    while waiting:
        start = {node: max(now + travel[here][node], windows[node][0]) for node in waiting}
        on_time = [node for node in waiting if start[node] <= windows[node][1]]
        # When every remaining window is missed, the order is late anyway; the local
        # search repairs it.
        chosen = min(on_time or waiting, key=lambda node: (start[node], windows[node][1], node))
        order.append(chosen)
        now, here = start[chosen], chosen
        waiting.remove(chosen)
    return order


def _cheapest_insertion(problem: TourProblem, priority: Callable[[int], tuple[int, int]]) -> list[int] | None:
    """Insert customers in priority order, each where it adds least travel and keeps every window.

    None when some customer fits nowhere. A position is checked in constant time from
    the earliest service times before it and the latest ones after it.
    """
    travel, windows = problem.travel, problem.windows
    tour: list[int] = []
    for node in sorted(range(1, problem.size), key=priority):
        stops = [DEPOT, *tour, DEPOT]
        earliest = [windows[DEPOT][0]]
        for k in range(1, len(stops) - 1):
            earliest.append(max(earliest[-1] + travel[stops[k - 1]][stops[k]], windows[stops[k]][0]))
        latest = [0] * len(stops)
        latest[-1] = windows[DEPOT][1]
        for k in range(len(stops) - 2, 0, -1):
            latest[k] = min(windows[stops[k]][1], latest[k + 1] - travel[stops[k]][stops[k + 1]])
        best: tuple[int, int] | None = None
        for k in range(len(stops) - 1):
            left, right = stops[k], stops[k + 1]
            served = max(earliest[k] + travel[left][node], windows[node][0])
            if served > windows[node][1]:
                continue
            reached = served + travel[node][right]
            if right != DEPOT:
                reached = max(reached, windows[right][0])
            if reached > latest[k + 1]:
                continue
            added = travel[left][node] + travel[node][right] - travel[left][right]
            if best is None or added < best[0]:
                best = (added, k)
        if best is None:
            return None
        tour.insert(best[1], node)
    return tour


class TourSchedule:
    """An order served as early as possible: per prefix, the time, minutes late and travel so far."""

    def __init__(self, problem: TourProblem, order: list[int]) -> None:
        self.travel = problem.travel
        self.windows = problem.windows
        self.order = order
        self.prefix: list[tuple[int, int, int]] = [(self.windows[DEPOT][0], 0, 0)]
        for position, node in enumerate(order):
            self.prefix.append(self._step(self.prefix[-1], order[position - 1] if position else DEPOT, node))
        self.score = self._finish(self.prefix[-1], order[-1] if order else DEPOT)

    def _step(self, state: tuple[int, int, int], here: int, node: int) -> tuple[int, int, int]:
        now, late, cost = state
        opens, closes = self.windows[node]
        now = max(now + self.travel[here][node], opens)
        return now, late + max(0, now - closes), cost + self.travel[here][node]

    def _finish(self, state: tuple[int, int, int], here: int) -> tuple[int, int]:
        """(minutes late, travel) once the tour is back at the depot."""
        now, late, cost = state
        now += self.travel[here][DEPOT]
        return late + max(0, now - self.windows[DEPOT][1]), cost + self.travel[here][DEPOT]

    def score_of(self, candidate: list[int], same_prefix: int) -> tuple[int, int]:
        """Score of another order sharing the first ``same_prefix`` customers with this one.

        Stops early, with a score already worse than this one's, once it is later in all.
        """
        state = self.prefix[same_prefix]
        here = candidate[same_prefix - 1] if same_prefix else DEPOT
        limit = self.score[0]
        for node in candidate[same_prefix:]:
            state = self._step(state, here, node)
            if state[1] > limit:
                return state[1], state[2]
            here = node
        return self._finish(state, here)

    def first_late(self) -> int:
        """Position of the first customer served after its window closes (len(order) if none)."""
        return next((k for k in range(len(self.order)) if self.prefix[k + 1][1] > 0), len(self.order))


def _relocate_segments(problem: TourProblem, schedule: TourSchedule, max_candidates: int) -> TourSchedule:
    """Move segments of one to three customers while that lowers (minutes late, travel).

    First improvement. While the order is late somewhere, moves that change it up to
    the first late customer (where the lateness starts) are tried first. Once on
    time, a move's travel change is known without a schedule, so only moves that
    shorten the tour are scheduled.
    """
    travel = problem.travel
    looked_at = 0
    focused = True
    while looked_at < max_candidates:
        improved = False
        order = schedule.order
        on_time = schedule.score[0] == 0
        reach = len(order) if on_time or not focused else schedule.first_late()
        for length in (1, 2, 3):
            for start in range(len(order) - length + 1):
                segment = order[start : start + length]
                rest = order[:start] + order[start + length :]
                before = order[start - 1] if start else DEPOT
                after = order[start + length] if start + length < len(order) else DEPOT
                removed = travel[before][segment[0]] + travel[segment[-1]][after] - travel[before][after]
                for place in range(len(rest) + 1):
                    if place == start or min(start, place) > reach:
                        continue
                    looked_at += 1
                    left = rest[place - 1] if place else DEPOT
                    right = rest[place] if place < len(rest) else DEPOT
                    added = travel[left][segment[0]] + travel[segment[-1]][right] - travel[left][right]
                    if on_time and added >= removed:
                        continue
                    candidate = rest[:place] + segment + rest[place:]
                    if schedule.score_of(candidate, min(start, place)) < schedule.score:
                        schedule = TourSchedule(problem, candidate)
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break
        if not improved:
            if on_time or not focused:
                break
            focused = False  # nothing helps at the first late customer: try every move
        elif not on_time:
            focused = True
    return schedule


def warm_start(problem: TourProblem, max_candidates: int = 50_000) -> list[int] | None:
    """A feasible customer order to hint the solver with, or None if none is found.

    Four cheapest-insertion orders (customers by deadline, window width, window middle,
    window start) and a greedy soonest-service-first order; the best of them (on time
    first, then shortest), improved or repaired by moving segments of customers.
    Deterministic and bounded by the number of moves looked at, so it costs a small,
    fixed share of a solve. It only gives the solver a first tour to improve and
    prune with; the proof of optimality does not depend on it.
    """
    windows = problem.windows
    priorities: list[Callable[[int], tuple[int, int]]] = [
        lambda c: (windows[c][1], c),
        lambda c: (windows[c][1] - windows[c][0], c),
        lambda c: (windows[c][0] + windows[c][1], c),
        lambda c: (windows[c][0], c),
    ]
    orders = [
        order for priority in priorities if (order := _cheapest_insertion(problem, priority)) is not None
    ]
    orders.append(_soonest_service_first(problem))
    schedule = min((TourSchedule(problem, order) for order in orders), key=lambda s: s.score)
    schedule = _relocate_segments(problem, schedule, max_candidates)
    return schedule.order if schedule.score[0] == 0 else None
