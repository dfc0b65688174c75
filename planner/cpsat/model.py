"""The CP-SAT model of an itinerary: one Boolean per arc of the time-expanded DAG.

Each hard rule is one method, called in order from ``_add_constraints``; the same
rules, under the same names, are re-verified by ``planner.check`` without the
solver. The objective sits directly on the arc Booleans (coverage points through
per-city visit sums), which proved much faster than separate visit variables.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.sat.python import cp_model

from planner.problem import SINK, SOURCE, Problem


class ItineraryModel:
    """Builds the model of a problem: variables, one method per rule, the objective."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.model = cp_model.CpModel()
        self.arc_vars = [
            self.model.new_bool_var(f"arc_{arc.tail}_{arc.head}_{index}")
            for index, arc in enumerate(problem.arcs)
        ]
        self.into: dict[int, list[int]] = defaultdict(list)
        self.out_of: dict[int, list[int]] = defaultdict(list)
        for index, arc in enumerate(problem.arcs):
            self.out_of[arc.tail].append(index)
            self.into[arc.head].append(index)
        self.visits: dict[str, list[int]] = defaultdict(list)
        for index, arc in enumerate(problem.arcs):
            if arc.head not in (SOURCE, SINK):
                self.visits[problem.slot(arc.head).city].append(index)
        self.region_vars: dict[str, cp_model.IntVar] = {}
        self._add_constraints()
        self._set_objective()

    def _add_constraints(self) -> None:
        self._leave_start_once()
        self._reach_end_once()
        self._flow_through_seminars()
        self._each_city_at_most_once()
        self._required_cities()
        self._daily_travel_limit()
        self._region_coverage()

    def _sum(self, indices: list[int]) -> cp_model.LinearExpr:
        return sum((self.arc_vars[i] for i in indices), cp_model.LinearExpr.constant(0))

    def _leave_start_once(self) -> None:
        """The itinerary leaves the start exactly once."""
        self.model.add(self._sum(self.out_of[SOURCE]) == 1)

    def _reach_end_once(self) -> None:
        """The itinerary reaches the end exactly once."""
        self.model.add(self._sum(self.into[SINK]) == 1)

    def _flow_through_seminars(self) -> None:
        """A seminar slot entered is left, and is entered at most once."""
        for slot in self.problem.slots:
            inflow = self._sum(self.into[slot.node])
            self.model.add(inflow == self._sum(self.out_of[slot.node]))
            self.model.add(inflow <= 1)

    def _each_city_at_most_once(self) -> None:
        """At most one seminar per city."""
        for indices in self.visits.values():
            self.model.add_at_most_one(self.arc_vars[i] for i in indices)

    def _required_cities(self) -> None:
        """Every required city holds its seminar (callers drop hopeless ones first)."""
        for city in self.problem.required:
            self.model.add(self._sum(self.visits.get(city, [])) == 1)

    def _daily_travel_limit(self) -> None:
        """Door-to-door travel per home-zone day stays within the delegation's limit."""
        per_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for index, arc in enumerate(self.problem.arcs):
            for day, minutes in arc.day_minutes:
                per_day[day].append((index, minutes))
        for day, terms in per_day.items():
            if day in self.problem.binding_days:
                self.model.add(sum(self.arc_vars[i] * m for i, m in terms) <= self.problem.limit_on(day))

    def _region_coverage(self) -> None:
        """A region counts as covered only if a seminar serving it is held."""
        serving: dict[str, list[int]] = defaultdict(list)
        for city, regions in self.problem.city_regions.items():
            for region in regions:
                serving[region].extend(self.visits.get(city, []))
        for region, indices in sorted(serving.items()):
            covered = self.model.new_bool_var(f"covers_{region}")
            self.model.add(covered <= self._sum(indices))
            self.region_vars[region] = covered

    def coverage_expr(self) -> cp_model.LinearExpr:
        terms = [self.region_vars[r] * self.problem.region_points[r] for r in self.region_vars]
        for city, indices in self.visits.items():
            points = self.problem.city_points.get(city, 0)
            if points:
                terms.extend(self.arc_vars[i] * points for i in indices)
        return sum(terms, cp_model.LinearExpr.constant(0))

    def arc_cost(self, index: int) -> int:
        return self.problem.arcs[index].cost

    def _set_objective(self) -> None:
        """Minimise uncovered points first, then the secondary cost (exact lexicographic)."""
        costs = [self.arc_cost(i) for i in range(len(self.arc_vars))]
        # Smaller coefficients give CP-SAT a tighter, faster linear relaxation.
        divisor = math.gcd(*costs) or 1
        # Any itinerary uses at most one arc out of the source and one into each city
        # visited, so its secondary cost is below this bound; one coverage point is
        # worth more than any secondary cost, which makes the weighted sum lexicographic.
        # Not visiting a city the previous version planned costs stability points:
        # penalty * (1 - visits), scaled like the arcs' stability points.
        drop = {c: p * self.problem.stability_scale for c, p in self.problem.drop_penalty.items()}
        divisor = math.gcd(divisor, *drop.values()) if drop else divisor
        stops = len(self.visits) + 1
        worst = sorted(costs, reverse=True)[:stops]
        scale = (sum(worst) + sum(drop.values())) // divisor + 1
        max_points = self.problem.max_coverage_points
        secondary = sum(
            (self.arc_vars[i] * (c // divisor) for i, c in enumerate(costs) if c),
            cp_model.LinearExpr.constant(0),
        )
        for city, penalty in drop.items():
            secondary += (penalty // divisor) * (1 - self._sum(self.visits.get(city, [])))
        self.model.minimize(scale * (max_points - self.coverage_expr()) + secondary)
