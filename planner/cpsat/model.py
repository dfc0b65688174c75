"""The CP-SAT model of an itinerary: one Boolean per arc of the time-expanded DAG.

Each rule the model states is one method named after it (``planner.rules.MODEL_RULES``), called
in that order by ``_add_constraints``; the same rules, under the same names, are re-verified by
``planner.check`` without the solver. The objective (``planner.objective``) sits directly on the
arc Booleans (coverage points through per-city visit sums), which proved much faster than
separate visit variables. CP-SAT breaks ties between plans of equal objective by the model's
order, so the order of variables and constraints is part of the behaviour.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from ortools.sat.python import cp_model

from planner.objective import covered_regions, objective_weights, visited_cities
from planner.problem import SINK, SOURCE, Arc, Problem
from planner.rules import MODEL_RULES, Rule


class ItineraryModel:
    """Builds the model of a problem: variables, then one method per rule, the objective last."""

    RULES: tuple[Rule, ...] = MODEL_RULES

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.weights = objective_weights(problem)
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
        self.stability_term: cp_model.LinearExpr = cp_model.LinearExpr.constant(0)
        self._add_constraints()

    def _add_constraints(self) -> None:
        for rule in self.RULES:
            getattr(self, rule.value)()

    def _sum(self, indices: list[int]) -> cp_model.LinearExpr:
        return sum((self.arc_vars[i] for i in indices), cp_model.LinearExpr.constant(0))

    def start_and_end(self) -> None:
        """The itinerary leaves the start exactly once and reaches the end exactly once."""
        self.model.add(self._sum(self.out_of[SOURCE]) == 1)
        self.model.add(self._sum(self.into[SINK]) == 1)

    def no_two_places(self) -> None:
        """A seminar slot entered is left, and is entered at most once: the arcs chosen form one
        path through the DAG, whose arcs already keep seminars and connections apart in time."""
        for slot in self.problem.slots:
            inflow = self._sum(self.into[slot.node])
            self.model.add(inflow == self._sum(self.out_of[slot.node]))
            self.model.add(inflow <= 1)

    def one_seminar_per_city(self) -> None:
        """At most one seminar per city."""
        for indices in self.visits.values():
            self.model.add_at_most_one(self.arc_vars[i] for i in indices)

    def required_cities(self) -> None:
        """Every required city holds its seminar (callers drop hopeless ones first)."""
        for city in self.problem.required:
            self.model.add(self._sum(self.visits.get(city, [])) == 1)

    def daily_travel_limit(self) -> None:
        """Door-to-door travel per home-zone day stays within the delegation's limit."""
        per_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for index, arc in enumerate(self.problem.arcs):
            for day, minutes in arc.day_minutes:
                per_day[day].append((index, minutes))
        for day, terms in per_day.items():
            if day in self.problem.binding_days:
                self.model.add(sum(self.arc_vars[i] * m for i, m in terms) <= self.problem.limit_on(day))

    def region_coverage(self) -> None:
        """A region counts as covered only if a seminar serving it is held."""
        serving: dict[str, list[int]] = defaultdict(list)
        for city, regions in self.problem.city_regions.items():
            for region in regions:
                serving[region].extend(self.visits.get(city, []))
        for region, indices in sorted(serving.items()):
            covered = self.model.new_bool_var(f"covers_{region}")
            self.model.add(covered <= self._sum(indices))
            self.region_vars[region] = covered

    def stability(self) -> None:
        """Not visiting a city the previous version planned costs its drop penalty, scaled like
        the arcs' stability points (their other stability points are in the arc costs)."""
        divisor = self.weights.divisor
        for city, penalty in self.weights.drop.items():
            self.stability_term += (penalty // divisor) * (1 - self._sum(self.visits.get(city, [])))

    def coverage_expr(self) -> cp_model.LinearExpr:
        """The coverage points of the plan: region weights once, city weights per visit."""
        terms = [self.region_vars[r] * self.problem.region_points[r] for r in self.region_vars]
        for city, indices in self.visits.items():
            points = self.problem.city_points.get(city, 0)
            if points:
                terms.extend(self.arc_vars[i] * points for i in indices)
        return sum(terms, cp_model.LinearExpr.constant(0))

    def objective(self) -> None:
        """Minimise uncovered points first, then the secondary and stability cost (exact lexicographic)."""
        divisor = self.weights.divisor
        secondary = sum(
            (self.arc_vars[i] * (arc.cost // divisor) for i, arc in enumerate(self.problem.arcs) if arc.cost),
            cp_model.LinearExpr.constant(0),
        )
        secondary += self.stability_term
        uncovered = self.weights.max_points - self.coverage_expr()
        self.model.minimize(self.weights.scale * uncovered + secondary)

    def add_hint(self, arcs: Iterable[Arc]) -> None:
        """Hint a whole plan, given by its arcs: a value for every arc and region variable.

        CP-SAT takes a complete hint as its first solution at once; a partial one it must
        complete by search, which can fail on a large model.
        """
        # By the arc itself: two nodes may be joined by several connections.
        wanted = set(arcs)
        for index, arc in enumerate(self.problem.arcs):
            self.model.add_hint(self.arc_vars[index], arc in wanted)
        covered = covered_regions(self.problem, visited_cities(self.problem, wanted))
        for region, var in self.region_vars.items():
            self.model.add_hint(var, region in covered)
