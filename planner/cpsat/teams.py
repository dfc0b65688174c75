"""The CP-SAT model of several teams sharing the seminars: one itinerary model's flow per team.

Each team has its own problem (its start, its window, its size in the fares and cars, the
seminars its members may hold), so its own slot DAG and arcs; the teams are tied only by the
seminars: a city holds at most one seminar across the teams, a required city exactly one, and a
region counts once whoever covers it. The objective is the single team's, summed: uncovered
points first (scaled above any travel cost), then every team's secondary cost.

With a budget enforced (``TripBudget``, planner/cpsat/trip_cost.py), the trip's cost in cents is a
linear expression over the arcs: ``hard`` keeps it within the cap; ``priority`` adds the whole
units over the cap to the first rank, where ``over_cap_per_point`` of them weigh one coverage point.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ortools.sat.python import cp_model

from planner.cpsat.trip_cost import CENTS, TripBudget, add_team_cost, worst_cost
from planner.problem import SINK, SOURCE, Arc, Problem


class TeamsModel:
    """Variables per team and arc, the flow of each team, the seminars shared across teams."""

    def __init__(
        self,
        problems: list[Problem],
        city_points: dict[str, int],
        city_regions: dict[str, tuple[str, ...]],
        region_points: dict[str, int],
        required: frozenset[str],
        drops: list[dict[str, int]] | None = None,
        closed: frozenset[str] = frozenset(),
        budget: TripBudget | None = None,
    ) -> None:
        """``drops`` (a replan): per team, what not holding each city it had planned costs, in the
        arcs' units (the team's stability); ``closed``: cities no team may hold (a replan: held
        already by some team); ``budget``: the trip's cost, capped or weighed."""
        self.problems = problems
        self.budget = budget
        self.trip_cost: cp_model.LinearExpr | None = None  # cents, with a budget
        drops = drops or [{} for _ in problems]
        self._points = (city_points, city_regions, region_points, drops)
        self.model = cp_model.CpModel()
        self.arc_vars = [
            [self.model.new_bool_var(f"t{t}_arc_{arc.tail}_{arc.head}_{i}") for i, arc in enumerate(p.arcs)]
            for t, p in enumerate(problems)
        ]
        self.visits: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        self.team_visits: list[dict[str, list[cp_model.IntVar]]] = [defaultdict(list) for _ in problems]
        costs = [arc.cost for p in problems for arc in p.arcs] + [v for d in drops for v in d.values()]
        self.divisor = math.gcd(*costs) or 1
        for team, problem in enumerate(problems):
            self._flow(team, problem)
        for city in sorted(self.visits):
            self.model.add_at_most_one(self.visits[city])
        for city in sorted(closed & set(self.visits)):
            self.model.add(sum(self.visits[city]) == 0)
        for city in sorted(required):
            self.model.add(sum(self.visits.get(city, [])) == 1)
        self.region_vars: dict[str, cp_model.IntVar] = {}
        serving: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for city, regions in city_regions.items():
            for region in regions:
                serving[region].extend(self.visits.get(city, []))
        for region in sorted(serving):
            covered = self.model.new_bool_var(f"covers_{region}")
            self.model.add(covered <= sum(serving[region]))
            self.region_vars[region] = covered
        coverage = sum(self.region_vars[r] * region_points[r] for r in self.region_vars) + sum(
            var * city_points.get(city, 0) for city, variables in self.visits.items() for var in variables
        )
        self.max_points = sum(city_points.values()) + sum(
            region_points[r] for r in {r for rs in city_regions.values() for r in rs}
        )
        # One coverage point outweighs any travel and change: every team's worst itinerary cost
        # and every drop penalty, summed.
        worst = sum(self._worst(p) for p in problems) + sum(v for d in drops for v in d.values())
        self.scale = worst // self.divisor + 1
        terms: list[cp_model.LinearExpr] = [
            var * (arc.cost // self.divisor)
            for p, variables in zip(problems, self.arc_vars, strict=True)
            for arc, var in zip(p.arcs, variables, strict=True)
            if arc.cost
        ]
        for team, penalties in enumerate(drops):
            for city, penalty in sorted(penalties.items()):
                held = self.team_visits[team].get(city, [])
                weight = penalty // self.divisor
                terms.append(cp_model.LinearExpr.constant(weight) - weight * sum(held))
        secondary = sum(terms, cp_model.LinearExpr.constant(0))
        if budget is None:
            self.model.minimize(self.scale * (self.max_points - coverage) + secondary)
            return
        # With a budget weighed in the objective, the units over the cap share the first rank.
        weight, over = self._budget_rank(budget)
        first = cp_model.LinearExpr.sum([weight * (self.max_points - coverage), over])
        self.model.minimize(cp_model.LinearExpr.sum([self.scale * first, secondary]))

    def _budget_rank(self, budget: TripBudget) -> tuple[int, cp_model.LinearExprT]:
        """What one uncovered point weighs in the first rank, and the units over the cap there
        (a budget as a priority; else 1 and nothing): the trip's cost, capped if the cap is hard."""
        self.trip_cost = cp_model.LinearExpr.sum(
            [
                add_team_cost(self.model, variables, terms)
                for variables, terms in zip(self.arc_vars, budget.teams, strict=True)
            ]
        )
        if budget.enforce == "hard":
            self.model.add(self.trip_cost <= budget.cap_cents)
        if budget.enforce != "priority":
            return 1, 0
        most = sum(worst_cost(terms) for terms in budget.teams) // CENTS + 1
        over = self.model.new_int_var(0, most, "units_over_cap")
        self.model.add(CENTS * over >= self.trip_cost - budget.cap_cents)
        return budget.over_cap_per_point, over

    @staticmethod
    def _worst(problem: Problem) -> int:
        """Above the secondary cost of any itinerary of the problem: its dearest arcs, one per stop."""
        stops = len({problem.slot(a.head).city for a in problem.arcs if a.head not in (SOURCE, SINK)}) + 1
        return sum(sorted((a.cost for a in problem.arcs), reverse=True)[:stops])

    def _flow(self, team: int, problem: Problem) -> None:
        """The single-team rules on the team's own DAG: one path from its start to its end, at
        most one seminar per city, its daily travel limit."""
        variables = self.arc_vars[team]
        into: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        out_of: dict[int, list[cp_model.IntVar]] = defaultdict(list)
        for arc, var in zip(problem.arcs, variables, strict=True):
            out_of[arc.tail].append(var)
            into[arc.head].append(var)
            if arc.head not in (SOURCE, SINK):
                self.visits[problem.slot(arc.head).city].append(var)
                self.team_visits[team][problem.slot(arc.head).city].append(var)
        self.model.add(sum(out_of[SOURCE]) == 1)
        self.model.add(sum(into[SINK]) == 1)
        for slot in problem.slots:
            self.model.add(sum(into[slot.node]) == sum(out_of[slot.node]))
            self.model.add(sum(into[slot.node]) <= 1)
        per_day: dict[int, list[tuple[cp_model.IntVar, int]]] = defaultdict(list)
        for arc, var in zip(problem.arcs, variables, strict=True):
            for day, minutes in arc.day_minutes:
                per_day[day].append((var, minutes))
        for day, terms in sorted(per_day.items()):
            if day in problem.binding_days:
                self.model.add(sum(var * m for var, m in terms) <= problem.limit_on(day))

    def minimize_cost(self) -> None:
        """Look for the cheapest plan instead (what the cheapest costs, when no plan meets a hard cap)."""
        assert self.trip_cost is not None, "the model has no budget"
        self.model.minimize(self.trip_cost)

    def add_hint(self, plans: list[set[Arc]], covered: set[str]) -> None:
        """Hint a whole team plan (each team's arcs, the regions covered): CP-SAT's first solution."""
        for problem, variables, wanted in zip(self.problems, self.arc_vars, plans, strict=True):
            for arc, var in zip(problem.arcs, variables, strict=True):
                self.model.add_hint(var, arc in wanted)
        for region, var in self.region_vars.items():
            self.model.add_hint(var, region in covered)

    def value(self, chosen: list[list[int]]) -> int:
        """The objective of a team plan given by its arcs (indices per team), as the model scores it."""
        city_points, city_regions, region_points, drops = self._points
        held_by = [
            {p.slot(p.arcs[i].head).city for i in arcs if p.arcs[i].head not in (SOURCE, SINK)}
            for p, arcs in zip(self.problems, chosen, strict=True)
        ]
        held = set().union(*held_by)
        regions = {r for city in held for r in city_regions.get(city, ())}
        points = sum(city_points.get(c, 0) for c in held) + sum(region_points[r] for r in regions)
        secondary = sum(
            p.arcs[i].cost // self.divisor
            for p, arcs in zip(self.problems, chosen, strict=True)
            for i in arcs
        )
        for team, penalties in enumerate(drops):
            secondary += sum(
                penalty // self.divisor for c, penalty in penalties.items() if c not in held_by[team]
            )
        first = self.max_points - points
        budget = self.budget
        if budget is not None and budget.enforce == "priority":
            first = budget.over_cap_per_point * first + budget.over_units(budget.cost(chosen))
        return self.scale * first + secondary

    def chosen(self, solver: cp_model.CpSolver) -> list[list[int]]:
        """The arcs (indices into each team's problem) of the solution, per team."""
        return [
            [i for i, var in enumerate(variables) if solver.boolean_value(var)] for variables in self.arc_vars
        ]
