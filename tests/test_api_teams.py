"""Team plans over HTTP: planned, stored, read, replanned and exported per team and per member,
with the real solver pool and a real database; every stored version passes the team checker."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from planner.check.forming import check_any_team_plan
from planner.check.teams import check_team_plan
from planner.domain import Scenario
from planner.scenario import load_scenario
from tests.api_support import ACME, RIVAL, ROOT, api_settings
from tests.test_team_replan import first_flight_cancelled

TWO_TEAMS = "three-cities-two-teams"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("api-teams"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def first(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/plans", json={"scenario_name": TWO_TEAMS}, headers=ACME)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def scenario() -> Scenario:
    return load_scenario(ROOT / "scenarios" / f"{TWO_TEAMS}.yaml")


def plan_count(client: TestClient) -> int:
    return len(client.get("/v1/plans", headers=ACME, params={"limit": 500}).json())


def test_a_team_scenario_is_listed_with_its_teams(client: TestClient) -> None:
    listed = {s["name"]: s for s in client.get("/v1/scenarios", headers=ACME).json()}
    assert listed[TWO_TEAMS]["teams"] == ["east", "west"]
    assert listed["three-cities"]["teams"] == []


def test_a_team_plan_is_planned_stored_and_checked(client: TestClient, first: dict[str, Any]) -> None:
    plan = first["plan"]
    assert plan["format"] == "delegation-team-plan/1" and first["version"] == 1
    assert first["status"] == plan["status"] == "OPTIMAL"
    assert [team["id"] for team in plan["teams"]] == ["east", "west"]
    assert first["seminars"] == sum(len(team["plan"]["seminars"]) for team in plan["teams"]) == 3
    assert plan["costs"]["currency"] == "KZT" and plan["costs"]["budget"]["within"]
    assert check_team_plan(scenario(), plan) == []
    again = client.get(f"/v1/plans/{first['id']}", headers=ACME).json()
    assert again["plan"] == plan  # stored as planned
    summary = next(p for p in client.get("/v1/plans", headers=ACME).json() if p["id"] == first["id"])
    assert summary["status"] == "OPTIMAL" and summary["scenario_name"] == TWO_TEAMS
    assert client.get(f"/v1/plans/{first['id']}", headers=RIVAL).status_code == 404


def test_the_openapi_schema_names_both_documents(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"PlanDocument", "TeamPlanDocument", "TeamOut"} <= set(schemas)


def _flight_cancelled(plan: dict[str, Any]) -> tuple[dict[str, Any], str, str]:
    """An event cancelling the first flight of a team that flies, the moment it is announced (5 h
    before the flight) and that team's id."""
    flying, _, now, event = first_flight_cancelled(plan)
    return event, now.isoformat(), flying["id"]


def test_a_team_plan_is_replanned_per_team(client: TestClient, first: dict[str, Any]) -> None:
    event, now, hit = _flight_cancelled(first["plan"])
    plan_id = first["id"]
    # A team plan is replanned from where each team is: a single position is refused, nothing stored.
    response = client.post(
        f"/v1/plans/{plan_id}/replan",
        json={"base_version": 1, "now": now, "events": [event], "position": "astana"},
        headers=ACME,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "position"]
    assert [v["version"] for v in client.get(f"/v1/plans/{plan_id}/versions", headers=ACME).json()] == [1]

    response = client.post(
        f"/v1/plans/{plan_id}/replan", json={"base_version": 1, "now": now, "events": [event]}, headers=ACME
    )
    assert response.status_code == 201, response.text
    second = response.json()
    plan = second["plan"]
    assert second["version"] == plan["version"] == 2 and plan["based_on"] == 1
    assert check_team_plan(scenario(), plan, previous=first["plan"], now=dt.datetime.fromisoformat(now)) == []
    by_id = {team["id"]: team["plan"] for team in plan["teams"]}
    assert by_id[hit]["stability_points"] > 0 and by_id[hit]["events"]
    others = [team_id for team_id in by_id if team_id != hit]
    assert all(by_id[team_id]["stability_points"] == 0 for team_id in others)
    assert second["changes"] == sum(p["diff"]["changes"] for p in by_id.values()) > 0


def test_calendars_per_team_and_per_member(client: TestClient, first: dict[str, Any]) -> None:
    base = f"/v1/plans/{first['id']}/versions/1"
    # A team plan's itinerary is one team's: the team must be named, and exist.
    response = client.get(f"{base}/itinerary.ics", headers=ACME)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "team"]
    assert client.get(f"{base}/itinerary.ics", params={"team": "north"}, headers=ACME).status_code == 422
    east = next(t for t in first["plan"]["teams"] if t["id"] == "east")
    response = client.get(f"{base}/itinerary.ics", params={"team": "east"}, headers=ACME)
    assert response.status_code == 200
    calendar = icalendar.Calendar.from_ical(response.content)
    summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
    assert len(summaries) == len(east["plan"]["seminars"]) + len(east["plan"]["legs"])

    member = east["members"][0]["id"]
    response = client.get(f"{base}/members/{member}.ics", headers=ACME)
    assert response.status_code == 200 and member in response.headers["content-disposition"]
    mine = icalendar.Calendar.from_ical(response.content)
    uids = {str(e["UID"]) for e in mine.walk("VEVENT")}
    assert uids and all(member in uid for uid in uids)  # each person's calendar is their own
    assert len(uids) == len(summaries)
    assert client.get(f"{base}/members/nobody.ics", headers=ACME).status_code == 404
    assert client.get(f"{base}/members/{member}.ics", headers=RIVAL).status_code == 404

    geojson = client.get(f"{base}/route.geojson", params={"team": "east"}, headers=ACME)
    assert geojson.status_code == 200
    lines = [f for f in json.loads(geojson.text)["features"] if f["geometry"]["type"] == "LineString"]
    assert len(lines) == len(east["plan"]["legs"])


def test_pictures_of_a_team_plan_draw_every_team(client: TestClient, first: dict[str, Any]) -> None:
    base = f"/v1/plans/{first['id']}/versions/1"
    svg = client.get(f"{base}/map.svg", headers=ACME)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert all(team["name"] in svg.text for team in first["plan"]["teams"])
    timeline = client.get(f"{base}/timeline.png", headers=ACME)
    assert timeline.status_code == 200 and timeline.content.startswith(b"\x89PNG")


def test_a_team_plan_is_imported_only_if_the_checker_passes_it(
    client: TestClient, first: dict[str, Any]
) -> None:
    plan = first["plan"]
    response = client.post("/v1/plans", json={"scenario_name": TWO_TEAMS, "plan": plan}, headers=ACME)
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "imported"
    before = plan_count(client)
    tampered = json.loads(json.dumps(plan))
    tampered["costs"]["total"] = 1.0
    response = client.post("/v1/plans", json={"scenario_name": TWO_TEAMS, "plan": tampered}, headers=ACME)
    assert response.status_code == 422 and "checker" in response.text
    assert response.json()["detail"][0]["loc"] == ["body", "plan"]
    assert plan_count(client) == before


def test_what_if_plays_a_timeline_through_every_team(client: TestClient, first: dict[str, Any]) -> None:
    event, _, hit = _flight_cancelled(first["plan"])
    timeline = {"name": "flight-off", "description": "a team's flight is cancelled", "events": [event]}
    response = client.post(
        "/v1/whatif", json={"scenario_name": TWO_TEAMS, "timelines": [timeline]}, headers=ACME
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert [row["timeline"] for row in report["rows"]] == ["undisrupted", "flight-off"]
    undisrupted, played = report["rows"]
    assert undisrupted["cities"] == 3 and undisrupted["changes"] == 0
    step = report["timelines"][0]["steps"][0]
    assert step["events"] == ["flight-off"] and step["violations"] == []
    assert set(step["changes_by_team"]) == {"east", "west"}
    assert step["changes_by_team"][hit] > 0 and step["changes"] == sum(step["changes_by_team"].values())
    assert played["changes"] == step["changes"]
    assert any(f"team {hit}" in line for line in report["timelines"][0]["story"])


def test_risk_is_refused_for_a_team_plan_naming_the_field(client: TestClient, first: dict[str, Any]) -> None:
    before = plan_count(client)
    response = client.post(f"/v1/plans/{first['id']}/versions/1/risk", json={}, headers=ACME)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "plan_id"]
    assert plan_count(client) == before


def test_teams_formed_by_the_planner_over_http(client: TestClient) -> None:
    listed = {s["name"]: s for s in client.get("/v1/scenarios", headers=ACME).json()}
    assert listed["three-cities-formed-teams"]["forms_teams"] == 2
    response = client.post("/v1/plans", json={"scenario_name": "three-cities-formed-teams"}, headers=ACME)
    assert response.status_code == 201, response.text
    created = response.json()
    plan = created["plan"]
    formed = load_scenario(ROOT / "scenarios" / "three-cities-formed-teams.yaml")
    assert plan["forming"]["splits"] >= 1 and len(plan["teams"]) == 2
    assert check_any_team_plan(formed, plan) == []
    members = sorted(m["id"] for team in plan["teams"] for m in team["members"])
    assert members == sorted(m.id for m in formed.members)

    # A replan keeps the teams the planner formed: no one changes team mid-trip.
    now = "2016-01-18T09:00:00+06:00"
    response = client.post(
        f"/v1/plans/{created['id']}/replan", json={"base_version": 1, "now": now, "events": []}, headers=ACME
    )
    assert response.status_code == 201, response.text
    second = response.json()["plan"]
    assert [t["members"] for t in second["teams"]] == [t["members"] for t in plan["teams"]]
    assert second["forming"] == plan["forming"]
    assert check_any_team_plan(formed, second, previous=plan, now=dt.datetime.fromisoformat(now)) == []

    member = plan["teams"][1]["members"][0]["id"]
    ics = client.get(f"/v1/plans/{created['id']}/versions/2/members/{member}.ics", headers=ACME)
    assert ics.status_code == 200 and ics.content.startswith(b"BEGIN:VCALENDAR")
    team = plan["teams"][0]["id"]
    assert (
        client.get(
            f"/v1/plans/{created['id']}/versions/2/itinerary.ics", params={"team": team}, headers=ACME
        ).status_code
        == 200
    )
    assert client.get(f"/v1/plans/{created['id']}/versions/2/map.svg", headers=ACME).status_code == 200


def test_a_plan_with_a_member_joining_en_route_is_served_with_her_own_calendar(client: TestClient) -> None:
    response = client.post("/v1/plans", json={"scenario_name": "three-cities-joining"}, headers=ACME)
    assert response.status_code == 201, response.text
    body = response.json()
    joining = load_scenario(ROOT / "scenarios" / "three-cities-joining.yaml")
    assert check_team_plan(joining, body["plan"]) == []
    east = next(t for t in body["plan"]["teams"] if t["id"] == "east")
    assert east["joiner"]["member"] == "undp-a"
    base = f"/v1/plans/{body['id']}/versions/1"
    calendars = {}
    for member in ("undp-a", "trainer-a"):
        reply = client.get(f"{base}/members/{member}.ics", headers=ACME)
        assert reply.status_code == 200
        calendars[member] = [
            str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(reply.content).walk("VEVENT")
        ]
    # Her calendar has the seminars from the one where she joins and only the legs she travels.
    at = dt.datetime.fromisoformat(east["joiner"]["at"])
    later = [leg for leg in east["plan"]["legs"] if dt.datetime.fromisoformat(leg["depart"]) >= at]
    held = [s for s in east["plan"]["seminars"] if dt.datetime.fromisoformat(s["start"]) >= at]
    assert len(calendars["undp-a"]) == len(east["joiner"]["plan"]["legs"]) + len(later) + len(held)
    assert len(calendars["trainer-a"]) == len(east["plan"]["legs"]) + len(east["plan"]["seminars"])
