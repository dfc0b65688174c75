"""A team's trip cost as ``planner.costs.trip_costs`` counts it, as linear terms over its arcs.

Money is counted in cents (hundredths of the scenario's currency), in integers: a leg's fare is
already rounded to the cent by the connection search; a hotel or per-diem rate is rounded up to the
cent, so the model never believes a plan cheaper than it is (rates given to the cent, as every
bundled scenario gives them, are exact).

- Fares: the legs of an arc's connection, for the team (``cost`` is already the team's).
- Hotel nights (a room for each member not at home in the city): a night is where the team is at
  03:00 home time after each home date from its earliest departure until the trip's last arrival
  (``planner.result.nights``). Along an itinerary that moment falls in exactly one stretch, and
  each stretch belongs to one arc: before the first departure (the arc out of the source), on the
  connection of an arc (on board: no hotel; between two legs: the city last reached), between an
  arc's arrival and the end of the seminar it leads to, and between a seminar's end and the
  departure of the arc out of it. So an arc's hotel cost is a constant, and the team's hotel bill a
  sum over its arcs.
- Per-diems: every member is paid for each local date from the first leg's departure to the last
  leg's arrival. The first leg is the first of the arc out of the source, or, when the team first
  holds a seminar in its start city, of the arc out of that seminar; the last leg likewise at the
  other end. Those "first" and "last" choices are products of two arc variables, each one Boolean
  tied to both, so the number of dates is linear too: no approximation, no lazy cuts.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.arcs import SINK, SOURCE
from planner.connections import Journey
from planner.problem import Problem

CENTS = 100


def cents_up(amount: float) -> int:
    """An amount in cents, rounded up (after removing the float noise of e.g. ``1.1 * 100``)."""
    return math.ceil(round(amount * CENTS, 6))


def leg_cents(amount: float) -> int:
    """A fare in cents: fares are rounded to the cent when connections are built."""
    return round(amount * CENTS)


@dataclass(frozen=True)
class TeamCostTerms:
    """What each arc of a team's problem costs the team, and its per-diem dates."""

    problem: Problem
    arc_cents: tuple[int, ...]  # fares and hotel nights, per arc of ``problem.arcs``
    first_day: tuple[int | None, ...]  # date of the arc's first departure (days after the axis start)
    last_day: tuple[int | None, ...]  # date of its last arrival
    per_diem_cents: int  # all members' rates for one date

    def cost(self, chosen: list[int]) -> int:
        """The team's cost in cents of an itinerary given by its arcs (indices)."""
        path = _path(self.problem, chosen)
        total = sum(self.arc_cents[i] for i in path)
        travelled = [i for i in path if self.problem.arcs[i].journey is not None]
        if travelled:
            first, last = self.first_day[travelled[0]], self.last_day[travelled[-1]]
            assert first is not None and last is not None
            total += self.per_diem_cents * (last - first + 1)
        return total


def _path(problem: Problem, chosen: list[int]) -> list[int]:
    by_tail = {problem.arcs[i].tail: i for i in chosen}
    path, node = [], SOURCE
    while node != SINK and node in by_tail:
        path.append(by_tail[node])
        node = problem.arcs[by_tail[node]].head
    return path


def team_cost_terms(
    problem: Problem, night_cents: Callable[[str], int], per_diem_cents: int
) -> TeamCostTerms:
    """The cost terms of a team's problem; ``night_cents``: what a night in a city costs the team
    (every member's room), ``per_diem_cents``: what one date of the trip costs it."""
    axis = problem.axis
    zones = {city.id: city.zone for city in problem.scenario.cities}
    moments = _night_moments(problem)
    start_city = problem.scenario.delegation.start_city

    def nights_in(city: str, since: int | None, until: int) -> int:
        first = 0 if since is None else bisect_left(moments, since)
        return (bisect_left(moments, until) - first) * night_cents(city)

    def date(minutes: int, city: str) -> int:
        return (axis.local_date(minutes, zones[city]) - axis.start_date).days

    costs: list[int] = []
    firsts: list[int | None] = []
    lasts: list[int | None] = []
    for arc in problem.arcs:
        journey = arc.journey
        cents = 0
        if journey is None:
            # The trip starts with a seminar in the start city: there until it ends.
            if arc.tail == SOURCE and arc.head != SINK:
                cents = nights_in(start_city, None, problem.slot(arc.head).end)
            costs.append(cents)
            firsts.append(None)
            lasts.append(None)
            continue
        cents = sum(leg_cents(leg.cost) for leg in journey.legs)
        if arc.tail == SOURCE:
            cents += nights_in(start_city, None, journey.leave)
        else:
            cents += nights_in(journey.origin, problem.slot(arc.tail).end, journey.leave)
        cents += sum(night_cents(city) for city in _transit_nights(journey, moments) if city is not None)
        if arc.head != SINK:
            cents += nights_in(journey.destination, journey.arrive, problem.slot(arc.head).end)
        costs.append(cents)
        firsts.append(date(journey.legs[0].depart, journey.legs[0].from_city))
        lasts.append(date(journey.legs[-1].arrive, journey.legs[-1].to_city))
    return TeamCostTerms(problem, tuple(costs), tuple(firsts), tuple(lasts), per_diem_cents)


def _night_moments(problem: Problem) -> list[int]:
    """03:00 home time after each home date, from the earliest departure (``planner.result.nights``:
    before it the team is not on its trip) up to the latest return."""
    axis, day = problem.axis, 0
    delegation = problem.scenario.delegation
    leaves = axis.minutes(delegation.earliest_departure, problem.scenario.city(delegation.start_city).zone)
    moments: list[int] = []
    while True:
        moment = axis.home_day_start(day + 1) + 3 * 60
        if moment >= problem.end_min:
            return moments
        if moment >= leaves:
            moments.append(moment)
        day += 1


def _transit_nights(journey: Journey, moments: list[int]) -> list[str | None]:
    """Where each night during a connection is spent, as ``planner.result.nights`` reads it: on
    board (None), else the city of the first leg already arrived, else the origin."""
    places: list[str | None] = []
    for moment in moments[bisect_left(moments, journey.leave) : bisect_left(moments, journey.arrive)]:
        if any(leg.depart <= moment < leg.arrive for leg in journey.legs):
            places.append(None)
            continue
        places.append(next((leg.to_city for leg in journey.legs if leg.arrive <= moment), journey.origin))
    return places


def add_team_cost(
    model: cp_model.CpModel, variables: list[cp_model.IntVar], terms: TeamCostTerms
) -> cp_model.LinearExpr:
    """The team's cost in cents as a linear expression over its arc variables, with the Booleans
    that say which arc carries the trip's first and last leg."""
    chosen = [(var, cents) for var, cents in zip(variables, terms.arc_cents, strict=True) if cents]
    if terms.per_diem_cents:
        # Dates = last - (first - 1) when the team travels (then exactly one "first" and one
        # "last" Boolean is true), else none.
        firsts, lasts = _first_and_last_legs(model, variables, terms)
        chosen += [(var, -terms.per_diem_cents * (day - 1)) for var, day in firsts]
        chosen += [(var, terms.per_diem_cents * day) for var, day in lasts]
    return cp_model.LinearExpr.weighted_sum([var for var, _ in chosen], [cents for _, cents in chosen])


def _first_and_last_legs(
    model: cp_model.CpModel, variables: list[cp_model.IntVar], terms: TeamCostTerms
) -> tuple[list[tuple[cp_model.IntVar, int]], list[tuple[cp_model.IntVar, int]]]:
    """Booleans, each with a date, exactly one of which is true when the team travels: the arc
    whose first leg is the trip's first (out of the source, or out of a seminar the team held in
    its start city before travelling anywhere), and likewise for the trip's last leg."""
    arcs = terms.problem.arcs
    firsts: list[tuple[cp_model.IntVar, int]] = []
    lasts: list[tuple[cp_model.IntVar, int]] = []
    stay_first = {a.head: variables[i] for i, a in enumerate(arcs) if a.tail == SOURCE and not a.journey}
    stay_last = {a.tail: variables[i] for i, a in enumerate(arcs) if a.head == SINK and not a.journey}
    for i, arc in enumerate(arcs):
        first, last = terms.first_day[i], terms.last_day[i]
        if arc.journey is None or first is None or last is None:
            continue
        if arc.tail == SOURCE:
            firsts.append((variables[i], first))
        elif arc.tail in stay_first:
            firsts.append((_both(model, variables[i], stay_first[arc.tail]), first))
        if arc.head == SINK:
            lasts.append((variables[i], last))
        elif arc.head in stay_last:
            lasts.append((_both(model, variables[i], stay_last[arc.head]), last))
    return firsts, lasts


def _both(model: cp_model.CpModel, a: cp_model.IntVar, b: cp_model.IntVar) -> cp_model.IntVar:
    """A Boolean equal to ``a and b``."""
    both = model.new_bool_var("")
    model.add_implication(both, a)
    model.add_implication(both, b)
    model.add_bool_or([a.Not(), b.Not(), both])
    return both


def worst_cost(terms: TeamCostTerms) -> int:
    """Above any itinerary's cost: every positive arc cost, and every date of the axis."""
    days = [d for d in (*terms.first_day, *terms.last_day) if d is not None]
    span = (max(days) - min(days) + 1) if days else 0
    return sum(c for c in terms.arc_cents if c > 0) + terms.per_diem_cents * span


@dataclass(frozen=True)
class TripBudget:
    """The budget as the team model enforces it: every team's cost terms and the cap in cents.

    ``enforce``: ``hard`` (no plan over the cap), ``priority`` (each ``over_cap_per_point`` whole
    units over the cap cost one coverage point), or ``report`` (costs known, no rule: the model
    that finds the cheapest plan when a hard cap is met by none)."""

    teams: tuple[TeamCostTerms, ...]
    cap_cents: int
    enforce: str
    over_cap_per_point: int = 0

    def cost(self, chosen: list[list[int]]) -> int:
        return sum(terms.cost(arcs) for terms, arcs in zip(self.teams, chosen, strict=True))

    def over_units(self, cents: int) -> int:
        """Whole currency units over the cap, rounded up."""
        return max(0, -(-(cents - self.cap_cents) // CENTS))
