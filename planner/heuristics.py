"""Reference solvers over the same time-expanded DAG as CP-SAT, scored by the same objective.

Both work on a ``Problem`` from ``planner.problem.build_problem`` (its slots and arcs,
never the network) so that their plans and CP-SAT's differ only in the search:

- ``greedy_insertion``: the classic orienteering heuristic. Start from the direct
  source-sink path and repeatedly insert the seminar slot that adds the most
  coverage points per unit of added secondary cost, while the path stays a path of
  the DAG, each city appears at most once and the daily travel limit holds. Fast,
  no guarantee. ``planner.solve.plan`` gives its plan to CP-SAT as the first solution.
- ``beam_dp``: the same label setting keeping only the best labels at each node (by
  coverage points, then cost), then the exact label setting over the cities that plan
  visits: no guarantee, but on the flagship it finds the optimum in a fifth of a second,
  which CP-SAT then only has to prove (``initial_plan`` gives CP-SAT the better of it and
  the greedy plan).
- ``exact_dp``: label setting over the DAG in time order. A label at a node is the
  set of cities visited so far (a bitmask) and, on days where the daily travel limit
  can bind, the minutes already travelled on the node's home day; two labels with
  the same key keep the cheaper. Every path is represented, so the result is the
  optimum; the number of labels grows with the number of city subsets, so it gives
  up (``TooBig``) past a cap.

Both score their plans with ``planner.objective``, as the CP-SAT model does, so a heuristic's
objective and CP-SAT's are the same number for the same itinerary.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from planner.objective import coverage_points, objective_of, objective_weights, visited_cities
from planner.problem import SINK, SOURCE, Arc, OutOfTime, Problem


class TooBig(Exception):
    """The exact dynamic program needed more labels than its cap allows."""

    def __init__(self, states: int, max_states: int) -> None:
        super().__init__(f"more than {max_states} labels (stopped at {states})")
        self.states = states
        self.max_states = max_states


@dataclass(frozen=True)
class HeuristicPlan:
    """An itinerary found by a reference solver: its arcs from source to sink and its scores."""

    arcs: tuple[Arc, ...]  # in path order, as planner.solve chooses them
    cities: frozenset[str]
    coverage_points: int
    secondary_cost: int  # sum of the arc costs, 1/60 points, as Result.secondary_cost
    objective: int  # the CP-SAT model's weighted sum for this itinerary
    states: int  # labels created (DP) or insertions scored (greedy): the work done


def reachable_slots(problem: Problem) -> set[int]:
    """Slot nodes on some source -> sink path of the arc DAG."""
    forward: dict[int, list[int]] = defaultdict(list)
    backward: dict[int, list[int]] = defaultdict(list)
    for arc in problem.arcs:
        forward[arc.tail].append(arc.head)
        backward[arc.head].append(arc.tail)

    def sweep(start: int, edges: dict[int, list[int]]) -> set[int]:
        seen = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for nxt in edges[node]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    return (sweep(SOURCE, forward) & sweep(SINK, backward)) - {SOURCE, SINK}


def _plan_of(problem: Problem, arcs: list[Arc], states: int) -> HeuristicPlan:
    cities = frozenset(visited_cities(problem, arcs))
    secondary = sum(a.cost for a in arcs)
    return HeuristicPlan(
        arcs=tuple(arcs),
        cities=cities,
        coverage_points=coverage_points(problem, cities),
        secondary_cost=secondary,
        objective=objective_of(problem, cities, secondary),
        states=states,
    )


def _all_required_reachable(problem: Problem) -> bool:
    """False when some required city no source-sink path can hold: then there is no plan
    (planner.solve reports INFEASIBLE, rule 9 of scenarios/README.md)."""
    cities = {problem.slot(node).city for node in reachable_slots(problem)}
    return problem.required <= cities


def _within_daily_limit(problem: Problem, arcs: list[Arc] | tuple[Arc, ...]) -> bool:
    return all(m <= problem.limit_on(day) for day, m in problem.daily_loads(list(arcs)).items())


# ---------------------------------------------------------------------------------------
# Greedy insertion


def greedy_insertion(problem: Problem) -> HeuristicPlan | None:
    """A feasible itinerary built by cheapest and best-ratio insertion; None if it finds none.

    None when a required city is out of reach (there is no plan). First every required
    city is inserted where it adds the least cost; then,
    while some insertion adds coverage points, the one with the most points per unit of
    added cost (an insertion that saves cost ranks above all others) is made.
    Insertions that would break the daily travel limit on a binding day are skipped.
    """
    if not _all_required_reachable(problem):
        return None
    out: dict[int, dict[int, Arc]] = {}
    for arc in problem.arcs:
        out.setdefault(arc.tail, {})[arc.head] = arc
    path = _greedy_seed(problem, out)
    if path is None:
        return None
    insertion = _Insertion(problem, out, path)
    # Required cities first, each at its cheapest place; one that fits nowhere is left
    # out (and reported as uncovered, as planner.solve does for a hopeless one).
    for city in sorted(problem.required - insertion.visited):
        options = sorted(insertion.candidates({city}), key=lambda c: (c[1], c[0], c[2].head))
        chosen = next((c for c in options if insertion.fits(c[0], c[2], c[3])), None)
        if chosen is not None:
            insertion.insert(chosen[0], chosen[2], chosen[3])
    while True:
        best = insertion.best_ratio()
        if best is None:
            break
        insertion.insert(*best)
    return _plan_of(problem, insertion.path, insertion.scored)


class _Insertion:
    """A greedy path under construction: its arcs, daily loads, cities and regions so far."""

    def __init__(self, problem: Problem, out: dict[int, dict[int, Arc]], path: list[Arc]) -> None:
        self.problem = problem
        self.out = out
        self.path = path
        self.city_of = {slot.node: slot.city for slot in problem.slots}
        self.binding = problem.binding_days
        self.loads = {d: m for d, m in problem.daily_loads(path).items() if d in self.binding}
        self.visited = {self.city_of[a.head] for a in path if a.head in self.city_of}
        self.covered = {r for c in self.visited for r in problem.city_regions.get(c, ())}
        self.scored = 0  # insertions scored: the work done

    def day_delta(self, added: tuple[Arc, Arc], removed: Arc) -> dict[int, int]:
        delta: dict[int, int] = {}
        for arc in added:
            for day, minutes in arc.day_minutes:
                if day in self.binding:
                    delta[day] = delta.get(day, 0) + minutes
        for day, minutes in removed.day_minutes:
            if day in self.binding:
                delta[day] = delta.get(day, 0) - minutes
        return delta

    def gain(self, city: str) -> int:
        new_regions = {r for r in self.problem.city_regions.get(city, ()) if r not in self.covered}
        return self.problem.city_points.get(city, 0) + sum(self.problem.region_points[r] for r in new_regions)

    def candidates(self, cities: set[str] | frozenset[str]) -> list[tuple[int, int, Arc, Arc]]:
        """(position in path, added cost, arc in, arc out) of each slot of ``cities`` that fits."""
        found = []
        for position, arc in enumerate(self.path):
            heads = self.out.get(arc.tail, {})
            for node, arc_in in heads.items():
                city = self.city_of.get(node)
                if city is None or city not in cities:
                    continue
                arc_out = self.out.get(node, {}).get(arc.head)
                if arc_out is not None:
                    found.append((position, arc_in.cost + arc_out.cost - arc.cost, arc_in, arc_out))
        self.scored += len(found)
        return found

    def fits(self, position: int, arc_in: Arc, arc_out: Arc) -> bool:
        if not self.binding:
            return True
        delta = self.day_delta((arc_in, arc_out), self.path[position])
        return all(self.loads.get(d, 0) + m <= self.problem.limit_on(d) for d, m in delta.items() if m > 0)

    def insert(self, position: int, arc_in: Arc, arc_out: Arc) -> None:
        for day, minutes in self.day_delta((arc_in, arc_out), self.path[position]).items():
            self.loads[day] = self.loads.get(day, 0) + minutes
        self.path[position : position + 1] = [arc_in, arc_out]
        city = self.city_of[arc_in.head]
        self.visited.add(city)
        self.covered.update(self.problem.city_regions.get(city, ()))

    def best_ratio(self) -> tuple[int, Arc, Arc] | None:
        """(position, arc in, arc out) of the best insertion that adds points and fits, if any."""
        open_cities = {c for c in self.problem.city_points if c not in self.visited and self.gain(c) > 0}
        ranked = []
        for position, added, arc_in, arc_out in self.candidates(open_cities):
            points = self.gain(self.city_of[arc_in.head])
            # Saving cost while adding points beats any ratio; among those, more points
            # then more saving. Otherwise points per unit of added cost.
            rank = (1, points, -added) if added <= 0 else (0, points / added, -added)
            ranked.append((rank, -position, -arc_in.head, position, arc_in, arc_out))
        ranked.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
        chosen = next((r for r in ranked if self.fits(r[3], r[4], r[5])), None)
        return None if chosen is None else (chosen[3], chosen[4], chosen[5])


def _greedy_seed(problem: Problem, out: dict[int, dict[int, Arc]]) -> list[Arc] | None:
    """The direct source-sink arc, else the best single-seminar path within the limit."""
    direct = out.get(SOURCE, {}).get(SINK)
    if direct is not None and _within_daily_limit(problem, [direct]):
        return [direct]
    best: tuple[tuple[int, int], list[Arc]] | None = None
    for node, arc_in in out.get(SOURCE, {}).items():
        arc_out = out.get(node, {}).get(SINK)
        if node == SINK or arc_out is None or not _within_daily_limit(problem, [arc_in, arc_out]):
            continue
        city = problem.slot(node).city
        key = (-coverage_points(problem, {city}), arc_in.cost + arc_out.cost)
        if best is None or key < best[0]:
            best = (key, [arc_in, arc_out])
    return best[1] if best else None


# ---------------------------------------------------------------------------------------
# Exact dynamic program


def exact_dp(problem: Problem, max_states: int = 3_000_000, lazy_limit: bool = True) -> HeuristicPlan | None:
    """The optimal itinerary by label setting; None if there is none; ``TooBig`` past the cap.

    As in planner.solve, the daily travel limit is settled lazily by default: the
    program first runs without it on the problem's arcs (pruned as if it never binds);
    if its best itinerary keeps the limit on every day, that is optimal with the limit
    too, since a constraint cannot improve an optimum. Only otherwise (or always, with
    ``lazy_limit=False``) it runs with the day's load in the label, over the arcs pruned
    exactly for the limit. ``max_states`` caps the labels created over both runs; about
    300 bytes each.
    """
    if not _all_required_reachable(problem):
        return None
    required = problem.required
    states = 0
    best: list[Arc] | None = None
    if lazy_limit or not problem.binding_days:
        best, states = _label_setting(problem, problem.arcs, required, False, max_states)
        if best is None or _within_daily_limit(problem, best):
            return None if best is None else _plan_of(problem, best, states)
    best, more = _label_setting(problem, problem.exact().arcs, required, True, max_states - states)
    return None if best is None else _plan_of(problem, best, states + more)


def initial_plan(problem: Problem, width: int = 32, deadline: float | None = None) -> HeuristicPlan | None:
    """The better of the greedy plan and the beam plan (``beam_dp``), as CP-SAT's first solution.

    The greedy plan takes milliseconds but often leaves coverage or cost on the table; the
    beam plan, a fraction of a second on the flagship, is usually within a few per cent of
    the optimum, and a near-optimal first solution lets CP-SAT spend its time on the bound.
    ``deadline`` (a ``time.perf_counter()`` value) stops the beam: then the greedy plan.
    """
    greedy = greedy_insertion(problem)
    beam = beam_dp(problem, width, deadline=deadline)
    if greedy is None or beam is None:
        return beam or greedy
    return beam if beam.objective < greedy.objective else greedy


def beam_dp(
    problem: Problem, width: int = 32, max_states: int = 150_000, deadline: float | None = None
) -> HeuristicPlan | None:
    """A good itinerary: label setting that keeps at most ``width`` labels per node, then the
    exact label setting over the cities that plan visits.

    At each node, before its labels are extended, only the ``width`` best are kept: most
    coverage points so far, then least cost. The beam finds which cities to visit well and how
    to travel between them less well; the exact program restricted to those cities (a few
    thousand subsets instead of every subset of the scenario) then finds the cheapest itinerary
    through them, unless it needs more than ``max_states`` labels. The daily travel limit is
    settled as in ``exact_dp``, but over the problem's arcs only (see ``_lazily_limited``).
    None when no plan is found that holds every required city, or when ``deadline`` (a
    ``time.perf_counter()`` value) passes during the beam; past it during the exact part, the
    beam's plan.
    """
    if not _all_required_reachable(problem):
        return None
    cap = 10 * width * (len(problem.slots) + 2) * 64  # never reached: the beam bounds the labels
    try:
        beam, states = _lazily_limited(
            problem,
            lambda arcs, limited: _label_setting(
                problem, arcs, problem.required, limited, cap, width, deadline
            ),
        )
    except OutOfTime:
        return None
    if beam is None:
        return None
    cities = visited_cities(problem, beam)

    def through(arcs: list[Arc], limited: bool) -> tuple[list[Arc] | None, int]:
        kept = [a for a in arcs if a.head == SINK or problem.slot(a.head).city in cities]
        return _label_setting(problem, kept, problem.required, limited, max_states, None, deadline)

    try:
        exact, more = _lazily_limited(problem, through)
    except (TooBig, OutOfTime):
        exact, more = None, max_states
    plans = [_plan_of(problem, beam, states + more)]
    if exact is not None:
        plans.append(_plan_of(problem, exact, states + more))
    return min(plans, key=lambda plan: plan.objective)


def _lazily_limited(
    problem: Problem, setting: Callable[[list[Arc], bool], tuple[list[Arc] | None, int]]
) -> tuple[list[Arc] | None, int]:
    """A label setting run without the daily travel limit first, as ``exact_dp`` does; again
    with the limit only when that plan breaks it, over the same arcs: the arcs pruned exactly
    for the limit (``Problem.exact``) can take longer to build than the whole heuristic, and
    the solver may never need them."""
    best, states = setting(problem.arcs, False)
    if best is None or not problem.binding_days or _within_daily_limit(problem, best):
        return best, states
    best, more = setting(problem.arcs, True)
    return best, states + more


# Per tail: (head, arc index, cost, head city bit, minutes on the tail's day, minutes on the
# head's day, head day == tail day, head day binding).
_Move = tuple[int, int, int, int, int, int, bool, bool]


def _label_setting(
    problem: Problem,
    arcs: list[Arc],
    required: frozenset[str],
    with_limit: bool,
    max_states: int,
    beam: int | None = None,
    deadline: float | None = None,
) -> tuple[list[Arc] | None, int]:
    """Best source-sink path over ``arcs`` and the number of labels created. With ``beam``, only
    that many labels per node are extended (``beam_dp``): a good path, not necessarily the best.
    ``OutOfTime`` once ``deadline`` passes.

    A label key is the visited-city bitmask, plus (with the limit) the minutes already
    travelled on the home day of the node's free time, shifted above the city bits.
    Only that day's load matters: every later connection leaves at or after the free
    time, and every earlier one arrived before the seminar began, so on no other day
    can the past and the future both travel.
    """
    cities = sorted(problem.city_points)
    bit = {city: 1 << index for index, city in enumerate(cities)}
    shift = len(cities)
    city_mask = (1 << shift) - 1
    binding = problem.binding_days if with_limit else frozenset()

    # Home day of each node's free time: the seminar's end, or the trip's start.
    axis = problem.axis
    free_day = {SOURCE: axis.home_day(problem.start_min)}
    free_day.update({slot.node: axis.home_day(slot.free) for slot in problem.slots})
    moves = _moves(problem, arcs, bit, free_day, binding, with_limit)

    # cost[node][key]: the cheapest way found to reach that label; back[node][key]: the
    # arc index that reached it and the key at the arc's tail (kept apart so the hot
    # loop reads plain ints and allocates a tuple only on an improvement).
    cost: dict[int, dict[int, int]] = {SOURCE: {0: 0}}
    back: dict[int, dict[int, tuple[int, int]]] = {SOURCE: {0: (-1, -1)}}
    states = 1
    order = [SOURCE, *(slot.node for slot in problem.slots)]  # slots are sorted by start time
    points_of = _LabelPoints(problem, bit, city_mask)
    for node in order:
        here = cost.get(node)
        if not here:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            raise OutOfTime("the time for a first plan ended")
        if beam is not None and len(here) > beam:
            kept = sorted(here.items(), key=lambda item: (-points_of(item[0]), item[1], item[0]))[:beam]
            here = dict(kept)
        tail_binding = free_day[node] in binding
        tail_limit = problem.limit_on(free_day[node])
        for head, index, arc_cost, head_bit, on_tail_day, on_head_day, same_day, head_binding in moves.get(
            node, []
        ):
            target = cost.setdefault(head, {})
            target_back = back.setdefault(head, {})
            for key, value in here.items():
                if key & head_bit:
                    continue
                new_key = (key & city_mask) | head_bit
                if with_limit:
                    load = (key >> shift) + on_tail_day
                    if tail_binding and load > tail_limit:
                        continue
                    if head_binding:
                        new_key |= (load if same_day else on_head_day) << shift
                new_value = value + arc_cost
                old = target.get(new_key)
                if old is None:
                    states += 1
                    if states > max_states:
                        raise TooBig(states, max_states)
                elif new_value >= old:
                    continue
                target[new_key] = new_value
                target_back[new_key] = (index, key)

    best_key = _best_at_sink(problem, cost.get(SINK, {}), bit, sum(bit[c] for c in required))
    if best_key is None:
        return None, states
    return _path_to_sink(arcs, back, best_key), states


def _path_to_sink(arcs: list[Arc], back: dict[int, dict[int, tuple[int, int]]], key: int) -> list[Arc]:
    """The arcs of the label ``key`` at the sink, followed back to the source."""
    path: list[Arc] = []
    node = SINK
    while node != SOURCE:
        index, previous = back[node][key]
        path.append(arcs[index])
        node, key = arcs[index].tail, previous
    path.reverse()
    return path


class _LabelPoints:
    """Coverage points (``planner.objective.coverage_points``) of a label's visited cities,
    remembered per city set: the beam ranks the same sets over and over."""

    def __init__(self, problem: Problem, bit: dict[str, int], city_mask: int) -> None:
        self._problem = problem
        self._bit = bit
        self._city_mask = city_mask
        self._memo: dict[int, int] = {}

    def __call__(self, key: int) -> int:
        cities = key & self._city_mask
        points = self._memo.get(cities)
        if points is None:
            visited = [city for city, city_bit in self._bit.items() if cities & city_bit]
            points = self._memo[cities] = coverage_points(self._problem, visited)
        return points


def _moves(
    problem: Problem,
    arcs: list[Arc],
    bit: dict[str, int],
    free_day: dict[int, int],
    binding: frozenset[int],
    with_limit: bool,
) -> dict[int, list[_Move]]:
    """The label-setting moves out of each tail node, as plain ints for the hot loop."""
    moves: dict[int, list[_Move]] = {}
    for index, arc in enumerate(arcs):
        head_bit = 0 if arc.head == SINK else bit[problem.slot(arc.head).city]
        tail_day = free_day[arc.tail]
        head_day = free_day.get(arc.head, -1)
        minutes = dict(arc.day_minutes)
        if with_limit and any(
            d in binding and d != tail_day and m > problem.limit_on(d) for d, m in minutes.items()
        ):
            continue  # breaks the limit on a day no earlier travel shares: never usable
        moves.setdefault(arc.tail, []).append(
            (
                arc.head,
                index,
                arc.cost,
                head_bit,
                minutes.get(tail_day, 0),
                minutes.get(head_day, 0),
                head_day == tail_day,
                head_day in binding,
            )
        )
    return moves


def _best_at_sink(
    problem: Problem, at_sink: dict[int, int], bit: dict[str, int], required_mask: int
) -> int | None:
    """The key of the label at the sink with the least objective among those holding every
    required city (the first found on a tie), None if there is none."""
    weights = objective_weights(problem)
    best: tuple[int, int] | None = None  # (objective, key at the sink)
    for key, value in at_sink.items():
        if key & required_mask != required_mask:
            continue
        visited = frozenset(c for c, b in bit.items() if key & b)
        score = objective_of(problem, visited, value, weights)
        if best is None or score < best[0]:
            best = (score, key)
    return None if best is None else best[1]


__all__ = [
    "HeuristicPlan",
    "TooBig",
    "beam_dp",
    "exact_dp",
    "greedy_insertion",
    "initial_plan",
    "reachable_slots",
]
