"""The plan page in a real headless Chromium against a real server: read, report, see version 2.

Needs Debian's chromium (``/usr/bin/chromium``), which ``.ci/run`` installs. Without it
the test is skipped, unless PLANNER_REQUIRE_BROWSER=1 (set in CI) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

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
            assert "aktau" in diff
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
