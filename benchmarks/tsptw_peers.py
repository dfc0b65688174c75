"""Two peer solvers for the TSPTW benchmark: PyVRP and the OR-Tools routing library.

Each takes an instance as :func:`planner.tsptw.load_tsptw` reads it and a time limit
in seconds, and returns a customer order (node ids, depot left out, as
:func:`planner.tsptw.check_tour` expects) or None, with the wall-clock seconds of the
whole call. The peers get the matrix exactly as given, as travel time and as cost,
and the windows; the LI format has no service times (they are folded into the
matrix), so none are set. Their own objective values are not returned: the caller
re-scores every tour from the raw instance.

PyVRP is an optional dependency (``pip install -e '.[bench]'``): ``benchmarks/tsptw.py``
imports this module only when asked for the peers.
"""

from __future__ import annotations

import time

import pyvrp
from ortools.constraint_solver import pywrapcp, routing_enums_pb2
from pyvrp.stop import MaxRuntime

from planner.tsptw import TsptwInstance

PeerAnswer = tuple[list[int] | None, float]


class _UntilTarget:
    """PyVRP's stop: after ``limit_s`` seconds, or once the best feasible cost (here the travel:
    distance is the only priced measure) is no more than ``target``."""

    def __init__(self, limit_s: float, target: int | None) -> None:
        self.runtime = MaxRuntime(limit_s)
        self.target = target

    def __call__(self, best_cost: int) -> bool:
        return self.runtime(best_cost) or (self.target is not None and best_cost <= self.target)


def solve_pyvrp(instance: TsptwInstance, limit_s: float, target: int | None = None) -> PeerAnswer:
    """PyVRP's iterated local search, one vehicle, seed 0, stopped after ``limit_s`` seconds or,
    with ``target``, as soon as it holds a tour that short (whether it reaches the target within
    the limit is the same either way; only the time it is given after that is saved)."""
    started = time.perf_counter()
    model = pyvrp.Model()
    # Coordinates are unused: every edge is given, so node i is location i.
    locations = [model.add_location(0, 0) for _ in range(instance.nodes)]
    depot_opens, depot_closes = instance.windows[0]
    depot = model.add_depot(locations[0], tw_early=depot_opens, tw_late=depot_closes)
    for node in range(1, instance.nodes):
        opens, closes = instance.windows[node]
        model.add_client(locations[node], tw_early=opens, tw_late=closes)
    model.add_vehicle_type(num_available=1, start_depot=depot, end_depot=depot)
    for origin in range(instance.nodes):
        for destination in range(instance.nodes):
            if origin != destination:
                minutes = instance.travel[origin][destination]
                model.add_edge(locations[origin], locations[destination], distance=minutes, duration=minutes)
    result = model.solve(_UntilTarget(limit_s, target), seed=0, collect_stats=False, display=False)
    seconds = time.perf_counter() - started
    if not result.is_feasible() or result.best.num_routes() != 1:
        return None, seconds
    # Clients were added in node order, so client k (0-based) is node k + 1.
    order = [activity.idx + 1 for activity in result.best.routes()[0].schedule() if activity.is_client()]
    return order, seconds


def solve_ortools_routing(instance: TsptwInstance, limit_s: float, target: int | None = None) -> PeerAnswer:
    """OR-Tools routing: cheapest-arc start, guided local search until ``limit_s`` seconds (it has
    no stop at a target value here, so ``target`` is not used: it always runs to the limit)."""
    started = time.perf_counter()
    manager = pywrapcp.RoutingIndexManager(instance.nodes, 1, 0)
    routing = pywrapcp.RoutingModel(manager)

    def travel(from_index: int, to_index: int) -> int:
        return instance.travel[manager.IndexToNode(from_index)][manager.IndexToNode(to_index)]

    transit = routing.RegisterTransitCallback(travel)
    routing.SetArcCostEvaluatorOfAllVehicles(transit)
    horizon = max(closes for _, closes in instance.windows)
    # Slack up to the horizon: waiting for a window to open is free.
    routing.AddDimension(transit, horizon, horizon, False, "Time")
    time_dimension = routing.GetDimensionOrDie("Time")
    for node in range(1, instance.nodes):
        time_dimension.CumulVar(manager.NodeToIndex(node)).SetRange(*instance.windows[node])
    depot_opens, depot_closes = instance.windows[0]
    time_dimension.CumulVar(routing.Start(0)).SetRange(depot_opens, depot_closes)
    time_dimension.CumulVar(routing.End(0)).SetRange(depot_opens, depot_closes)

    search = pywrapcp.DefaultRoutingSearchParameters()
    search.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    search.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    search.time_limit.FromMilliseconds(max(1, round(limit_s * 1000)))
    solution = routing.SolveWithParameters(search)
    seconds = time.perf_counter() - started
    if solution is None:
        return None, seconds
    order = []
    index = solution.Value(routing.NextVar(routing.Start(0)))
    while not routing.IsEnd(index):
        order.append(manager.IndexToNode(index))
        index = solution.Value(routing.NextVar(index))
    return order, seconds
