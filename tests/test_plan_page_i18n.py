"""The plan page in English, Russian and Kazakh: one table of texts per language, every text of
the page in each, the language taken from the browser and, once chosen on the page, remembered.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_support import ACME, ROOT, running_server
from tests.test_plan_page import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    browser_or_skip,
    keep_screenshot,
    open_with_key,
    policy_violations,
)

PAGE = (ROOT / "api" / "static" / "plan.html").read_text(encoding="utf-8")
TABLES: dict[str, dict[str, str]] = {
    code: json.loads(table)
    for code, table in re.findall(
        r"<script type=\"application/json\" id=\"strings-(\w+)\" data-language=\"\w+\">(.*?)</script>",
        PAGE,
        re.S,
    )
}
SCRIPT = re.findall(r"<script>(.*?)</script>", PAGE, re.S)[0]
# The labels a person reads first: none may be left in English in another language.
MAIN = [
    "h_timeline", "h_route", "h_days", "days_note", "col_when", "col_what", "col_where", "h_versions",
    "h_reliability", "h_closure", "closure_kind", "closure_target", "closure_start", "closure_end",
    "closure_now", "closure_note", "closure_submit", "kind_terminal", "kind_road", "kind_city", "language",
]  # fmt: skip
# The page's text outside the pictures (drawn by the server) and the data tables.
PAGE_TEXT = """() => {
  const copy = document.body.cloneNode(true);
  for (const node of copy.querySelectorAll(".pictures, script, #language")) node.remove();
  return copy.textContent;
}"""


def placeholders(template: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", template))


def test_one_table_per_language_with_every_text() -> None:
    assert list(TABLES) == ["en", "ru", "kk"]
    english = TABLES["en"]
    used = set(re.findall(r"\bt\(\"(\w+)\"[,)]", SCRIPT)) | set(re.findall(r'data-t="(\w+)"', PAGE))
    used |= {f"mode_{mode}" for mode in ("flight", "train", "bus", "drive")} | {"airport", "station"}
    assert used <= set(english), used - set(english)
    for code, table in TABLES.items():
        assert set(table) == set(english), (code, set(table) ^ set(english))
        for name, template in table.items():
            assert template.strip() and placeholders(template) == placeholders(english[name]), (code, name)
    for name in [*MAIN, "key_label", "key_open", "seminar_in", "title", "not_found_title"]:
        assert TABLES["ru"][name] != english[name] and TABLES["kk"][name] != english[name], name
        assert re.search("[а-яА-ЯёЁ]", TABLES["ru"][name]) and re.search(
            "[а-яА-ЯәғқңөұүһіӘҒҚҢӨҰҮҺІ]", TABLES["kk"][name]
        )


def assert_in_language(page: Any, code: str) -> None:
    table, english = TABLES[code], TABLES["en"]
    assert page.get_attribute("html", "lang") == code
    for node in page.locator("[data-t]").all():
        name = node.get_attribute("data-t")
        assert node.text_content() == table[name], (code, name)
    text = page.evaluate(PAGE_TEXT)
    assert table["seminar_in"].split("{city}")[0].strip() in page.inner_text("#days")
    assert table["title"].split("{version}")[0].split("\u2014")[1].strip() in page.inner_text("#title")
    if code != "en":
        left = [english[name] for name in [*MAIN, "key_label", "key_open"] if english[name] in text]
        assert left == [], (code, left)
        for words in (
            "Seminar in",
            "version 1",
            "Day by day",
            "seminars,",
            "Last change by",
            "No reliability",
        ):
            assert words not in text, (code, words)


# Russian in the quick tier; English and Kazakh (the same page, other tables) in the slow one.
@pytest.mark.parametrize(
    ("locale", "code"),
    [
        pytest.param("en-GB", "en", marks=pytest.mark.slow),
        ("ru-RU", "ru"),
        pytest.param("kk-KZ", "kk", marks=pytest.mark.slow),
    ],
)
def test_plan_page_speaks_the_browsers_language(locale: str, code: str, tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    with running_server(tmp_path / "planner.db", PLANNER_SOLVER_PROCESSES="1") as base:
        created = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME, timeout=120
        )
        assert created.status_code == 201, created.text
        url = f"{base}/plans/{created.json()['id']}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            context = browser.new_context(locale=locale, viewport={"width": 1200, "height": 900})
            page = context.new_page()
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda error: console.append(f"page error: {error}"))
            page.goto(url)
            assert page.inner_text("#key-entry button") == TABLES[code]["key_open"]
            assert page.title() == TABLES[code]["page_title"]
            open_with_key(page, url)
            assert_in_language(page, code)
            assert page.evaluate("localStorage.length") == 0  # nothing kept until a language is chosen
            keep_screenshot(page, tmp_path, f"plan-page-{code}.png")

            # Chosen on the page: shown at once, and kept for the next visit and other tabs.
            other = {"en": "kk", "ru": "kk", "kk": "ru"}[code]
            page.select_option("#language", other)
            page.wait_for_function(f"document.documentElement.lang === '{other}'")
            page.wait_for_selector("body[data-version='1']")
            page.wait_for_function(
                "text => document.getElementById('title').textContent.includes(text)",
                arg=TABLES[other]["title"].split("{version}")[0].split("\u2014")[1].strip(),
            )
            assert_in_language(page, other)
            page.reload()
            page.wait_for_selector("body[data-version='1']", timeout=30_000)
            assert_in_language(page, other)
            tab = context.new_page()
            tab.goto(url)
            tab.wait_for_selector("#key-form:not(.hidden)")
            assert tab.inner_text("#key-entry button") == TABLES[other]["key_open"]
            browser.close()
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]
