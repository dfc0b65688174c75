"""The independent plan checker: real planner output passes, and each broken rule is caught.

Plans are made by running the planner, never written by hand; each mutation test
breaks one thing in a copy of a real plan and asserts the rule that must notice.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from planner.check import RULES, Violation, check_plan
from planner.domain import Closure, Scenario
from tests.conftest import load, make_plan

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "check-small.yaml"
SMALL_PLAN = ROOT / "tests" / "data" / "check-small.plan.json"
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
# The two-team flagship takes about twenty seconds to plan: its plan is checked in the slow tier.
SHIPPED_PARAMS = [
    pytest.param(p, marks=pytest.mark.slow) if p.stem == "kazakhstan-winter-2016-two-teams" else p
    for p in SHIPPED
]


@pytest.fixture(scope="module")
def small_scenario() -> Scenario:
    return load(SMALL)


@pytest.fixture(scope="module")
def small_plan(small_scenario: Scenario) -> dict[str, Any]:
    # A plan the planner made for this scenario, kept as a file: the mutations below
    # rely on its exact legs, while the planner may pick another plan of equal cost.
    data: dict[str, Any] = json.loads(SMALL_PLAN.read_text(encoding="utf-8"))
    # The mutations below rely on this shape of the small scenario's plan.
    assert [s["city"] for s in data["seminars"]] == ["karaganda", "aktobe", "kostanay"]
    assert [leg["mode"] for leg in data["legs"]] == ["drive", "drive", "flight", "train", "train"]
    return data


def test_planner_plans_of_the_small_scenario_pass(
    small_scenario: Scenario, small_plan: dict[str, Any]
) -> None:
    """Today's plan passes the checker and is as good as the kept one (ties may differ)."""
    fresh = make_plan(small_scenario)
    assert check_plan(small_scenario, fresh) == []
    assert check_plan(small_scenario, small_plan) == []
    assert fresh["objective"] == small_plan["objective"]


@pytest.fixture
def data(small_plan: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(small_plan)


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def shift(text: str, minutes: int) -> str:
    moment = dt.datetime.fromisoformat(text) + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="minutes")


def with_changes(scenario: Scenario, **sections: dict[str, Any]) -> Scenario:
    """The scenario rebuilt from its dump, with some fields of some sections replaced."""
    dump = scenario.model_dump()
    for section, changes in sections.items():
        dump[section] = {**dump[section], **changes}
    return Scenario.model_validate(dump)


def leg_index(data: dict[str, Any], service: str) -> int:
    return next(i for i, leg in enumerate(data["legs"]) if leg["service"] == service)


def test_small_plan_is_valid(small_scenario, small_plan):
    """The planner's own plan for the small scenario passes every rule."""
    assert check_plan(small_scenario, small_plan) == []


@pytest.mark.parametrize("path", SHIPPED_PARAMS, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_plans_are_valid(path):
    """The planner's plan for every shipped scenario passes every rule."""
    scenario = load(path)
    # Keep the suite bounded; a FEASIBLE plan must pass just the same.
    limit = min(scenario.solver.time_limit_s, 60.0)
    scenario = scenario.model_copy(
        update={"solver": scenario.solver.model_copy(update={"time_limit_s": limit})}
    )
    if scenario.forming:
        # Teams the planner forms: the plan of the best split, checked against the limits too.
        from planner.check.forming import check_formed_team_plan
        from planner.team_forming import form_teams, formed_plan_json

        hurried = scenario.solver.model_copy(update={"time_limit_s": min(limit, 20.0)})
        assert check_formed_team_plan(scenario, formed_plan_json(form_teams(scenario, hurried))) == []
        return
    if scenario.teams:
        # A team scenario is planned as teams (one team's plan of it would ignore its people).
        from planner.check.teams import check_team_plan
        from planner.teams import plan_teams, teams_plan_json

        hurried = scenario.solver.model_copy(update={"time_limit_s": min(limit, 20.0)})
        assert check_team_plan(scenario, teams_plan_json(scenario, plan_teams(scenario, hurried))) == []
        return
    data = make_plan(scenario)
    assert check_plan(scenario, data) == []


def test_shifted_departure_is_not_in_timetable(small_scenario, data):
    """A ride departing an hour off its timetable breaks leg_in_timetable."""
    leg = data["legs"][leg_index(data, "KC951")]
    leg["depart"] = shift(leg["depart"], 60)
    found = check_plan(small_scenario, data)
    assert "leg_in_timetable" in rules(found)
    assert any("KC951" in v.message and v.where == "legs.2" for v in found)


def test_run_date_on_a_day_without_service(small_scenario, data):
    """A run_date on which the service does not run breaks leg_in_timetable."""
    data["legs"][leg_index(data, "KC951")]["run_date"] = "2016-01-23"
    found = check_plan(small_scenario, data)
    assert "leg_in_timetable" in rules(found)
    assert any("does not run on 2016-01-23 (Saturday)" in v.message for v in found)


def test_alighting_at_an_intermediate_stop_is_in_timetable(small_scenario, data):
    """Leaving a train at an intermediate stop is a timetabled ride; its 01:30 arrival is quiet hours."""
    leg = data["legs"][leg_index(data, "T047")]
    assert leg["run_date"] == "2016-01-22"  # so "01:30+1" at Kokshetau is the 23rd
    leg.update(to="kokshetau-st", to_city="kokshetau", arrive="2016-01-23T01:30+06:00")
    found = check_plan(small_scenario, data)
    assert "leg_in_timetable" not in rules(found)
    assert "quiet_hours" in rules(found)


def test_riding_a_service_backwards(small_scenario, data):
    """Boarding after the alighting stop breaks leg_in_timetable."""
    leg = data["legs"][leg_index(data, "T047")]
    leg["from"], leg["to"] = leg["to"], leg["from"]
    assert "leg_in_timetable" in rules(check_plan(small_scenario, data))


def test_extra_closure_at_departure(small_scenario, data):
    """A closure added via extra_closures over a used departure breaks not_closed."""
    leg = data["legs"][leg_index(data, "KC951")]
    depart = dt.datetime.fromisoformat(leg["depart"])
    closure = Closure(
        id="blizzard",
        terminal=leg["from"],
        start=depart - dt.timedelta(hours=1),
        end=depart + dt.timedelta(hours=1),
    )
    assert check_plan(small_scenario, data) == []
    found = check_plan(small_scenario, data, extra_closures=[closure])
    assert rules(found) == {"not_closed"}
    assert found[0].where == "legs.2"


def test_road_closure_during_drive(small_scenario, data):
    """A naive-time road closure (local to the road's first city) overlapping a drive breaks not_closed."""
    closure = Closure(
        id="drifts",
        road="astana-karaganda",
        start=dt.datetime(2016, 1, 18, 10, 0),
        end=dt.datetime(2016, 1, 18, 12, 0),
    )
    found = check_plan(small_scenario, data, extra_closures=[closure])
    assert rules(found) == {"not_closed"}


def test_drive_outside_driving_window(small_scenario, data):
    """A drive starting before the 08:00 driving window breaks drive_on_road."""
    for item in (data["legs"][0], data["connections"][0]):
        for key in ("depart", "arrive", "leave"):
            if key in item:
                item[key] = shift(item[key], -60)
    assert "drive_on_road" in rules(check_plan(small_scenario, data))


def test_seminar_moved_to_saturday(small_scenario, data):
    """A seminar moved to a Saturday breaks seminar_fits."""
    seminar = data["seminars"][0]
    day = dt.date.fromisoformat(seminar["start"][:10])
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    assert saturday.isoformat() == "2016-01-23"
    seminar["start"] = seminar["start"].replace(day.isoformat(), saturday.isoformat())
    seminar["end"] = seminar["end"].replace(day.isoformat(), saturday.isoformat())
    found = check_plan(small_scenario, data)
    assert "seminar_fits" in rules(found)
    assert any("2016-01-23 (Saturday)" in v.message for v in found if v.rule == "seminar_fits")


def test_duplicated_seminar(small_scenario, data):
    """Two seminars in one city break one_seminar_per_city."""
    data["seminars"].append(copy.deepcopy(data["seminars"][1]))
    assert "one_seminar_per_city" in rules(check_plan(small_scenario, data))


def test_short_preparation(small_scenario, data):
    """Arriving 15 minutes before a seminar breaks prep_time, and nothing else."""
    # Move the first drive so that it reaches the first seminar 15 minutes before it starts.
    seminar_start = dt.datetime.fromisoformat(data["seminars"][0]["start"])
    arrive = dt.datetime.fromisoformat(data["connections"][0]["arrive"])
    delta = int((seminar_start - dt.timedelta(minutes=15) - arrive).total_seconds() // 60)
    for item in (data["legs"][0], data["connections"][0]):
        for key in ("depart", "arrive", "leave"):
            if key in item:
                item[key] = shift(item[key], delta)
    assert rules(check_plan(small_scenario, data)) == {"prep_time"}


def test_changed_total_cost(small_scenario, data):
    """A total cost that is not the sum of the legs breaks totals."""
    data["totals"]["cost"] += 1000
    found = check_plan(small_scenario, data)
    assert rules(found) == {"totals"}
    assert found[0].where == "totals.cost"


def test_changed_leg_cost(small_scenario, data):
    """A leg cost that is not fare x share x people breaks totals, also for the sum."""
    data["legs"][leg_index(data, "T110")]["cost"] += 500
    found = check_plan(small_scenario, data)
    assert {v.where for v in found} == {"legs.3.cost", "totals.cost"}


def test_changed_coverage_points(small_scenario, data):
    """Coverage points that do not match the seminars held break region_coverage."""
    data["coverage"]["points"] += 10
    assert rules(check_plan(small_scenario, data)) == {"region_coverage"}


def test_stripped_offset(small_scenario, data):
    """A datetime without its UTC offset breaks local_times, and nothing else."""
    data["seminars"][0]["start"] = data["seminars"][0]["start"][: -len("+06:00")]
    found = check_plan(small_scenario, data)
    assert rules(found) == {"local_times"}
    assert found[0].where == "seminars.0.start"


def test_same_instant_in_a_foreign_offset(small_scenario, data):
    """The right instant written in another city's offset breaks local_times."""
    leg = data["legs"][leg_index(data, "KC951")]
    leg["arrive"] = (
        dt.datetime.fromisoformat(leg["arrive"])
        .astimezone(dt.timezone(dt.timedelta(hours=6)))
        .isoformat(timespec="minutes")
    )
    assert rules(check_plan(small_scenario, data)) == {"local_times"}


def test_lower_daily_travel_limit(small_scenario, small_plan):
    """Lowering max_travel_min_per_day under a day's travel breaks daily_travel_limit."""
    home = small_scenario.cities[0].zone  # Astana, the start city: days are counted there
    assert small_scenario.cities[0].id == small_scenario.delegation.start_city
    loads: dict[str, int] = {}
    for connection in small_plan["connections"]:
        moment = dt.datetime.fromisoformat(connection["leave"]).astimezone(home)
        end = dt.datetime.fromisoformat(connection["arrive"]).astimezone(home)
        while moment < end:
            loads[moment.date().isoformat()] = loads.get(moment.date().isoformat(), 0) + 1
            moment += dt.timedelta(minutes=1)
    busiest = max(loads, key=lambda day: loads[day])
    second = sorted(loads.values())[-2] if len(loads) > 1 else 0
    limit = max(second, loads[busiest] - 1, 60)
    assert limit < loads[busiest]
    rules_ = {**small_scenario.delegation.rules.model_dump(), "max_travel_min_per_day": limit}
    stricter = with_changes(small_scenario, delegation={"rules": rules_})
    found = check_plan(stricter, small_plan)
    assert rules(found) == {"daily_travel_limit"}
    assert {v.where for v in found} == {f"days.{busiest}"}


def test_swapped_seminar_cities(small_scenario, data):
    """Swapping two seminars' cities puts the delegation in two places: no_two_places."""
    first, second = data["seminars"][0], data["seminars"][1]
    first["city"], second["city"] = second["city"], first["city"]
    assert "no_two_places" in rules(check_plan(small_scenario, data))


def test_required_city_absent(small_scenario, small_plan):
    """A required seminar neither held nor reported uncovered breaks required_cities."""
    dump = small_scenario.model_dump()
    dump["seminars"] = [*dump["seminars"], {"city": "kokshetau", "start_times": ("10:00",), "required": True}]
    stricter = Scenario.model_validate(dump)
    data = copy.deepcopy(small_plan)
    assert "required_cities" in rules(check_plan(stricter, data))
    data["uncovered"].append({"city": "kokshetau", "reason": "unreachable", "detail": "", "required": True})
    assert "required_cities" not in rules(check_plan(stricter, data))


def test_legs_do_not_chain(small_scenario, data):
    """A drive reaching the city after its flight has left breaks legs_chain."""
    leg = data["legs"][1]  # Karaganda -> Astana, feeding KC951 at 13:00
    leg["depart"], leg["arrive"] = shift(leg["depart"], 120), shift(leg["arrive"], 120)
    assert "legs_chain" in rules(check_plan(small_scenario, data))


def test_leg_arriving_before_it_departs(small_scenario, data):
    """A leg whose arrival is before its departure is caught, whatever else it claims."""
    leg = data["legs"][0]
    leg["depart"], leg["arrive"] = leg["arrive"], leg["depart"]
    found = check_plan(small_scenario, data)
    assert any(v.rule == "legs_chain" and "arrives before it departs" in v.message for v in found)


def test_connection_leave_time(small_scenario, data):
    """A connection leave that ignores access and check-in breaks connection_times."""
    data["connections"][2]["leave"] = shift(data["connections"][2]["leave"], 30)
    data["connections"][2]["travel_min"] -= 30
    found = check_plan(small_scenario, data)
    assert "connection_times" in rules(found)


def test_leg_outside_every_connection(small_scenario, data):
    """A leg that no connection lists breaks connection_times."""
    data["connections"][1]["legs"] = [2]
    found = check_plan(small_scenario, data)
    assert any(v.rule == "connection_times" and v.where == "legs.1" for v in found)


def test_departure_before_earliest(small_scenario, small_plan):
    """Travel before delegation.earliest_departure breaks start_and_end."""
    later = with_changes(small_scenario, delegation={"earliest_departure": dt.datetime(2016, 1, 18, 9, 0)})
    assert "start_and_end" in rules(check_plan(later, small_plan))


def test_trip_ending_elsewhere(small_scenario, small_plan):
    """A plan whose last connection ends away from delegation.end_city breaks start_and_end."""
    elsewhere = with_changes(small_scenario, delegation={"end_city": "karaganda"})
    found = check_plan(elsewhere, small_plan)
    assert any(v.rule == "start_and_end" and "Karaganda" in v.message for v in found)


def test_infeasible_without_itinerary_is_vacuous(small_scenario, data):
    """An INFEASIBLE plan that holds nothing breaks no start_and_end rule."""
    data.update(status="INFEASIBLE", seminars=[], legs=[], connections=[])
    assert "start_and_end" not in rules(check_plan(small_scenario, data))


def test_every_rule_is_named():
    """The rule names are the documented ones."""
    assert set(RULES) >= {
        "start_and_end",
        "leg_in_timetable",
        "drive_on_road",
        "not_closed",
        "quiet_hours",
        "legs_chain",
        "connection_times",
        "seminar_fits",
        "one_seminar_per_city",
        "no_two_places",
        "prep_time",
        "daily_travel_limit",
        "required_cities",
        "region_coverage",
        "totals",
        "local_times",
    }
    assert str(Violation("totals", "totals.cost", "x")) == "totals.cost: [totals] x"


# Regressions: disagreements between the checker and the planner found in the past.


def test_plan_on_a_dst_day_is_valid():
    """On a DST-change day the planner's plan keeps wall-clock timetable and seminar times."""
    scenario = load(ROOT / "tests" / "data" / "check-dst.yaml")
    assert check_plan(scenario, make_plan(scenario)) == []


def test_pruning_keeps_the_best_plan(small_scenario, small_plan):
    """Arc pruning does not lose coverage: the pruned plan scores as well as a valid unpruned one."""
    solver = small_scenario.solver.model_copy(update={"prune_dominated": True})
    pruned = small_scenario.model_copy(update={"solver": solver})
    assert check_plan(pruned, small_plan) == []  # the better plan is valid under the same rules
    assert make_plan(pruned)["coverage"]["points"] >= small_plan["coverage"]["points"]
