"""Disruptions and replanning: each event kind acts as it should; the past stays; diffs explain."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from planner.check import check_plan
from planner.cli import main
from planner.domain import Disruption, Scenario
from planner.replan import ReplanError, replan
from planner.scenario import ScenarioError, events_from_data, load_events
from planner.whatif import baseline, play
from tests.conftest import FLAGSHIP, SCENARIOS, load, make_plan, steppe_data, unhurried

EVENT_FILES = sorted((SCENARIOS / "events").glob("*.yaml"))


def event(**fields: Any) -> Disruption:
    return Disruption.model_validate(fields)


def when(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def cities(data: dict[str, Any]) -> list[str]:
    return [s["city"] for s in data["seminars"]]


def replan_checked(scenario: Scenario, previous: dict[str, Any], now: dt.datetime, *events: Disruption):
    new = replan(scenario, previous, now, tuple(events))
    in_force = tuple(Disruption.model_validate(e) for e in new.plan["events"])
    assert check_plan(scenario, new.plan, events=in_force, previous=previous, now=now) == []
    return new.plan


@pytest.fixture
def steppe_plan(steppe: Scenario) -> dict[str, Any]:
    data = make_plan(steppe)
    assert set(cities(data)) == {"karaganda", "aktobe"}
    return data


def test_no_new_events_means_no_changes(steppe, steppe_plan):
    """Replanning with nothing new returns the same plan: zero changes."""
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T06:00+06:00"))
    assert new["diff"]["changes"] == 0
    assert new["seminars"] == steppe_plan["seminars"] and new["legs"] == steppe_plan["legs"]
    assert new["version"] == 2 and new["based_on"] == 1


def test_flagship_replan_without_events_changes_nothing():
    """Mid-trip on the flagship, with no events, the new version equals the old one."""

    scenario = load(FLAGSHIP)
    first = make_plan(scenario)
    new = replan_checked(scenario, first, when("2016-01-21T10:00+06:00"))
    assert new["diff"]["changes"] == 0
    assert new["seminars"] == first["seminars"]


def test_terminal_closure_moves_the_flight_visit(steppe, steppe_plan):
    """With Aktobe airport closed on the planned day, Aktobe moves to another day."""
    aktobe = next(s for s in steppe_plan["seminars"] if s["city"] == "aktobe")
    day = aktobe["start"][:10]
    closed = event(
        id="akx-ice",
        kind="terminal_closed",
        terminal="AKX",
        announced_at="2016-01-18T06:00+06:00",
        start=f"{day}T00:00",
        end=f"{day}T23:59",
    )
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T06:00+06:00"), closed)
    moved = new["diff"]["seminars"]["moved"] + new["diff"]["seminars"]["dropped"]
    assert [m["city"] for m in moved] == ["aktobe"]


def test_road_closure_drops_karaganda_with_the_event_named():
    """With the only road to Karaganda closed for the trip, Karaganda is dropped as unreachable."""
    scenario = Scenario.model_validate(steppe_data())
    first = make_plan(scenario)
    closed = event(
        id="buran",
        kind="road_closed",
        road="astana-karaganda",
        announced_at="2016-01-18T05:00+06:00",
        start="2016-01-18T05:00",
        end="2016-01-21T00:00",
    )
    new = replan_checked(scenario, first, when("2016-01-18T05:00+06:00"), closed)
    (dropped,) = new["diff"]["seminars"]["dropped"]
    assert dropped["city"] == "karaganda" and dropped["reason"] == "unreachable"
    assert "buran" in dropped["detail"]


def test_region_wide_road_closure_closes_its_roads():
    """A closure of every road through the Karaganda region closes astana-karaganda too."""
    data = steppe_data()
    data["roads"][0]["regions"] = ["karaganda"]
    scenario = Scenario.model_validate(data)
    first = make_plan(scenario)
    closed = event(
        id="all-roads",
        kind="road_closed",
        region="karaganda",
        announced_at="2016-01-18T05:00+06:00",
        start="2016-01-18T05:00",
        end="2016-01-21T00:00",
    )
    new = replan_checked(scenario, first, when("2016-01-18T05:00+06:00"), closed)
    assert "karaganda" not in cities(new)


def test_slowed_road_takes_longer(steppe, steppe_plan):
    """A road slowed by 1.5 makes the 3-hour drive take 4.5 hours."""
    slowed = event(
        id="snow",
        kind="road_slowed",
        road="astana-karaganda",
        factor=1.5,
        announced_at="2016-01-18T05:00+06:00",
        start="2016-01-18T05:00",
        end="2016-01-21T00:00",
    )
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T05:00+06:00"), slowed)
    drives = [leg for leg in new["legs"] if leg["mode"] == "drive"]
    assert drives and all(leg["minutes"] == 270 for leg in drives)


def test_cancelled_service_is_not_used(steppe, steppe_plan):
    """Cancelling every KC101 run of the trip removes Aktobe, reached only by that flight."""
    cancelled = event(
        id="kc101-off",
        kind="service_cancelled",
        service="KC101",
        announced_at="2016-01-18T05:00+06:00",
        start="2016-01-18T00:00",
        end="2016-01-21T00:00",
    )
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T05:00+06:00"), cancelled)
    assert "KC101" not in {leg["service"] for leg in new["legs"]}
    assert "aktobe" not in cities(new)


def test_delayed_service_shifts_its_times(steppe, steppe_plan):
    """A 45-minute delay of KC102 shifts both its departure and arrival in the new plan."""
    flight = next(leg for leg in steppe_plan["legs"] if leg["service"] == "KC102")
    delayed = event(
        id="kc102-late",
        kind="service_delayed",
        service="KC102",
        delay_min=45,
        announced_at="2016-01-18T05:00+06:00",
        start=f"{flight['run_date']}T00:00",
        end=f"{flight['run_date']}T23:59",
    )
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T05:00+06:00"), delayed)
    late = next(leg for leg in new["legs"] if leg["service"] == "KC102")
    shift = dt.datetime.fromisoformat(late["depart"]) - dt.datetime.fromisoformat(flight["depart"])
    assert shift == dt.timedelta(minutes=45)


def test_city_unavailable_removes_its_days(steppe, steppe_plan):
    """Karaganda unavailable for the whole trip is dropped with a reason naming the event."""
    away = event(
        id="akim-away",
        kind="city_unavailable",
        city="karaganda",
        announced_at="2016-01-18T05:00+06:00",
        start="2016-01-18T00:00",
        end="2016-01-21T00:00",
    )
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T05:00+06:00"), away)
    (dropped,) = new["diff"]["seminars"]["dropped"]
    assert dropped["city"] == "karaganda" and dropped["reason"] == "unavailable"


def test_closure_after_landing_changes_nothing(steppe, steppe_plan):
    """A closure of AKX starting after the planned flight landed leaves the plan as it is."""
    flight = next(leg for leg in steppe_plan["legs"] if leg["service"] == "KC101")
    landed = dt.datetime.fromisoformat(flight["arrive"])
    closed = event(
        id="later",
        kind="terminal_closed",
        terminal="AKX",
        announced_at="2016-01-18T05:00+06:00",
        start=(landed + dt.timedelta(minutes=1)).isoformat(),
        end=(landed + dt.timedelta(hours=6)).isoformat(),
    )
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T05:00+06:00"), closed)
    assert new["diff"]["changes"] == 0


def test_leg_under_way_is_honoured_and_lands_late(steppe, steppe_plan):
    """A delay announced while on board keeps the leg; the plan continues from its late arrival."""
    flight = next(leg for leg in steppe_plan["legs"] if leg["service"] == "KC101")
    on_board = dt.datetime.fromisoformat(flight["depart"]) + dt.timedelta(minutes=10)
    delayed = event(
        id="headwind",
        kind="service_delayed",
        service="KC101",
        delay_min=30,
        announced_at=on_board.isoformat(),
        start=f"{flight['run_date']}T00:00",
        end=f"{flight['run_date']}T23:59",
    )
    new = replan_checked(steppe, steppe_plan, on_board, delayed)
    kept = next(leg for leg in new["legs"] if leg["service"] == "KC101")
    assert kept["depart"] == flight["depart"]
    late = dt.datetime.fromisoformat(kept["arrive"]) - dt.datetime.fromisoformat(flight["arrive"])
    assert late == dt.timedelta(minutes=30)
    assert new["position"]["city"] == "aktobe"


def test_done_seminars_stay_and_are_not_repeated(steppe, steppe_plan):
    """After the first seminar, replanning keeps it and does not offer that city again."""
    first = steppe_plan["seminars"][0]
    after = dt.datetime.fromisoformat(first["end"]) + dt.timedelta(minutes=5)
    new = replan_checked(steppe, steppe_plan, after)
    assert new["seminars"][0] == first
    assert cities(new).count(first["city"]) == 1


def test_stability_beats_travel_time_when_weighted(flagship):
    """After the blizzard, stability weights keep more of the plan, at the price of more travel."""
    first = make_plan(flagship)
    events = load_events(SCENARIOS / "events" / "blizzard-roads.yaml", flagship).events
    now = when("2016-01-20T06:00+06:00")
    data = flagship.model_dump(mode="json")
    data["objective"]["stability"] = {
        "move_seminar": 0,
        "drop_city": 0,
        "add_city": 0,
        "change_connection": 0,
    }
    indifferent = Scenario.model_validate(data)
    stable = replan_checked(flagship, first, now, *events)
    free = replan_checked(indifferent, first, now, *events)
    assert stable["diff"]["changes"] < free["diff"]["changes"]
    assert stable["totals"]["travel_hours"] >= free["totals"]["travel_hours"]
    assert len(stable["coverage"]["regions_covered"]) == len(free["coverage"]["regions_covered"])


def test_unchanged_replan_costs_no_stability_points(steppe, steppe_plan):
    """Stability points are counted and reported: zero for an unchanged replan."""
    new = replan_checked(steppe, steppe_plan, when("2016-01-18T05:00+06:00"))
    assert new["stability_points"] == 0


def test_bad_events_are_clear_errors(flagship):
    """Unknown airport, end before start and an overlapping duplicate id are named errors."""
    bad: dict[str, Any] = {
        "name": "bad",
        "events": [
            {
                "id": "x",
                "kind": "terminal_closed",
                "terminal": "XXX",
                "announced_at": "2016-01-20T06:00",
                "start": "2016-01-20T06:00",
                "end": "2016-01-21T06:00",
            },
            {
                "id": "x",
                "kind": "terminal_closed",
                "terminal": "TSE",
                "announced_at": "2016-01-20T06:00",
                "start": "2016-01-20T07:00",
                "end": "2016-01-21T06:00",
            },
        ],
    }
    with pytest.raises(ScenarioError) as caught:
        events_from_data(bad, flagship, "events.yaml")
    text = str(caught.value)
    assert "events.0.terminal: unknown terminal 'XXX'" in text
    assert "events.1.id: duplicate id 'x'" in text
    reversed_times = {**bad["events"][1], "id": "y", "start": "2016-01-22T00:00"}
    with pytest.raises(ScenarioError) as caught:
        events_from_data({"name": "bad", "events": [reversed_times]}, flagship, "events.yaml")
    assert "end must be after start" in str(caught.value)


def test_replan_needs_an_offset(steppe, steppe_plan):
    """A `now` without its UTC offset is refused, naming the field."""
    with pytest.raises(ReplanError, match="now"):
        replan(steppe, steppe_plan, dt.datetime(2016, 1, 18, 6, 0))


def test_a_previous_plan_that_is_not_a_plan_document_is_refused_naming_the_field(steppe, steppe_plan):
    broken = copy.deepcopy(steppe_plan)
    del broken["legs"][0]["arrive"]
    with pytest.raises(ReplanError, match=r"^previous plan: .*\(legs\[0\]\.arrive: missing\)"):
        replan(steppe, broken, when("2016-01-18T06:00+06:00"))
    unknown = {**steppe_plan, "seminars": [{**steppe_plan["seminars"][0], "city": "atlantis"}]}
    with pytest.raises(ReplanError, match=r"^previous plan: seminars\.0\.city: unknown city 'atlantis'"):
        replan(steppe, unknown, when("2016-01-18T06:00+06:00"))


def test_the_new_version_is_a_plan_document(steppe, steppe_plan):
    new = replan(steppe, steppe_plan, when("2016-01-18T06:00+06:00"))
    assert new.document.version == 2 and new.document.based_on == 1 and new.document.diff is not None
    assert new.plan == new.document.to_json() and list(new.plan)[-3:] == [
        "now",
        "position",
        "stability_points",
    ]


@pytest.mark.parametrize("path", EVENT_FILES, ids=[p.stem for p in EVENT_FILES])
def test_every_whatif_file_plays_and_checks(flagship, path):
    """Each bundled timeline plays on the flagship and every version passes the checker."""
    first = baseline(flagship)
    played = play(flagship, load_events(path, flagship), first)
    assert played.steps
    for step in played.steps:
        assert step.violations == []
        assert step.plan["status"] in ("OPTIMAL", "FEASIBLE")


def test_cli_replan_writes_version_two(tmp_path, capsys):
    """`planner replan` writes version 2 with its diff, accepted by `planner check`."""
    scenario_path = SCENARIOS / "kazakhstan-winter-2016.yaml"
    first = tmp_path / "v1.json"
    second = tmp_path / "v2.json"
    assert main(["plan", str(scenario_path), "--out", str(first), "--time-limit", "3600"]) == 0
    events = SCENARIOS / "events" / "aktau-airport-closed.yaml"
    code = main(
        [
            "replan",
            str(scenario_path),
            str(first),
            "--now",
            "2016-01-21T07:00+05:00",
            "--events",
            str(events),
            "--out",
            str(second),
            "--time-limit",
            "3600",
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Changes against version 1" in out
    assert main(["check", str(scenario_path), str(second), "--events", str(events)]) == 0


@pytest.mark.parametrize(
    ("now", "position"), [("2016-01-18T06:00+06:00", "karaganda"), ("2016-01-19T12:00+06:00", "astana")]
)
def test_a_reported_position_is_where_the_new_plan_starts(steppe, steppe_plan, now, position):
    """ "We are in Karaganda" (before departure, the plan says Astana) or "in Astana" (mid-trip, the
    plan says Karaganda): the new version starts there and the checker, told of the position,
    accepts it (it once failed no_two_places / start_and_end)."""
    moment = when(now)
    assert replan(steppe, steppe_plan, moment, ()).plan["position"]["city"] != position
    new = replan(steppe, steppe_plan, moment, (), position=position).plan
    assert new["position"]["city"] == position
    in_force = tuple(Disruption.model_validate(e) for e in new["events"])
    found = check_plan(steppe, new, events=in_force, previous=steppe_plan, now=moment, position=position)
    assert found == [], found
    later = [c for c in new["connections"] if when(c["leave"]) >= moment]
    assert later and later[0]["from_city"] == position
    # Without the position the same plan breaks the timeline: the override is what allows it.
    assert check_plan(steppe, new, events=in_force, previous=steppe_plan, now=moment)


def test_a_replan_out_of_time_in_the_search_says_so(flagship):
    """The replan's limit bounds its connection search: a limit no search can meet (1 ms) gives
    no new plan from mid-trip, `TIME_LIMIT`, and every dropped city says it was not searched."""
    first = make_plan(flagship)
    events = load_events(SCENARIOS / "events" / "aktau-airport-closed.yaml", flagship).events
    hurried = flagship.solver.model_copy(update={"time_limit_s": 0.001})
    now = when("2016-01-21T07:00+05:00")
    new = replan(flagship, first, now, events, params=hurried).plan
    assert new["status"] == "TIME_LIMIT" and new["solver"]["time_limit_s"] == 0.001
    dropped = new["diff"]["seminars"]["dropped"]
    assert dropped and {d["reason"] for d in dropped} == {"no_plan"}
    assert all("not searched" in d["detail"] for d in dropped)
    # Given time, the same replan finds a plan the checker accepts.
    assert replan_checked(flagship, first, now, *events)["status"] == "OPTIMAL"


def test_a_replan_without_a_plan_lists_only_the_past_it_keeps():
    """From a reported position with no way on (City 0 at 11:01 on the second day), the replan is
    INFEASIBLE and lists just the legs and seminar already behind the delegation; the checker
    accepts that, and rejects a no-plan version that lists anything after `now`."""
    from tests.scenario_gen import random_scenario

    scenario = unhurried(random_scenario(24, coordinator_rules=False))
    first = make_plan(scenario)
    now = when("2016-03-14T11:01-02:30")
    new = replan(scenario, first, now, position="c0").plan
    assert new["status"] == "INFEASIBLE"
    assert new["legs"] == first["legs"][:3] and [s["city"] for s in new["seminars"]] == ["c3"]
    assert check_plan(scenario, new, previous=first, now=now, position="c0") == []
    planned_on = copy.deepcopy(new)
    planned_on["legs"].append(first["legs"][3])
    planned_on["connections"].append({**first["connections"][2], "legs": [3]})
    found = check_plan(scenario, planned_on, previous=first, now=now, position="c0")
    assert ("start_and_end", "legs.3") in {(v.rule, v.where) for v in found}


def test_a_delay_of_travel_under_way_may_fill_its_day_past_the_limit():
    """Rule 22: a 300-minute delay of the bus already taken stretches that day's travel to
    843 min under a 840-minute limit. It is a fact, not a choice: the replan keeps it, the
    checker accepts it, and still rejects the same travel when it was not under way."""
    from tests.scenario_gen import random_scenario

    scenario = unhurried(random_scenario(99, coordinator_rules=False))
    first = make_plan(scenario)
    assert scenario.delegation.rules.max_travel_min_per_day == 840
    now = when("2016-03-14T13:16-03:00")
    delay = event(
        id="late-bus",
        kind="service_delayed",
        service="S0",
        delay_min=300,
        announced_at=now.isoformat(),
        start="2016-03-13T00:00",
        end="2016-03-13T23:59",
    )
    new = replan_checked(scenario, first, now, delay)
    assert new["connections"][0]["travel_min"] == first["connections"][0]["travel_min"] + 300 == 843
    # The same travel chosen freely (not under way: no previous version, no `now`) breaks it.
    found = check_plan(scenario, new, events=(delay,))
    assert ("daily_travel_limit", "days.2016-03-13") in {(v.rule, v.where) for v in found}


def test_a_reported_position_in_the_end_city_ends_the_trip_there():
    """The coordinator reports the delegation back in City 4 (the end city) at 21:30, before the
    planned 22:00 drive home: nothing is left to plan, and the trip ends where they are."""
    from tests.scenario_gen import random_scenario

    scenario = unhurried(random_scenario(194))
    first = make_plan(scenario)
    assert scenario.delegation.end_city == "c4" and first["legs"][-1]["depart"] == "2016-02-18T22:00+05:30"
    now = when("2016-02-18T21:30+05:30")
    new = replan(scenario, first, now, position="c4").plan
    assert new["status"] == "OPTIMAL" and new["legs"] == first["legs"][:-1]
    assert check_plan(scenario, new, previous=first, now=now, position="c4") == []


def test_a_replan_never_starts_before_the_version_it_changes(steppe, steppe_plan):
    """What a version treated as done stays done: a replan of version 2 from before version 2's
    `now` is refused naming `now`, and the checker rejects such a version."""
    second = replan(steppe, steppe_plan, when("2016-01-19T10:00+06:00")).plan
    with pytest.raises(ReplanError, match=r"^now: .* before the previous version's now"):
        replan(steppe, second, when("2016-01-19T09:00+06:00"))
    third = replan(steppe, second, when("2016-01-19T10:00+06:00")).plan  # the same moment is fine
    assert check_plan(steppe, third, previous=second, now=when("2016-01-19T10:00+06:00")) == []
    found = check_plan(steppe, third, previous=second, now=when("2016-01-19T09:00+06:00"))
    assert ("frozen_past", "now") in {(v.rule, v.where) for v in found}
