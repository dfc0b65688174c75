"""A member joining en route against the movement-level referee, on random scenarios covering the
whole format.

The referee (tests/referee.py) enumerates concrete runs and drives by the written movement rules and
never uses the planner's search. From the written joining rules (scenarios/README.md, `joins_en_route`)
a team with such a member travels one of two ways:

- it waits at its start for the member (only when the member lives there): the team's ordinary view
  (tests/test_team_referee.team_view);
- or it meets the member at one of its seminars, in city C at start T. Then its trip is a first part
  by the others (their count as the size, their cars, leaving when they are free, holding only
  seminars they can staff) from the start to C, there ready by T less the preparation time (or at
  once, when it starts in C and is free by T); the member's own trip, one person from home when free
  to C by the same moment (or nothing, at home in C and free by T); and a second part by the whole
  team from C, free at the seminar's end, to the end, holding only seminars all of them can staff.
  Each part is enumerated by the referee as its own tiny scenario, with the team's home zone for
  days and nights. No city twice across the parts.

The team's best for each set of cities is the least over those ways; the teams' best is the best
pair with no city in common. The daily travel limit is set to the whole day here: the written rule
for the day of the join (the member's own minutes that day are not added to the team's) is then
moot, and the parts need no shared day budget. The planner's joint model must reach the referee's
best, proven OPTIMAL, and its plan must pass the team checker.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from typing import Any

import pytest

from planner.check.teams import check_team_plan
from planner.domain import Scenario
from planner.teams import plan_teams, teams_plan_json
from tests.brute_force import coverage
from tests.referee import _Referee, referee_itineraries
from tests.scenario_gen import describe, random_scenario
from tests.test_team_referee import best_pair, team_view, with_two_teams

FAST = range(2)
SLOW = range(2, 50)


def with_a_joiner(seed: int) -> Scenario:
    """Two teams; the first team's officer joins en route from a home at its start or elsewhere;
    the whole day as the daily limit; sometimes a city only the whole first team can staff."""
    scenario = with_two_teams(random_scenario(seed), seed)
    draw = random.Random(7000 + seed)
    data = scenario.model_dump(mode="json")
    data["delegation"]["rules"]["max_travel_min_per_day"] = 24 * 60
    for team in data["teams"]:
        team.pop("max_travel_min_per_day", None)
    start = dt.datetime.fromisoformat(str(data["delegation"]["earliest_departure"]))
    later = (start + dt.timedelta(hours=draw.choice([4, 20, 28]))).replace(tzinfo=None)
    cities = [c["id"] for c in data["cities"]]
    officer = next(m for m in data["members"] if m["id"] == "u1")
    officer.update(
        home_city=data["delegation"]["start_city"] if draw.random() < 0.4 else draw.choice(cities),
        available_from=later.isoformat(timespec="minutes"),
        joins_en_route=True,
    )
    if draw.random() < 0.5 and data["seminars"]:
        city = draw.choice(data["seminars"])["city"]
        data["staffing"].setdefault("cities", {})[city] = {"trainer": 1, "undp": 1}
    data["solver"].update(time_limit_s=3600, workers=1)
    return Scenario.model_validate(data)


def _aware(moment: dt.datetime, scenario: Scenario, city: str) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=scenario.city(city).zone)


def _staffed(scenario: Scenario, members: list[str], city: str) -> bool:
    roles = Counter(scenario.member(m).role for m in members)
    return all(roles[r] >= n for r, n in scenario.staffing.needed(city).items())


def _part(
    scenario: Scenario,
    members: list[str],
    cars: int,
    where: tuple[str, dt.datetime, str, dt.datetime],
    cities: set[str],
) -> Scenario:
    """A part of the team's trip as its own scenario: these members, from a city at a moment to a
    city by a moment, holding seminars in ``cities`` (none required)."""
    start, leave, end, back = where
    delegation = scenario.delegation.model_copy(
        update={
            "size": len(members),
            "vehicles": cars,
            "start_city": start,
            "end_city": end,
            "earliest_departure": leave,
            "latest_return": back,
        }
    )
    seminars = tuple(s.model_copy(update={"required": False}) for s in scenario.seminars if s.city in cities)
    return scenario.model_copy(update={"delegation": delegation, "seminars": seminars, "teams": ()})


def _itineraries(part: Scenario, home: str) -> dict[frozenset[str], int]:
    """The referee's least cost per set of cities of a part, with ``home``'s zone for days and nights."""
    if part.delegation.earliest_departure > part.delegation.latest_return:
        return {}
    judge = _Referee(part)
    judge.home = judge.zones[home]
    judge.solve()
    return judge.by_cities


def _least(into: dict[frozenset[str], int], cities: frozenset[str], cost: int) -> None:
    if cities not in into or cost < into[cities]:
        into[cities] = cost


def joining_team_itineraries(scenario: Scenario) -> dict[frozenset[str], int]:
    """The first team's least cost per set of cities, over waiting and every meeting (see above)."""
    team = scenario.teams[0]
    member = scenario.member("u1")
    assert member.home_city is not None and member.available_from is not None
    others = [m for m in team.members if m != member.id]
    seats = scenario.costs.car_seats if scenario.costs is not None else 4
    start = team.start_city or scenario.delegation.start_city
    end = team.end_city or scenario.delegation.end_city
    whole_view = team_view(scenario, 0)
    back = _aware(whole_view.delegation.latest_return, scenario, end)
    leave = _aware(team.earliest_departure or scenario.delegation.earliest_departure, scenario, start)
    for other in others:
        free = scenario.member(other).available_from
        if free is not None:
            leave = max(leave, _aware(free, scenario, start))
    best: dict[frozenset[str], int] = {}
    if member.home_city == start:
        for cities, cost in referee_itineraries(whole_view).items():
            _least(best, cities, cost)
    # The candidate seminars: the whole team's, in the view where it leaves first.
    leaving = _part(
        scenario,
        list(team.members),
        team.vehicles or math.ceil(len(team.members) / seats),
        (start, leave, end, back),
        {s.city for s in scenario.seminars if _staffed(scenario, list(team.members), s.city)},
    )
    judge = _Referee(leaving)
    prep = dt.timedelta(minutes=scenario.delegation.rules.min_prep_min)
    free_at = _aware(member.available_from, scenario, member.home_city)
    staffed_by_others = {s.city for s in scenario.seminars if _staffed(scenario, others, s.city)}
    whole_cities = {s.city for s in leaving.seminars}
    for begin, finish, city in judge.slots():
        at, done = judge.clock.at(begin), judge.clock.at(finish)
        ready = at - prep
        if member.home_city == city:
            alone: int | None = 0 if free_at <= at else None
        else:
            trip = _part(scenario, [member.id], 1, (member.home_city, free_at, city, ready), set())
            alone = _itineraries(trip, member.home_city).get(frozenset())
        if alone is None:
            continue
        first_cars = team.vehicles or math.ceil(len(others) / seats)
        before = _itineraries(
            _part(scenario, others, first_cars, (start, leave, city, ready), staffed_by_others - {city}),
            start,
        )
        if start == city and leave <= at:
            _least(before, frozenset(), 0)  # at its start already: no preparation needed (rule 7)
        cars = team.vehicles or math.ceil(len(team.members) / seats)
        after = _itineraries(
            _part(scenario, list(team.members), cars, (city, done, end, back), whole_cities - {city}), start
        )
        for first, cost_first in before.items():
            for second, cost_second in after.items():
                if not first & second:
                    _least(best, first | second | {city}, cost_first + cost_second + alone)
    return best


def referee_best(scenario: Scenario) -> tuple[int, int] | None:
    """(points, summed cost) of the best pair of the two teams' itineraries; None if there is none."""
    return best_pair(
        scenario, joining_team_itineraries(scenario), referee_itineraries(team_view(scenario, 1))
    )


def check_joining_against_the_referee(seed: int) -> dict[str, Any]:
    scenario = with_a_joiner(seed)
    outcome = plan_teams(scenario)
    context = f"seed {seed}\n{describe(scenario)}"
    best = referee_best(scenario)
    if best is None:
        assert outcome.status.value == "INFEASIBLE", f"referee: no plan, planner {outcome.status}\n{context}"
        return {"plan": False}
    assert outcome.status.value == "OPTIMAL", f"planner {outcome.status}, referee {best}\n{context}"
    held = frozenset(
        s.city for share in outcome.shares if share.result.itinerary for s in share.result.itinerary.seminars
    )
    cost = sum(share.result.secondary_cost for share in outcome.shares)
    cost += sum(share.joiner.result.secondary_cost for share in outcome.shares if share.joiner)
    assert (coverage(scenario, held), cost) == best, (
        f"planner {(coverage(scenario, held), cost)}, referee {best}\n{context}"
    )
    document = teams_plan_json(scenario, outcome)
    assert check_team_plan(scenario, document) == [], context
    return {"plan": True, "joins": any(s.joiner is not None for s in outcome.shares)}


@pytest.mark.parametrize("seed", FAST)
def test_joining_agrees_with_the_referee(seed: int) -> None:
    check_joining_against_the_referee(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_joining_agrees_with_the_referee_slow(seed: int) -> None:
    check_joining_against_the_referee(seed)
