"""Reliability reports over HTTP: the risk job in the real solver pool, stored with the version.

The reports are compared with what planner.risk gives in this process for the same samples (no
mocks); the pool, the database (a SQLite file, or PostgreSQL with PLANNER_TEST_DATABASE_URL) and
the plan page in a headless Chromium are the real ones.
"""

from __future__ import annotations

import json
import queue
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api import jobs
from api.app import create_app
from api.routers.risk import report_from_json
from planner.domain import SolverParams
from planner.risk.replay import Policy
from planner.risk.report import summarise
from planner.risk.runner import run_samples
from planner.scenario import load_risk, load_scenario, parse_text
from tests.api_support import (
    ACME,
    ACME_KEY,
    REPLAN_NOW,
    RIVAL,
    ROOT,
    TRAIN_CANCELLED,
    api_settings,
    running_server,
)

SCENARIO = ROOT / "scenarios" / "three-cities.yaml"
RISK = ROOT / "scenarios" / "risk" / "three-cities.yaml"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("risk"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def create(client: TestClient, **body: Any) -> Any:
    response = client.post("/v1/plans", json={"scenario_name": "three-cities", **body}, headers=ACME)
    assert response.status_code == 201, response.text
    return response.json()


def follow(client: TestClient | httpx.Client, location: str) -> Any:
    """The answer at ``location`` once it is no longer 202 (the run going)."""
    deadline = time.monotonic() + 300  # only against a hang: nothing asserted depends on speed
    while True:
        response = client.get(location, headers=ACME)
        if response.status_code != 202:
            return response
        body = response.json()
        assert body["status"] in ("QUEUED", "RUNNING") and body["report"] is None
        assert body["progress"]["samples_total"] == body["samples"]
        assert time.monotonic() < deadline, "the reliability run did not finish"
        time.sleep(0.05)


def risk_data() -> dict[str, Any]:
    data, _ = parse_text(RISK.read_text(encoding="utf-8"), str(RISK))
    assert isinstance(data, dict)
    return data


def service_params() -> SolverParams:
    """The solver settings the service gives a job on three-cities (api_settings: no binding limit)."""
    scenario = load_scenario(SCENARIO)
    return SolverParams.model_validate(
        scenario.solver.model_dump() | {"time_limit_s": 3600.0, "seed": scenario.solver.seed, "workers": 1}
    )


def expected_report(plan: dict[str, Any], samples: int, seed: int, policy: str) -> dict[str, Any]:
    scenario = load_scenario(SCENARIO)
    outcomes = run_samples(
        scenario, load_risk(RISK, scenario), plan, samples, seed, Policy(policy), 1, service_params()
    )
    report: dict[str, Any] = json.loads(
        json.dumps(summarise(scenario, plan, outcomes, seed, policy).to_json())
    )
    return report


@pytest.mark.parametrize(("policy", "samples", "seed"), [("replan", 12, 3), ("follow", 40, 0)])
def test_the_report_is_stored_and_equals_the_library_s(
    client: TestClient, policy: str, samples: int, seed: int
) -> None:
    created = create(client)
    plan_id = created["id"]
    path = f"/v1/plans/{plan_id}/versions/1/risk"
    assert client.get(path, headers=ACME).status_code == 404  # none yet

    started = client.post(path, json={"samples": samples, "seed": seed, "policy": policy}, headers=ACME)
    assert started.status_code == 202, started.text
    assert started.headers["location"] == path
    body = started.json()
    assert body["status"] in ("QUEUED", "RUNNING") and (body["samples"], body["seed"]) == (samples, seed)

    done = follow(client, path)
    assert done.status_code == 200, done.text
    stored = done.json()
    assert stored["status"] == "DONE" and stored["policy"] == policy
    assert stored["created_by"] == "acme/configured (configured key)"
    report = stored["report"]
    assert tie_order_free(report) == tie_order_free(expected_report(created["plan"], samples, seed, policy))
    assert sum(count for _, count in report["regions_histogram"]) == samples
    assert report["violations"] == 0
    # Stored with the version: read again, and as the report it was made from.
    assert client.get(path, headers=ACME).json() == stored
    assert report_from_json(report).to_json() == summarise_like(report)


def tie_order_free(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its fragile legs in one order for legs of equal share.

    summarise lists them by ``Counter.most_common``, which leaves legs of equal share in the order
    they were first counted: the order of a set of strings, which differs between processes
    (string hashing is salted per process), so the pool's process and this one may differ there.
    """
    return report | {"fragile_legs": sorted(report["fragile_legs"], key=lambda item: (-item[1], item[0]))}


def summarise_like(report: dict[str, Any]) -> dict[str, Any]:
    """The report's JSON with tuples where the dataclass keeps them (to_json keeps tuples)."""
    copy = dict(report)
    for name in ("fragile_legs", "fragile_cities", "regions_histogram"):
        copy[name] = tuple(tuple(item) for item in report[name])
    copy["worst"] = tuple(report["worst"])
    return copy


def test_the_job_reports_progress_and_running_estimates(monkeypatch: pytest.MonkeyPatch) -> None:
    """The job as the pool runs it, here: one progress report per sample, the last one the report's."""
    scenario = load_scenario(SCENARIO)
    plan_data = json.loads((ROOT / "tests" / "data" / "golden" / "three-cities.plan.json").read_text())
    reports: queue.Queue[Any] = queue.Queue()
    monkeypatch.setattr(jobs, "_progress_queue", reports)
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    options = {"time_limit_s": 3600.0, "seed": 0, "workers": 1}
    outcome = jobs.risk_job(data, risk_data(), plan_data, 25, 1, "follow", options, "job-1")
    assert outcome.error is None and outcome.report is not None
    seen = [reports.get_nowait() for _ in range(reports.qsize())]
    assert [token for token, _, _ in seen] == ["job-1"] * 25
    assert [details["samples_done"] for _, _, details in seen] == list(range(1, 26))
    assert {phase for _, phase, _ in seen} == {"sampling"}
    last = seen[-1][2]
    assert last["samples_total"] == 25
    assert last["regions_mean_so_far"] == round(outcome.report["regions"]["value"], 3)
    assert last["p_all_regions_so_far"] == round(outcome.report["all_regions"]["value"], 4)


def bad_risk() -> dict[str, Any]:
    data = risk_data()
    data["hazards"][0]["road"] = "atlantis-road"
    return data


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"samples": 0}, ["body", "samples"]),
        ({"samples": 5001}, ["body", "samples"]),
        ({"seed": -1}, ["body", "seed"]),
        ({"policy": "sometimes"}, ["body", "policy"]),
        ({"workers": 2}, ["body", "workers"]),
        ({"risk": "windy"}, ["body", "risk"]),
        ({"risk": bad_risk()}, ["body", "risk", "hazards", 0, "road"]),
        ({"risk": {"name": "x"}}, ["body", "risk", "hazards"]),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(
    client: TestClient, body: dict[str, Any], loc: list[Any]
) -> None:
    plan_id = create(client)["id"]
    response = client.post(f"/v1/plans/{plan_id}/versions/1/risk", json=body, headers=ACME)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert_nothing_stored(client, plan_id, 1)


def assert_nothing_stored(client: TestClient, plan_id: str, number: int) -> None:
    services = client.app.state.services  # type: ignore[attr-defined]
    assert services.store.risk_report(plan_id, number) is None
    assert services.risk_board.get(plan_id, number, "acme") is None
    assert client.get(f"/v1/plans/{plan_id}/versions/{number}/risk", headers=ACME).status_code == 404


def test_unknown_plans_versions_and_other_organisations_are_404(client: TestClient) -> None:
    plan_id = create(client)["id"]
    for path, headers in (
        ("/v1/plans/no-such-plan/versions/1/risk", ACME),
        (f"/v1/plans/{plan_id}/versions/9/risk", ACME),
        (f"/v1/plans/{plan_id}/versions/1/risk", RIVAL),  # another organisation's plan is not there
    ):
        assert client.post(path, json={}, headers=headers).status_code == 404, path
        assert client.get(path, headers=headers).status_code == 404, path
        assert client.get(path + ".svg", headers=headers).status_code == 404, path
    assert client.post(f"/v1/plans/{plan_id}/versions/0/risk", json={}, headers=ACME).status_code == 422
    assert client.post(f"/v1/plans/{plan_id}/versions/1/risk", json={}).status_code == 401
    assert_nothing_stored(client, plan_id, 1)


def test_a_replanned_version_is_refused(client: TestClient) -> None:
    plan_id = create(client)["id"]
    replanned = client.post(
        f"/v1/plans/{plan_id}/replan",
        json={"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]},
        headers=ACME,
    )
    assert replanned.status_code == 201, replanned.text
    response = client.post(f"/v1/plans/{plan_id}/versions/2/risk", json={}, headers=ACME)
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["path", "number"] and "before departure" in error["msg"]
    assert_nothing_stored(client, plan_id, 2)


def test_an_inline_scenario_needs_an_inline_risk_model(client: TestClient) -> None:
    scenario = json.loads(load_scenario(SCENARIO).model_dump_json(exclude_defaults=True))
    scenario["name"] = "my-own-trip"
    created = client.post("/v1/plans", json={"scenario": scenario}, headers=ACME)
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    path = f"/v1/plans/{plan_id}/versions/1/risk"
    response = client.post(path, json={}, headers=ACME)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "risk"]
    assert_nothing_stored(client, plan_id, 1)

    own = risk_data() | {"scenario": "my-own-trip"}
    started = client.post(path, json={"samples": 5, "policy": "follow", "risk": own}, headers=ACME)
    assert started.status_code == 202, started.text
    done = follow(client, path)
    assert done.status_code == 200 and done.json()["report"]["scenario"] == "my-own-trip"


def test_the_picture_route_draws_the_stored_report(client: TestClient) -> None:
    plan_id = create(client)["id"]
    path = f"/v1/plans/{plan_id}/versions/1/risk"
    assert client.post(path, json={"samples": 30, "policy": "follow"}, headers=ACME).status_code == 202
    report = follow(client, path).json()["report"]
    picture = client.get(path + ".svg", headers=ACME)
    assert picture.status_code == 200
    assert picture.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(picture.content)
    assert root.tag == f"{SVG}svg"
    bars = [g for g in root.iter(f"{SVG}g") if (g.get("id") or "").startswith("bar-")]
    assert len(bars) == len(report["regions_histogram"])


def test_a_second_run_while_one_is_going_is_409_and_the_newest_report_is_given(client: TestClient) -> None:
    plan_id = create(client)["id"]
    path = f"/v1/plans/{plan_id}/versions/1/risk"
    first = client.post(path, json={"samples": 80, "policy": "replan"}, headers=ACME)
    assert first.status_code == 202
    second = client.post(path, json={"samples": 5, "policy": "follow"}, headers=ACME)
    # The first may already be done on a fast machine: then the second starts.
    if second.status_code == 409:
        assert second.headers["location"] == path
        assert follow(client, path).json()["samples"] == 80
        second = client.post(path, json={"samples": 5, "policy": "follow"}, headers=ACME)
    assert second.status_code == 202
    newest = follow(client, path).json()
    assert (newest["samples"], newest["policy"]) == (5, "follow")


def test_the_plan_page_shows_the_reliability_section(tmp_path: Path) -> None:
    from tests.test_plan_page import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, browser_or_skip, policy_violations

    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with (
        running_server(tmp_path / "planner.db", PLANNER_SOLVER_PROCESSES="1") as base,
        httpx.Client(base_url=base, timeout=120) as http,
    ):
        created = http.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME)
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]
        path = f"/v1/plans/{plan_id}/versions/1/risk"
        assert http.post(path, json={"samples": 40, "policy": "follow"}, headers=ACME).status_code == 202
        report = follow(http, path).json()["report"]

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.extend(policy_violations([message.text])))
            page.goto(f"{base}/plans/{plan_id}")
            page.fill("#key", ACME_KEY)
            page.click("#key-entry button")
            page.wait_for_selector("#reliability[data-state='done']", timeout=60_000)
            shown = page.inner_text("#reliability")
            score = re.search(r"Reliability: ([0-9.]+) %", shown)
            assert score is not None, shown
            assert abs(float(score[1]) - report["all_regions"]["value"] * 100) <= 0.051  # to one decimal
            assert f"{report['regions']['value']:.2f}" in shown
            assert "back by the end" in shown.lower()
            for label, _ in report["fragile_legs"]:
                assert label.split(" ")[0] in shown  # each fragile leg's service
            assert page.locator("#reliability-picture svg g[id^='bar-']").count() == len(
                report["regions_histogram"]
            )
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("#reliability").screenshot(path=str(ARTIFACTS / "plan-page-reliability.png"))
            browser.close()
        assert errors == []
