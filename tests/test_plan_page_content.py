"""What the plan page says about a plan, in headless Chromium against a real server: places by
name (the "Where" of a seminar, a replan's changes), times local with their offsets, the closure
form's suggestions by kind and its short event ids, and an unknown plan said plainly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from planner.scenario import load_scenario
from tests.api_support import ACME, ROOT, running_server
from tests.test_plan_page import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    browser_or_skip,
    keep_screenshot,
    offline_page,
    open_with_key,
    policy_violations,
)

FLAGSHIP = load_scenario(ROOT / "scenarios" / "kazakhstan-winter-2016.yaml")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")  # a raw ISO time, as the API writes it
CITY_IDS = re.compile(r"(?<![\w-])(" + "|".join(re.escape(c.id) for c in FLAGSHIP.cities) + r")(?![\w-])")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(
        tmp_path_factory.mktemp("content") / "planner.db", PLANNER_SOLVER_PROCESSES="1"
    ) as base:
        yield base


def flagship_plan(server: str) -> tuple[str, dict[str, Any]]:
    created = httpx.post(
        f"{server}/v1/plans", json={"scenario_name": "kazakhstan-winter-2016"}, headers=ACME, timeout=300
    )
    assert created.status_code == 201, created.text
    return f"{server}/plans/{created.json()['id']}", created.json()["plan"]


def suggestions(page: Any, kind: str) -> dict[str, str]:
    page.select_option("#closure-kind", kind)
    values: dict[str, str] = page.eval_on_selector_all(
        "#targets option", "options => Object.fromEntries(options.map(o => [o.value, o.label]))"
    )
    return values


@pytest.mark.slow  # names in diffs are in the quick tier (reports_closures...)
def test_plan_page_names_places_and_suggests_by_kind(server: str, tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    url, plan = flagship_plan(server)
    regions = {r.id: r.name for r in FLAGSHIP.regions}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)
        open_with_key(page, url)

        # "Where" of a seminar: the city by name, then the regions it serves by name.
        rows = page.locator("#days tr", has=page.locator("td.seminar"))
        assert rows.count() == len(plan["seminars"])
        for row, seminar in zip(rows.all(), plan["seminars"], strict=True):
            where = row.locator("td.where").inner_text()
            names = ", ".join(regions[r] for r in seminar["regions"])
            assert where == f"{seminar['city_name']}\nregions: {names}"
        aktau = page.locator("#days tr", has=page.locator("td.seminar", has_text="Aktau")).locator("td.where")
        assert aktau.inner_text() == "Aktau\nregions: Mangystau Region"

        # The form suggests what the chosen kind closes, each by its name.
        terminals = suggestions(page, "terminal_closed")
        assert set(terminals) == {t.id for c in FLAGSHIP.cities for t in c.terminals}
        assert (
            terminals["SCO"] == "Aktau airport (SCO)"
            and terminals["astana-rail"] == "Astana station (astana-rail)"
        )
        cities = suggestions(page, "city_unavailable")
        assert cities == {c.id: c.name for c in FLAGSHIP.cities}
        roads = suggestions(page, "road_closed")
        assert set(roads) == {r.id for r in FLAGSHIP.roads}
        assert roads["astana-karaganda"] == "Astana \u2014 Karaganda"
        keep_screenshot(page, tmp_path, "plan-page-names.png")

        # An unknown plan id: only a plain "no such plan", no skeleton, no form.
        page.goto(f"{server}/plans/no-such-plan")
        page.wait_for_selector("body[data-state='not-found']", timeout=30_000)
        assert page.inner_text("#not-found h1") == "No such plan"
        assert "\u201cno-such-plan\u201d" in page.inner_text("#not-found")
        assert not page.locator("#plan").is_visible() and not page.locator("#closure").is_visible()
        assert not page.locator("#key-form").is_visible()
        keep_screenshot(page, tmp_path, "plan-page-no-such-plan.png")
        browser.close()
    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]


def local(iso: str) -> str:
    """ "2016-01-22T09:30:00+05:00" as the page writes it: "2016-01-22 09:30 (+05:00)"."""
    moment = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)(?::\d\d)?([+-]\d\d:\d\d)", iso)
    assert moment is not None, iso
    return f"{moment[1]} {moment[2]} ({moment[3]})"


def report_aktau_closure(page: Any, version: int) -> None:
    page.select_option("#closure-kind", "terminal_closed")
    page.fill("#closure-target", "SCO")
    page.fill("#closure-start", "2016-01-21T12:00+05:00")
    page.fill("#closure-end", "2016-01-23T12:00+05:00")
    page.fill("#closure-now", "2016-01-21T07:00+05:00")
    page.click("#closure-submit")
    page.wait_for_selector(f"body[data-version='{version}']", timeout=300_000)


def test_plan_page_reports_closures_with_short_ids_and_shows_changes_by_name(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    url, _ = flagship_plan(server)
    plan_id = url.rsplit("/", 1)[1]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)
        open_with_key(page, url)
        report_aktau_closure(page, 2)
        diff = page.inner_text("#version-2 .diff")
        said = httpx.get(f"{server}/v1/plans/{plan_id}/versions/2", headers=ACME, timeout=30).json()["plan"]
        # City names and local times with their offsets; no raw ISO time, no city id.
        names = {c.id: c.name for c in FLAGSHIP.cities}
        for moved in said["diff"]["seminars"]["moved"]:
            old, new = local(moved["old_start"]), local(moved["new_start"])
            assert f"moved: {names[moved['city']]} {old} \u2192 {new}" in diff
        for dropped in said["diff"]["seminars"]["dropped"]:
            assert f"dropped: {names[dropped['city']]} ({local(dropped['old_start'])})" in diff
        assert said["diff"]["legs"]["removed"], said["diff"]
        for leg in said["diff"]["legs"]["removed"]:
            assert f"{leg['service']} " in diff and local(leg["depart"]) in diff
        assert "Aktau (SCO)" in diff
        assert ISO_TIME.search(diff) is None and CITY_IDS.search(diff) is None, diff
        assert "as of 2016-01-21 07:00 (+05:00)" in page.inner_text("#version-2")

        # The same closure reported again: another short id, made unique.
        report_aktau_closure(page, 3)
        browser.close()
    versions = httpx.get(f"{server}/v1/plans/{plan_id}/versions", headers=ACME, timeout=30).json()
    ids = [[e["id"] for e in v["events"]] for v in versions]
    assert ids[1] == ["closure-aktau-airport-0121-1200"]
    assert ids[2][-1] == "closure-aktau-airport-0121-1200-2" and len(set(ids[2])) == len(ids[2])
    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]
