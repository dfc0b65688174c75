"""The plan page on a phone (390x844 CSS pixels, device scale 3, touch): nothing wider than the
screen, the day-by-day text readable in place, the pictures scrolled on their own.

Headless Debian Chromium against a real server, as in tests/test_plan_page.py. The screenshots
are kept under the test's tmp path and in test-artifacts/ for CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.api_support import ACME, running_server
from tests.test_plan_page import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    KEPT_ARTIFACTS,
    browser_or_skip,
    keep_screenshot,
    open_with_key,
    policy_violations,
)

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}

# Every element sticking out past the right edge of the screen, unless a box of its own scrolls
# or clips it sideways (the pictures'): what would make the whole page scroll sideways.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const contained = (node) => {
    for (let up = node.parentElement; up; up = up.parentElement) {
      if (["auto", "scroll", "hidden"].includes(getComputedStyle(up).overflowX)) return true;
    }
    return false;
  };
  const out = [];
  for (const node of document.body.querySelectorAll("*")) {
    const box = node.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if ((box.right > width + 1 || box.left < -1) && !contained(node)) {
      out.push(node.tagName + "#" + node.id + " right " + Math.round(box.right));
    }
  }
  return { width, scrollWidth: document.documentElement.scrollWidth, out };
}"""


def assert_fits(page: Any) -> None:
    fit = page.evaluate(OVERFLOWING)
    assert fit["width"] == 390, fit
    assert fit["scrollWidth"] <= fit["width"], fit
    assert fit["out"] == [], fit["out"]


def assert_on_screen(page: Any, selector: str) -> None:
    """Shown, within the screen's width, in letters of at least 12 CSS pixels."""
    target = page.locator(selector).first
    assert target.is_visible(), selector
    box = target.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    size = target.evaluate("node => parseFloat(getComputedStyle(node).fontSize)")
    assert size >= 12, (selector, size)


def test_plan_page_fits_a_phone(tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with running_server(tmp_path / "planner.db", PLANNER_SOLVER_PROCESSES="1") as base:
        created = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": "kazakhstan-winter-2016"}, headers=ACME, timeout=120
        )
        assert created.status_code == 201, created.text
        url = f"{base}/plans/{created.json()['id']}"

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            context = browser.new_context(**PHONE, locale="en-GB")
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            page.goto(url)
            page.wait_for_selector("#key-form:not(.hidden)")
            assert_fits(page)
            assert_on_screen(page, "#key-entry button")
            keep_screenshot(page, tmp_path, "plan-page-phone-key.png")

            open_with_key(page, url)
            assert_fits(page)
            for shown in ("#title", "#days td.seminar", "#days td.when", "#days td.where", "#closure-submit"):
                assert_on_screen(page, shown)
            seminar = page.locator("#days td.seminar", has_text="Seminar in Aktau")
            assert seminar.count() == 1 and seminar.is_visible()
            # On a phone each row of the day-by-day table is a card: time, what, where one under another.
            row = seminar.locator("xpath=..")
            when, what = row.locator("td.when").bounding_box(), seminar.bounding_box()
            assert when is not None and what is not None and what["y"] >= when["y"] + when["height"] - 1
            # The timeline keeps a readable scale and scrolls inside its own box.
            timeline = page.locator("#timeline svg")
            timeline.wait_for()
            box = page.locator("#timeline").bounding_box()
            drawn = timeline.bounding_box()
            assert box is not None and drawn is not None
            assert box["width"] <= 390 and drawn["width"] >= 700
            assert page.evaluate("document.getElementById('timeline').scrollWidth") > box["width"]
            shot = keep_screenshot(page, tmp_path, "plan-page-phone.png")
            context.close()
            browser.close()

    assert shot.stat().st_size > 10_000
    assert (KEPT_ARTIFACTS / "plan-page-phone.png").read_bytes() == shot.read_bytes()
    assert (KEPT_ARTIFACTS / ".gitignore").read_text().splitlines()[-1] == "*"
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]
