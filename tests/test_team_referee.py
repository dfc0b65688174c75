"""Team plans against the movement-level referee, on random scenarios covering the whole format.

The referee (tests/referee.py) enumerates concrete runs and drives from the written movement rules
and never uses the planner's search. Each team's view is derived here from the written team rules
(scenarios/README.md, "Members, teams, staffing, costs and budget"), not from planner.team_view:
its members' count as the size, its cars (given, else one per ``car_seats`` members), its own
start, end and window narrowed to when every member is free, its own daily travel limit, and the
seminars its members can staff, none required. The teams' best is then the best pair of city
sets with no city in common that holds every required city: coverage first (a region once,
whoever covers it), then the two teams' costs summed. The planner's joint model must reach it,
proven OPTIMAL, and its plan must pass the team checker.
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
from tests.referee import referee_itineraries
from tests.scenario_gen import describe, random_scenario

FAST = range(12)
SLOW = range(12, 80)


def with_two_teams(scenario: Scenario, seed: int) -> Scenario:
    """Two teams on a random scenario: by seed, the second elsewhere, leaving later, with a member
    free only later, with its own daily limit, or a city only the first may staff."""
    draw = random.Random(seed)
    data = scenario.model_dump(mode="json")
    cities = [c["id"] for c in data["cities"]]
    data["members"] = [
        {"id": "t1", "name": "Trainer One", "role": "trainer"},
        {"id": "m1", "name": "Official One", "role": "ministry"},
        {"id": "u1", "name": "Officer One", "role": "undp"},
        {"id": "t2", "name": "Trainer Two", "role": "trainer"},
        {"id": "m2", "name": "Official Two", "role": "ministry"},
    ]
    second: dict[str, Any] = {"id": "b", "members": ["t2", "m2"]}
    data["teams"] = [{"id": "a", "members": ["t1", "m1", "u1"]}, second]
    data["staffing"] = {"roles": {"trainer": 1, "ministry": 1}}
    if draw.random() < 0.4:
        other = draw.choice(cities)
        second.update(start_city=other, end_city=other)
    if draw.random() < 0.3:
        second["max_travel_min_per_day"] = draw.choice([180, 300, 480])
    if draw.random() < 0.3:
        start = dt.datetime.fromisoformat(str(data["delegation"]["earliest_departure"]))
        later = (start + dt.timedelta(hours=draw.choice([12, 24, 30]))).replace(tzinfo=None)
        data["members"][3]["available_from"] = later.isoformat(timespec="minutes")
    if draw.random() < 0.3 and data["seminars"]:
        city = draw.choice(data["seminars"])["city"]
        data["staffing"]["cities"] = {city: {"trainer": 1, "undp": 1}}  # only team a may staff it
    return Scenario.model_validate(data)


def _instant(moment: dt.datetime, scenario: Scenario, city: str) -> dt.datetime:
    zone = scenario.city(city).zone
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def team_view(scenario: Scenario, index: int) -> Scenario:
    """A team's own scenario, from the written team rules (see the module docstring)."""
    team = scenario.teams[index]
    delegation = scenario.delegation
    members = [m for m in scenario.members if m.id in team.members]
    seats = scenario.costs.car_seats if scenario.costs is not None else 4
    start = team.start_city or delegation.start_city
    end = team.end_city or delegation.end_city
    leave = _instant(team.earliest_departure or delegation.earliest_departure, scenario, start)
    back = _instant(team.latest_return or delegation.latest_return, scenario, end)
    for member in members:
        if member.available_from is not None:
            leave = max(leave, _instant(member.available_from, scenario, start))
        if member.available_to is not None:
            back = min(back, _instant(member.available_to, scenario, end))
    roles = Counter(m.role for m in members)
    seminars = [
        s.model_copy(update={"required": False})
        for s in scenario.seminars
        if all(roles[role] >= n for role, n in scenario.staffing.needed(s.city).items())
    ]
    rules = delegation.rules
    if team.max_travel_min_per_day is not None:
        rules = rules.model_copy(update={"max_travel_min_per_day": team.max_travel_min_per_day})
    own = delegation.model_copy(
        update={
            "size": len(members),
            "vehicles": team.vehicles or math.ceil(len(members) / seats),
            "start_city": start,
            "end_city": end,
            "earliest_departure": leave,
            "latest_return": back,
            "rules": rules,
        }
    )
    return scenario.model_copy(update={"delegation": own, "seminars": tuple(seminars), "teams": ()})


def teams_best(scenario: Scenario) -> tuple[int, int] | None:
    """(points, summed cost) of the best pair of itineraries, by the referee; None if there is none."""
    first, second = (referee_itineraries(team_view(scenario, i)) for i in range(2))
    return best_pair(scenario, first, second)


def best_pair(
    scenario: Scenario, first: dict[frozenset[str], int], second: dict[frozenset[str], int]
) -> tuple[int, int] | None:
    """(points, summed cost) of the best pair of two teams' itineraries (least cost per set of
    cities each) with no city in common that holds every required city; None if there is none."""
    required = {s.city for s in scenario.seminars if s.required}
    best: tuple[int, int] | None = None
    for cities_a, cost_a in first.items():
        for cities_b, cost_b in second.items():
            if cities_a & cities_b or not required <= cities_a | cities_b:
                continue
            candidate = (coverage(scenario, cities_a | cities_b), cost_a + cost_b)
            if best is None or (candidate[0], -candidate[1]) > (best[0], -best[1]):
                best = candidate
    return best


def check_teams_against_the_referee(seed: int) -> None:
    scenario = with_two_teams(random_scenario(seed), seed)
    scenario = scenario.model_copy(
        update={"solver": scenario.solver.model_copy(update={"time_limit_s": 3600, "workers": 1})}
    )
    outcome = plan_teams(scenario)
    context = f"seed {seed}\n{describe(scenario)}"
    best = teams_best(scenario)
    if best is None:
        assert outcome.status.value == "INFEASIBLE", f"referee: no plan, planner {outcome.status}\n{context}"
        return
    assert outcome.status.value == "OPTIMAL", f"planner {outcome.status}, referee {best}\n{context}"
    held = frozenset(
        s.city for share in outcome.shares if share.result.itinerary for s in share.result.itinerary.seminars
    )
    found = (coverage(scenario, held), sum(share.result.secondary_cost for share in outcome.shares))
    assert found == best, f"planner {found}, referee {best}\n{context}"
    document = teams_plan_json(scenario, outcome)
    assert check_team_plan(scenario, document) == [], context


@pytest.mark.parametrize("seed", FAST)
def test_team_plans_agree_with_the_referee(seed: int) -> None:
    check_teams_against_the_referee(seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW)
def test_team_plans_agree_with_the_referee_slow(seed: int) -> None:
    check_teams_against_the_referee(seed)
