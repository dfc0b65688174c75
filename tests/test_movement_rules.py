"""Named regressions for the movement rules of scenarios/README.md ("Movement rules, precisely").

Each test is one root cause that once made a plan worse than the rules allow (or wrong),
on a tiny world built here, and each plan must pass the independent checker.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from planner.check import check_plan
from planner.connections import build_context
from planner.domain import Scenario
from planner.network import TransportNetwork
from planner.plan_report import span
from planner.result import SolveStatus, plan_json
from planner.solve import plan
from tests.conftest import unhurried


def city(ident: str, lon: float, zone: str = "Asia/Almaty", terminals: list[dict[str, Any]] | None = None):
    return {
        "id": ident,
        "name": ident.title(),
        "region": ident,
        "lat": 50.0,
        "lon": lon,
        "timezone": zone,
        "terminals": terminals or [],
    }


def world(**overrides: Any) -> dict[str, Any]:
    """Three cities A (home), B and C, roads A-B 5 h, B-C 4 h, C-A 3 h; Mon 18 - Wed 20 Jan 2016."""
    data: dict[str, Any] = {
        "name": "rules",
        "calendar": {"start_date": "2016-01-18", "horizon_days": 3},
        "regions": [{"id": "a"}, {"id": "b"}, {"id": "c"}],
        "cities": [city("a", 70.0), city("b", 71.0), city("c", 72.0)],
        "seminars": [
            {"city": "b", "start_times": ["14:00"], "duration_min": 180, "required": True},
            {"city": "c", "start_times": ["14:00"], "duration_min": 180, "required": True},
        ],
        "delegation": {
            "start_city": "a",
            "end_city": "a",
            "earliest_departure": "2016-01-18T08:00",
            "latest_return": "2016-01-20T22:00",
            "rules": {"max_travel_min_per_day": 360, "driving_window": {"start": "08:00", "end": "20:00"}},
        },
        "roads": [
            {"id": "a-b", "a": "a", "b": "b", "distance_km": 300, "duration_min": 300},
            {"id": "b-c", "a": "b", "b": "c", "distance_km": 240, "duration_min": 240},
            {"id": "c-a", "a": "c", "b": "a", "distance_km": 180, "duration_min": 180},
        ],
    }
    data.update(overrides)
    return data


def planned(data: dict[str, Any]) -> tuple[Scenario, dict[str, Any]]:
    scenario = Scenario.model_validate(data)
    problem, result = plan(unhurried(scenario))
    document = plan_json(scenario, problem.axis, result)
    assert check_plan(scenario, document) == [], check_plan(scenario, document)
    return scenario, document


def test_a_drive_the_next_morning_keeps_the_daily_limit():
    """Root cause A: after 5 h on the road and a seminar in B on Monday, the 4 h drive to C
    breaks a 6 h limit on Monday; driving on Tuesday at 08:00 is valid and must be found (B then
    C, or C then B, which the roads make exactly as good)."""
    _, document = planned(world())
    assert document["status"] == "OPTIMAL"
    first, second = (s["city"] for s in document["seminars"])
    assert {first, second} == {"b", "c"}
    between = next(c for c in document["connections"] if (c["from_city"], c["to_city"]) == (first, second))
    assert between["leave"] == "2016-01-19T08:00+06:00"


def test_b_no_horizon_cut_from_the_seminar_end():
    """Root cause B: a 105-min drive the morning after a seminar ending at 21:00 is more than
    twice a 4 h limit after the seminar; the city must still be reachable."""
    data = world()
    data["seminars"] = [
        {"city": "b", "start_times": ["19:30"], "duration_min": 90, "required": True},
        {"city": "c", "start_times": ["14:00"], "duration_min": 60, "required": True},
    ]
    data["delegation"]["rules"]["max_travel_min_per_day"] = 300
    data["delegation"]["rules"]["driving_window"] = {"start": "06:00", "end": "20:00"}
    data["roads"] = [
        {"id": "a-b", "a": "a", "b": "b", "distance_km": 200, "duration_min": 240},
        {"id": "b-c", "a": "b", "b": "c", "distance_km": 100, "duration_min": 105},
        {"id": "c-a", "a": "c", "b": "a", "distance_km": 180, "duration_min": 180},
    ]
    _, document = planned(data)
    assert document["status"] == "OPTIMAL"
    assert {s["city"] for s in document["seminars"]} == {"b", "c"}


def test_c_a_cheaper_slower_flight_is_kept_beside_a_dear_fast_drive():
    """Root cause C: from A at 18:00 a free flight (2 h) and a 100,000 KZT drive (1 h) leave at
    the same time; at 0.06 points per minute of money-equivalent the flight is the better plan."""
    data = world()
    data["cities"] = [
        city("a", 70.0, terminals=[{"id": "A-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]),
        city("b", 71.0, terminals=[{"id": "B-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]),
        city("c", 72.0),
    ]
    data["regions"] = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    data["seminars"] = [{"city": "a", "start_times": ["14:00"], "duration_min": 240, "required": True}]
    data["delegation"]["end_city"] = "b"
    data["delegation"]["rules"] = {"driving_window": {"start": "08:00", "end": "23:00"}}
    data["services"] = [
        {
            "id": "F1",
            "mode": "flight",
            "stops": [{"terminal": "A-air", "depart": "18:00"}, {"terminal": "B-air", "arrive": "20:00"}],
            "fare": 0,
        }
    ]
    data["roads"] = [
        {"id": "a-b", "a": "a", "b": "b", "distance_km": 100, "duration_min": 60, "cost_per_km": 1000}
    ]
    data["objective"] = {"cost_per_unit": 0.001}
    _, document = planned(data)
    legs = document["legs"]
    assert [leg["service"] for leg in legs] == ["F1"], legs


def test_d_a_drive_feeding_a_flight_starts_as_late_as_the_window_allows():
    """Root cause D: the just-in-time drive for a 22:00 flight would end after the window's
    20:00 close; the latest allowed start (18:00, arriving at 20:00 exactly) is the one to take."""
    data = world()
    data["cities"] = [
        city("a", 70.0),
        city("b", 71.0, terminals=[{"id": "B-air", "kind": "airport", "access_min": 30, "check_in_min": 30}]),
        city("c", 72.0, terminals=[{"id": "C-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]),
    ]
    data["seminars"] = [{"city": "a", "start_times": ["09:00"], "duration_min": 60, "required": True}]
    data["delegation"]["end_city"] = "c"
    data["delegation"]["rules"] = {"driving_window": {"start": "08:00", "end": "20:00"}}
    data["services"] = [
        {
            "id": "F2",
            "mode": "flight",
            "stops": [{"terminal": "B-air", "depart": "22:00"}, {"terminal": "C-air", "arrive": "23:00"}],
        }
    ]
    data["roads"] = [{"id": "a-b", "a": "a", "b": "b", "distance_km": 100, "duration_min": 120}]
    _, document = planned(data)
    drive = document["legs"][0]
    assert drive["mode"] == "drive"
    assert drive["depart"] == "2016-01-18T18:00+06:00"
    assert drive["arrive"] == "2016-01-18T20:00+06:00"


def test_e_a_dearer_connection_that_keeps_the_daily_limit_is_kept():
    """Root cause E: from B to C the 5 h drive is cheaper than the 1.5 h flight (300 points of
    fare), but after 4 h on the road the drive breaks an 8 h limit; the flight keeps it and the
    plan must use it rather than drop C."""
    _, document = planned(binding_world())
    assert document["status"] == "OPTIMAL"
    assert [s["city"] for s in document["seminars"]] == ["b", "c"]
    to_c = next(c for c in document["connections"] if c["to_city"] == "c")
    assert [document["legs"][i]["service"] for i in to_c["legs"]] == ["F3"]


def binding_world() -> dict[str, Any]:
    """Root cause E's world: a cheap drive that breaks the daily limit, a dear flight that keeps it."""
    data = world()
    data["calendar"]["horizon_days"] = 2
    data["cities"] = [
        city("a", 70.0),
        city("b", 71.0, terminals=[{"id": "B-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]),
        city("c", 72.0, terminals=[{"id": "C-air", "kind": "airport", "access_min": 0, "check_in_min": 0}]),
    ]
    data["seminars"] = [
        {"city": "b", "start_times": ["13:00"], "duration_min": 120, "required": True},
        {"city": "c", "start_times": ["09:00"], "duration_min": 120, "required": True},
    ]
    data["delegation"]["latest_return"] = "2016-01-19T22:00"
    data["delegation"]["rules"] = {"max_travel_min_per_day": 480}
    data["services"] = [
        {
            "id": "F3",
            "mode": "flight",
            "stops": [{"terminal": "B-air", "depart": "19:00"}, {"terminal": "C-air", "arrive": "20:30"}],
            "fare": 75000,
        }
    ]
    data["roads"] = [
        {"id": "a-b", "a": "a", "b": "b", "distance_km": 240, "duration_min": 240},
        {"id": "b-c", "a": "b", "b": "c", "distance_km": 300, "duration_min": 300},
        {"id": "c-a", "a": "c", "b": "a", "distance_km": 180, "duration_min": 180},
    ]
    return data


def test_f_a_day_long_limit_allows_connections_over_two_days():
    """Root cause F: with a 1440-minute limit a 50-hour train keeps every day within the limit."""
    data = world()
    data["calendar"]["horizon_days"] = 5
    data["cities"] = [
        city("a", 70.0, terminals=[{"id": "A-rail", "kind": "station", "access_min": 0, "check_in_min": 0}]),
        city("b", 71.0, terminals=[{"id": "B-rail", "kind": "station", "access_min": 0, "check_in_min": 0}]),
        city("c", 72.0),
    ]
    data["seminars"] = [{"city": "b", "start_times": ["14:00"], "duration_min": 60, "required": True}]
    data["delegation"]["end_city"] = "b"
    data["delegation"]["latest_return"] = "2016-01-22T22:00"
    data["delegation"]["rules"] = {"max_travel_min_per_day": 1440, "quiet_hours": None}
    data["services"] = [
        {
            "id": "T50",
            "mode": "train",
            "stops": [{"terminal": "A-rail", "depart": "08:00"}, {"terminal": "B-rail", "arrive": "10:00+2"}],
        }
    ]
    data["roads"] = []
    _, document = planned(data)
    assert document["status"] == "OPTIMAL"
    assert [s["city"] for s in document["seminars"]] == ["b"]
    assert document["connections"][0]["travel_min"] == 50 * 60


def test_g_a_window_wrapping_past_midnight_is_drivable():
    """Root cause G: a road open only 22:00-06:00 is driven at night (here 23:00-03:00)."""
    data = world()
    data["seminars"] = [{"city": "b", "start_times": ["14:00"], "duration_min": 60, "required": True}]
    data["delegation"]["end_city"] = "b"
    data["delegation"]["rules"] = {"quiet_hours": None}
    data["roads"] = [
        {
            "id": "a-b",
            "a": "a",
            "b": "b",
            "distance_km": 240,
            "duration_min": 240,
            "driving_window": {"start": "22:00", "end": "06:00"},
        }
    ]
    _, document = planned(data)
    assert document["status"] == "OPTIMAL"
    assert [s["city"] for s in document["seminars"]] == ["b"]
    drive = document["legs"][0]
    assert drive["mode"] == "drive"
    depart = dt.datetime.fromisoformat(drive["depart"])
    assert depart.hour >= 22 or depart.hour < 2


def test_h_night_minutes_follow_the_clock_change():
    """Root cause H: 22:00-06:00 over the spring-forward night in Berlin is 420 real minutes."""
    data = world()
    data["calendar"] = {"start_date": "2016-03-25", "horizon_days": 3}
    data["cities"] = [city("a", 13.0, "Europe/Berlin"), city("b", 14.0, "Europe/Berlin"), city("c", 15.0)]
    data["delegation"]["earliest_departure"] = "2016-03-25T08:00"
    data["delegation"]["latest_return"] = "2016-03-27T22:00"
    data["seminars"] = [{"city": "b", "start_times": ["14:00"], "any_day": True}]
    scenario = Scenario.model_validate(data)
    network = TransportNetwork.build(scenario)
    context = build_context(network)
    zone = scenario.city("a").zone
    start = network.axis.minutes(dt.datetime(2016, 3, 26, 22, 0), zone)
    end = network.axis.minutes(dt.datetime(2016, 3, 27, 6, 0), zone)
    assert end - start == 420
    assert context.home_city == "a"
    assert context.night_minutes(start, end) == 420
    # Travelling from 20:00 to 10:00 across that night also counts 420 night minutes, not 480.
    before = network.axis.minutes(dt.datetime(2016, 3, 26, 20, 0), zone)
    after = network.axis.minutes(dt.datetime(2016, 3, 27, 10, 0), zone)
    assert context.night_minutes(before, after) == 420


def test_i_a_zero_weight_region_is_listed_as_covered():
    """Root cause I: a held seminar covers its region even when the region weighs 0 points."""
    data = world()
    data["regions"] = [{"id": "a"}, {"id": "b", "weight": 0}, {"id": "c"}]
    data["seminars"] = [{"city": "b", "start_times": ["14:00"], "duration_min": 60, "weight": 10}]
    data["delegation"]["rules"] = {}
    _, document = planned(data)
    assert "b" in document["coverage"]["regions_covered"]
    assert document["coverage"]["points"] == 10


def test_j_half_hour_offsets_are_printed_whole():
    """Root cause J: the CLI table shows +05:30 and +05:45, not +05."""
    assert span("2016-01-18T09:00+05:30", "2016-01-18T12:00+05:30") == "09:00–12:00 (UTC+05:30)"
    assert span("2016-01-18T09:00+05:45", "2016-01-18T12:00+05:45") == "09:00–12:00 (UTC+05:45)"
    assert span("2016-01-18T09:00+06:00", "2016-01-18T12:00+06:00") == "09:00–12:00 (UTC+06)"
    assert span("2016-01-18T09:00-03:30", "2016-01-18T12:00-03:30") == "09:00–12:00 (UTC-03:30)"


def test_an_unreachable_required_city_makes_the_plan_infeasible():
    """Rule 9: a required seminar no itinerary can hold gives INFEASIBLE naming it, never
    OPTIMAL with a warning."""
    data = world()
    data["roads"] = [{"id": "a-b", "a": "a", "b": "b", "distance_km": 300, "duration_min": 300}]
    scenario = Scenario.model_validate(data)
    problem, result = plan(unhurried(scenario))
    assert result.status == SolveStatus.INFEASIBLE
    assert result.itinerary is None
    missing = {u.city: u for u in result.uncovered}
    assert missing["c"].required and missing["c"].reason.value == "unreachable"
    document = plan_json(scenario, problem.axis, result)
    assert check_plan(scenario, document) == []
