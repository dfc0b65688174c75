"""The objective of an itinerary, written once: coverage points, weights and ranking.

Every solver scores a plan with these functions, so the CP-SAT model (``planner.cpsat.model``),
the greedy insertion and the exact dynamic program (``planner.heuristics``), and the result
(``planner.solve``) give the same number for the same itinerary:

    objective = scale * (max_points - points) + (secondary + stability_scale * stability) // divisor

``points`` are the coverage points of the cities visited (their seminar weights plus the
weights of the regions they serve, each region once); ``secondary`` the sum of the arc costs
(1/60 points); ``stability`` the stability points of a replan, among them a drop penalty for
each planned city no longer visited. ``scale`` makes one coverage point worth more than any
secondary cost, which makes the weighted sum lexicographic; ``divisor`` is the common divisor
of every cost, which gives CP-SAT smaller coefficients and a tighter linear relaxation.

Nothing here imports the problem at run time: the problem may use these functions too.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from planner.domain import Scenario
    from planner.problem import Arc, Problem


@dataclass(frozen=True)
class ObjectiveWeights:
    """The weights of a problem's objective, derived from its arcs."""

    scale: int  # one coverage point, in units of the divided secondary cost
    divisor: int  # common divisor of every arc cost and drop penalty
    max_points: int
    drop: dict[str, int]  # undivided stability cost (1/60 points) of not visiting each city


def covered_regions(problem: Problem, cities: Collection[str]) -> set[str]:
    """The regions (not yet covered) that seminars in these cities cover."""
    return {r for city in cities for r in problem.city_regions.get(city, ())}


def coverage_points(problem: Problem, cities: Collection[str]) -> int:
    """Seminar weights of the cities plus the weights of the regions they serve (each once)."""
    return sum(problem.city_points.get(c, 0) for c in cities) + sum(
        problem.region_points[r] for r in covered_regions(problem, cities)
    )


def max_coverage_points(problem: Problem) -> int:
    """The coverage points of visiting every seminar city of the problem."""
    return sum(problem.city_points.values()) + sum(
        problem.region_points[r] for r in {r for rs in problem.city_regions.values() for r in rs}
    )


def visited_cities(problem: Problem, arcs: Iterable[Arc]) -> set[str]:
    """The cities whose seminars an itinerary, given by its arcs in any order, holds."""
    heads = {arc.head for arc in arcs}
    return {slot.city for slot in problem.slots if slot.node in heads}


def drop_penalties(problem: Problem) -> dict[str, int]:
    """The stability cost of not visiting each city the previous version planned, in 1/60 points."""
    return {city: penalty * problem.stability_scale for city, penalty in problem.drop_penalty.items()}


def objective_weights(problem: Problem) -> ObjectiveWeights:
    """Scale and divisor of the objective over ``problem.arcs``."""
    costs = [arc.cost for arc in problem.arcs]
    drop = drop_penalties(problem)
    divisor = math.gcd(*costs) or 1
    divisor = math.gcd(divisor, *drop.values()) if drop else divisor
    # Any itinerary uses at most one arc out of the source and one into each city visited,
    # so its secondary cost (drop penalties included) is below this bound.
    stops = len(visited_cities(problem, problem.arcs)) + 1
    worst = sorted(costs, reverse=True)[:stops]
    scale = (sum(worst) + sum(drop.values())) // divisor + 1
    return ObjectiveWeights(scale, divisor, max_coverage_points(problem), drop)


def objective_terms(problem: Problem) -> dict[str, int]:
    """What recomputing the objective from a plan needs (``solver.objective_terms`` of the plan JSON).

    Secondary and stability as the plan states them (1/60 points, stability points);
    ``stability_scale`` is one stability point in 1/60 points (1 outside replanning).
    """
    weights = objective_weights(problem)
    return {"scale": weights.scale, "divisor": weights.divisor, "stability_scale": problem.stability_scale}


def objective_of(
    problem: Problem, cities: Collection[str], secondary_cost: int, weights: ObjectiveWeights | None = None
) -> int:
    """The objective of an itinerary visiting ``cities`` with that secondary cost (sum of arc costs).

    Only valid for arc costs of ``problem.arcs`` (all divisible by the divisor), which is what
    every solver here uses. ``weights`` saves recomputing them in a loop.
    """
    weights = weights or objective_weights(problem)
    dropped = sum(p for c, p in weights.drop.items() if c not in cities)
    uncovered = weights.max_points - coverage_points(problem, cities)
    return weights.scale * uncovered + (secondary_cost + dropped) // weights.divisor


def rank(problem: Problem, arcs: Collection[Arc]) -> tuple[int, int]:
    """The lexicographic objective of a plan given by its arcs: (-coverage points, secondary cost).

    The secondary cost counts the drop penalties, as the objective does; a smaller rank is better.
    """
    visited = visited_cities(problem, arcs)
    dropped = sum(p for city, p in problem.drop_penalty.items() if city not in visited)
    return -coverage_points(problem, visited), sum(a.cost for a in arcs) + dropped * problem.stability_scale


def scenario_coverage(scenario: Scenario, held: Collection[str]) -> tuple[int, set[str]]:
    """Coverage points and regions covered of a whole trip holding seminars in ``held``.

    Over the scenario rather than a problem: a replan's problem leaves out what was done before.
    """
    regions = {r for s in scenario.seminars if s.city in held for r in scenario.regions_served(s)}
    points = sum(r.weight for r in scenario.regions if r.id in regions) + sum(
        s.weight for s in scenario.seminars if s.city in held
    )
    return points, regions


def scenario_coverage_points(scenario: Scenario, cities: Collection[str]) -> int:
    """The coverage points of seminars in ``cities``, by whoever holds them: their weights plus the
    weights of the regions they serve, each region once."""
    held = [s for s in scenario.seminars if s.city in cities]
    served = {r for s in held for r in scenario.regions_served(s)}
    return sum(s.weight for s in held) + sum(r.weight for r in scenario.regions if r.id in served)


def scenario_max_coverage_points(scenario: Scenario) -> int:
    """The coverage points of a whole trip holding every seminar of the scenario."""
    return scenario_coverage_points(scenario, {s.city for s in scenario.seminars})
