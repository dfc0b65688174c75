"""The budget cap held by the team model: hard, or weighed as a priority, against exhaustive
enumeration priced by ``trip_costs`` on each itinerary itself; the checker's budget rule; the
budget fields refused with their names."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any

import pytest

from planner.check.teams import check_team_plan
from planner.costs import trip_costs
from planner.domain import Scenario
from planner.problem import Problem
from planner.result import Itinerary, SeminarVisit, nights
from planner.scenario import ScenarioError, load_scenario
from planner.synthetic import tiny_scenario
from planner.teams import TeamsOutcome, plan_teams, teams_plan_json
from tests.brute_force import coverage, every_itinerary
from tests.conftest import unhurried
from tests.test_teams import PEOPLE, with_teams


@dataclass(frozen=True)
class Priced:
    """One team's itinerary: the cities it holds, its secondary cost, its trip cost in cents."""

    cities: frozenset[str]
    secondary: int
    cents: int


def _plan_of(problem: Problem, seminars: tuple[tuple[str, int, int], ...], journeys: tuple) -> dict[str, Any]:
    """The legs and nights of an itinerary as a plan document states them, built from the
    itinerary alone (its connections, and the nights the plan document reads from them)."""
    scenario, axis = problem.scenario, problem.axis
    zones = {c.id: c.zone for c in scenario.cities}
    itinerary = Itinerary(tuple(SeminarVisit(*s) for s in seminars), journeys)
    legs = [
        {
            "depart": axis.iso(leg.depart, zones[leg.from_city]),
            "arrive": axis.iso(leg.arrive, zones[leg.to_city]),
            "cost": leg.cost,
        }
        for leg in itinerary.legs
    ]
    stays = [{"date": n.date, "city": n.city} for n in nights(scenario, axis, itinerary)]
    return {"legs": legs, "nights": stays}


def priced_itineraries(scenario: Scenario, index: int, problem: Problem) -> list[Priced]:
    """Every itinerary of team ``index``, priced by ``trip_costs`` for that team; per city set,
    only those no other beats on both secondary cost and trip cost."""
    team = scenario.teams[index]
    members = [{"id": m} for m in team.members]
    best: dict[frozenset[str], list[Priced]] = {}
    for walk in every_itinerary(problem):
        plan = _plan_of(problem, walk.seminars, walk.journeys)
        total = trip_costs(scenario, [{"id": team.id, "members": members, "plan": plan}])["total"]
        entry = Priced(walk.cities, walk.cost, round(total * 100))
        kept = best.setdefault(walk.cities, [])
        if any(k.secondary <= entry.secondary and k.cents <= entry.cents for k in kept):
            continue
        kept[:] = [k for k in kept if not (entry.secondary <= k.secondary and entry.cents <= k.cents)]
        kept.append(entry)
    return [p for kept in best.values() for p in kept]


def pairs(scenario: Scenario, outcome: TeamsOutcome) -> list[tuple[int, int, int]]:
    """(coverage points, secondary cost, trip cost in cents) of every pair of itineraries the two
    teams may hold together: no city twice, every required city held."""
    required = {s.city for s in scenario.seminars if s.required}
    first, second = (priced_itineraries(scenario, i, share.problem) for i, share in enumerate(outcome.shares))
    found = []
    for a in first:
        for b in second:
            if a.cities & b.cities or not required <= a.cities | b.cities:
                continue
            found.append(
                (coverage(scenario, a.cities | b.cities), a.secondary + b.secondary, a.cents + b.cents)
            )
    return found


def with_budget(scenario: Scenario, **budget: Any) -> Scenario:
    data = scenario.model_dump(mode="json")
    data["budget"] = budget
    return Scenario.model_validate(data)


def held_points(scenario: Scenario, outcome: TeamsOutcome) -> tuple[int, int]:
    """(coverage points, secondary cost) of the plan, from its own itineraries."""
    found = [share.result.itinerary for share in outcome.shares]
    held = frozenset(s.city for f in found if f is not None for s in f.seminars)
    return coverage(scenario, held), sum(share.result.secondary_cost for share in outcome.shares)


def checked_cost(scenario: Scenario, outcome: TeamsOutcome) -> int:
    """The plan's cost in cents: the model's figure, equal to ``trip_costs`` of the document,
    which the checker accepts."""
    document = teams_plan_json(scenario, outcome)
    assert check_team_plan(scenario, document) == []
    assert outcome.trip_cost_cents is not None
    assert outcome.trip_cost_cents == round(document["costs"]["total"] * 100)
    return outcome.trip_cost_cents


def _instance(
    seed: int, required: str | None = None, homes: bool = False
) -> tuple[Scenario, list[tuple[int, int, int]]] | None:
    """Two teams on a tiny scenario (``required``: a city made required; ``homes``: some members
    live in some cities), with every pair of itineraries priced. The daily limit is lifted so that
    it never binds: each hop is then the one connection the travel objective picks, in the model and
    in the enumeration alike (where the limit binds, the model keeps several per pair of seminars
    and the enumeration only one)."""
    data = with_teams(unhurried(tiny_scenario(seed)), seed).model_dump(mode="json")
    data["delegation"]["rules"]["max_travel_min_per_day"] = 24 * 60
    if homes:
        draw = random.Random(seed)
        cities = [c["id"] for c in data["cities"]]
        for member in data["members"]:
            member["home_city"] = draw.choice([*cities, None])
    for seminar in data["seminars"]:
        if seminar["city"] == required:
            seminar["required"] = True
    scenario = Scenario.model_validate(data)
    found = pairs(scenario, plan_teams(with_budget(scenario, cap=1e9, enforce="hard")))
    return (scenario, found) if found else None


@pytest.mark.parametrize("seed", range(40))
def test_a_hard_cap_gives_the_best_plan_of_exhaustive_enumeration_within_it(seed):
    instance = _instance(seed, homes=seed % 2 == 1)
    if instance is None:
        return
    scenario, found = instance
    cheapest, dearest = min(c for *_, c in found), max(c for *_, c in found)
    cap_cents = random.Random(seed).randint(cheapest, dearest) // 100 * 100
    cap_cents = max(cap_cents, -(-cheapest // 100) * 100, 100)
    capped = with_budget(scenario, cap=cap_cents / 100, enforce="hard")
    outcome = plan_teams(capped)
    within = [(points, -secondary) for points, secondary, cents in found if cents <= cap_cents]
    points, best = max(within)
    assert outcome.status.value == "OPTIMAL"
    assert held_points(capped, outcome) == (points, -best)
    assert checked_cost(capped, outcome) <= cap_cents


@pytest.mark.parametrize("seed", range(0, 40, 3))
def test_a_priority_cap_weighs_each_unit_over_it_against_coverage(seed):
    instance = _instance(seed)
    if instance is None:
        return
    scenario, found = instance
    draw = random.Random(seed)
    cheapest, dearest = min(c for *_, c in found), max(c for *_, c in found)
    cap = draw.randint(cheapest, dearest) // 100
    per_point = draw.choice([1, 50, 1000, 20000])
    weighed = with_budget(scenario, cap=max(cap, 1), enforce="priority", over_cap_per_point=per_point)
    outcome = plan_teams(weighed)
    most = max(p for p, *_ in found)

    def first_rank(points: int, cents: int) -> int:
        over = max(0, -(-(cents - max(cap, 1) * 100) // 100))
        return per_point * (most - points) + over

    best = min((first_rank(p, c), s) for p, s, c in found)
    assert outcome.status.value == "OPTIMAL"
    points, secondary = held_points(weighed, outcome)
    assert (first_rank(points, checked_cost(weighed, outcome)), secondary) == best


@pytest.mark.parametrize("seed", [0, 3, 4, 9, 11])
def test_a_hard_cap_no_plan_meets_says_the_budget_is_why(seed):
    # A required city far from the start makes every plan cost something.
    scenario = with_teams(tiny_scenario(seed), seed)
    far = max(scenario.seminars, key=lambda s: s.city != scenario.delegation.start_city).city
    instance = _instance(seed, required=far)
    assert instance is not None
    scenario, found = instance
    cheapest = min(c for *_, c in found)
    assert cheapest >= 200, "every plan costs something"
    capped = with_budget(scenario, cap=(cheapest - 100) // 100, enforce="hard")
    outcome = plan_teams(capped)
    assert outcome.status.value == "INFEASIBLE"
    document = teams_plan_json(capped, outcome)
    shown = f"{cheapest / 100:,.2f} {capped.currency}"
    assert outcome.budget_note is not None and "budget cap" in outcome.budget_note
    assert f"the cheapest plan costs {shown}" in outcome.budget_note
    assert document["costs"]["budget"]["why_no_plan"] == outcome.budget_note
    reasons = {u["reason"] for u in document["uncovered"]}
    assert "over_budget" in reasons and "traded_off" not in reasons
    assert check_team_plan(capped, document) == []


@pytest.mark.parametrize("seed", range(6))
def test_a_hard_cap_stays_anytime_and_never_answers_over_it(seed):
    instance = _instance(seed)
    if instance is None:
        return
    scenario, found = instance
    cheapest, dearest = min(c for *_, c in found), max(c for *_, c in found)
    cap_cents = max(-(-(cheapest + dearest) // 200) * 100, 100)
    capped = with_budget(scenario, cap=cap_cents / 100, enforce="hard")
    hurried = capped.solver.model_copy(update={"deterministic_limit": 1e-6})
    outcome = plan_teams(capped, hurried)
    if outcome.status.value in ("OPTIMAL", "FEASIBLE"):
        assert checked_cost(capped, outcome) <= cap_cents
    else:
        assert outcome.status.value == "TIME_LIMIT"


def test_the_checker_refuses_a_plan_over_a_hard_cap():
    scenario = with_teams(unhurried(tiny_scenario(0)), 0)
    document = teams_plan_json(scenario, plan_teams(scenario))
    total = document["costs"]["total"]
    assert total > 1000
    capped = with_budget(scenario, cap=total - 1000, enforce="hard")
    rules = {v.rule for v in check_team_plan(capped, document)}
    assert "teams_budget" in rules
    reported = with_budget(scenario, cap=total - 1000)
    assert "teams_budget" not in {v.rule for v in check_team_plan(reported, document)}


def test_a_replan_over_a_hard_cap_states_the_overrun_and_is_not_refused():
    import datetime as dt

    from planner.team_replan import replan_teams

    scenario = with_teams(unhurried(tiny_scenario(0)), 0)
    first = teams_plan_json(scenario, plan_teams(scenario))
    total = first["costs"]["total"]
    # The same trip under a cap it now exceeds (rates went up, say): the next version says so.
    capped = with_budget(scenario, cap=total - 1000, enforce="hard")
    now = dt.datetime.fromisoformat(first["teams"][0]["plan"]["legs"][0]["depart"]) - dt.timedelta(hours=1)
    second = replan_teams(capped, first, now)
    assert second["status"] in ("OPTIMAL", "FEASIBLE") and second["based_on"] == 1
    assert second["costs"]["budget"]["within"] is False
    assert check_team_plan(capped, second, previous=first, now=now) == []


def test_without_enforce_the_budget_is_only_reported():
    scenario = with_teams(unhurried(tiny_scenario(0)), 0)
    assert scenario.budget is not None and scenario.budget.enforce == "report"
    outcome = plan_teams(scenario)
    document = teams_plan_json(scenario, outcome)
    assert outcome.trip_cost_cents is None and "enforce" not in document["costs"]["budget"]


@pytest.mark.parametrize(
    ("budget", "field", "words"),
    [
        ({"cap": -5}, "budget.cap", "greater than"),
        ({"cap": 1000, "enforce": "sometimes"}, "budget.enforce", "report"),
        ({"cap": 1000, "enforce": "priority"}, "budget.over_cap_per_point", "required"),
        (
            {"cap": 1000, "enforce": "priority", "over_cap_per_point": 0},
            "budget.over_cap_per_point",
            "greater",
        ),
        ({"cap": 1000, "over_cap_per_point": 10}, "budget.over_cap_per_point", "only with"),
    ],
)
def test_bad_budget_fields_are_refused_naming_the_field(tmp_path, budget, field, words):
    import yaml

    data = tiny_scenario(0).model_dump(mode="json")
    data.update(copy.deepcopy(PEOPLE))
    data["budget"] = budget
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    text = str(error.value)
    assert field in text and words in text


@pytest.mark.parametrize(("drop", "words"), [("teams", "teams"), ("costs", "costs")])
def test_an_enforced_budget_needs_teams_and_costs(tmp_path, drop, words):
    import yaml

    data = tiny_scenario(0).model_dump(mode="json")
    data.update(copy.deepcopy(PEOPLE))
    data["budget"] = {"cap": 1000, "enforce": "hard"}
    del data[drop]
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    text = str(error.value)
    assert "budget.enforce" in text and words in text


def test_a_night_in_a_members_home_city_costs_them_no_hotel():
    scenario = with_teams(unhurried(tiny_scenario(0)), 0)
    document = teams_plan_json(scenario, plan_teams(scenario))
    team = next(t for t in document["teams"] if any(n.get("city") for n in t["plan"]["nights"]))
    home = next(n["city"] for n in team["plan"]["nights"] if n.get("city"))
    at_home = sum(1 for n in team["plan"]["nights"] if n.get("city") == home)
    local = team["members"][0]["id"]
    data = scenario.model_dump(mode="json")
    for member in data["members"]:
        if member["id"] == local:
            member["home_city"] = home
    housed = Scenario.model_validate(data)
    costs = trip_costs(housed, document["teams"])
    before = {p["member"]: p for p in document["costs"]["people"]}
    after = {p["member"]: p for p in costs["people"]}
    rate = housed.costs.hotel(home) if housed.costs else 0
    assert after[local]["hotel_nights"] == before[local]["hotel_nights"] - at_home
    assert after[local]["hotels"] == pytest.approx(before[local]["hotels"] - rate * at_home)
    other = team["members"][1]["id"]
    assert after[other] == before[other]
    assert all(
        s["rooms"] == len(team["members"]) - 1
        for s in costs["stays"]
        if s["city"] == home and s["team"] == team["id"]
    )
    # The checker recomputes the same: the plan with the member's hotels charged at home is wrong.
    assert "teams_costs" in {v.rule for v in check_team_plan(housed, document)}
    assert check_team_plan(housed, {**document, "costs": costs}) == []


def test_a_home_city_that_is_no_city_of_the_scenario_is_refused(tmp_path):
    import yaml

    data = tiny_scenario(0).model_dump(mode="json")
    data.update(copy.deepcopy(PEOPLE))
    data["members"][1]["home_city"] = "atlantis"
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert "members.1.home_city" in str(error.value) and "unknown city" in str(error.value)
