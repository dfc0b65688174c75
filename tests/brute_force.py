"""Exhaustive enumeration of itineraries for tiny instances: the solver's referee.

It shares the connection tables with the solver (the cheapest connection that
fits between two seminars is the model's definition of a hop) but nothing else:
it generates seminar slots itself from the raw scenario with zoneinfo, never looks
at the arcs, the pruning or CP-SAT, and walks every time-ordered sequence of
distinct cities with their slots.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from planner.connections import Journey
from planner.domain import WEEKDAYS, Scenario, parse_clock
from planner.problem import Problem, journey_cost


@dataclass(frozen=True)
class Best:
    points: int
    cost: int  # secondary cost, 1/60 points
    cities: tuple[str, ...]


def _slots(scenario: Scenario, epoch: dt.datetime) -> list[tuple[str, int, int]]:
    calendar = scenario.calendar
    slots = []
    for seminar in scenario.seminars:
        zone = scenario.city(seminar.city).zone
        for offset in range(calendar.horizon_days):
            day = calendar.start_date + dt.timedelta(days=offset)
            if seminar.earliest_date and day < seminar.earliest_date:
                continue
            if seminar.latest_date and day > seminar.latest_date:
                continue
            working = (
                WEEKDAYS[day.weekday()] in calendar.working_weekdays and day not in calendar.holidays
            ) or day in calendar.extra_working_dates
            if not (working or seminar.any_day):
                continue
            if seminar.window is None:
                starts = [parse_clock(t)[0] for t in seminar.start_times]
            else:
                first, last = parse_clock(seminar.window.start)[0], parse_clock(seminar.window.end)[0]
                starts = list(range(first, last - seminar.duration_min + 1, seminar.step_min))
            for minute in starts:
                local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
                start = int((local - epoch).total_seconds() // 60)
                slots.append((seminar.city, start, start + seminar.duration_min))
    return slots


def _hop(problem: Problem, origin: str, destination: str, free: int, deadline: int) -> Journey | None:
    weights = problem.scenario.objective
    usable = [
        j for j in problem.journeys.get((origin, destination), []) if j.leave >= free and j.arrive <= deadline
    ]
    if not usable:
        return None
    return min(usable, key=lambda j: (journey_cost(j, weights), j.arrive, j.leave))


@dataclass(frozen=True)
class Walk:
    """One itinerary: its seminars (city, start, end) and connections, and its secondary cost."""

    seminars: tuple[tuple[str, int, int], ...]
    journeys: tuple[Journey, ...]
    cost: int

    @property
    def cities(self) -> frozenset[str]:
        return frozenset(city for city, _, _ in self.seminars)


def itineraries(problem: Problem) -> dict[frozenset[str], int]:
    """Every city set some itinerary holds, with the least secondary cost of holding it."""
    found: dict[frozenset[str], int] = {}
    for walk in every_itinerary(problem):
        if walk.cities not in found or walk.cost < found[walk.cities]:
            found[walk.cities] = walk.cost
    return found


def every_itinerary(problem: Problem) -> list[Walk]:
    """Every itinerary: each time-ordered sequence of distinct cities with their slots, the
    cheapest connection between two of them."""
    scenario = problem.scenario
    delegation = scenario.delegation
    rules = delegation.rules
    weights = scenario.objective
    slots = [
        s
        for s in _slots(scenario, problem.axis.epoch)
        if s[1] >= problem.start_min and s[2] <= problem.end_min
    ]
    found: list[Walk] = []

    def days_ok(day_load: dict[int, int], journey: Journey | None) -> dict[int, int] | None:
        if journey is None:
            return day_load
        load = dict(day_load)
        for day, minutes in journey.day_minutes:
            load[day] = load.get(day, 0) + minutes
            if load[day] > rules.max_travel_min_per_day:
                return None
        return load

    def finish(city: str, free: int, walk: Walk, load: dict[int, int]) -> None:
        if city == delegation.end_city:
            journey = None
        else:
            journey = _hop(problem, city, delegation.end_city, free, problem.end_min)
            if journey is None or days_ok(load, journey) is None:
                return
        journeys = walk.journeys if journey is None else (*walk.journeys, journey)
        found.append(Walk(walk.seminars, journeys, walk.cost + journey_cost(journey, weights)))

    def walk(city: str, free: int, done: Walk, load: dict[int, int], at_start: bool) -> None:
        finish(city, free, done, load)
        for slot_city, start, end in slots:
            if slot_city in done.cities or start < free:
                continue
            if slot_city == city:
                if not at_start:
                    continue
                journey = None
            else:
                journey = _hop(problem, city, slot_city, free, start - rules.min_prep_min)
                if journey is None:
                    continue
            new_load = days_ok(load, journey)
            if new_load is None:
                continue
            further = Walk(
                (*done.seminars, (slot_city, start, end)),
                done.journeys if journey is None else (*done.journeys, journey),
                done.cost + journey_cost(journey, weights),
            )
            walk(slot_city, end, further, new_load, False)

    walk(delegation.start_city, problem.start_min, Walk((), (), 0), {}, True)
    return found


def coverage(scenario: Scenario, cities: frozenset[str]) -> int:
    """Region weights (each once) and seminar weights of the cities."""
    regions = {r for s in scenario.seminars if s.city in cities for r in scenario.regions_served(s)}
    return sum(r.weight for r in scenario.regions if r.id in regions) + sum(
        s.weight for s in scenario.seminars if s.city in cities
    )


def brute_force(problem: Problem) -> Best | None:
    """The best (most points, then least secondary cost) itinerary, or None if none."""
    scenario = problem.scenario
    required = {s.city for s in scenario.seminars if s.required}
    best: Best | None = None
    for cities, cost in itineraries(problem).items():
        # A required city no itinerary can hold means no plan at all (rule 9).
        if not required <= cities:
            continue
        candidate = Best(coverage(scenario, cities), cost, tuple(sorted(cities)))
        if best is None or (candidate.points, -candidate.cost) > (best.points, -best.cost):
            best = candidate
    return best
