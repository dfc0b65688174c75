"""What `planner plan`, `replan` and `whatif` print for a coordinator: times as ranges with their
offset once, no raw objective, what covering a traded-off city would take, nights between
connections, what-if stories that name the legs changed and why."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import yaml

from planner.cli import main
from planner.domain import Scenario
from planner.heuristics import greedy_insertion
from planner.plan_report import render_plan, span
from planner.solve import plan, solve
from tests.conftest import SCENARIOS, load, steppe_data

THREE = SCENARIOS / "three-cities.yaml"
SOUTH = SCENARIOS / "south-loop.yaml"
UNHURRIED = ["--time-limit", "3600", "--workers", "1"]
# A clock time followed by an offset and a dash: `09:30 +06-12:30`, which reads like a UTC offset.
OFFSET_THEN_DASH = re.compile(r"\d\d:\d\d [+-]\d\d(:\d\d)?-\d\d:\d\d")


def test_a_time_range_gives_start_and_end_then_the_offset_once():
    """Seminars show `09:30–12:30 (UTC+06)`; legs the offset once when both ends share it, else
    each end's own; a half-hour zone keeps its minutes."""
    assert span("2016-01-18T09:30+06:00", "2016-01-18T12:30+06:00") == "09:30–12:30 (UTC+06)"
    assert (
        span("2016-01-21T19:00+06:00", "2016-01-21T20:34+05:00", " -> ") == "19:00 (UTC+06) -> 20:34 (UTC+05)"
    )
    assert span("2016-01-21T09:00+05:30", "2016-01-21T10:00+05:30") == "09:00–10:00 (UTC+05:30)"


def test_plan_prints_ranges_and_what_the_objective_means_not_its_number(tmp_path, capsys):
    """The table reads `09:30–12:30 (UTC+06)`, never `09:30 +06-12:30`; the raw objective and bound
    stay in the JSON, the text says the plan is proven best and gives coverage, hours and cost."""
    out = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(out), *UNHURRIED]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert "SEMINAR in Astana" in text and "09:30–12:30 (UTC+06)" in text
    for seminar in data["seminars"]:
        assert re.search(rf"{re.escape(span(seminar['start'], seminar['end']))} +SEMINAR in", text)
    overnight = [leg for leg in data["legs"] if leg["arrive"][:10] != leg["depart"][:10]]
    assert overnight, "three-cities takes the overnight train"
    for leg in overnight:
        assert f"{span(leg['depart'], leg['arrive'], ' -> ')} (+1d)" in text
    assert not OFFSET_THEN_DASH.search(text), text
    assert isinstance(data["objective"], int) and data["objective"] > 0
    assert "objective" not in text and "bound" not in text
    assert not re.search(rf"\b{data['objective']}\b", text)
    assert "OPTIMAL (proven the best plan)" in text
    assert "Covered 4 of 4 regions with 3 seminars" in text and "h door to door" in text and "KZT" in text
    assert main(["plan", str(THREE), "--json", *UNHURRIED]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == data["objective"]


def test_plan_says_what_covering_a_traded_off_city_would_take(tmp_path, capsys):
    """Each traded-off city says what the best plan holding it gives up, as a solve with the city
    required finds it (re-solved here), with its travel hours and cost; the JSON says the same."""
    out = tmp_path / "plan.json"
    assert main(["plan", str(SOUTH), "--out", str(out), *UNHURRIED, "--explain-limit", "3600"]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    traded = [u for u in data["uncovered"] if u["reason"] == "traded_off"]
    assert traded, "south-loop leaves cities out for a better whole plan"
    assert "not together with the cities chosen" not in text
    scenario = load(SOUTH)
    problem, result = plan(scenario)
    assert result.itinerary is not None
    names = {c.id: c.name for c in scenario.cities}
    chosen = [s.city for s in result.itinerary.seminars]
    for item in traded:
        forced = dataclasses.replace(problem, required=problem.required | {item["city"]})
        other = solve(forced, scenario.solver, greedy_insertion(forced))
        assert other.status.value == "OPTIMAL" and other.itinerary is not None
        held = {s.city for s in other.itinerary.seminars}
        lost = [names[c] for c in chosen if c not in held]
        name = names[item["city"]]
        listed = lost[0] if len(lost) == 1 else f"{', '.join(lost[:-1])} and {lost[-1]}" if lost else ""
        said = f"covering {name} would " + (f"give up {listed}" if lost else "keep")
        assert item["detail"].startswith(said), item["detail"]
        assert "h of travel (" in item["detail"] and "KZT (" in item["detail"]
        assert f"{name}: traded_off - {item['detail']}" in text
    assert main(["check", str(SOUTH), str(out)]) == 0


def test_plan_with_no_explanations_keeps_the_short_reason(tmp_path, capsys):
    """`--explain-limit 0` skips the extra solves: the traded-off reason stays the short one."""
    assert main(["plan", str(SOUTH), *UNHURRIED, "--explain-limit", "0"]) == 0
    text = capsys.readouterr().out
    assert "could be visited, but not together with the cities chosen" in text
    assert "would give up" not in text


def test_a_trip_without_legs_prints_no_empty_co2_breakdown(tmp_path, capsys):
    """Only the start city's seminar: no legs, so no `()` after the CO2 figure."""
    data = yaml.safe_load(THREE.read_text(encoding="utf-8"))
    data["seminars"] = [s for s in data["seminars"] if s["city"] == "astana"]
    path = tmp_path / "home-only.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["plan", str(path), *UNHURRIED]) == 0
    text = capsys.readouterr().out
    line = next(line for line in text.splitlines() if line.startswith("Travel "))
    assert line.endswith("0 kg CO2e") and "()" not in text, line


def test_a_night_between_connections_is_a_stop_in_that_city_with_its_hours():
    """The only way to Aktobe is the morning flight from Karaganda: the delegation drives there the
    day before and sleeps there (the plan marks that night `in_transit`); the table gives Karaganda
    and the hours of the stop, from the arrival to the next departure."""
    data = steppe_data()
    data["cities"][1]["terminals"] = [{"id": "KGF", "kind": "airport", "access_min": 20, "check_in_min": 60}]
    data["seminars"] = [{"city": "aktobe", "start_times": ["14:30"], "required": True}]
    morning = {"terminal": "KGF", "depart": "07:00"}, {"terminal": "AKX", "arrive": "07:40"}
    data["services"] = [
        {"id": "KC301", "mode": "flight", "stops": list(morning), "fare": 30000},
        data["services"][1],
    ]
    scenario = Scenario.model_validate(data)
    problem, result = plan(scenario)
    document = result.to_document(scenario, problem.axis)
    stop = next(night for night in document.nights if night.in_transit)
    assert stop.city == "karaganda" and stop.date == "2016-01-18"
    arrive = next(leg for leg in document.legs if leg.to_city == "karaganda")
    leave = next(leg for leg in document.legs if leg.from_city == "karaganda")
    nights = next(line for line in render_plan(scenario, document).splitlines() if line.startswith("Nights:"))
    assert f"18 Jan Karaganda (overnight stop on the way, {span(arrive.arrive, leave.depart)})" in nights
    assert "in transit" not in nights


EVENTS = """
name: quiet-then-shut
scenario: three-cities
description: A delay of a train after the delegation has left, then the road to Karaganda shut.
events:
  - id: ktz003-late
    kind: service_delayed
    service: KTZ003
    delay_min: 60
    announced_at: "2016-01-18T05:00"
    start: "2016-01-20T00:00"
    end: "2016-01-20T23:00"
  - id: road-shut
    kind: road_closed
    road: astana-karaganda
    announced_at: "2016-01-18T06:00"
    start: "2016-01-18T00:00"
    end: "2016-01-19T00:00"
"""


def shut_drives(plan: dict[str, Any]) -> list[str]:
    """How the story names each drive of ``plan`` the road closure hits (the road, on 18 January)."""
    return [
        f"- drive astana-karaganda {leg['from']} -> {leg['to']} Mon 18 Jan "
        f"{span(leg['depart'], leg['arrive'], ' -> ')}: hit by road-shut (road_closed astana-karaganda)"
        for leg in plan["legs"]
        if leg["service"] == "astana-karaganda" and leg["depart"].startswith("2016-01-18")
    ]


def test_whatif_story_names_the_legs_changed_and_why_and_stores_no_unchanged_version(tmp_path, capsys):
    """Events without a note print none; a replan that changes nothing keeps the version (no file
    for it); the drive the closure hits is named with its event, and the legs booked instead listed."""
    first = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(first), *UNHURRIED, "--explain-limit", "0"]) == 0
    hit = shut_drives(json.loads(first.read_text()))
    assert hit, "three-cities drives to Karaganda on the first day"
    timeline = tmp_path / "quiet-then-shut.yaml"
    timeline.write_text(EVENTS, encoding="utf-8")
    folder = tmp_path / "versions"
    capsys.readouterr()
    assert main(["whatif", str(THREE), str(timeline), *UNHURRIED, "--out", str(folder)]) == 0
    text = capsys.readouterr().out
    assert "no note" not in text and "()" not in text
    assert "Mon 18 Jan 05:00 (UTC+06)  ktz003-late: service_delayed KTZ003\n" in text
    assert "replanned, no change needed: version 1 stands, no new version" in text
    for line in hit:
        assert line in text
    assert "legs booked instead (" in text and "\n        + " in text
    assert "-> version 2:" in text
    assert sorted(path.name for path in folder.iterdir()) == ["quiet-then-shut.v2.json"]
    second = json.loads((folder / "quiet-then-shut.v2.json").read_text())
    assert second["based_on"] == 1 and second["diff"]["changes"] > 0
    assert not shut_drives(second)


def test_replan_diff_names_the_leg_an_event_hits(tmp_path, capsys):
    """`planner replan` prints each cancelled leg with the event that hits it, in local times."""
    first = tmp_path / "plan.json"
    assert main(["plan", str(THREE), "--out", str(first), *UNHURRIED, "--explain-limit", "0"]) == 0
    hit = shut_drives(json.loads(first.read_text()))
    timeline = tmp_path / "events.yaml"
    timeline.write_text(EVENTS, encoding="utf-8")
    capsys.readouterr()
    now = "2016-01-18T06:00+06:00"
    assert main(["replan", str(THREE), str(first), "--now", now, "--events", str(timeline), *UNHURRIED]) == 0
    text = capsys.readouterr().out
    assert hit and all(f"  {line}" in text for line in hit)
    assert not OFFSET_THEN_DASH.search(text)


def test_team_plan_says_what_its_status_means_not_its_objective(tmp_path, capsys):
    """The team plan's header states its status in words; no objective or bound is printed, and a
    team's own share (FEASIBLE alone, the best for the teams together) gets no status line of its own."""
    out = tmp_path / "team-plan.json"
    two_teams = SCENARIOS / "three-cities-two-teams.yaml"
    assert main(["plan", str(two_teams), "--out", str(out), *UNHURRIED]) == 0
    text = capsys.readouterr().out
    data = json.loads(out.read_text())
    assert text.startswith("three-cities-two-teams: OPTIMAL (proven the best plan)  (2 teams")
    assert "objective" not in text and "bound" not in text
    assert not re.search(rf"\b{data['objective']}\b", text)
    assert "FEASIBLE" not in text and "09:30–12:30 (UTC+06)" in text
