"""The HTTP API through FastAPI's TestClient, with the real solver pool and a real SQLite file."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from planner.synthetic import synthetic_scenario
from tests.api_support import (
    ACME,
    REPLAN_NOW,
    RIVAL,
    ROOT,
    TRAIN_CANCELLED,
    api_settings,
    assert_checked,
    assert_checked_inline,
    bundled_events,
)
from tests.conftest import load


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("api"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def create(client: TestClient, **body: Any) -> Any:
    response = client.post("/v1/plans", json={"scenario_name": "three-cities", **body}, headers=ACME)
    assert response.status_code == 201, response.text
    return response.json()


def plan_count(client: TestClient, headers: dict[str, str] = ACME) -> int:
    return len(client.get("/v1/plans", headers=headers, params={"limit": 500}).json())


def versions(client: TestClient, plan_id: str) -> list[int]:
    return [v["version"] for v in client.get(f"/v1/plans/{plan_id}/versions", headers=ACME).json()]


def inline_three_cities() -> dict[str, Any]:
    scenario = load(ROOT / "scenarios" / "three-cities.yaml")
    data: dict[str, Any] = json.loads(scenario.model_dump_json(exclude_defaults=True))
    return data


def test_health_needs_no_key(client: TestClient) -> None:
    body = client.get("/v1/health").json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["solver"] == {"processes": 1, "capacity": 5, "in_flight": 0}


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/v1/plans"), ("post", "/v1/plans"), ("get", "/v1/scenarios"), ("post", "/v1/whatif")],
)
def test_no_key_or_unknown_key_is_401(client: TestClient, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-key-of-anyone"}, {"Authorization": "Basic abc"}):
        response = client.request(method, path, headers=headers, json={"scenario_name": "three-cities"})
        assert response.status_code == 401, (headers, response.text)
        assert response.headers["www-authenticate"] == "Bearer"


def test_create_read_and_list_versions(client: TestClient) -> None:
    created = create(client)
    assert created["version"] == 1 and created["kind"] == "planned"
    assert created["created_by"] == "acme/configured (configured key)"
    assert created["plan"]["format"] == "delegation-plan/1"
    assert created["plan"]["status"] == "OPTIMAL" and created["seminars"] == 3
    assert_checked(created)
    latest = client.get(f"/v1/plans/{created['id']}", headers=ACME).json()
    assert latest == created
    first = client.get(f"/v1/plans/{created['id']}/versions/1", headers=ACME).json()
    assert first["plan"] == created["plan"]
    assert versions(client, created["id"]) == [1]
    listed = {p["id"]: p for p in client.get("/v1/plans", headers=ACME).json()}
    assert listed[created["id"]]["latest_version"] == 1
    assert client.get(f"/v1/plans/{created['id']}/versions/2", headers=ACME).status_code == 404


def test_same_seed_same_plan(client: TestClient) -> None:
    one = create(client, options={"seed": 7})
    two = create(client, options={"seed": 7})
    assert one["id"] != two["id"]
    assert one["plan"]["seminars"] == two["plan"]["seminars"] and one["plan"]["legs"] == two["plan"]["legs"]
    assert one["plan"]["solver"]["seed"] == 7


def test_inline_scenario(client: TestClient) -> None:
    data = inline_three_cities()
    data["name"] = "my-own-trip"
    response = client.post("/v1/plans", json={"scenario": data}, headers=ACME)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["plan"]["scenario"] == "my-own-trip"
    assert_checked_inline(data, body["plan"])


def test_bad_scenario_names_the_field_and_stores_nothing(client: TestClient) -> None:
    before = plan_count(client)
    data = inline_three_cities()
    data["cities"][1]["timezone"] = "Asia/Atlantis"
    response = client.post("/v1/plans", json={"scenario": data}, headers=ACME)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"][:4] == ["body", "scenario", "cities", 1]
    assert error["loc"][4] == "timezone" and "Asia/Atlantis" in error["msg"]

    response = client.post("/v1/plans", json={"scenario_name": "atlantis"}, headers=ACME)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scenario_name"]

    response = client.post(
        "/v1/plans", json={"scenario_name": "three-cities", "scenario": data}, headers=ACME
    )
    assert response.status_code == 422
    assert "exactly one" in response.text

    assert plan_count(client) == before


def test_limits(client: TestClient) -> None:
    before = plan_count(client)
    too_many = synthetic_scenario(cities=21, days=10, seed=1)
    response = client.post(
        "/v1/plans",
        json={"scenario": json.loads(too_many.model_dump_json(exclude_defaults=True))},
        headers=ACME,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scenario", "cities"]
    assert "at most 20" in response.text

    long_trip = inline_three_cities()
    long_trip["calendar"]["horizon_days"] = 25
    response = client.post("/v1/plans", json={"scenario": long_trip}, headers=ACME)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "scenario", "calendar", "horizon_days"]

    response = client.post(
        "/v1/plans", json={"scenario_name": "three-cities", "options": {"time_limit_s": 7200}}, headers=ACME
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "options", "time_limit_s"]

    huge = {"scenario_name": "three-cities", "padding": "x" * 400_000}
    response = client.post("/v1/plans", json=huge, headers=ACME)
    assert response.status_code == 413
    assert "300000 bytes" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size is counted as it streams
        yield b'{"scenario_name": "three-cities", "padding": "'
        for _ in range(40):
            yield b"y" * 10_000
        yield b'"}'

    response = client.post(
        "/v1/plans", content=chunks(), headers={**ACME, "Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert plan_count(client) == before


def test_other_organisations_get_404(client: TestClient) -> None:
    created = create(client)
    plan_id = created["id"]
    for path in (f"/v1/plans/{plan_id}", f"/v1/plans/{plan_id}/versions", f"/v1/plans/{plan_id}/versions/1"):
        assert client.get(path, headers=RIVAL).status_code == 404
        assert client.get(path, headers=ACME).status_code == 200
    body = {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}
    assert client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=RIVAL).status_code == 404
    assert plan_id not in {p["id"] for p in client.get("/v1/plans", headers=RIVAL).json()}
    assert versions(client, plan_id) == [1]


def test_replan_then_stale_version_is_409(client: TestClient) -> None:
    created = create(client)
    plan_id = created["id"]
    body = {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}
    response = client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME)
    assert response.status_code == 201, response.text
    second = response.json()
    assert second["version"] == 2 and second["base_version"] == 1 and second["kind"] == "replanned"
    assert second["events"] == [TRAIN_CANCELLED]
    diff = second["plan"]["diff"]
    assert any(leg["service"] == "KTZ031" for leg in diff["legs"]["removed"])
    assert second["changes"] == diff["changes"] > 0
    assert_checked(second, previous=created["plan"])
    assert client.get(f"/v1/plans/{plan_id}", headers=ACME).json()["version"] == 2
    listed = {p["id"]: p for p in client.get("/v1/plans", headers=ACME, params={"limit": 500}).json()}
    assert listed[plan_id]["latest_version"] == 2 and listed[plan_id]["status"] == second["status"]

    stale = client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME)
    assert stale.status_code == 409
    assert "version 2 is the latest" in stale.json()["detail"]
    assert versions(client, plan_id) == [1, 2]


def test_replan_from_a_reported_position(client: TestClient) -> None:
    """ "We are in Pavlodar": a replan with `position` is a new version starting there (it once
    answered 500 because the checker was not told of the position)."""
    created = create(client)
    body = {"base_version": 1, "now": REPLAN_NOW, "events": [], "position": "pavlodar"}
    response = client.post(f"/v1/plans/{created['id']}/replan", json=body, headers=ACME)
    assert response.status_code == 201, response.text
    second = response.json()
    assert second["plan"]["position"]["city"] == "pavlodar"
    assert_checked(second, previous=created["plan"], position="pavlodar")


def test_failed_replans_store_nothing(client: TestClient) -> None:
    created = create(client)
    plan_id = created["id"]
    bad_event = {**TRAIN_CANCELLED, "service": "KTZ999"}
    cases: list[tuple[dict[str, Any], list[Any]]] = [
        ({"events": [bad_event]}, ["body", "events", 0, "service"]),
        ({"events": [{**TRAIN_CANCELLED, "kind": "volcano"}]}, ["body", "events", 0, "kind"]),
        ({"position": "atlantis"}, ["body", "position"]),
        ({"now": "2016-01-19T10:00:00"}, ["body", "now"]),
        ({"base_version": 0}, ["body", "base_version"]),
        ({"options": {"time_limit_s": 1e9}}, ["body", "options", "time_limit_s"]),
        ({"now": "0001-01-01T00:00:00+14:00"}, ["body", "now"]),
        (
            {
                "events": [
                    {**TRAIN_CANCELLED, "start": "9999-12-31T00:00+06:00", "end": "9999-12-31T01:00+06:00"}
                ]
            },
            ["body", "events", 0, "start"],
        ),
    ]
    for change, loc in cases:
        body = {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED], **change}
        response = client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["detail"][0]["loc"] == loc, change
    assert versions(client, plan_id) == [1]
    assert client.get(f"/v1/plans/{plan_id}", headers=ACME).json()["plan"] == created["plan"]


def test_import_a_plan_made_elsewhere(client: TestClient) -> None:
    made = create(client)["plan"]
    response = client.post("/v1/plans", json={"scenario_name": "three-cities", "plan": made}, headers=ACME)
    assert response.status_code == 201
    assert response.json()["kind"] == "imported" and response.json()["plan"] == made

    broken = json.loads(json.dumps(made))
    broken["seminars"][0]["start"] = "2016-01-18T03:00+06:00"  # in the night, not a seminar slot
    before = plan_count(client)
    response = client.post("/v1/plans", json={"scenario_name": "three-cities", "plan": broken}, headers=ACME)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "plan"]
    assert "checker rejects" in response.json()["detail"][0]["msg"]
    assert plan_count(client) == before


def test_pictures_of_a_version(client: TestClient) -> None:
    plan_id = create(client)["id"]
    base = f"/v1/plans/{plan_id}/versions/1"
    svg = client.get(f"{base}/map.svg", headers=ACME)
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert "<svg" in svg.text and 'id="city-pavlodar"' in svg.text
    png = client.get(f"{base}/timeline.png", headers=ACME)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert client.get(f"{base}/timeline.svg", headers=RIVAL).status_code == 404
    assert client.get(f"/v1/plans/{plan_id}/versions/9/map.png", headers=ACME).status_code == 404


def test_scenarios(client: TestClient) -> None:
    listed = {s["name"]: s for s in client.get("/v1/scenarios", headers=ACME).json()}
    assert {"kazakhstan-winter-2016", "three-cities", "south-loop"} <= set(listed)
    assert listed["three-cities-two-teams"]["teams"] == ["east", "west"]
    flagship = listed["kazakhstan-winter-2016"]
    assert flagship["cities"] == 16 and "aktau-airport-closed" in flagship["timelines"]
    one = client.get("/v1/scenarios/three-cities", headers=ACME).json()
    assert one["scenario"]["name"] == "three-cities" and one["horizon_days"] == 3
    assert client.get("/v1/scenarios/atlantis", headers=ACME).status_code == 404
    assert client.get("/v1/scenarios/..%2Fpyproject", headers=ACME).status_code == 404


def test_whatif(client: TestClient) -> None:
    timeline = {"name": "train-off", "description": "the night train fails", "events": [TRAIN_CANCELLED]}
    body = {"scenario_name": "three-cities", "timelines": [timeline]}
    response = client.post("/v1/whatif", json=body, headers=ACME)
    assert response.status_code == 200, response.text
    report = response.json()
    assert [row["timeline"] for row in report["rows"]] == ["undisrupted", "train-off"]
    step = report["timelines"][0]["steps"][0]
    assert step["events"] == ["ktz031-off"] and step["version"] == 2 and step["violations"] == []
    assert report["rows"][1]["changes"] == step["changes"] > 0
    assert "train-off" in report["table"]

    bad = client.post(
        "/v1/whatif", json={"scenario_name": "three-cities", "timeline_names": ["nope"]}, headers=ACME
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "timeline_names", 0]

    broken = {**timeline, "events": [{**TRAIN_CANCELLED, "service": "KTZ999"}]}
    bad = client.post(
        "/v1/whatif", json={"scenario_name": "three-cities", "timelines": [broken]}, headers=ACME
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "timelines", 0, "events", 0, "service"]


def test_openapi_describes_every_field(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/plans", "/v1/plans/{plan_id}/replan", "/v1/whatif", "/v1/health"} <= set(schema["paths"])
    undocumented = [
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        if not name.startswith(("HTTPValidationError", "ValidationError"))
        for field, spec in component.get("properties", {}).items()
        if "description" not in spec
    ]
    assert undocumented == []
    assert client.get("/docs").status_code == 200


def test_openapi_shows_the_plan_documents_fields(client: TestClient) -> None:
    components = client.get("/openapi.json").json()["components"]["schemas"]

    def fields(name: str) -> set[str]:
        return set(components[name]["properties"])

    plan = components["PlanVersionOut"]["properties"]["plan"]
    documents = next(choice for choice in plan["anyOf"] if "oneOf" in choice)
    # Told apart by their format: a one-team plan or a team plan.
    assert documents["discriminator"]["propertyName"] == "format"
    assert documents["discriminator"]["mapping"] == {
        "delegation-plan/1": "#/components/schemas/PlanDocument",
        "delegation-team-plan/1": "#/components/schemas/TeamPlanDocument",
    }
    assert {"teams", "costs", "coverage", "uncovered"} <= fields("TeamPlanDocument")
    assert {"members", "plan", "size", "vehicles"} <= fields("TeamOut")
    assert {"format", "version", "status", "seminars", "legs", "coverage", "solver", "diff"} <= fields(
        "PlanDocument"
    )
    assert {"objective_terms", "seed", "stats"} <= fields("SolverOut")
    assert {"scale", "divisor", "stability_scale"} <= fields("ObjectiveTerms")
    assert {"points", "max_points", "regions_covered"} <= fields("Coverage")
    assert {"mode", "service", "from", "to", "depart", "arrive", "run_date"} <= fields("LegOut")


@pytest.fixture()
def tight_client(tmp_path: Path) -> Iterator[TestClient]:
    """One solver process, no waiting line and no grace time: busy and timed-out paths."""
    settings = api_settings(tmp_path, solver_processes=1, queue_depth=0, grace_s=0.0, retry_after_s=7)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_timeout_stores_nothing_and_full_pool_is_503(tight_client: TestClient) -> None:
    client = tight_client
    answers: list[Any] = []
    slow = {"scenario_name": "kazakhstan-winter-2016", "options": {"time_limit_s": 5.0}}
    worker = threading.Thread(
        target=lambda: answers.append(client.post("/v1/plans", json=slow, headers=ACME))
    )
    worker.start()
    deadline = time.monotonic() + 30
    while client.get("/v1/health").json()["solver"]["in_flight"] == 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    busy = client.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME)
    assert busy.status_code == 503
    assert busy.headers["retry-after"] == "7"
    worker.join()
    # The slow solve itself ends within its limit (plus the grace time of 0 here) or times out;
    # either way the busy answer above is what this part tests, and a 201 stored one plan.
    assert answers[0].status_code in (201, 504)
    assert plan_count(client) == (1 if answers[0].status_code == 201 else 0)
    stored = plan_count(client)
    # A 504 stops the wait, not the solve: on a slow or busy machine the solve may still hold the
    # one solver process, and the next request would rightly be 503. Wait for it to end.
    deadline = time.monotonic() + 300
    while client.get("/v1/health").json()["solver"]["in_flight"] != 0:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    # A solve keeps to its time limit, so only a limit nothing can meet (1 ms: loading the
    # scenario in the solver process alone takes longer) reaches the timeout, on any machine.
    hurried = {"scenario_name": "kazakhstan-winter-2016", "options": {"time_limit_s": 0.001}}
    timed_out = client.post("/v1/plans", json=hurried, headers=ACME)
    assert timed_out.status_code == 504
    assert "nothing was stored" in timed_out.json()["detail"]
    assert plan_count(client) == stored


def follow(client: TestClient, location: str, seen: list[dict[str, Any]]) -> dict[str, Any]:
    """Poll a version until it is stored or failed, keeping each answer."""
    deadline = time.monotonic() + 120
    while True:
        body = client.get(location, headers=ACME).json()
        seen.append(body)
        if body["status"] not in ("QUEUED", "SOLVING"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_without_waiting_the_version_status_reports_progress(client: TestClient) -> None:
    response = client.post(
        "/v1/plans", params={"wait": "false"}, json={"scenario_name": "kazakhstan-winter-2016"}, headers=ACME
    )
    assert response.status_code == 202
    accepted = response.json()
    assert accepted["status"] in ("QUEUED", "SOLVING") and accepted["plan"] is None
    location = response.headers["location"]
    assert location == f"/v1/plans/{accepted['id']}/versions/1"
    seen: list[dict[str, Any]] = []
    final = follow(client, location, seen)
    assert final["status"] == "OPTIMAL" and final["plan"]["status"] == "OPTIMAL"
    assert_checked(final)
    phases = {body["progress"]["phase"] for body in seen if body.get("progress")}
    assert phases & {"connections", "solving", "checking"}, phases
    solving = [b["progress"] for b in seen if b.get("progress") and b["progress"].get("solutions")]
    if solving:  # a fast machine may finish between two polls
        assert solving[-1]["objective"] >= solving[-1]["bound"]

    # A replan without waiting: while it computes, the same version cannot be replanned again.
    plan_id = accepted["id"]
    body = {
        "base_version": 1,
        "now": "2016-01-21T07:00:00+05:00",
        "events": bundled_events("aktau-airport-closed"),
    }
    response = client.post(f"/v1/plans/{plan_id}/replan", params={"wait": "false"}, json=body, headers=ACME)
    assert response.status_code == 202
    racing = client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME)
    assert racing.status_code == 409
    listed = client.get(f"/v1/plans/{plan_id}/versions", headers=ACME).json()
    # Version 2 is listed whether it is still computing or already stored.
    assert [v["version"] for v in listed] == [1, 2]
    assert listed[1]["status"] in ("QUEUED", "SOLVING", "OPTIMAL")
    second = follow(client, response.headers["location"], [])
    assert second["version"] == 2 and second["status"] == "OPTIMAL"
    assert_checked(second, previous=final["plan"])
    assert versions(client, plan_id) == [1, 2]


def test_a_failed_version_says_why_and_stores_nothing(client: TestClient) -> None:
    """A solve without a plan fails its version. (Out of time is no longer such a case: the
    greedy plan is the floor.) Here Pavlodar is required but no service or road reaches it."""
    before = plan_count(client)
    data = inline_three_cities()
    for seminar in data["seminars"]:
        if seminar["city"] == "pavlodar":
            seminar["required"] = True
    data["services"] = [s for s in data["services"] if all("PWQ" not in st["terminal"] for st in s["stops"])]
    data["services"] = [
        s for s in data["services"] if all(st["terminal"] != "pavlodar-rail" for st in s["stops"])
    ]
    data["roads"] = [r for r in data["roads"] if "pavlodar" not in (r["a"], r["b"])]
    response = client.post("/v1/plans", params={"wait": "false"}, json={"scenario": data}, headers=ACME)
    assert response.status_code == 202
    final = follow(client, response.headers["location"], [])
    assert final["status"] == "FAILED"
    assert final["error"]["status_code"] == 422, final["error"]
    assert "nothing was stored" in json.dumps(final["error"]["detail"])
    assert plan_count(client) == before
    assert client.get(f"/v1/plans/{final['id']}/versions/1", headers=RIVAL).status_code == 404
