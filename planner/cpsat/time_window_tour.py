"""A single-vehicle tour with time windows as a CP-SAT circuit model.

The alternative to the time-expanded itinerary model (``planner.cpsat.model``) for
problems given as a plain travel-time matrix with one time window per node, such
as the classic TSPTW benchmarks: node 0 is the depot, every other node is visited
exactly once, waiting for a window to open is allowed and free, and the objective
is the total travel time of the closed tour (the return to the depot included).

The time-expanded model would need one slot per node and minute of its window
(about 5,000 slots and 100,000 arcs on a 40-customer instance with wide windows),
its linear relaxation lets the flow revisit a city at another time and is much
weaker, and it relies on travel taking time, which zero entries in a matrix break.
Here instead: one Boolean per arc, ``AddCircuit`` over them, one integer service time per node,
"arc taken => time moves forward by its travel time", and as hint the shortest tour of an insertion
heuristic (``planner.cpsat.tour_insertion``) and a beam search forwards and backwards in time
(``planner.cpsat.tour_beam``), each shortened by ``planner.cpsat.tour_search``.

Nothing assumes the triangle inequality (benchmark matrices break it): every
reduction below uses either a single direct arc or the shortest-path closure of
the matrix, which is a lower bound on the travel time of *any* path between two
nodes, so each is exact on any matrix with non-negative entries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from planner.connections.parallel import can_fork, map_spread
from planner.cpsat.tour_beam import beam_tour
from planner.cpsat.tour_insertion import TourSchedule, warm_start
from planner.cpsat.tour_search import improve_tour
from planner.domain import SolverParams
from planner.processes import search_processes
from planner.result import SolveStatus

DEPOT = 0
# Labels per level of the beam: on Gendreau n40/n60 .001-.002 its tour alone is optimal on 7 of 20
# with 300, 15 with 1000 and 16 with 3000 (under a second each, a small share of a 10 s solve).
BEAM_WIDTH = 3000


@dataclass(frozen=True)
class TourProblem:
    """Travel times ``travel[i][j]`` from node i to j and a window ``(earliest, latest)`` per node.

    Node 0 is the depot: the tour leaves it at its earliest time and must be back by
    its latest. Every other node is served once, starting inside its window.
    """

    travel: tuple[tuple[int, ...], ...]
    windows: tuple[tuple[int, int], ...]

    @property
    def size(self) -> int:
        return len(self.windows)

    def mirrored(self) -> TourProblem:
        """The same problem run backwards in time: arcs reversed, windows mirrored about the depot's
        closing. An order is on time here exactly when its reverse is on time in ``self`` (service
        times t become closing - t; waiting is free both ways), with the same travel."""
        closing = self.windows[DEPOT][1]
        return TourProblem(
            travel=tuple(zip(*self.travel, strict=True)),
            windows=tuple((closing - latest, closing - earliest) for earliest, latest in self.windows),
        )


def shortest_path_bounds(travel: tuple[tuple[int, ...], ...]) -> list[list[int]]:
    """Floyd-Warshall closure: a lower bound on the travel time of any path from i to j."""
    size = len(travel)
    bound = [list(row) for row in travel]
    for via in range(size):
        through = bound[via]
        for i in range(size):
            to_via = bound[i][via]
            row = bound[i]
            for j in range(size):
                if to_via + through[j] < row[j]:
                    row[j] = to_via + through[j]
    return bound


@dataclass
class Reductions:
    """What the windows imply, each rule exact without the triangle inequality.

    ``windows`` are tightened service windows (every feasible schedule stays inside
    them); ``before`` holds pairs (i, j) where i must
    be served before j on every feasible tour; ``arcs`` are the arcs that can appear
    in a feasible tour; ``infeasible`` says a window became empty.
    """

    windows: list[tuple[int, int]]
    path_bound: list[list[int]]
    before: set[tuple[int, int]] = field(default_factory=set)
    arcs: list[tuple[int, int]] = field(default_factory=list)
    infeasible: bool = False


def reduce_problem(problem: TourProblem) -> Reductions:
    """Tighten the windows, derive precedences and drop arcs no feasible tour can use.

    Repeated until nothing changes:

    - reach and return: service at i starts no earlier than ``a_0 + sp(0, i)`` and
      ends in time to travel back, ``b_0 - sp(i, 0)`` (sp: shortest-path bound);
    - predecessor: i is entered by one direct arc from some node p with ``a_p + d(p, i)
      <= b_i``, so service at i starts no earlier than the least ``a_p + d(p, i)``;
    - successor: i is left by one direct arc to some j with ``a_i + d(i, j) <= b_j``,
      so service at i starts no later than the largest ``b_j - d(i, j)``;
    - precedence: if ``a_j + sp(j, i) > b_i``, any path from j reaches i too late,
      so i precedes j; then ``a_j >= a_i + sp(i, j)`` and ``b_i <= b_j - sp(i, j)``.

    An arc survives if its tail's earliest service plus the travel meets its head's
    latest, it does not run against a precedence, and no node is forced between
    its ends (i before k before j rules out i -> j; a node with a forced predecessor
    cannot be first, one with a forced successor cannot be last).
    """
    path_bound = shortest_path_bounds(problem.travel)
    earliest = [w[0] for w in problem.windows]
    latest = [w[1] for w in problem.windows]
    arc_fits = _arc_test(problem.travel, earliest, latest)
    before = _tighten_windows(problem, path_bound, earliest, latest, arc_fits)
    if before is None:
        # Some window emptied out: no tour exists (the windows kept are the given ones).
        return Reductions(list(problem.windows), path_bound, infeasible=True)
    before = _transitive_closure(before)
    windows = [(earliest[k], latest[k]) for k in range(problem.size)]
    return Reductions(windows, path_bound, before, _surviving_arcs(problem.size, before, arc_fits))


def _arc_test(
    travel: tuple[tuple[int, ...], ...], earliest: list[int], latest: list[int]
) -> Callable[[int, int], bool]:
    """Whether an arc can be used under the windows as they are tightened (the lists are
    read at each call)."""
    depot_close = latest[DEPOT]

    def arc_fits(i: int, j: int) -> bool:
        if i == j:
            return False
        if j == DEPOT:
            return earliest[i] + travel[i][DEPOT] <= depot_close
        return earliest[i] + travel[i][j] <= latest[j]

    return arc_fits


def _tighten_windows(
    problem: TourProblem,
    path_bound: list[list[int]],
    earliest: list[int],
    latest: list[int],
    arc_fits: Callable[[int, int], bool],
) -> set[tuple[int, int]] | None:
    """Tighten ``earliest`` and ``latest`` in place by the rules of ``reduce_problem`` until
    nothing changes; the precedences found, or None when no tour exists."""
    size = problem.size
    travel = problem.travel
    depot_open, depot_close = earliest[DEPOT], latest[DEPOT]
    customers = range(1, size)
    before: set[tuple[int, int]] = set()
    changed = True
    while changed:
        changed = False
        for i in customers:
            low = max(earliest[i], depot_open + path_bound[DEPOT][i])
            high = min(latest[i], depot_close - path_bound[i][DEPOT])
            entries = [earliest[p] + travel[p][i] for p in range(size) if p != i and arc_fits(p, i)]
            exits = [latest[j] - travel[i][j] for j in customers if j != i and arc_fits(i, j)]
            if arc_fits(i, DEPOT):
                exits.append(depot_close - travel[i][DEPOT])
            if not entries or not exits:
                return None
            low = max(low, min(entries))
            high = min(high, max(exits))
            if low > high:
                return None
            if (low, high) != (earliest[i], latest[i]):
                earliest[i], latest[i] = low, high
                changed = True
        for i in customers:
            for j in customers:
                if i == j or (i, j) in before or earliest[j] + path_bound[j][i] <= latest[i]:
                    continue
                if (j, i) in before:  # each must precede the other: no feasible tour
                    return None
                before.add((i, j))
                changed = True
        for i, j in before:
            gap = path_bound[i][j]
            if earliest[j] < earliest[i] + gap or latest[i] > latest[j] - gap:
                earliest[j] = max(earliest[j], earliest[i] + gap)
                latest[i] = min(latest[i], latest[j] - gap)
                changed = True
    return before


def _surviving_arcs(
    size: int, before: set[tuple[int, int]], arc_fits: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    """The arcs that fit the tightened windows and respect the precedences ``before``."""
    has_predecessor = {j for _, j in before}
    has_successor = {i for i, _ in before}
    followers: dict[int, set[int]] = {i: set() for i in range(size)}
    leaders: dict[int, set[int]] = {i: set() for i in range(size)}
    for i, j in before:
        followers[i].add(j)
        leaders[j].add(i)
    arcs = []
    for i in range(size):
        for j in range(size):
            if not arc_fits(i, j):
                continue
            if i == DEPOT and j in has_predecessor:
                continue
            if j == DEPOT and i in has_successor:
                continue
            if i != DEPOT and j != DEPOT and ((j, i) in before or followers[i] & leaders[j]):
                continue
            arcs.append((i, j))
    return arcs


def _transitive_closure(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """i before k and k before j give i before j."""
    closure = set(pairs)
    successors: dict[int, set[int]] = {}
    for i, j in closure:
        successors.setdefault(i, set()).add(j)
    changed = True
    while changed:
        changed = False
        for i in list(successors):
            reach = set(successors[i])
            for k in list(reach):
                reach |= successors.get(k, set())
            if reach != successors[i]:
                successors[i] = reach
                changed = True
    return {(i, j) for i, followers in successors.items() for j in followers}


def best_hint(problem: TourProblem, reductions: Reductions, beam_width: int = BEAM_WIDTH) -> list[int] | None:
    """The shortest on-time tour of ``warm_start`` and the beam search forwards and backwards in
    time, each after ``improve_tour``, or None.

    The beam run on the mirrored problem builds tours from their end, so it keeps other partial
    tours than the forward one: on Gendreau n40w200.003 and n60w160.001 its tour (a third of the
    width, 0.1-0.2 s at 60 customers), reversed and improved, is optimal where the forward beam's
    stays 3 above. A third of the width leaves CP-SAT nearly all of the time it had before.
    """
    if reductions.infeasible:
        return None
    tours = _hint_tours(problem, reductions, beam_width)
    on_time = [schedule for t in tours if (schedule := TourSchedule(problem, t)).score[0] == 0]
    return min(on_time, key=lambda schedule: schedule.score).order if on_time else None


# From this many nodes the hint's two halves run in two processes where the machine has the cores:
# at 60 customers the hint took 1.2 s of a 10 s limit on one core (the forward beam 0.6 s, the
# rest 0.6 s) and takes about 0.7 s on two, time CP-SAT gets for its proof. Below, forking (about
# 0.05 s) would cost more than it saves.
MIN_NODES_TO_SPLIT_HINT = 41


def _hint_tours(problem: TourProblem, reductions: Reductions, beam_width: int) -> list[list[int]]:
    """The improved candidate tours, in a fixed order (the insertion start, the forward beam's,
    the backward beam's), whichever process computed them: the hint is the same either way."""

    def part(which: int) -> list[list[int] | None]:
        if which == 0:
            return [beam_tour(problem, reductions, beam_width)]
        mirror = problem.mirrored()
        backwards = beam_tour(mirror, reduce_problem(mirror), max(1, beam_width // 3))
        return [warm_start(problem), None if backwards is None else backwards[::-1]]

    def improved(which: int) -> list[list[int] | None]:
        return [None if tour is None else improve_tour(problem, tour) for tour in part(which)]

    processes = min(2, search_processes())
    if problem.size >= MIN_NODES_TO_SPLIT_HINT and can_fork(processes):
        forward, others = map_spread(improved, [0, 1], processes)
    else:
        forward, others = improved(0), improved(1)
    return [tour for tour in (others[0], forward[0], others[1]) if tour is not None]


class TourModel:
    """The circuit model of a reduced problem: variables, one method per rule, the objective."""

    def __init__(self, problem: TourProblem, reductions: Reductions) -> None:
        self.problem = problem
        self.reductions = reductions
        self.model = cp_model.CpModel()
        windows = reductions.windows
        self.service = [
            self.model.new_int_var(windows[i][0], windows[i][1], f"service_{i}") for i in range(problem.size)
        ]
        # Waiting is free, so leaving the depot as soon as it opens loses nothing.
        self.model.add(self.service[DEPOT] == windows[DEPOT][0])
        self.back_at_depot = self.model.new_int_var(
            windows[DEPOT][0], problem.windows[DEPOT][1], "back_at_depot"
        )
        self.arc_vars = {(i, j): self.model.new_bool_var(f"arc_{i}_{j}") for i, j in reductions.arcs}
        self._add_constraints()
        self._set_objective()

    def _add_constraints(self) -> None:
        if self.reductions.infeasible:
            self.model.add_bool_or([])  # a window emptied out: no tour exists
            return
        self._one_circuit_through_every_node()
        self._travel_moves_time_forward()
        self._back_at_the_depot_in_time()
        self._precedences_from_windows()
        self._two_arc_paths_that_miss_a_window()

    def _one_circuit_through_every_node(self) -> None:
        """The arcs taken form one closed tour through the depot and every customer."""
        self.model.add_circuit([(i, j, var) for (i, j), var in self.arc_vars.items()])

    def _travel_moves_time_forward(self) -> None:
        """Service at the head of an arc taken starts no earlier than at its tail plus the travel."""
        travel = self.problem.travel
        for (i, j), var in self.arc_vars.items():
            if j != DEPOT:
                self.model.add(self.service[j] >= self.service[i] + travel[i][j]).only_enforce_if(var)

    def _back_at_the_depot_in_time(self) -> None:
        """The last arc reaches the depot by its closing time (the return is part of the tour)."""
        travel = self.problem.travel
        for (i, j), var in self.arc_vars.items():
            if j == DEPOT:
                self.model.add(self.back_at_depot >= self.service[i] + travel[i][DEPOT]).only_enforce_if(var)

    def _precedences_from_windows(self) -> None:
        """A node that must come before another is served at least a shortest path earlier.

        Redundant given the circuit, but it links the time variables before any arc is
        decided, which prunes the search much earlier.
        """
        bound = self.reductions.path_bound
        for i, j in sorted(self.reductions.before):
            self.model.add(self.service[j] >= self.service[i] + bound[i][j])

    def _two_arc_paths_that_miss_a_window(self) -> None:
        """i -> j -> k cannot be taken if, served as early as possible, k's window has closed.

        Stated as "at most one of i -> j, j -> k, i -> k" (the last two share a head and
        the first and last a tail, so that adds nothing false) - the form that tightens
        the linear relaxation the most.
        """
        travel = self.problem.travel
        windows = self.reductions.windows
        depot_close = windows[DEPOT][1]
        out_of: dict[int, list[int]] = {}
        for i, j in self.arc_vars:
            out_of.setdefault(i, []).append(j)
        for (i, j), first in self.arc_vars.items():
            if DEPOT in (i, j):
                continue
            at_j = max(windows[j][0], windows[i][0] + travel[i][j])
            for k in out_of.get(j, []):
                if k == i:
                    continue
                late = at_j + travel[j][k] > (depot_close if k == DEPOT else windows[k][1])
                if not late:
                    continue
                shortcut = self.arc_vars.get((i, k))
                group = [first, self.arc_vars[(j, k)]] + ([shortcut] if shortcut is not None else [])
                self.model.add_at_most_one(group)

    def add_hint(self, order: list[int]) -> None:
        """Start the search from a known feasible tour: its arcs and earliest service times."""
        travel, windows = self.problem.travel, self.problem.windows
        taken = set(zip([DEPOT, *order], [*order, DEPOT], strict=True))
        for arc, var in self.arc_vars.items():
            self.model.add_hint(var, arc in taken)
        now, here = windows[DEPOT][0], DEPOT
        for node in order:
            now = max(now + travel[here][node], windows[node][0])
            self.model.add_hint(self.service[node], now)
            here = node
        self.model.add_hint(self.back_at_depot, now + travel[here][DEPOT])

    def _set_objective(self) -> None:
        """Minimise the total travel time of the closed tour; waiting is free."""
        travel = self.problem.travel
        self.model.minimize(sum(travel[i][j] * var for (i, j), var in self.arc_vars.items() if travel[i][j]))


@dataclass(frozen=True)
class TourResult:
    """The outcome of a solve: the tour, when one was found, as nodes after the depot."""

    status: SolveStatus
    objective: int | None
    bound: int | None
    order: tuple[int, ...]  # customers in visiting order (the depot implied at both ends)
    service_start: tuple[int, ...]  # per node, a feasible service start (the depot: departure)
    runtime_s: float
    seed: int
    workers: int
    time_limit_s: float
    stats: dict[str, float] = field(default_factory=dict)


_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
}


def solve_tour(problem: TourProblem, params: SolverParams, beam_width: int = BEAM_WIDTH) -> TourResult:
    """Reduce, model and solve a tour problem with CP-SAT; never raises on infeasibility."""
    started = time.perf_counter()
    reductions = reduce_problem(problem)
    tour_model = TourModel(problem, reductions)
    hint = best_hint(problem, reductions, beam_width)
    if hint is not None:
        tour_model.add_hint(hint)
    built = time.perf_counter() - started
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, params.time_limit_s - built)
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    # Measured on the TSPTW benchmarks: circuit cuts in the linear relaxation give the
    # bound that proves optimality, and cheaper presolve probing leaves more time for it.
    solver.parameters.linearization_level = 2
    solver.parameters.cp_model_probing_level = 0
    code = solver.solve(tour_model.model)
    runtime = time.perf_counter() - started
    if code == cp_model.MODEL_INVALID:
        raise RuntimeError(f"invalid tour model: {tour_model.model.validate()}")
    status = _STATUS.get(code, SolveStatus.TIME_LIMIT)
    order: tuple[int, ...] = ()
    service: tuple[int, ...] = ()
    objective = bound = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        successor = {i: j for (i, j), var in tour_model.arc_vars.items() if solver.boolean_value(var)}
        sequence = []
        node = successor[DEPOT]
        while node != DEPOT:
            sequence.append(node)
            node = successor[node]
        order = tuple(sequence)
        service = tuple(solver.value(var) for var in tour_model.service)
        objective = round(solver.objective_value)
    if code != cp_model.INFEASIBLE:
        # Proven lower bound on the travel time, also when no tour was found in time.
        bound = round(solver.best_objective_bound)
    return TourResult(
        status=status,
        objective=objective,
        bound=bound,
        order=order,
        service_start=service,
        runtime_s=runtime,
        seed=params.seed,
        workers=params.workers,
        time_limit_s=params.time_limit_s,
        stats={
            "arcs": len(reductions.arcs),
            "arcs_before_reduction": problem.size * (problem.size - 1),
            "precedences": len(reductions.before),
            "hint_travel": -1 if hint is None else TourSchedule(problem, hint).score[1],
            "build_s": round(built, 4),
            "cp_sat_wall_s": round(solver.wall_time, 4),
        },
    )
