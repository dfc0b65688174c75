"""Backups: each leg's best alternative if it is cancelled, real and kept by a replan."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from planner.backups import NO_ALTERNATIVE, cancellation
from planner.check import check_plan
from planner.connections import build_context
from planner.document import read_document
from planner.domain import Mode, Scenario
from planner.network import TransportNetwork
from planner.replan import replan
from planner.solve import plan
from tests.conftest import load

ROOT = Path(__file__).resolve().parent.parent


def _planned(name: str) -> tuple[Scenario, TransportNetwork, dict[str, Any]]:
    scenario = load(ROOT / "scenarios" / f"{name}.yaml")
    network = TransportNetwork.build(scenario)
    problem, result = plan(scenario, network=network)
    return scenario, network, result.to_document(scenario, problem.axis, network=network).to_json()


@pytest.fixture(scope="module")
def flagship_plan() -> tuple[Scenario, TransportNetwork, dict[str, Any]]:
    return _planned("kazakhstan-winter-2016")


@pytest.fixture(scope="module")
def small_plan() -> tuple[Scenario, TransportNetwork, dict[str, Any]]:
    return _planned("three-cities")


@pytest.fixture(params=["flagship_plan", "small_plan"])
def planned(request: pytest.FixtureRequest) -> tuple[Scenario, TransportNetwork, dict[str, Any]]:
    return request.getfixturevalue(request.param)


def test_every_leg_has_a_backup_or_says_there_is_none(planned):
    _, _, data = planned
    assert data["legs"]
    for leg in data["legs"]:
        backup = leg["backup"]
        if backup["legs"]:
            assert backup["arrive"] is not None
            assert backup["legs"][0]["from_city"] == leg["from_city"]
        else:
            assert backup["note"].startswith(NO_ALTERNATIVE) and not backup["keeps_seminar"]


def test_no_backup_uses_the_cancelled_run(planned):
    _, _, data = planned
    for leg in data["legs"]:
        for alternative in leg["backup"]["legs"]:
            if leg["mode"] == "drive":
                # The road is closed for the rest of that day.
                assert (
                    alternative["service"] != leg["service"]
                    or alternative["depart"][:10] > leg["depart"][:10]
                )
            else:
                assert (alternative["service"], alternative["run_date"]) != (leg["service"], leg["run_date"])


def test_the_checker_passes_the_backups(planned):
    scenario, _, data = planned
    assert check_plan(scenario, data) == []


def _replayed(
    scenario: Scenario, network: TransportNetwork, data: dict[str, Any], index: int
) -> dict[str, Any]:
    """The replan made when leg ``index`` is cancelled as it is due to depart."""
    document = read_document(data)
    leg = document.legs[index]
    event = cancellation(scenario, network.axis, leg)
    now = dt.datetime.fromisoformat(leg.depart)
    return replan(scenario, data, now, (event,), network=network).plan


def test_a_replan_after_the_cancellation_keeps_what_the_backup_keeps(flagship_plan, small_plan):
    """Where a backup says it keeps the seminar, the replanner (told of the cancellation at the
    leg's departure) holds that seminar too, at its planned start; two legs of each plan."""
    replayed = 0
    for scenario, network, data in (flagship_plan, small_plan):
        kept = [i for i, leg in enumerate(data["legs"]) if leg["backup"]["keeps_seminar"]][:2]
        for index in kept:
            backup = data["legs"][index]["backup"]
            new = _replayed(scenario, network, data, index)
            assert new["coverage"]["points"] >= data["coverage"]["points"]
            if backup["seminar_city"] is None:
                assert new["connections"][-1]["to_city"] == scenario.delegation.end_city
            else:
                planned_start = next(
                    s["start"]
                    for s in data["seminars"]
                    if s["city"] == backup["seminar_city"] and s["start"] > data["legs"][index]["depart"]
                )
                held = [s["start"] for s in new["seminars"] if s["city"] == backup["seminar_city"]]
                assert planned_start in held
            replayed += 1
    assert replayed >= 2


def test_the_checker_rejects_a_tampered_backup(flagship_plan):
    scenario, _, data = flagship_plan
    at_risk = next(i for i, leg in enumerate(data["legs"]) if "too late" in leg["backup"]["note"])
    claimed = copy.deepcopy(data)
    claimed["legs"][at_risk]["backup"]["keeps_seminar"] = True
    where = [(v.rule, v.where) for v in check_plan(scenario, claimed)]
    assert where == [("backup_legs", f"legs.{at_risk}.backup.keeps_seminar")]

    ride = next(i for i, leg in enumerate(data["legs"]) if leg["mode"] != "drive" and leg["backup"]["legs"])
    same_run = copy.deepcopy(data)
    cancelled = same_run["legs"][ride]
    first = same_run["legs"][ride]["backup"]["legs"][0]
    first.update({k: cancelled[k] for k in ("mode", "service", "from", "to", "to_city", "depart", "arrive")})
    first["run_date"] = cancelled["run_date"]
    found = [v for v in check_plan(scenario, same_run) if v.rule == "backup_legs"]
    assert any(v.where == f"legs.{ride}.backup.legs.0" and "cancelled run" in v.message for v in found)


def test_a_replanned_version_has_backups_only_from_now(flagship_plan):
    scenario, network, data = flagship_plan
    now = dt.datetime.fromisoformat("2016-01-25T18:00+05:00")
    new = replan(scenario, data, now, network=network, backups=True).plan
    assert check_plan(scenario, new, previous=data, now=now) == []
    for leg in new["legs"]:
        assert ("backup" in leg) == (dt.datetime.fromisoformat(leg["depart"]) >= now)
    assert any("backup" in leg for leg in new["legs"])


def test_a_plan_without_backups_still_reads_and_dumps_the_same(flagship_plan):
    _, _, data = flagship_plan
    older = copy.deepcopy(data)
    for leg in older["legs"]:
        del leg["backup"]
    document = read_document(older)
    assert all(leg.backup is None for leg in document.legs)
    assert document.to_json() == older


def test_the_plan_page_shows_each_legs_backup(tmp_path: Path) -> None:
    """In a real browser: one backup line under every leg of the day-by-day table."""
    import httpx

    from tests.api_support import ACME, ACME_KEY, running_server
    from tests.test_plan_page import CHROMIUM, CHROMIUM_FLAGS, browser_or_skip

    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with running_server(tmp_path / "planner.db") as base:
        created = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME, timeout=120
        )
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]
        legs = httpx.get(f"{base}/v1/plans/{plan_id}/versions/1", headers=ACME).json()["plan"]["legs"]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.goto(f"{base}/plans/{plan_id}")
            page.fill("#key", ACME_KEY)
            page.click("#key-entry button")
            page.wait_for_selector("body[data-version='1']", timeout=30_000)
            shown = page.locator("#days .backup").all_inner_texts()
            browser.close()
    assert legs and len(shown) == len(legs)
    assert all(text.startswith("If cancelled: ") for text in shown)
    notes = [leg["backup"]["note"] for leg in legs]
    assert all(any(text.endswith(note) for text in shown) for note in notes)


def test_a_cancellation_context_is_the_context_compiled_from_scratch(flagship_plan):
    """Each backup's search context, derived from the plan's by recompiling only the cancelled
    service, holds the same rides, in the same order, as one compiled whole under that overlay."""
    scenario, network, data = flagship_plan
    document = read_document(data)
    base = build_context(network, network.overlay(document.events))
    for leg in document.legs:
        event = cancellation(scenario, network.axis, leg)
        overlay = network.overlay((*document.events, event))
        derived = base.with_cancellation(overlay, set() if leg.mode == Mode.DRIVE else {leg.service})
        whole = build_context(network, overlay)
        assert derived.rides == whole.rides
        assert derived.ride_by_key == whole.ride_by_key
        assert derived.overlay == whole.overlay
        changed = [board for board in whole.rides if whole.rides[board] != base.rides[board]]
        assert (changed != []) == (leg.mode != Mode.DRIVE)  # a cancelled run is gone from its ride
