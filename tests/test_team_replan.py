"""Replanning a team plan: each team from now, in one model, every version checked as a replan of
the team's previous plan; a team the events leave alone keeps its plan unless coverage gains."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest

from planner.check.teams import check_team_plan
from planner.domain import Disruption, Scenario
from planner.scenario import load_scenario
from planner.synthetic import tiny_scenario
from planner.team_replan import replan_teams
from planner.teams import plan_teams, teams_plan_json
from tests.conftest import SCENARIOS, unhurried
from tests.test_teams import with_teams

TWO_TEAMS = SCENARIOS / "three-cities-two-teams.yaml"


def _first_plan(scenario: Scenario) -> dict[str, Any]:
    return teams_plan_json(scenario, plan_teams(scenario))


def _future(plan: dict[str, Any], now: dt.datetime) -> tuple[list[Any], list[Any]]:
    seminars = [
        (s["city"], s["start"]) for s in plan["seminars"] if dt.datetime.fromisoformat(s["start"]) >= now
    ]
    legs = [
        (leg["service"], leg["depart"])
        for leg in plan["legs"]
        if dt.datetime.fromisoformat(leg["depart"]) >= now
    ]
    return seminars, legs


def test_with_no_new_event_no_team_changes():
    scenario = unhurried(load_scenario(TWO_TEAMS))
    first = _first_plan(scenario)
    now = dt.datetime.fromisoformat("2016-01-18T09:00+06:00")
    second = replan_teams(scenario, first, now)
    assert second["version"] == 2 and second["based_on"] == 1
    assert check_team_plan(scenario, second, previous=first, now=now) == []
    for before, after in zip(first["teams"], second["teams"], strict=True):
        assert _future(after["plan"], now) == _future(before["plan"], now)
        assert after["plan"]["stability_points"] == 0


def first_flight_cancelled(
    plan: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, Any], dt.datetime, dict[str, Any]]:
    """The first team that flies, its first flight, a moment 5 h before it, and an event (as in an
    events file) cancelling that flight's run, announced then."""
    flying = next(t for t in plan["teams"] if any(leg["mode"] == "flight" for leg in t["plan"]["legs"]))
    flight = next(leg for leg in flying["plan"]["legs"] if leg["mode"] == "flight")
    now = dt.datetime.fromisoformat(flight["depart"]) - dt.timedelta(hours=5)
    event = {
        "id": "flight-off",
        "kind": "service_cancelled",
        "service": flight["service"],
        "announced_at": now.isoformat(),
        "start": f"{flight['run_date']}T00:00",
        "end": f"{flight['run_date']}T23:59",
    }
    return flying, flight, now, event


def test_an_event_on_one_team_replans_it_and_leaves_the_other_alone():
    scenario = unhurried(load_scenario(TWO_TEAMS))
    first = _first_plan(scenario)
    flying, flight, now, event = first_flight_cancelled(first)
    other = next(t for t in first["teams"] if t is not flying)
    cancelled = Disruption.model_validate(event)
    second = replan_teams(scenario, first, now, (cancelled,))
    assert check_team_plan(scenario, second, previous=first, now=now) == []
    hit = next(t for t in second["teams"] if t["id"] == flying["id"])
    assert all(
        (leg["service"], leg["depart"]) != (flight["service"], flight["depart"])
        for leg in hit["plan"]["legs"]
    )
    assert hit["plan"]["diff"] is not None and hit["plan"]["events"]
    assert hit["plan"]["stability_points"] > 0
    # The hit team can still make every seminar another way (the night train), so the other
    # team has nothing to win by changing: it keeps its plan, at no stability cost.
    assert second["coverage"]["cities"] == first["coverage"]["cities"]
    left_alone = next(t for t in second["teams"] if t["id"] == other["id"])
    assert _future(left_alone["plan"], now) == _future(other["plan"], now)
    assert left_alone["plan"]["stability_points"] == 0


@pytest.mark.parametrize("seed", range(12))
def test_replans_of_random_team_plans_pass_the_checker(seed):
    scenario = with_teams(unhurried(tiny_scenario(seed)), seed)
    first = _first_plan(scenario)
    if first["status"] != "OPTIMAL":
        return
    draw = random.Random(seed)
    legs = [leg for t in first["teams"] for leg in t["plan"]["legs"]]
    if not legs:
        return
    leg = draw.choice(legs)
    depart = dt.datetime.fromisoformat(leg["depart"])
    now = depart - dt.timedelta(minutes=draw.choice([30, 180, 600]))
    begin = (
        dt.datetime.fromisoformat(first["teams"][0]["plan"]["legs"][0]["depart"])
        if first["teams"][0]["plan"]["legs"]
        else depart
    )
    now = max(now, begin - dt.timedelta(days=1))
    events: tuple[Disruption, ...] = ()
    if leg["mode"] != "drive":
        events = (
            Disruption.model_validate(
                {
                    "id": "closed",
                    "kind": "terminal_closed",
                    "terminal": leg["from"],
                    "announced_at": now.isoformat(),
                    "start": (depart - dt.timedelta(hours=1)).isoformat(),
                    "end": (depart + dt.timedelta(hours=draw.choice([2, 30]))).isoformat(),
                }
            ),
        )
    second = replan_teams(scenario, first, now, events)
    assert check_team_plan(scenario, second, previous=first, now=now) == [], json.dumps(second)[:2000]


def test_planner_replan_of_a_team_plan(tmp_path, capsys):
    from planner.cli import main

    first, second = tmp_path / "v1.json", tmp_path / "v2.json"
    assert main(["plan", str(TWO_TEAMS), "--time-limit", "3600", "--out", str(first)]) == 0
    argv = ["replan", str(TWO_TEAMS), str(first), "--now", "2016-01-18T09:00+06:00", "--time-limit", "3600"]
    assert main([*argv, "--out", str(second)]) == 0
    shown = capsys.readouterr().out
    assert "changes" in shown and "Version 2 written" in shown
    assert json.loads(second.read_text(encoding="utf-8"))["version"] == 2
    assert main(["check", str(TWO_TEAMS), str(second)]) == 0
    capsys.readouterr()
    assert main([*argv, "--position", "astana"]) == 2
    assert "--position" in capsys.readouterr().err


def test_planner_whatif_plays_a_timeline_through_a_team_plan(tmp_path, capsys):
    from planner.cli import main

    timeline = tmp_path / "flight-off.yaml"
    timeline.write_text(
        "name: flight-off\n"
        "description: the afternoon flight to Pavlodar is cancelled\n"
        "events:\n"
        "  - {id: kc885-off, kind: service_cancelled, service: KC885, announced_at: '2016-01-18T10:00',\n"
        "     start: '2016-01-18T00:00', end: '2016-01-18T23:59'}\n",
        encoding="utf-8",
    )
    out = tmp_path / "versions"
    argv = ["whatif", str(TWO_TEAMS), str(timeline), "--time-limit", "3600", "--out", str(out)]
    assert main(argv) == 0
    shown = capsys.readouterr().out
    assert "== flight-off" in shown and "team east: version 2" in shown and "team west: version 2" in shown
    assert "undisrupted" in shown and "flight-off" in shown.splitlines()[-1]
    second = json.loads((out / "flight-off.v2.json").read_text(encoding="utf-8"))
    assert second["format"] == "delegation-team-plan/1" and second["version"] == 2
    west = next(t for t in second["teams"] if t["id"] == "west")
    assert west["plan"]["diff"]["changes"] == 0  # the flight was the east team's
