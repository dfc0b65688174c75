"""Several teams sharing the seminars: the scenario sections, the joint model against exhaustive
enumeration, the team plan's checker and costs, and the two-team flagship variant."""

from __future__ import annotations

import copy
import datetime as dt
import json
import random
from typing import Any

import pytest

from planner.check.teams import check_team_plan
from planner.domain import Scenario
from planner.scenario import ScenarioError, load_scenario
from planner.synthetic import tiny_scenario
from planner.team_view import team_scenario
from planner.teams import plan_teams, teams_plan_json
from tests.brute_force import coverage, itineraries
from tests.conftest import SCENARIOS, unhurried

PEOPLE = {
    "members": [
        {"id": "t1", "name": "Trainer One", "role": "trainer"},
        {"id": "t2", "name": "Trainer Two", "role": "trainer"},
        {"id": "m1", "name": "Official One", "role": "ministry"},
        {"id": "m2", "name": "Official Two", "role": "ministry"},
        {"id": "u1", "name": "Officer One", "role": "undp", "per_diem": 9000},
    ],
    "teams": [{"id": "a", "members": ["t1", "m1", "u1"]}, {"id": "b", "members": ["t2", "m2"]}],
    "staffing": {"roles": {"trainer": 1, "ministry": 1}},
    "costs": {"hotel_per_night": 20000, "hotel_by_city": {}, "per_diem": 6000, "note": "[EST]"},
    "budget": {"cap": 10_000_000},
}


def with_teams(scenario: Scenario, seed: int) -> Scenario:
    """Two teams on a tiny scenario; by seed, the second starts elsewhere, or lacks the staff of a city."""
    data = scenario.model_dump(mode="json")
    data.update(copy.deepcopy(PEOPLE))
    draw = random.Random(seed)
    cities = [c["id"] for c in data["cities"]]
    if draw.random() < 0.5:
        other = draw.choice(cities)
        data["teams"][1].update({"start_city": other, "end_city": other})
    if draw.random() < 0.5 and data["seminars"]:
        city = draw.choice(data["seminars"])["city"]
        data["staffing"]["cities"] = {city: {"trainer": 1, "undp": 1}}  # only team a may hold it
    return Scenario.model_validate(data)


def two_team_brute_force(scenario: Scenario, problems: list[Any]) -> tuple[int, int] | None:
    """(points, secondary cost) of the best pair of itineraries with no city in common."""
    required = {s.city for s in scenario.seminars if s.required}
    first, second = (itineraries(p) for p in problems)
    best = None
    for cities_a, cost_a in first.items():
        for cities_b, cost_b in second.items():
            if cities_a & cities_b or not required <= cities_a | cities_b:
                continue
            candidate = (coverage(scenario, cities_a | cities_b), -(cost_a + cost_b))
            best = candidate if best is None or candidate > best else best
    return None if best is None else (best[0], -best[1])


@pytest.mark.parametrize("seed", range(50))
def test_two_teams_reach_the_optimum_of_exhaustive_enumeration(seed):
    scenario = with_teams(unhurried(tiny_scenario(seed)), seed)
    outcome = plan_teams(scenario)
    best = two_team_brute_force(scenario, [share.problem for share in outcome.shares])
    if best is None:
        assert outcome.status.value in ("INFEASIBLE",)
        return
    assert outcome.status.value == "OPTIMAL"
    itineraries_found = [share.result.itinerary for share in outcome.shares]
    held = frozenset(s.city for found in itineraries_found if found is not None for s in found.seminars)
    points = coverage(scenario, held)
    secondary = sum(share.result.secondary_cost for share in outcome.shares)
    assert (points, secondary) == best
    document = teams_plan_json(scenario, outcome)
    assert check_team_plan(scenario, document) == []


@pytest.mark.parametrize("seed", range(15))
def test_a_team_daily_travel_limit_is_that_teams_own(seed):
    scenario = with_teams(unhurried(tiny_scenario(seed)), seed)
    limit = random.Random(seed).choice([120, 180, 240, 360])
    teams = (scenario.teams[0], scenario.teams[1].model_copy(update={"max_travel_min_per_day": limit}))
    scenario = scenario.model_copy(update={"teams": teams})
    assert team_scenario(scenario, teams[1]).delegation.rules.max_travel_min_per_day == limit
    assert team_scenario(scenario, teams[0]).delegation.rules == scenario.delegation.rules
    outcome = plan_teams(scenario)
    best = two_team_brute_force(scenario, [share.problem for share in outcome.shares])
    if best is None:
        assert outcome.status.value == "INFEASIBLE"
        return
    assert outcome.status.value == "OPTIMAL"
    held = frozenset(
        s.city for share in outcome.shares if share.result.itinerary for s in share.result.itinerary.seminars
    )
    secondary = sum(share.result.secondary_cost for share in outcome.shares)
    assert (coverage(scenario, held), secondary) == best
    # The checker judges each team by its own limit: team b's plan passes under it.
    assert check_team_plan(scenario, teams_plan_json(scenario, outcome)) == []


def test_a_team_plan_that_breaks_a_rule_across_teams_is_caught():
    scenario = with_teams(unhurried(tiny_scenario(3)), 1)
    document = teams_plan_json(scenario, plan_teams(scenario))
    assert check_team_plan(scenario, document) == []
    held = [t for t in document["teams"] if t["plan"]["seminars"]]
    assert held, "the plan holds a seminar"
    broken = copy.deepcopy(document)
    broken["costs"]["people"][0]["total"] += 1000
    assert {v.rule for v in check_team_plan(scenario, broken)} == {"teams_costs"}
    broken = copy.deepcopy(document)
    broken["coverage"]["points"] += 1
    assert "teams_coverage" in {v.rule for v in check_team_plan(scenario, broken)}
    # The same seminar claimed by the other team too.
    broken = copy.deepcopy(document)
    giver = held[0]
    other = next(t for t in broken["teams"] if t["id"] != giver["id"])
    other["plan"]["seminars"].append(copy.deepcopy(giver["plan"]["seminars"][0]))
    assert "teams_share_seminars" in {v.rule for v in check_team_plan(scenario, broken)}


def test_costs_per_person_add_up_and_follow_the_rates():
    scenario = with_teams(unhurried(tiny_scenario(5)), 2)
    document = teams_plan_json(scenario, plan_teams(scenario))
    costs = document["costs"]
    assert costs["currency"] == scenario.currency
    assert round(sum(p["total"] for p in costs["people"]), 2) == pytest.approx(costs["total"], abs=0.05)
    for team in document["teams"]:
        mine = [p for p in costs["people"] if p["team"] == team["id"]]
        assert [p["member"] for p in mine] == [m["id"] for m in team["members"]]
        fares = sum(leg["cost"] for leg in team["plan"]["legs"]) / len(team["members"])
        for person in mine:
            assert person["fares"] == pytest.approx(fares, abs=0.01)
            rate = 9000 if person["member"] == "u1" else 6000
            assert person["per_diems"] == pytest.approx(rate * person["days"])
            assert person["hotels"] == pytest.approx(20000 * person["hotel_nights"])
    assert costs["budget"]["within"] is (costs["total"] <= 10_000_000)


def test_a_team_scenario_is_the_team_view_of_the_scenario():
    scenario = with_teams(tiny_scenario(0), 0)
    team = scenario.teams[0]
    seen = team_scenario(scenario, team)
    assert seen.delegation.size == 3 and seen.delegation.vehicles == 1
    assert all(not s.required for s in seen.seminars)
    assert {s.city for s in seen.seminars} <= {s.city for s in scenario.seminars}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (lambda d: d["teams"][0]["members"].append("nobody"), "teams.0.members.3", "unknown member"),
        (lambda d: d["teams"][1]["members"].append("t1"), "teams.1.members.2", "already in team"),
        (lambda d: d["teams"][1].update(start_city="atlantis"), "teams.1.start_city", "unknown city"),
        (lambda d: d["staffing"]["roles"].update(pilot=1), "staffing.roles.pilot", "no member has the role"),
        (
            lambda d: d["costs"]["hotel_by_city"].update(atlantis=1),
            "costs.hotel_by_city.atlantis",
            "unknown city",
        ),
        (lambda d: d["members"].append(dict(d["members"][0])), "members.5.id", "duplicate id"),
        (lambda d: d["costs"].update(hotel_per_night=-5), "costs.hotel_per_night", "greater than or equal"),
    ],
)
def test_bad_people_sections_are_refused_naming_the_field(tmp_path, change, field, words):
    import yaml

    data = tiny_scenario(0).model_dump(mode="json")
    data.update(copy.deepcopy(PEOPLE))
    change(data)
    path = tmp_path / "teams.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    text = str(error.value)
    assert field in text and words in text


def test_extends_makes_a_variant_of_another_scenario_file(tmp_path):
    (tmp_path / "base.yaml").write_text(
        (SCENARIOS / "three-cities.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "variant.yaml").write_text("extends: base.yaml\nname: variant\n", encoding="utf-8")
    base, variant = load_scenario(tmp_path / "base.yaml"), load_scenario(tmp_path / "variant.yaml")
    assert variant.name == "variant" and variant.model_copy(update={"name": base.name}) == base
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\nname: loop\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="extends"):
        load_scenario(tmp_path / "loop.yaml")
    (tmp_path / "lost.yaml").write_text("extends: nowhere.yaml\nname: lost\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"no scenario file nowhere\.yaml"):
        load_scenario(tmp_path / "lost.yaml")


def test_the_two_team_flagship_is_the_flagship_plus_its_people():
    flagship = load_scenario(SCENARIOS / "kazakhstan-winter-2016.yaml")
    two = load_scenario(SCENARIOS / "kazakhstan-winter-2016-two-teams.yaml")
    assert [t.id for t in two.teams] == ["north", "south"]
    assert [s.city for s in two.seminars] == [s.city for s in flagship.seminars]
    assert [s.serves for s in two.seminars] == [s.serves for s in flagship.seminars]
    same = ("calendar", "regions", "cities", "delegation", "services", "roads")
    assert all(getattr(two, name) == getattr(flagship, name) for name in same)


@pytest.mark.slow
def test_the_two_team_flagship_holds_every_regional_centre_and_checks():
    scenario = unhurried(load_scenario(SCENARIOS / "kazakhstan-winter-2016-two-teams.yaml"))
    document = teams_plan_json(scenario, plan_teams(scenario))
    assert document["status"] == "OPTIMAL"
    assert len(document["coverage"]["cities"]) == 16 and document["uncovered"] == []
    assert check_team_plan(scenario, document) == []


def test_planner_plan_and_check_on_a_team_scenario(tmp_path, capsys):
    from planner.cli import main

    scenario_file = SCENARIOS / "three-cities-two-teams.yaml"
    out = tmp_path / "plan.json"
    assert main(["plan", str(scenario_file), "--time-limit", "3600", "--out", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "== Team East team" in shown and "== Team West team" in shown and "budget 1,000,000" in shown
    assert main(["check", str(scenario_file), str(out)]) == 0
    assert "valid plan" in capsys.readouterr().out
    data = json.loads(out.read_text(encoding="utf-8"))
    data["teams"][0]["plan"]["seminars"] += data["teams"][1]["plan"]["seminars"]
    out.write_text(json.dumps(data), encoding="utf-8")
    assert main(["check", str(scenario_file), str(out)]) == 1
    assert "teams_share_seminars" in capsys.readouterr().out
    assert main(["plan", str(scenario_file), "--robust"]) == 2
    assert "--robust" in capsys.readouterr().err


def test_each_member_gets_a_calendar_of_their_own_team(tmp_path, capsys):
    from icalendar import Calendar

    from planner.cli import main

    scenario_file = SCENARIOS / "three-cities-two-teams.yaml"
    plan_file, folder = tmp_path / "plan.json", tmp_path / "calendars"
    assert main(["plan", str(scenario_file), "--time-limit", "3600", "--out", str(plan_file)]) == 0
    export = ["export", str(plan_file), "--scenario", str(scenario_file), "--members-ics", str(folder)]
    assert main(export) == 0
    plan = json.loads(plan_file.read_text(encoding="utf-8"))
    for team in plan["teams"]:
        expected = len(team["plan"]["seminars"]) + len(team["plan"]["legs"])
        for member in team["members"]:
            calendar = Calendar.from_ical((folder / f"{member['id']}.ics").read_bytes())
            events = [c for c in calendar.walk("VEVENT")]
            assert len(events) == expected
            assert all(f"%2F{member['id']}/" in str(e["UID"]) for e in events)
            assert member["name"] in str(calendar["X-WR-CALNAME"])
    capsys.readouterr()
    assert main(["export", str(plan_file), "--members-ics", str(folder)]) == 2
    assert "--scenario" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["risk", "SCENARIO", "PLAN"],
    ],
)
def test_commands_for_one_team_refuse_a_team_scenario_naming_teams(tmp_path, capsys, argv):
    from planner.cli import main

    scenario_file = SCENARIOS / "three-cities-two-teams.yaml"
    plan_file = tmp_path / "plan.json"
    plan_file.write_text("{}", encoding="utf-8")
    given = [str(scenario_file) if a == "SCENARIO" else str(plan_file) if a == "PLAN" else a for a in argv]
    assert main(given) == 2
    captured = capsys.readouterr()
    assert "teams" in captured.out + captured.err and "planner plan" in captured.out + captured.err


def test_a_team_leaves_when_its_last_member_is_free():
    data = load_scenario(SCENARIOS / "three-cities-two-teams.yaml").model_dump(mode="json")
    data["members"][0]["available_from"] = "2016-01-19T08:00"  # trainer-a, of the east team
    scenario = unhurried(Scenario.model_validate(data))
    east = next(team for team in scenario.teams if team.id == "east")
    assert str(team_scenario(scenario, east).delegation.earliest_departure) == "2016-01-19 08:00:00"
    document = teams_plan_json(scenario, plan_teams(scenario))
    assert check_team_plan(scenario, document) == []
    plan = next(t["plan"] for t in document["teams"] if t["id"] == "east")
    starts = [leg["depart"] for leg in plan["legs"]] + [s["start"] for s in plan["seminars"]]
    assert all(moment >= "2016-01-19T08:00+06:00" for moment in starts)
    data["members"][0]["available_to"] = "2016-01-18T08:00"
    with pytest.raises(ValueError, match=r"members\.0\.available_to|available_to"):
        Scenario.model_validate(data)


@pytest.mark.parametrize("seed", range(6))
def test_a_team_solve_stopped_at_once_still_answers_with_a_plan(seed):
    """Anytime: with almost no deterministic time, the answer is a plan (CP-SAT's or the greedy
    first plan, FEASIBLE with no bound), checked, its objective the model's score of it."""
    scenario = with_teams(unhurried(tiny_scenario(seed)), seed)
    full = plan_teams(scenario)
    if full.status.value != "OPTIMAL" or full.objective is None:
        return
    hurried = scenario.solver.model_copy(update={"deterministic_limit": 1e-6})
    outcome = plan_teams(scenario, hurried)
    assert outcome.status.value in ("FEASIBLE", "OPTIMAL")
    assert outcome.objective is not None and outcome.objective >= full.objective
    document = teams_plan_json(scenario, outcome)
    assert check_team_plan(scenario, document) == []


def test_a_larger_team_solve_stopped_at_once_still_answers_with_a_checked_plan():
    from planner.synthetic import synthetic_scenario

    data = synthetic_scenario(10, 7, seed=2).model_dump(mode="json")
    data.update(copy.deepcopy(PEOPLE))
    data["teams"].append({"id": "c", "members": ["u1"]})
    data["teams"][0]["members"].remove("u1")
    data["staffing"] = {"roles": {}}
    scenario = Scenario.model_validate(data)
    hurried = scenario.solver.model_copy(update={"deterministic_limit": 1e-6, "time_limit_s": 3600})
    outcome = plan_teams(scenario, hurried)
    assert outcome.status.value in ("FEASIBLE", "OPTIMAL") and outcome.objective is not None
    assert check_team_plan(scenario, teams_plan_json(scenario, outcome)) == []


def test_planner_validate_reads_variants_and_team_plans(tmp_path, capsys):
    from planner.cli import main

    scenario_file = SCENARIOS / "three-cities-two-teams.yaml"
    assert main(["validate", str(scenario_file)]) == 0
    assert "2 teams of 4 members" in capsys.readouterr().out
    plan_file = tmp_path / "plan.json"
    assert main(["plan", str(scenario_file), "--time-limit", "3600", "--out", str(plan_file)]) == 0
    capsys.readouterr()
    assert main(["validate", str(plan_file), "--scenario", str(scenario_file)]) == 0
    assert "valid team plan" in capsys.readouterr().out
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    data["coverage"]["points"] += 1
    plan_file.write_text(json.dumps(data), encoding="utf-8")
    assert main(["validate", str(plan_file), "--scenario", str(scenario_file)]) == 2
    assert "coverage.points" in capsys.readouterr().err


def test_planning_a_team_scenario_as_one_group_is_refused():
    from planner.solve import plan

    with pytest.raises(ValueError, match="teams"):
        plan(load_scenario(SCENARIOS / "three-cities-two-teams.yaml"))


def test_a_team_leaving_later_pays_no_hotel_before_it_leaves():
    scenario = unhurried(load_scenario(SCENARIOS / "three-cities-two-teams.yaml"))
    late = scenario.teams[1].model_copy(update={"earliest_departure": dt.datetime(2016, 1, 19, 8, 0)})
    scenario = scenario.model_copy(update={"teams": (scenario.teams[0], late)})
    document = teams_plan_json(scenario, plan_teams(scenario))
    assert check_team_plan(scenario, document) == []
    west = next(team for team in document["teams"] if team["id"] == late.id)
    # Before its window the team is not on its trip: no night is listed, and none is paid.
    assert west["plan"]["nights"] and all(n["date"] >= "2016-01-19" for n in west["plan"]["nights"])
    paid = [p for p in document["costs"]["people"] if p["team"] == late.id]
    assert all(p["hotel_nights"] == sum(1 for n in west["plan"]["nights"] if n["city"]) for p in paid)
