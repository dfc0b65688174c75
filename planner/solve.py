"""The one front door: ``plan(scenario)``, and ``solve(problem, params, initial) -> Result``.

``plan`` builds the problem, finds a first plan (``planner.heuristics.initial_plan``) and passes it to
``solve`` as the initial solution, as PyVRP's ``solve`` takes an ``initial_solution``: CP-SAT
starts from it, and it is the answer when CP-SAT finds no better one in time. ``solve`` only
reads the problem; every figure of the result comes from ``planner.objective``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from planner.collector import collection_paused
from planner.connections import SlotMemo
from planner.connections.store import ConnectionStore
from planner.cpsat.model import ItineraryModel
from planner.domain import Scenario, SolverParams
from planner.heuristics import HeuristicPlan, greedy_insertion, initial_plan, reachable_slots
from planner.network import Overlay, TransportNetwork
from planner.objective import (
    coverage_points,
    covered_regions,
    max_coverage_points,
    objective_of,
    objective_terms,
    rank,
)
from planner.problem import SINK, SOURCE, Arc, OutOfTime, Problem, build_problem
from planner.result import (
    Itinerary,
    Result,
    SeminarVisit,
    SolveStatus,
    Uncovered,
    UncoveredReason,
)

# The share of the time left after the build that the beam's first plan may take.
FIRST_PLAN_SHARE = 0.25
# Labels the beam keeps per node (planner.heuristics.beam_dp).
FIRST_PLAN_WIDTH = 32

# Told of each phase ("connections", "solving", ...) and, while solving, of each better
# plan: solutions found, objective, bound, elapsed seconds. For progress displays only.
ProgressHook = Callable[[str, dict[str, Any]], None]


@collection_paused()  # planner.collector: the build and the model, not the garbage
def plan(
    scenario: Scenario,
    params: SolverParams | None = None,
    network: TransportNetwork | None = None,
    overlay: Overlay | None = None,
    progress: ProgressHook | None = None,
    store: ConnectionStore | None = None,
    memo: SlotMemo | None = None,
) -> tuple[Problem, Result]:
    """Build the problem of a scenario and solve it with its (or the given) parameters.

    ``store`` keeps the connections found on disk (``planner.connections.store``): a second plan
    of the same scenario under the same events reads them instead of searching. ``memo`` (of
    ``network``) keeps the searches of its leave slots for later replans under events
    (planner.connections.memo).

    The time limit bounds the whole of it: the connection search stops when 80 % of the limit
    less 0.2 s has passed (checked between two cities, so it may run over by one city's
    search; the rest is time to build the plan without travel), the first plan (greedy, and
    the beam within a quarter of the time left) and CP-SAT get what is left. When the search
    ran out of time, the plan is what can be done without travelling (the start city's
    seminar, when the trip also ends there), FEASIBLE, and every other city says it was not
    searched.

    A scenario with teams is not one group: ``ValueError`` (plan it with ``planner.teams``).
    """
    if scenario.teams:
        raise ValueError("teams: a scenario with teams is planned by planner.teams.plan_teams")
    params = params or scenario.solver
    started = time.perf_counter()
    if progress:
        progress("connections", {})
    try:
        problem = build_problem(
            scenario,
            network=network,
            overlay=overlay,
            deadline=started + 0.8 * params.time_limit_s - 0.2,
            store=store,
            memo=memo,
        )
    except OutOfTime:
        return plan_without_travel(scenario, params, started, network=network, overlay=overlay)
    built = time.perf_counter() - started
    # A good plan (the better of the greedy and the beam plan, a fraction of a second) as
    # CP-SAT's first solution: large instances then always end with at least that plan, and
    # from a near-optimal incumbent CP-SAT spends its time on the bound. The beam may take a
    # quarter of what is left of the limit; past it, the greedy plan alone.
    left = params.time_limit_s - (time.perf_counter() - started)
    initial = _first_plan(problem, store, deadline=time.perf_counter() + FIRST_PLAN_SHARE * left)
    remaining = max(0.01, params.time_limit_s - (time.perf_counter() - started))
    result = solve(problem, params.model_copy(update={"time_limit_s": remaining}), initial, progress=progress)
    result = dataclasses.replace(
        result,
        time_limit_s=params.time_limit_s,
        runtime_s=time.perf_counter() - started,
        stats={**result.stats, "build_s": round(built, 4)},
    )
    return problem, result


def _first_plan(problem: Problem, store: ConnectionStore | None, deadline: float) -> HeuristicPlan | None:
    """``initial_plan``, read from ``store`` when the problem's connections are kept there and the
    first plan was found in full before. A plan is kept only when found before ``deadline``: one
    cut short by it depends on the machine's speed, a full one only on the problem."""
    if store is None or problem.store_key is None:
        return initial_plan(problem, FIRST_PLAN_WIDTH, deadline=deadline)
    # The first plan also reads the scenario's objective weights and rules.
    key = store.key(
        problem.store_key, problem.scenario.model_dump_json(), f"first plan, width {FIRST_PLAN_WIDTH}"
    )
    kept = store.load_value("first", key)
    if isinstance(kept, HeuristicPlan):
        return kept
    first = initial_plan(problem, FIRST_PLAN_WIDTH, deadline=deadline)
    if first is not None and time.perf_counter() < deadline:
        store.save_value("first", key, first)
    return first


def plan_without_travel(
    scenario: Scenario, params: SolverParams, started: float, **problem_args: Any
) -> tuple[Problem, Result]:
    """The best plan that needs no connection, after the search ran out of time.

    ``problem_args`` are those of ``build_problem`` (network, overlay, a replan's start
    and stability). From a start elsewhere than the end city there is none: TIME_LIMIT.
    """
    problem = build_problem(scenario, travel=False, **problem_args)
    result = solve(problem, params.model_copy(update={"time_limit_s": 0.05}), greedy_insertion(problem))
    detail = "not searched: the time limit ended while connections were being searched"
    uncovered = tuple(
        u
        if u.reason == UncoveredReason.NO_WINDOW
        else Uncovered(u.city, UncoveredReason.NO_PLAN, detail, u.required)
        for u in result.uncovered
    )
    # Never OPTIMAL (nothing with travel was considered), never INFEASIBLE (nothing was proven).
    status = SolveStatus.FEASIBLE if result.itinerary is not None else SolveStatus.TIME_LIMIT
    runtime = time.perf_counter() - started
    result = dataclasses.replace(
        result,
        status=status,
        bound=None,
        uncovered=uncovered,
        method="out of time while searching connections: only what needs no travel",
        time_limit_s=params.time_limit_s,
        runtime_s=runtime,
        stats={**result.stats, "build_s": round(runtime, 4)},
    )
    return problem, result


def explain_uncovered(problem: Problem, covered: set[str], feasible_nodes: set[int]) -> list[Uncovered]:
    """Why each seminar city is not in the plan."""
    slot_cities = {s.city for s in problem.slots}
    feasible_cities = {problem.slot(n).city for n in feasible_nodes}
    uncovered = []
    done = problem.start.done_cities if problem.start else frozenset()
    for seminar in problem.scenario.seminars:
        city = seminar.city
        if city in covered or city in done:
            continue
        name = problem.scenario.city(city).name
        if city not in slot_cities:
            reason = UncoveredReason.NO_WINDOW
            detail = f"no allowed seminar time in {name} falls on a working day inside the trip"
        elif city not in feasible_cities:
            reason = UncoveredReason.UNREACHABLE
            detail = (
                f"no connection reaches {name} in time for a seminar and still gets back "
                "before the latest return"
            )
        else:
            reason = UncoveredReason.TRADED_OFF
            detail = f"{name} could be visited, but not together with the cities chosen"
        uncovered.append(Uncovered(city, reason, detail, seminar.required))
    return uncovered


def result_of_arcs(
    problem: Problem,
    chosen: list[int] | None,
    status: SolveStatus,
    params: SolverParams,
    runtime_s: float,
    method: str,
) -> Result:
    """The result of an itinerary chosen elsewhere (one team's share of a team plan): its figures
    computed from the itinerary itself, no bound of its own."""
    outcome = _Outcome(status, problem, None, chosen)
    figures = _PlanFigures.of(outcome, fallback=True)
    uncovered = explain_uncovered(problem, figures.covered, reachable_slots(problem))
    return _result(problem, problem, figures, status, params, runtime_s, uncovered, method)


def _result(
    problem: Problem,
    solved: Problem,
    figures: _PlanFigures,
    status: SolveStatus,
    params: SolverParams,
    runtime_s: float,
    uncovered: list[Uncovered],
    method: str,
    warnings: tuple[str, ...] = (),
    stats: dict[str, float] | None = None,
) -> Result:
    """The Result of a plan's figures; ``solved`` is the problem the plan was found in (the exact
    variant of ``problem`` when the daily limit binds)."""
    return Result(
        status=status,
        objective=figures.objective,
        bound=figures.bound,
        runtime_s=runtime_s,
        itinerary=figures.itinerary,
        uncovered=tuple(uncovered),
        coverage_points=figures.points,
        max_coverage_points=max_coverage_points(problem),
        covered_regions=figures.regions,
        secondary_cost=figures.secondary,
        stability_cost=figures.stability,
        seed=params.seed,
        workers=params.workers,
        time_limit_s=params.time_limit_s,
        warnings=warnings,
        stats={
            "slots": len(problem.slots),
            "arcs": len(solved.arcs),
            "arcs_before_pruning": len(problem.all_arcs),
            **(stats or {}),
        },
        method=method,
        objective_terms=figures.terms,
    )


# CP-SAT's answer as a plan status (anything else, UNKNOWN, is TIME_LIMIT).
CP_STATUS = {
    cp_model.OPTIMAL: SolveStatus.OPTIMAL,
    cp_model.FEASIBLE: SolveStatus.FEASIBLE,
    cp_model.INFEASIBLE: SolveStatus.INFEASIBLE,
}


@dataclass(frozen=True)
class _Outcome:
    status: SolveStatus
    problem: Problem
    solver: cp_model.CpSolver | None  # None when CP-SAT did not run
    chosen: list[int] | None  # arc indices of the plan, if one was found

    @property
    def arcs(self) -> list[Arc]:
        return [self.problem.arcs[i] for i in self.chosen or ()]


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Passes each better plan's objective and bound to a progress hook."""

    def __init__(self, progress: ProgressHook) -> None:
        super().__init__()
        self.progress = progress
        self.solutions = 0

    def on_solution_callback(self) -> None:
        self.solutions += 1
        self.progress(
            "solving",
            {
                "solutions": self.solutions,
                "objective": round(self.objective_value),
                "bound": round(self.best_objective_bound),
                "elapsed_s": round(self.wall_time, 2),
            },
        )


def cp_solver(params: SolverParams, time_limit: float, work_share: float = 1.0) -> cp_model.CpSolver:
    """A CP-SAT solver set up by ``params``, with ``time_limit`` seconds and ``work_share`` of the
    deterministic limit."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.01, time_limit)
    if params.deterministic_limit is not None:
        # A fixed share (half each when two models run), never one that depends on the clock,
        # so the same limit gives the same plan on any machine.
        solver.parameters.max_deterministic_time = max(1e-3, params.deterministic_limit * work_share)
    solver.parameters.num_workers = params.workers
    solver.parameters.random_seed = params.seed
    solver.parameters.cp_model_probing_level = params.probing_level
    solver.parameters.linearization_level = params.linearization_level
    solver.parameters.add_lp_constraints_lazily = params.lp_constraints_lazily
    return solver


def _run(
    problem: Problem,
    params: SolverParams,
    time_limit: float,
    hint: list[Arc] | None,
    progress: ProgressHook | None = None,
    work_share: float = 1.0,
) -> _Outcome:
    model = ItineraryModel(problem)
    if hint:
        model.add_hint(hint)
    solver = cp_solver(params, time_limit, work_share)
    if progress:
        progress("solving", {"solutions": 0})
    code = solver.solve(model.model, _Reporter(progress) if progress else None)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = [i for i, var in enumerate(model.arc_vars) if solver.boolean_value(var)]
        return _Outcome(CP_STATUS[code], problem, solver, chosen)
    return _Outcome(CP_STATUS.get(code, SolveStatus.TIME_LIMIT), problem, solver, None)


def solve(
    problem: Problem,
    params: SolverParams,
    initial: HeuristicPlan | None = None,
    progress: ProgressHook | None = None,
) -> Result:
    """Solve a problem with CP-SAT and explain what is left out; never raises on infeasibility.

    ``initial`` (the first plan ``plan`` passes in) is CP-SAT's first solution, and the
    answer when CP-SAT finds no better one in time (if it holds every required city).
    The daily travel limit is handled lazily: first the model without it (smaller,
    as more arcs can be pruned); if that plan keeps the limit on every day it is
    also optimal with the limit, since adding a constraint cannot improve the
    optimum. Only otherwise the exact model with the limit is solved.
    """
    started = time.perf_counter()
    feasible_nodes = reachable_slots(problem)
    feasible_cities = {problem.slot(n).city for n in feasible_nodes}
    warnings: list[str] = []
    hopeless = {c for c in problem.required if c not in feasible_cities}
    if hopeless:
        # No itinerary holds a required seminar: the plan is INFEASIBLE, with each such
        # city and its reason in `uncovered` (rule 9), never a plan that quietly lacks it.
        warnings.extend(f"required city {c} cannot be covered by any plan" for c in sorted(hopeless))
        outcome, path, fallback = (
            _Outcome(SolveStatus.INFEASIBLE, problem, None, None),
            "a required city is unreachable",
            False,
        )
    else:
        outcome, path, fallback = _best_plan(problem, params, initial, started, progress)
    solver, status = outcome.solver, outcome.status
    runtime = time.perf_counter() - started
    figures = _PlanFigures.of(outcome, fallback)
    uncovered = explain_uncovered(problem, figures.covered, feasible_nodes)
    if figures.itinerary is None and status == SolveStatus.TIME_LIMIT:
        uncovered = [
            u
            if u.reason != UncoveredReason.TRADED_OFF
            else Uncovered(
                u.city, UncoveredReason.NO_PLAN, "no plan was found within the time limit", u.required
            )
            for u in uncovered
        ]
    stats = {
        "solve_s": round(runtime, 4),
        "cp_sat_wall_s": round(solver.wall_time, 4) if solver is not None else 0.0,
    }
    return _result(
        problem, outcome.problem, figures, status, params, runtime, uncovered, path, tuple(warnings), stats
    )


@dataclass(frozen=True)
class _PlanFigures:
    """What the result states of the plan found: none of it when there is no plan."""

    itinerary: Itinerary | None = None
    covered: set[str] = field(default_factory=set)
    regions: tuple[str, ...] = ()
    points: int = 0
    secondary: int = 0
    stability: int = 0
    objective: int | None = None
    bound: int | None = None
    terms: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, outcome: _Outcome, fallback: bool) -> _PlanFigures:
        """Figures from the itinerary itself, never from solver variables: a region variable of
        a zero-weight region (or of any region, in a plan not proven optimal) may be left at 0
        though the region is covered."""
        if outcome.chosen is None:
            return cls()
        solved, arcs, solver = outcome.problem, outcome.arcs, outcome.solver
        itinerary = _itinerary(solved, arcs)
        covered = {s.city for s in itinerary.seminars}
        value = objective_of(solved, covered, sum(a.cost for a in arcs))
        return cls(
            itinerary=itinerary,
            covered=covered,
            regions=tuple(sorted(covered_regions(solved, covered))),
            points=coverage_points(solved, covered),
            secondary=sum(a.cost - solved.stability_scale * a.stability for a in arcs),
            stability=sum(a.stability for a in arcs)
            + sum(penalty for city, penalty in solved.drop_penalty.items() if city not in covered),
            objective=value,
            bound=None if fallback or solver is None else min(round(solver.best_objective_bound), value),
            terms=objective_terms(solved),
        )


def _best_plan(
    problem: Problem,
    params: SolverParams,
    initial: HeuristicPlan | None,
    started: float,
    progress: ProgressHook | None,
) -> tuple[_Outcome, str, bool]:
    """The best plan CP-SAT (or, failing it, the initial plan) finds within the limit: the
    outcome, how it was found, and whether it is the initial plan."""
    start_hint = list(initial.arcs) if initial is not None else None
    if problem.binding_days:
        outcome, path = _with_daily_limit(problem, params, start_hint, started, progress)
    else:
        outcome, path = _run(problem, params, params.time_limit_s, start_hint, progress), "direct"
    # Only an initial plan that holds every required seminar is a plan (greedy leaves out a
    # required city it cannot insert).
    if (
        initial is not None
        and problem.required <= initial.cities
        and (outcome.chosen is None or rank(problem, initial.arcs) < rank(outcome.problem, outcome.arcs))
    ):
        # Anytime: the initial plan is a plan. When CP-SAT found none in its time (or, with the
        # limit split between two runs, only a worse one), the initial plan is the answer.
        wanted = set(initial.arcs)
        chosen_initial = [i for i, arc in enumerate(problem.arcs) if arc in wanted]
        outcome = _Outcome(SolveStatus.FEASIBLE, problem, outcome.solver, chosen_initial)
        found = "first plan (greedy or beam; the solver found no better one within the time limit)"
        return outcome, found, True
    return outcome, path, False


def _with_daily_limit(
    problem: Problem,
    params: SolverParams,
    start_hint: list[Arc] | None,
    started: float,
    progress: ProgressHook | None,
) -> tuple[_Outcome, str]:
    """The relaxed model first, then the exact one if its plan breaks the limit (or is not
    proven best) and time is left: the better outcome, and how it was found."""
    # Half the time for the relaxed model: if its plan breaks the daily limit, the
    # exact model still has time to find one (a relaxed run that used the whole limit
    # would leave it none).
    relaxed = outcome = _run(problem.relaxed(), params, params.time_limit_s / 2, start_hint, progress, 0.5)
    plan_arcs = outcome.arcs if outcome.chosen is not None else None
    within = plan_arcs is not None and all(
        m <= problem.limit_on(day) for day, m in problem.daily_loads(plan_arcs).items()
    )
    path = "relaxed plan keeps the daily limit"
    proven = outcome.status == SolveStatus.OPTIMAL and within
    left = params.time_limit_s - (time.perf_counter() - started)
    # With too little time left the exact model is not started: its arcs take two to
    # three times as long to build as the first ones did. A relaxed plan breaking the
    # limit then gives way to the greedy plan.
    needed = 3 * problem.arcs_build_s + 0.1 * params.time_limit_s
    if not proven and outcome.status != SolveStatus.INFEASIBLE and left > needed:
        # The relaxed plan breaks the limit, or is not proven best, or there is none:
        # the rest of the time goes to the exact model, started from that plan (its
        # arcs were among the exact model's on every instance measured; a hint that
        # is not complete only costs CP-SAT a repair).
        exact_problem = problem.exact()  # built before the clock is read: it takes time too
        remaining = params.time_limit_s - (time.perf_counter() - started)
        exact = _run(exact_problem, params, remaining, plan_arcs or start_hint, progress, 0.5)
        if not within or (
            exact.chosen is not None
            and rank(exact.problem, exact.arcs) <= rank(outcome.problem, outcome.arcs)
        ):
            outcome = exact
            path = "exact model with the daily limit"
    if outcome is relaxed and outcome.chosen is not None and not within:
        # A relaxed plan that breaks the daily limit is no plan.
        outcome = dataclasses.replace(outcome, chosen=None, status=SolveStatus.TIME_LIMIT)
    return outcome, path


def _itinerary(problem: Problem, arcs: list[Arc]) -> Itinerary:
    by_tail = {arc.tail: arc for arc in arcs}
    node = SOURCE
    seminars = []
    journeys = []
    while node != SINK:
        arc = by_tail[node]
        if arc.journey is not None:
            journeys.append(arc.journey)
        node = arc.head
        if node != SINK:
            slot = problem.slot(node)
            seminars.append(SeminarVisit(slot.city, slot.start, slot.end))
    return Itinerary(tuple(seminars), tuple(journeys))


def as_result(problem: Problem, heuristic: HeuristicPlan, runtime_s: float, method: str) -> Result:
    """A heuristic's itinerary as a ``Result`` (status FEASIBLE: no optimality claim)."""
    seminars = tuple(
        SeminarVisit(problem.slot(a.head).city, problem.slot(a.head).start, problem.slot(a.head).end)
        for a in heuristic.arcs
        if a.head not in (SOURCE, SINK)
    )
    journeys = tuple(a.journey for a in heuristic.arcs if a.journey is not None)
    params = problem.scenario.solver
    return Result(
        status=SolveStatus.FEASIBLE,
        objective=heuristic.objective,
        bound=None,
        runtime_s=runtime_s,
        itinerary=Itinerary(seminars, journeys),
        uncovered=tuple(explain_uncovered(problem, set(heuristic.cities), reachable_slots(problem))),
        coverage_points=heuristic.coverage_points,
        max_coverage_points=max_coverage_points(problem),
        covered_regions=tuple(sorted(covered_regions(problem, heuristic.cities))),
        secondary_cost=heuristic.secondary_cost,
        seed=params.seed,
        workers=1,
        time_limit_s=params.time_limit_s,
        method=method,
        objective_terms=objective_terms(problem),
    )
