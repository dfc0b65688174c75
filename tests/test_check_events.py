"""The checker under disruption events and a frozen past.

Plans are made by the real planner on the small check scenario without events;
each test then adds one event (or a previous plan and a present instant) and
asserts what the checker must, or must not, report. The small plan is:

- legs.0 drive Astana -> Karaganda, Mon 18 Jan 08:00-10:45 (+06)
- seminars.0 Karaganda, Tue 19 Jan 14:00-17:00 (+06)
- legs.1 drive Karaganda -> Astana, Wed 20 Jan 08:45-11:30 (+06)
- legs.2 KC951 TSE -> AKX, Wed 20 Jan 13:00 (+06) -> 14:15 (+05)
- seminars.1 Aktobe, Wed 20 Jan 16:00-19:00 (+05)
- legs.3 T110 Aktobe -> Kostanay, Wed 20 Jan 21:00 (+05) -> Thu 09:10 (+06)
- seminars.2 Kostanay, Fri 22 Jan 11:00-13:00 (+06)
- legs.4 T047 Kostanay -> Astana, Fri 22 Jan 17:20 -> Sat 06:30 (+06)
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from planner.check import RULES, Violation, check_plan
from planner.domain import Disruption, Objective, Scenario
from tests.conftest import load

ROOT = Path(__file__).resolve().parent.parent
SMALL = ROOT / "tests" / "data" / "check-small.yaml"
SMALL_PLAN = ROOT / "tests" / "data" / "check-small.plan.json"
TRAVEL_PER_HOUR = Objective().travel_per_hour  # the small scenario keeps the default weights
# Wed 20 Jan 2016, noon in Astana: both drives have left, KC951 has not.
NOON_WED = dt.datetime.fromisoformat("2016-01-20T12:00+06:00")
# Wed 20 Jan 2016, 22:00 in Aktobe: T110 has left, T047 has not.
NIGHT_WED = dt.datetime.fromisoformat("2016-01-20T22:00+05:00")


@pytest.fixture(scope="module")
def small_scenario() -> Scenario:
    return load(SMALL)


@pytest.fixture(scope="module")
def small_plan(small_scenario: Scenario) -> dict[str, Any]:
    # A plan the planner made for this scenario, kept as a file: the mutations below
    # rely on its exact legs, while the planner may pick another plan of equal cost.
    data: dict[str, Any] = json.loads(SMALL_PLAN.read_text(encoding="utf-8"))
    # The events below are placed on this shape of the small scenario's plan.
    assert [s["city"] for s in data["seminars"]] == ["karaganda", "aktobe", "kostanay"]
    assert [leg["service"] for leg in data["legs"]] == [
        "astana-karaganda",
        "astana-karaganda",
        "KC951",
        "T110",
        "T047",
    ]
    assert check_plan(small_scenario, data) == []
    return data


@pytest.fixture
def data(small_plan: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(small_plan)


def event(**fields: Any) -> Disruption:
    return Disruption.model_validate({"id": "e1", "announced_at": "2016-01-18T06:00", **fields})


def rules(violations: list[Violation]) -> set[str]:
    return {v.rule for v in violations}


def shift(text: str, minutes: int) -> str:
    moment = dt.datetime.fromisoformat(text) + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="minutes")


def arrive_later(data: dict[str, Any], leg: int, minutes: int) -> None:
    """Make a leg arrive later and keep its connection and the totals consistent with it."""
    data["legs"][leg]["arrive"] = shift(data["legs"][leg]["arrive"], minutes)
    data["legs"][leg]["minutes"] += minutes
    connection = next(c for c in data["connections"] if c["legs"][-1] == leg)
    connection["arrive"] = shift(connection["arrive"], minutes)
    connection["travel_min"] += minutes
    data["totals"]["travel_hours"] = round(sum(c["travel_min"] for c in data["connections"]) / 60, 2)
    # Daytime minutes: the secondary cost grows by the travel weight alone, and the objective with it.
    secondary = round(data["coverage"]["secondary_points"] * 60) + minutes * TRAVEL_PER_HOUR
    data["coverage"]["secondary_points"] = round(secondary / 60, 2)
    terms = data["solver"]["objective_terms"]
    uncovered = data["coverage"]["max_points"] - data["coverage"]["points"]
    data["objective"] = data["bound"] = terms["scale"] * uncovered + secondary // terms["divisor"]


def with_road_regions(scenario: Scenario, regions: list[str]) -> Scenario:
    dump = scenario.model_dump()
    dump["roads"][0]["regions"] = regions
    return Scenario.model_validate(dump)


# -- terminal_closed


def test_terminal_closed_at_departure(small_scenario, small_plan):
    """Astana airport closed over KC951's 13:00 departure breaks not_closed."""
    closed = event(kind="terminal_closed", terminal="TSE", start="2016-01-20T12:00", end="2016-01-20T14:00")
    found = check_plan(small_scenario, small_plan, events=[closed])
    assert [(v.rule, v.where) for v in found] == [("not_closed", "legs.2")]


def test_terminal_closed_at_arrival_in_local_time(small_scenario, small_plan):
    """A naive closure of Aktobe airport is read in Aktobe time (UTC+5) and meets the 14:15 landing."""
    closed = event(kind="terminal_closed", terminal="AKX", start="2016-01-20T14:00", end="2016-01-20T14:30")
    assert rules(check_plan(small_scenario, small_plan, events=[closed])) == {"not_closed"}


def test_terminal_closed_after_landing(small_scenario, small_plan):
    """Aktobe airport closing a minute after KC951 landed breaks nothing."""
    closed = event(kind="terminal_closed", terminal="AKX", start="2016-01-20T14:16", end="2016-01-21T14:00")
    assert check_plan(small_scenario, small_plan, events=[closed]) == []


# -- road_closed


def test_road_closed_during_drive(small_scenario, small_plan):
    """The road closed during Wednesday's drive back to Astana breaks not_closed."""
    closed = event(
        kind="road_closed", road="astana-karaganda", start="2016-01-20T09:00", end="2016-01-20T10:00"
    )
    found = check_plan(small_scenario, small_plan, events=[closed])
    assert [(v.rule, v.where) for v in found] == [("not_closed", "legs.1")]


def test_road_closed_from_arrival(small_scenario, small_plan):
    """A road closure starting the minute Monday's drive arrives breaks nothing (intervals are half-open)."""
    closed = event(
        kind="road_closed", road="astana-karaganda", start="2016-01-18T10:45", end="2016-01-19T10:00"
    )
    assert check_plan(small_scenario, small_plan, events=[closed]) == []


def test_region_wide_road_closure(small_scenario, small_plan):
    """Closing every road through the Karaganda region closes the road the drives take."""
    scenario = with_road_regions(small_scenario, ["akmola", "karaganda"])
    closed = event(kind="road_closed", region="karaganda", start="2016-01-18T09:00", end="2016-01-18T10:00")
    found = check_plan(scenario, small_plan, events=[closed])
    assert [(v.rule, v.where) for v in found] == [("not_closed", "legs.0")]


def test_region_wide_road_closure_elsewhere(small_scenario, small_plan):
    """Closing the roads of a region the road does not cross breaks nothing."""
    scenario = with_road_regions(small_scenario, ["akmola", "karaganda"])
    closed = event(kind="road_closed", region="aktobe", start="2016-01-18T00:00", end="2016-01-23T00:00")
    assert check_plan(scenario, small_plan, events=[closed]) == []


# -- service_cancelled


def test_cancelled_run(small_scenario, small_plan):
    """Cancelling KC951 on Wednesday breaks not_cancelled on the KC951 leg."""
    cancelled = event(
        kind="service_cancelled", service="KC951", start="2016-01-20T00:00", end="2016-01-21T00:00"
    )
    found = check_plan(small_scenario, small_plan, events=[cancelled])
    assert [(v.rule, v.where) for v in found] == [("not_cancelled", "legs.2")]


def test_cancelled_run_of_another_date(small_scenario, small_plan):
    """Cancelling KC951 on Thursday breaks nothing: the plan flies on Wednesday."""
    cancelled = event(
        kind="service_cancelled", service="KC951", start="2016-01-21T00:00", end="2016-01-22T00:00"
    )
    assert check_plan(small_scenario, small_plan, events=[cancelled]) == []


def test_cancellation_read_at_the_first_stop(small_scenario, small_plan):
    """A naive cancellation window is read at T110's first stop (Aktobe, UTC+5) and covers its 21:00 run."""
    cancelled = event(
        kind="service_cancelled", service="T110", start="2016-01-20T20:30", end="2016-01-20T21:30"
    )
    assert rules(check_plan(small_scenario, small_plan, events=[cancelled])) == {"not_cancelled"}


def test_scenario_disruptions_apply(small_scenario, small_plan):
    """Events listed in scenario.disruptions are checked like the events argument."""
    dump = small_scenario.model_dump()
    dump["disruptions"] = [
        {
            "id": "strike",
            "kind": "service_cancelled",
            "announced_at": "2016-01-17T12:00",
            "service": "T047",
            "start": "2016-01-22T00:00",
            "end": "2016-01-23T00:00",
        }
    ]
    found = check_plan(Scenario.model_validate(dump), small_plan)
    assert [(v.rule, v.where) for v in found] == [("not_cancelled", "legs.4")]


# -- service_delayed


def test_delayed_run_with_scheduled_times(small_scenario, small_plan):
    """A plan still showing T110's scheduled times on a run delayed 60 min breaks leg_in_timetable."""
    late = event(
        kind="service_delayed", service="T110", delay_min=60, start="2016-01-20T00:00", end="2016-01-21T00:00"
    )
    found = check_plan(small_scenario, small_plan, events=[late])
    assert [(v.rule, v.where) for v in found] == [("leg_in_timetable", "legs.3")]


def test_delayed_leg_is_in_timetable(small_scenario, data):
    """A leg showing the delayed times of a delayed run is in the timetable."""
    late = event(
        kind="service_delayed", service="T110", delay_min=60, start="2016-01-20T00:00", end="2016-01-21T00:00"
    )
    leg = data["legs"][3]
    leg["depart"], leg["arrive"] = shift(leg["depart"], 60), shift(leg["arrive"], 60)
    assert "leg_in_timetable" not in rules(check_plan(small_scenario, data, events=[late]))


def test_quiet_hours_on_delayed_times(small_scenario, small_plan):
    """T047 delayed 7 h leaves Kostanay at 00:20: quiet hours are judged on the delayed departure."""
    late = event(
        kind="service_delayed",
        service="T047",
        delay_min=420,
        start="2016-01-22T00:00",
        end="2016-01-23T00:00",
    )
    found = check_plan(small_scenario, small_plan, events=[late])
    assert any(v.rule == "quiet_hours" and "departs at 2016-01-23 00:20" in v.message for v in found)


def test_delay_of_another_run(small_scenario, small_plan):
    """Delaying T047's Thursday run breaks nothing: the plan rides Friday's."""
    late = event(
        kind="service_delayed", service="T047", delay_min=60, start="2016-01-21T00:00", end="2016-01-22T00:00"
    )
    assert check_plan(small_scenario, small_plan, events=[late]) == []


# -- road_slowed


def test_slowed_drive_with_normal_duration(small_scenario, small_plan):
    """A drive keeping its normal 165 min when the road is 1.5 times slower breaks drive_on_road."""
    slow = event(
        kind="road_slowed",
        road="astana-karaganda",
        factor=1.5,
        start="2016-01-18T06:00",
        end="2016-01-18T12:00",
    )
    found = check_plan(small_scenario, small_plan, events=[slow])
    assert [(v.rule, v.where) for v in found] == [("drive_on_road", "legs.0")]
    assert "takes 248 min" in found[0].message


def test_slowed_drive_with_slowed_duration(small_scenario, data):
    """A drive taking round(165 x 1.5) = 248 min on a slowed road passes every rule."""
    slow = event(
        kind="road_slowed",
        road="astana-karaganda",
        factor=1.5,
        start="2016-01-18T06:00",
        end="2016-01-18T12:00",
    )
    arrive_later(data, 0, 248 - 165)
    assert check_plan(small_scenario, data, events=[slow]) == []


def test_slowed_drive_past_the_driving_window(small_scenario, data):
    """A drive slowed 5 times ends at 21:45, after the 20:00 driving window: drive_on_road."""
    slow = event(
        kind="road_slowed",
        road="astana-karaganda",
        factor=5,
        start="2016-01-18T06:00",
        end="2016-01-18T12:00",
    )
    arrive_later(data, 0, 5 * 165 - 165)
    found = check_plan(small_scenario, data, events=[slow])
    assert any(v.rule == "drive_on_road" and "driving window" in v.message for v in found)


def test_slowdown_starting_after_departure(small_scenario, small_plan):
    """A slowdown starting a minute after the 08:00 drive set off breaks nothing."""
    slow = event(
        kind="road_slowed",
        road="astana-karaganda",
        factor=2,
        start="2016-01-18T08:01",
        end="2016-01-18T20:00",
    )
    assert check_plan(small_scenario, small_plan, events=[slow]) == []


def test_region_wide_slowdown(small_scenario, small_plan):
    """Slowing every road through the Akmola region slows the Astana-Karaganda road."""
    scenario = with_road_regions(small_scenario, ["akmola", "karaganda"])
    slow = event(
        kind="road_slowed", region="akmola", factor=2, start="2016-01-20T08:00", end="2016-01-20T09:00"
    )
    found = check_plan(scenario, small_plan, events=[slow])
    assert [(v.rule, v.where) for v in found] == [("drive_on_road", "legs.1")]


# -- city_unavailable


def test_city_unavailable_during_seminar(small_scenario, small_plan):
    """Karaganda unavailable for an hour of its seminar breaks city_available."""
    away = event(kind="city_unavailable", city="karaganda", start="2016-01-19T15:00", end="2016-01-19T16:00")
    found = check_plan(small_scenario, small_plan, events=[away])
    assert [(v.rule, v.where) for v in found] == [("city_available", "seminars.0")]


def test_city_unavailable_after_seminar(small_scenario, small_plan):
    """Karaganda unavailable from the end of its seminar on breaks nothing."""
    away = event(kind="city_unavailable", city="karaganda", start="2016-01-19T17:00", end="2016-01-21T00:00")
    assert check_plan(small_scenario, small_plan, events=[away]) == []


# -- the frozen past


def test_unchanged_past_is_valid(small_scenario, small_plan):
    """A plan keeping everything that happened before now passes frozen_past."""
    assert check_plan(small_scenario, small_plan, previous=small_plan, now=NOON_WED) == []


def test_changed_past_leg(small_scenario, small_plan, data):
    """Moving a drive that had already left breaks frozen_past."""
    for item in (data["legs"][1], data["connections"][1]):
        for key in ("depart", "leave"):
            if key in item:
                item[key] = shift(item[key], 15)
    found = check_plan(small_scenario, data, previous=small_plan, now=NOON_WED)
    assert {v.where for v in found if v.rule == "frozen_past"} == {"previous.legs.1", "legs.1"}


def test_dropped_past_seminar(small_scenario, small_plan, data):
    """Leaving out a seminar held before now breaks frozen_past."""
    del data["seminars"][0]
    found = check_plan(small_scenario, data, previous=small_plan, now=NOON_WED)
    assert any(v.rule == "frozen_past" and v.where == "previous.seminars.0" for v in found)


def test_new_leg_before_now(small_scenario, small_plan):
    """A leg departing before now that the previous plan did not have breaks frozen_past."""
    previous = copy.deepcopy(small_plan)
    del previous["legs"][1]
    found = check_plan(small_scenario, small_plan, previous=previous, now=NOON_WED)
    assert [(v.rule, v.where) for v in found] == [("frozen_past", "legs.1")]


def test_new_seminar_before_now(small_scenario, small_plan):
    """A seminar starting before now that the previous plan did not hold breaks frozen_past."""
    previous = copy.deepcopy(small_plan)
    del previous["seminars"][0]
    found = check_plan(small_scenario, small_plan, previous=previous, now=NOON_WED)
    assert [(v.rule, v.where) for v in found] == [("frozen_past", "seminars.0")]


def test_frozen_leg_late_by_the_delay(small_scenario, small_plan, data):
    """A frozen T110 arriving 30 min late passes when a 30 min delay event covers its run."""
    late = event(
        kind="service_delayed", service="T110", delay_min=30, start="2016-01-20T00:00", end="2016-01-21T00:00"
    )
    arrive_later(data, 3, 30)
    assert check_plan(small_scenario, data, events=[late], previous=small_plan, now=NIGHT_WED) == []


def test_frozen_leg_late_without_a_delay(small_scenario, small_plan, data):
    """A frozen T110 arriving 30 min late with no delay event breaks frozen_past."""
    arrive_later(data, 3, 30)
    found = check_plan(small_scenario, data, previous=small_plan, now=NIGHT_WED)
    assert any(v.rule == "frozen_past" and v.where == "legs.3" for v in found)


def test_frozen_leg_late_by_another_delay(small_scenario, small_plan, data):
    """A frozen T110 arriving 45 min late when the delay event says 30 breaks frozen_past."""
    late = event(
        kind="service_delayed", service="T110", delay_min=30, start="2016-01-20T00:00", end="2016-01-21T00:00"
    )
    arrive_later(data, 3, 45)
    found = check_plan(small_scenario, data, events=[late], previous=small_plan, now=NIGHT_WED)
    assert any(v.rule == "frozen_past" and v.where == "legs.3" for v in found)


def test_late_arrival_without_a_frozen_past(small_scenario, data):
    """Without previous and now, a late arrival alone (departure on time) breaks leg_in_timetable."""
    late = event(
        kind="service_delayed", service="T110", delay_min=30, start="2016-01-20T00:00", end="2016-01-21T00:00"
    )
    arrive_later(data, 3, 30)
    assert rules(check_plan(small_scenario, data, events=[late])) == {"leg_in_timetable"}


def test_frozen_leg_ignores_a_later_closure(small_scenario, small_plan):
    """A closure over a departure that happened before now breaks nothing: the flight had left."""
    closed = event(kind="terminal_closed", terminal="TSE", start="2016-01-20T12:30", end="2016-01-20T14:00")
    now = dt.datetime.fromisoformat("2016-01-20T13:30+06:00")
    assert check_plan(small_scenario, small_plan, events=[closed], previous=small_plan, now=now) == []


def test_frozen_seminar_ignores_unavailability(small_scenario, small_plan):
    """A seminar that began before now is exempt from city_available."""
    away = event(kind="city_unavailable", city="karaganda", start="2016-01-19T15:30", end="2016-01-19T18:00")
    now = dt.datetime.fromisoformat("2016-01-19T15:00+06:00")
    assert check_plan(small_scenario, small_plan, events=[away], previous=small_plan, now=now) == []


def test_new_rules_are_named():
    """The event and frozen-past rule names are among the documented ones."""
    assert {"not_cancelled", "city_available", "frozen_past"} <= set(RULES)
