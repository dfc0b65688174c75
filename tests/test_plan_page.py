"""The plan page and the API docs in a real headless Chromium against a real server.

The plan page: read, report, see version 2; a wrong key said so; the key kept for the tab
only. More of the page in test_plan_page_*.py: keys, names, phones and languages; the helpers
they share (opening a plan with a key, screenshots kept in test-artifacts/) are here. The docs:
Swagger UI and ReDoc with every other host out of reach. No page may break its
Content-Security-Policy.

Needs Debian's chromium (``/usr/bin/chromium``), which ``.ci/run`` installs. Without it
the test is skipped, unless PLANNER_REQUIRE_BROWSER=1 (set in CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_support import ACME, ACME_KEY, ROOT, running_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "out" / "artifacts"
# The flags a root, offline CI machine needs: no sandbox, no GPU, no calls home.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# Screenshots CI keeps: copied here from each test's own tmp path (the folder ignores itself in git).
KEPT_ARTIFACTS = ROOT / "test-artifacts"


def keep_screenshot(page: Any, tmp_path: Path, name: str, *, full_page: bool = True) -> Path:
    """A screenshot under the test's tmp path, copied to test-artifacts/ for CI to keep."""
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=full_page)
    KEPT_ARTIFACTS.mkdir(exist_ok=True)
    ignore = KEPT_ARTIFACTS / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# screenshots of the browser tests, kept by CI\n*\n", encoding="utf-8")
    shutil.copyfile(shot, KEPT_ARTIFACTS / name)
    return shot


def open_with_key(page: Any, url: str, key: str = ACME_KEY, version: int = 1) -> None:
    """Open the plan page at ``url``, enter ``key`` and wait for the plan's ``version``."""
    page.goto(url)
    page.fill("#key", key)
    page.click("#key-entry button")
    page.wait_for_selector(f"body[data-version='{version}']", timeout=60_000)


def browser_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("PLANNER_REQUIRE_BROWSER") == "1":
        pytest.fail(f"no Chromium at {CHROMIUM}; .ci/run installs Debian's chromium package")
    pytest.skip("no Chromium on this machine (apt-get install chromium)")


def test_plan_page_reports_a_closure_and_shows_version_2(tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with running_server(tmp_path / "planner.db") as base:
        created = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": "kazakhstan-winter-2016"}, headers=ACME, timeout=120
        )
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", lambda message: errors.extend(policy_violations([message.text])))
            page.goto(f"{base}/plans/{plan_id}")

            # First visit: the page asks for the key, then shows version 1.
            page.fill("#key", ACME_KEY)
            page.click("#key-entry button")
            page.wait_for_selector("body[data-version='1']", timeout=30_000)
            assert "version 1" in page.inner_text("#title")
            table = page.inner_text("#days")
            assert "Seminar in Aktau" in table and "+05:00" in table and "+06:00" in table

            # Icing closes Aktau airport: report it as the coordinator would.
            page.select_option("#closure-kind", "terminal_closed")
            page.fill("#closure-target", "SCO")
            page.fill("#closure-start", "2016-01-21T12:00+05:00")
            page.fill("#closure-end", "2016-01-23T12:00+05:00")
            page.fill("#closure-now", "2016-01-21T07:00+05:00")
            page.fill("#closure-note", "icing")
            page.click("#closure-submit")
            page.wait_for_selector("body[data-version='2']", timeout=60_000)

            assert "version 2" in page.inner_text("#title")
            diff = page.inner_text("#version-2 .diff")
            assert "change(s) against the version before" in diff
            assert "Aktau" in diff and "SCO" in diff
            assert page.locator("#version-2 .diff .removed-leg").count() >= 1
            assert "Version 2 stored" in page.inner_text("#message")
            # The pictures of version 2: the closed airport on the map, the closure on the timeline.
            assert page.locator("#map svg #closed-terminal-SCO").count() == 1
            assert page.locator("#timeline svg .disruption").count() >= 1
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "plan-page-version-2.png"), full_page=True)
            browser.close()
        assert errors == []

        # The page changed what the API says: version 2 holds the reported closure.
        versions = httpx.get(f"{base}/v1/plans/{plan_id}/versions", headers=ACME).json()
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[1]["events"][0]["terminal"] == "SCO"
    assert (ARTIFACTS / "plan-page-version-2.png").stat().st_size > 10_000


def policy_violations(messages: list[str]) -> list[str]:
    """Console messages saying the page's Content-Security-Policy stopped something."""
    return [m for m in messages if "Content Security Policy" in m]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(
        tmp_path_factory.mktemp("browser") / "planner.db", PLANNER_SOLVER_PROCESSES="1"
    ) as base:
        yield base


def offline_page(browser: Any, base: str) -> tuple[Any, list[str], list[str]]:
    """A page that can reach the server and nothing else; the requests it tried elsewhere,
    and its console messages."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    server_host = urllib.parse.urlsplit(base).netloc
    elsewhere: list[str] = []
    console: list[str] = []

    def only_the_server(route: Any) -> None:
        url = route.request.url
        if urllib.parse.urlsplit(url).netloc == server_host or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", only_the_server)
    page.on("console", lambda message: console.append(message.text))
    page.on("pageerror", lambda error: console.append(f"page error: {error}"))
    return page, elsewhere, console


def test_docs_work_offline_and_a_newcomer_can_authorize(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)

        # The README's path: open /docs, Authorize with the key, try a route.
        page.goto(f"{server}/docs")
        page.wait_for_selector(".opblock-summary-path[data-path='/v1/plans']", timeout=30_000)
        assert page.locator(".opblock").count() >= 9
        page.click("button.authorize")
        page.fill(".modal-ux input", ACME_KEY)
        page.click(".modal-ux button.authorize")
        page.click(".modal-ux button.btn-done")
        scenarios = page.locator("#operations-scenarios-list_scenarios_v1_scenarios_get")
        scenarios.locator(".opblock-summary").click()
        scenarios.locator("button.try-out__btn").click()
        scenarios.locator("button.execute").click()
        status = scenarios.locator(".live-responses-table tr.response td.response-col_status").first
        status.wait_for(timeout=30_000)
        assert status.inner_text().strip().startswith("200")
        assert "kazakhstan-winter-2016" in scenarios.locator(".live-responses-table").inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "docs-offline.png"))

        page.goto(f"{server}/redoc")
        page.wait_for_selector(".api-content h2:has-text('Create a plan')", timeout=30_000)
        assert page.locator(".menu-content li").count() >= 9
        page.screenshot(path=str(ARTIFACTS / "redoc-offline.png"))
        browser.close()

    assert elsewhere == []
    # ReDoc's bundle shows its maker's logo from cdn.redoc.ly; the policy stops that request
    # before it is made (and ReDoc hides the missing image). Nothing else may be stopped.
    stopped = [m for m in policy_violations(console) if "cdn.redoc.ly/redoc/logo-mini.svg" not in m]
    assert stopped == [] and not [m for m in console if m.startswith("page error")], console


def test_plan_page_says_wrong_key_and_keeps_the_key_for_the_tab_only(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    created = httpx.post(
        f"{server}/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME, timeout=120
    )
    assert created.status_code == 201, created.text
    url = f"{server}/plans/{created.json()['id']}"
    key_name = "delegation-planner-key"

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)
        page.goto(url)
        page.fill("#key", "not-the-key-0123456789")
        page.click("#key-entry button")
        notice = page.locator("#key-error")
        notice.wait_for(state="visible", timeout=30_000)
        assert "Wrong key" in notice.inner_text()
        assert page.locator("#key-form").is_visible() and page.input_value("#key") == ""
        assert page.evaluate(f"sessionStorage.getItem('{key_name}')") is None

        page.fill("#key", ACME_KEY)
        page.click("#key-entry button")
        page.wait_for_selector("body[data-version='1']", timeout=30_000)
        assert not notice.is_visible() and "version 1" in page.inner_text("#title")
        assert page.evaluate(f"sessionStorage.getItem('{key_name}')") == ACME_KEY
        assert page.evaluate("localStorage.length") == 0

        # A key an earlier version of the page left in localStorage is forgotten; the tab's
        # own key still opens the plan after a reload.
        page.evaluate(f"localStorage.setItem('{key_name}', '{ACME_KEY}')")
        page.reload()
        page.wait_for_selector("body[data-version='1']", timeout=30_000)
        assert page.evaluate("localStorage.length") == 0

        # Another tab does not have the key: it asks for it.
        other, _, _ = offline_page(browser, server)
        other.goto(url)
        other.wait_for_selector("#key-form:not(.hidden)", timeout=30_000)
        assert other.evaluate(f"sessionStorage.getItem('{key_name}')") is None
        browser.close()

    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]


def test_plan_page_switches_between_teams(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    created = httpx.post(
        f"{server}/v1/plans", json={"scenario_name": "three-cities-two-teams"}, headers=ACME, timeout=120
    )
    assert created.status_code == 201, created.text
    plan = created.json()["plan"]
    by_id = {team["id"]: team for team in plan["teams"]}

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)
        page.goto(f"{server}/plans/{created.json()['id']}")
        page.fill("#key", ACME_KEY)
        page.click("#key-entry button")
        page.wait_for_selector("body[data-version='1']", timeout=30_000)
        assert "2 teams" in page.inner_text("#summary")
        assert page.inner_text("#teams-formed") == ""  # fixed teams: nothing formed
        assert page.locator("#teams button").count() == 2
        for team_id in ("west", "east"):
            team = by_id[team_id]
            page.click(f"#teams button[data-team='{team_id}']")
            assert page.get_attribute(f"#teams button[data-team='{team_id}']", "aria-pressed") == "true"
            assert team["name"] in page.inner_text("#days-team")
            table = page.inner_text("#days")
            for seminar in team["plan"]["seminars"]:
                assert f"Seminar in {seminar['city_name']}" in table
            others = [s for t in plan["teams"] if t["id"] != team_id for s in t["plan"]["seminars"]]
            for seminar in others:
                assert f"Seminar in {seminar['city_name']}" not in table
            members = page.inner_text("#team-members")
            assert all(member["name"] in members for member in team["members"])
        # The pictures draw every team (one colour each on the map, a block each on the timeline).
        page.wait_for_selector("#map svg", timeout=30_000)
        assert all(team["name"] in page.inner_text("#map") for team in plan["teams"])
        assert page.locator("#timeline svg").count() == 1
        costs = page.inner_text("#costs")
        assert "In all:" in costs and "KZT" in costs and "within the budget" in costs
        # A member's own calendar downloads with the tab's key.
        with page.expect_download() as download:
            page.locator("#team-members button").first.click()
        saved = download.value.path()
        assert Path(saved).read_bytes().startswith(b"BEGIN:VCALENDAR")
        page.screenshot(path=str(ARTIFACTS / "plan-page-teams.png"), full_page=True)
        browser.close()

    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]


def test_plan_page_says_how_the_teams_were_formed(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    created = httpx.post(
        f"{server}/v1/plans", json={"scenario_name": "three-cities-formed-teams"}, headers=ACME, timeout=120
    )
    assert created.status_code == 201, created.text
    forming = created.json()["plan"]["forming"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)
        page.goto(f"{server}/plans/{created.json()['id']}")
        page.fill("#key", ACME_KEY)
        page.click("#key-entry button")
        page.wait_for_selector("body[data-version='1']", timeout=30_000)
        said = page.inner_text("#teams-formed")
        assert f"the best of {forming['splits']} distinct splits" in said
        assert page.locator("#teams button").count() == 2
        browser.close()
    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]


def test_plan_page_says_who_joins_a_team_en_route_and_her_own_legs(server: str) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    created = httpx.post(
        f"{server}/v1/plans", json={"scenario_name": "three-cities-joining"}, headers=ACME, timeout=120
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    east = next(team for team in created.json()["plan"]["teams"] if team["id"] == "east")
    assert east["joiner"]["at"] == "2016-01-20T09:30:00+06:00" and east["joiner"]["plan"]["legs"] == []

    def from_astana(route: Any) -> None:
        """The stored plan as the page reads it, the officer's home moved to Astana with a drive
        of her own the day before (her legs as the planner writes a joiner's)."""
        response = route.fetch()
        body = response.json()
        joiner = next(team for team in body["plan"]["teams"] if team["id"] == "east")["joiner"]
        joiner["home_city"] = "astana"
        joiner["plan"]["legs"] = [
            {
                **east["plan"]["legs"][0],
                **{"mode": "drive", "service": "astana-pavlodar", "from": "astana", "to": "pavlodar"},
                **{"from_city": "astana", "to_city": "pavlodar", "minutes": 420},
                **{"depart": "2016-01-18T08:00+06:00", "arrive": "2016-01-18T15:00+06:00"},
            }
        ]
        route.fulfill(response=response, json=body)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        page, elsewhere, console = offline_page(browser, server)
        page.goto(f"{server}/plans/{plan_id}")
        page.fill("#key", ACME_KEY)
        page.click("#key-entry button")
        page.wait_for_selector("body[data-version='1']", timeout=30_000)
        page.click("#teams button[data-team='east']")
        said = page.inner_text("#team-joiner")
        assert said == (
            "UNDP officer A joins the team in Pavlodar on 2016-01-20 09:30 (+06:00), from home in Pavlodar "
            "(no travel to get there)."
        )
        assert page.locator("#team-joiner table").count() == 0
        # The pictures draw her too: her line in the map's legend, the join on the timeline.
        assert page.locator("#map svg #team-legend-east-joiner").count() == 1
        assert page.locator("#timeline svg #joins-east").count() == 1
        page.click("#teams button[data-team='west']")
        assert page.inner_text("#team-joiner") == ""

        # A joiner who travels: her own legs under the line, city names and local times.
        page.route(f"**/v1/plans/{plan_id}", from_astana)
        page.reload()
        page.wait_for_selector("body[data-version='1']", timeout=30_000)
        page.click("#teams button[data-team='east']")
        said = page.inner_text("#team-joiner .joiner-line")
        assert said.startswith("UNDP officer A joins the team in Pavlodar on 2016-01-20 09:30 (+06:00)")
        assert "from home in Astana" in said
        rows = page.locator("#team-joiner table tr")
        assert rows.count() == 2
        cells = rows.nth(1).locator("td").all_inner_texts()
        assert cells == [
            "drive",
            "astana-pavlodar",
            "Astana",
            "Pavlodar",
            "2016-01-18 08:00 (+06:00)",
            "2016-01-18 15:00 (+06:00)",
        ]
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "plan-page-joiner.png"), full_page=True)
        browser.close()

    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]
