"""The key a person opens the plan page with: kept across restarts of `make serve`, and said so
when the server refuses it (a wrong key typed in, the key saved in the tab revoked since, or a
share link's token).

`planner keys create ... --keep-in FILE` (what `make serve` runs) reuses the key saved in FILE
while it is active for the same organisation and label, and otherwise makes a new one (revoking
the old with --replace) and saves it there, readable by its owner only, in a folder git ignores.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.api_support import ACME, ROOT, database_url, running_server
from tests.test_plan_page import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    browser_or_skip,
    keep_screenshot,
    offline_page,
    open_with_key,
    policy_violations,
)

SERVE_KEY = ["keys", "create", "acme", "--label", "make-serve", "--replace", "--keep-in"]


def planner(database: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PLANNER_DATABASE_URL": database_url(database)}
    command = [sys.executable, "-m", "api.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120)


@pytest.mark.slow  # two server starts; the page's side of a refused key is in the quick tier below
def test_make_serve_keeps_its_key_across_restarts(tmp_path: Path) -> None:
    database, kept = tmp_path / "planner.db", tmp_path / ".planner" / "make-serve.key"
    first = planner(database, *SERVE_KEY, kept)
    assert first.returncode == 0, first.stderr
    key = first.stdout.splitlines()[-1]
    assert "new, kept in" in first.stdout and kept.read_text().strip() == key
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert (kept.parent / ".gitignore").read_text().splitlines()[-1] == "*"

    # The next start finds the key still active: the same key, nothing revoked.
    again = planner(database, *SERVE_KEY, kept)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1] == key and "new" not in again.stdout
    listed = planner(database, "keys", "list").stdout.splitlines()
    assert len(listed) == 1 and listed[0].endswith("active")

    # Revoked (or a file holding something else): a new key, saved in its place.
    key_id = again.stdout.split()[1]
    assert planner(database, "keys", "revoke", key_id).returncode == 0
    renewed = planner(database, *SERVE_KEY, kept)
    assert renewed.returncode == 0 and "new, kept in" in renewed.stdout
    new_key = renewed.stdout.splitlines()[-1]
    assert new_key != key and kept.read_text().strip() == new_key

    # A key of another label is never taken for this one.
    other = planner(database, "keys", "create", "acme", "--label", "other", "--keep-in", kept)
    assert other.returncode == 0 and "new, kept in" in other.stdout

    # Without --keep-in, nothing is written: the key is shown once, as before.
    plain = planner(database, "keys", "create", "acme")
    assert plain.returncode == 0 and "shown only this once" in plain.stdout


def test_the_makefile_serves_with_the_kept_key() -> None:
    serve = (ROOT / "Makefile").read_text().split("\nserve:", 1)[1].split("\n\n", 1)[0]
    assert "--keep-in .planner/make-serve.key" in serve


@pytest.mark.slow  # a server, a revocation and a browser; a typed wrong key is in test_plan_page
def test_plan_page_says_the_saved_key_was_refused(tmp_path: Path) -> None:
    browser_or_skip()
    from playwright.sync_api import sync_playwright

    database, kept = tmp_path / "planner.db", tmp_path / ".planner" / "make-serve.key"
    made = planner(database, *SERVE_KEY, kept)
    assert made.returncode == 0, made.stderr
    key = made.stdout.splitlines()[-1]
    with running_server(database, PLANNER_SOLVER_PROCESSES="1") as base:
        body = {"scenario_name": "three-cities"}
        created = httpx.post(f"{base}/v1/plans", json=body, headers=ACME, timeout=120)
        assert created.status_code == 201, created.text
        url = f"{base}/plans/{created.json()['id']}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page, elsewhere, console = offline_page(browser, base)

            # A wrong key typed in: refused, with the status and the server's reason.
            page.goto(url)
            page.fill("#key", "dp_not-a-key-0123456789")
            page.click("#key-entry button")
            notice = page.locator("#key-error")
            notice.wait_for(state="visible", timeout=30_000)
            said = notice.inner_text()
            assert said.startswith("Wrong key: the planner refused it (401: unknown or revoked API key).")

            # A share link whose token the server does not know: said so, and a key asked for.
            page.goto(f"{url}?share=dps_not-a-token-0123456789")
            notice.wait_for(state="visible", timeout=30_000)
            assert notice.inner_text().startswith("The share link was refused (401: ")
            assert page.locator("#key-form").is_visible()

            # The make-serve key opens the plan, and still does after a restart's `keys create`.
            open_with_key(page, url, key)
            assert planner(database, *SERVE_KEY, kept).stdout.splitlines()[-1] == key
            page.reload()
            page.wait_for_selector("body[data-version='1']", timeout=30_000)
            assert not notice.is_visible()

            # Revoked since (a new key made in its place): the page says the saved key was refused.
            assert planner(database, "keys", "revoke", made.stdout.split()[1]).returncode == 0
            page.reload()
            notice.wait_for(state="visible", timeout=30_000)
            said = notice.inner_text()
            assert said.startswith("The key saved in this tab was refused (401: unknown or revoked API key).")
            assert "Enter a current key" in said
            assert page.locator("#key-form").is_visible() and not page.locator("#plan").is_visible()
            assert page.evaluate("sessionStorage.length") == 0
            keep_screenshot(page, tmp_path, "plan-page-saved-key-refused.png")
            browser.close()
    assert elsewhere == []
    assert policy_violations(console) == [] and not [m for m in console if m.startswith("page error")]
