"""The coordinators' rules: buffers after seminars and before departures, rest days, avoided
services and roads, pinned seminars.

Each rule on a tiny world where it changes the plan: the planner keeps it, the referee (written
without the planner's search) finds the same optimum, and the checker refuses the plan made
without the rule when it is judged under the rule.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from planner.check import check_plan
from planner.domain import Scenario
from planner.inputs.problems import ScenarioError
from planner.result import plan_json
from planner.scenario import load_scenario
from planner.solve import plan
from tests.conftest import unhurried
from tests.referee import referee


def _city(ident: str, lon: float, terminals: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "id": ident,
        "name": ident.title(),
        "region": ident,
        "lat": 50.0,
        "lon": lon,
        "timezone": "Asia/Almaty",
        "terminals": terminals or [],
    }


def _world() -> dict[str, Any]:
    """Home A, seminar there 09:00-12:00 Monday; B three hours' drive away, a seminar at 16:00
    any day Mon-Wed; back to A by Wednesday 22:00 (18-20 January 2016, UTC+6)."""
    return {
        "name": "coordinator-rules",
        "calendar": {"start_date": "2016-01-18", "horizon_days": 3},
        "regions": [{"id": "a"}, {"id": "b"}],
        "cities": [_city("a", 70.0), _city("b", 72.0)],
        "seminars": [
            {
                "city": "a",
                "start_times": ["09:00"],
                "duration_min": 180,
                "required": True,
                "latest_date": "2016-01-18",
            },
            {"city": "b", "start_times": ["16:00"], "duration_min": 120, "required": True},
        ],
        "delegation": {
            "start_city": "a",
            "end_city": "a",
            "earliest_departure": "2016-01-18T08:00",
            "latest_return": "2016-01-20T22:00",
            "rules": {
                "quiet_hours": None,
                "min_prep_min": 60,
                "max_travel_min_per_day": 720,
                "driving_window": {"start": "06:00", "end": "23:00"},
            },
        },
        "roads": [{"id": "a-b", "a": "a", "b": "b", "distance_km": 200, "duration_min": 180}],
        "objective": {"travel_per_hour": 60, "night_per_hour": 0, "cost_per_unit": 0},
    }


def _with_rules(data: dict[str, Any], **rules: Any) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    changed["delegation"]["rules"].update(rules)
    return changed


def _planned(data: dict[str, Any]) -> tuple[Scenario, dict[str, Any]]:
    """The planner's plan, checked, and equal in worth to the referee's optimum."""
    scenario = Scenario.model_validate(data)
    problem, result = plan(unhurried(scenario))
    document = plan_json(scenario, problem.axis, result)
    assert check_plan(scenario, document) == [], check_plan(scenario, document)
    assert document["status"] == "OPTIMAL"
    exact = referee(scenario)
    assert exact.feasible
    assert (result.coverage_points, result.secondary_cost) == (exact.points, exact.cost)
    return scenario, document


def _broken_rules(scenario: Scenario, document: dict[str, Any]) -> set[str]:
    return {v.rule for v in check_plan(scenario, document)}


def _seminar_start(document: dict[str, Any], city: str) -> str:
    return next(s["start"] for s in document["seminars"] if s["city"] == city)


def test_the_buffer_after_a_seminar_moves_the_departure():
    """Leaving A at 12:00 reaches B at 15:00, an hour before its 16:00 seminar; half an hour
    after the seminar for wrapping up leaves no hour to prepare, so B moves to Tuesday."""
    _, without = _planned(_world())
    assert _seminar_start(without, "b") == "2016-01-18T16:00+06:00"
    buffered = _with_rules(_world(), after_seminar_min=30)
    scenario, document = _planned(buffered)
    assert _seminar_start(document, "b") == "2016-01-19T16:00+06:00"
    first = document["connections"][0]
    assert first["leave"] >= "2016-01-18T12:30+06:00"
    assert "buffers" in _broken_rules(scenario, without)


def test_the_departure_buffer_is_added_to_check_in():
    """A flight at 13:00 with 30 min access and 30 min check-in means leaving A at 12:00, as the
    seminar ends; another half hour at the airport misses it, and the 18:00 flight is taken."""
    data = _world()
    data["cities"] = [
        _city("a", 70.0, [{"id": "A1", "kind": "airport", "access_min": 30, "check_in_min": 30}]),
        _city("b", 72.0, [{"id": "B1", "kind": "airport", "access_min": 0, "check_in_min": 30}]),
    ]
    data["roads"] = []
    data["seminars"][1]["start_times"] = ["16:00", "21:00"]
    data["services"] = [
        {
            "id": "F1",
            "mode": "flight",
            "fare": 0,
            "valid_from": "2016-01-18",
            "valid_to": "2016-01-20",
            "stops": [{"terminal": "A1", "depart": "13:00"}, {"terminal": "B1", "arrive": "14:00"}],
        },
        {
            "id": "F2",
            "mode": "flight",
            "fare": 0,
            "valid_from": "2016-01-18",
            "valid_to": "2016-01-20",
            "stops": [{"terminal": "A1", "depart": "18:00"}, {"terminal": "B1", "arrive": "19:00"}],
        },
        {
            "id": "F3",
            "mode": "flight",
            "fare": 0,
            "valid_from": "2016-01-18",
            "valid_to": "2016-01-20",
            "stops": [{"terminal": "B1", "depart": "08:00"}, {"terminal": "A1", "arrive": "09:00"}],
        },
    ]
    _, without = _planned(data)
    assert without["legs"][0]["service"] == "F1"
    scenario, document = _planned(_with_rules(data, departure_buffer_min=30))
    first_leg = document["legs"][0]
    assert first_leg["service"] == "F2"
    assert document["connections"][0]["leave"] == "2016-01-18T16:30+06:00"  # 90 min before 18:00
    assert _broken_rules(scenario, without) & {"connection_times", "no_two_places"}


def test_no_seminar_and_no_travel_on_a_rest_day():
    """With Tuesday a rest day and B's seminar pushed off Monday by the buffer, B is held on
    Wednesday, and nothing is under way on Tuesday (home zone)."""
    data = _with_rules(_world(), after_seminar_min=30)
    _, tuesday = _planned(data)
    assert _seminar_start(tuesday, "b") == "2016-01-19T16:00+06:00"
    scenario, document = _planned(_with_rules(data, rest_days=["2016-01-19"]))
    assert _seminar_start(document, "b") == "2016-01-20T16:00+06:00"
    for connection in document["connections"]:
        assert not connection["leave"].startswith("2016-01-19")
        assert not connection["arrive"].startswith("2016-01-19")
    assert "rest_days" in _broken_rules(scenario, tuesday)


def test_a_rest_day_that_leaves_no_way_is_reported_not_broken():
    """Every day a rest day but Monday: B cannot be reached and back; the plan says so."""
    data = _with_rules(_world(), rest_days=["2016-01-19", "2016-01-20"], after_seminar_min=30)
    data["seminars"][1]["required"] = False
    _, document = _planned(data)
    assert [s["city"] for s in document["seminars"]] == ["a"]
    assert "b" in {u["city"] for u in document["uncovered"]}


def test_an_avoided_road_is_not_driven():
    """Two roads to B: the fast one avoided, the slow one is taken."""
    data = _world()
    data["roads"].append({"id": "a-b-slow", "a": "a", "b": "b", "distance_km": 260, "duration_min": 200})
    _, without = _planned(data)
    assert {leg["service"] for leg in without["legs"]} == {"a-b"}
    scenario, document = _planned(_with_rules(data, avoid_roads=["a-b"]))
    assert {leg["service"] for leg in document["legs"]} == {"a-b-slow"}
    assert "avoided" in _broken_rules(scenario, without)


def test_an_avoided_service_is_not_taken():
    data = _world()
    data["cities"] = [
        _city("a", 70.0, [{"id": "A1", "kind": "station", "access_min": 0, "check_in_min": 0}]),
        _city("b", 72.0, [{"id": "B1", "kind": "station", "access_min": 0, "check_in_min": 0}]),
    ]
    data["services"] = [
        {
            "id": "T1",
            "mode": "train",
            "fare": 0,
            "valid_from": "2016-01-18",
            "valid_to": "2016-01-20",
            "stops": [{"terminal": "A1", "depart": "12:30"}, {"terminal": "B1", "arrive": "14:00"}],
        },
    ]
    _, without = _planned(data)
    assert "T1" in {leg["service"] for leg in without["legs"]}
    scenario, document = _planned(_with_rules(data, avoid_services=["T1"]))
    assert "T1" not in {leg["service"] for leg in document["legs"]}
    assert "avoided" in _broken_rules(scenario, without)


def test_a_pinned_seminar_is_held_on_its_agreed_date_and_start():
    data = _world()
    data["seminars"][1] = {
        "city": "b",
        "window": {"start": "09:00", "end": "18:00"},
        "duration_min": 120,
        "step_min": 60,
    }
    _, free = _planned(data)
    assert _seminar_start(free, "b").startswith("2016-01-18")
    data["seminars"][1] = {
        "city": "b",
        "duration_min": 120,
        "pinned": {"date": "2016-01-19", "start": "10:00"},
    }
    scenario, document = _planned(data)
    assert _seminar_start(document, "b") == "2016-01-19T10:00+06:00"
    assert scenario.seminars[1].required
    assert _broken_rules(scenario, free) & {"seminar_fits"}


def test_a_pinned_seminar_that_cannot_be_held_is_reported_with_a_reason():
    """Pinned to a date the rest days forbid: required, so the plan says why it cannot be."""
    data = _with_rules(_world(), rest_days=["2016-01-19"])
    data["seminars"][1] = {
        "city": "b",
        "duration_min": 120,
        "start_times": ["16:00"],
        "pinned": {"date": "2016-01-19"},
    }
    scenario = unhurried(Scenario.model_validate(data))
    problem, result = plan(scenario)
    document = plan_json(scenario, problem.axis, result)
    assert check_plan(scenario, document) == []
    assert "b" in {u["city"] for u in document["uncovered"]}


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"avoid_services": ["nope"]}, "delegation.rules.avoid_services.0"),
        ({"avoid_roads": ["nope"]}, "delegation.rules.avoid_roads.0"),
        ({"after_seminar_min": -5}, "delegation.rules.after_seminar_min"),
        ({"departure_buffer_min": "soon"}, "delegation.rules.departure_buffer_min"),
        ({"rest_days": ["2016-02-30"]}, "delegation.rules.rest_days.0"),
    ],
)
def test_bad_coordinator_rules_name_the_field(tmp_path, change, named):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(_with_rules(_world(), **change)), encoding="utf-8")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert named in str(error.value)


def test_daylight_driving_keeps_drives_between_sunrise_and_sunset():
    """A's seminar ends at 18:00 and B's is at 09:00, three hours' drive away. Within the 06:00-23:00
    window the delegation drives on Monday evening; in daylight only (about 09:05-17:35 in January
    at this place) it cannot reach B by Tuesday 08:00, so B moves to Wednesday."""
    data = _world()
    data["seminars"] = [
        {"city": "a", "start_times": ["15:00"], "duration_min": 180, "required": True},
        {"city": "b", "start_times": ["09:00"], "duration_min": 120, "required": True},
    ]
    _, evening = _planned(data)
    assert _seminar_start(evening, "b") == "2016-01-19T09:00+06:00"
    assert evening["legs"][0]["depart"] == "2016-01-18T18:00+06:00"
    scenario, document = _planned(_with_rules(data, daylight_driving=True))
    assert _seminar_start(document, "b") == "2016-01-20T09:00+06:00"
    for leg in document["legs"]:
        assert leg["depart"][11:16] >= "09:00" and leg["arrive"][11:16] <= "17:40", leg
    assert "drive_on_road" in _broken_rules(scenario, evening)
