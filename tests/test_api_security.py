"""Hardening of the HTTP service: offline docs, security headers, rate limits, the solver
share of an organisation, and request bodies that are not UTF-8.

Rate limits are tested on a clock the test moves by hand, so what is asserted never
depends on how fast the machine is.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import RateLimits, TokenBuckets
from tests.api_support import ACME, ACME_KEY, RIVAL, RIVAL_KEY, api_settings, running_server

SECOND_ACME_KEY = "acme-second-0123456789abcdef"
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("security"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@contextmanager
def limited_client(tmp_path: Path, clock: FakeClock, **overrides: Any) -> Iterator[TestClient]:
    """A client whose app counts requests on ``clock``."""
    settings = api_settings(tmp_path, **overrides)
    app = create_app(settings)
    with TestClient(app) as test_client:
        app.state.services.limits = RateLimits(settings, clock=clock)
        yield test_client


# --- 7. the docs work offline ------------------------------------------------------------


def references(html: str) -> list[str]:
    return re.findall(r"""(?:src|href|spec-url)\s*=\s*["']([^"']+)["']""", html) + re.findall(
        r"""url:\s*['"]([^'"]+)['"]""", html
    )


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_everything_from_this_server(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"https?://", html), "the page names another host"
    found = references(html)
    assert "/openapi.json" in found
    assets = [url for url in found if url != "/openapi.json"]
    assert assets and all(url.startswith("/static/docs/") for url in assets), found
    expected = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    for url in assets:
        asset = client.get(url)
        assert asset.status_code == 200, url
        kind = expected[Path(url).suffix]
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert len(asset.content) > 1000
    assert client.get("/openapi.json").status_code == 200


def test_root_leads_to_the_offline_docs(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307) and response.headers["location"] == "/docs"


# --- 8. security headers -----------------------------------------------------------------


def assert_secured(response: httpx.Response) -> str:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers)
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert response.headers.get_list("x-content-type-options") == ["nosniff"]
    return policy


def inline_script_hashes(html: str) -> list[str]:
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in re.findall(r"<script>(.*?)</script>", html, re.DOTALL)
    ]


def test_every_answer_carries_the_security_headers(client: TestClient) -> None:
    answers = [
        client.get("/v1/health"),
        client.get("/v1/scenarios", headers=ACME),
        client.get("/v1/scenarios"),  # 401
        client.get("/v1/plans/nope", headers=ACME),  # 404
        client.post("/v1/plans", json={"scenario_name": "atlantis"}, headers=ACME),  # 422
        client.post("/v1/plans", content=b"x" * 400_000, headers=ACME),  # 413
        client.get("/openapi.json"),
        client.get("/static/docs/swagger-ui.css"),
        client.get("/nowhere"),
    ]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 422, 413, 200, 200, 404]
    for answer in answers:
        policy = assert_secured(answer)
        assert policy.startswith("default-src 'none'")


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/plans/some-plan"])
def test_pages_allow_only_their_own_scripts(client: TestClient, page: str) -> None:
    response = client.get(page)
    policy = assert_secured(response)
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["connect-src"] == "'self'"
    assert "unsafe-eval" not in policy and "http" not in policy and "*" not in policy
    script_sources = directives["script-src"].split()
    assert "'unsafe-inline'" not in script_sources
    # Each inline script is allowed by its hash, and nothing else inline.
    hashes = inline_script_hashes(response.text)
    assert sorted(s for s in script_sources if s.startswith("'sha256-")) == sorted(hashes)
    if page.startswith("/plans/"):
        assert len(hashes) == 1


def test_a_real_server_names_no_software_and_sends_the_headers(tmp_path: Path) -> None:
    with running_server(tmp_path / "planner.db", PLANNER_SOLVER_PROCESSES="1") as base:
        for path, headers in (("/v1/health", {}), ("/v1/plans", ACME), ("/docs", {}), ("/v1/plans", {})):
            response = httpx.get(base + path, headers=headers, timeout=30)
            assert "server" not in response.headers, response.headers
            assert_secured(response)


# --- 8. bodies that are not UTF-8 ---------------------------------------------------------


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_a_body_that_is_not_utf8_is_422_naming_the_body(client: TestClient, content_type: str | None) -> None:
    before = len(client.get("/v1/plans", headers=ACME).json())
    headers = dict(ACME)
    if content_type:
        headers["content-type"] = content_type
    latin1 = '{"scenario_name": "three-cities", "note": "Almaty café"}'.encode("latin-1")
    response = client.post("/v1/plans", content=latin1, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body"]
    assert "not UTF-8" in error["msg"] and "0xe9" in error["msg"]
    assert len(client.get("/v1/plans", headers=ACME).json()) == before

    utf16 = '{"scenario_name": "three-cities"}'.encode("utf-16")
    response = client.post("/v1/whatif", content=utf16, headers=headers)
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["body"]


def test_openapi_documents_422_and_429_with_retry_after(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    keyed = 0
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if not operation.get("security"):
                continue
            keyed += 1
            assert "429" in operation["responses"], (method, path)
            assert "Retry-After" in operation["responses"]["429"]["headers"], (method, path)
            if "requestBody" in operation:
                assert "422" in operation["responses"], (method, path)
    assert keyed >= 9


# --- 8. rate limits -----------------------------------------------------------------------


def test_each_key_and_each_organisation_has_a_rate(tmp_path: Path) -> None:
    clock = FakeClock()
    keys = f"acme:{ACME_KEY},acme:{SECOND_ACME_KEY},rival:{RIVAL_KEY}"
    second = {"Authorization": f"Bearer {SECOND_ACME_KEY}"}
    with limited_client(tmp_path, clock, api_keys=keys, rate_per_key=5, rate_per_organisation=8) as client:
        assert [client.get("/v1/scenarios", headers=ACME).status_code for _ in range(5)] == [200] * 5
        over = client.get("/v1/scenarios", headers=ACME)
        assert over.status_code == 429
        assert over.headers["retry-after"] == "12"  # 5 a minute: one back every 12 s
        assert "this API key" in over.json()["detail"]
        assert_secured(over)

        # The organisation's other key has its own rate, but they share the organisation's 8.
        assert [client.get("/v1/plans", headers=second).status_code for _ in range(3)] == [200] * 3
        over = client.get("/v1/plans", headers=second)
        assert over.status_code == 429 and "organisation 'acme'" in over.json()["detail"]
        assert int(over.headers["retry-after"]) >= 1
        # Another organisation is not held back.
        assert client.get("/v1/scenarios", headers=RIVAL).status_code == 200
        # The health check needs no key and has no rate.
        assert all(client.get("/v1/health").status_code == 200 for _ in range(20))

        clock.now += 12  # one request's worth for the key and for the organisation
        assert client.get("/v1/scenarios", headers=ACME).status_code == 200
        assert client.get("/v1/scenarios", headers=ACME).status_code == 429
        clock.now += 60  # a full minute: a full burst again
        assert [client.get("/v1/scenarios", headers=ACME).status_code for _ in range(5)] == [200] * 5


def test_guessing_keys_from_one_address_gets_429(tmp_path: Path) -> None:
    """300 wrong keys at 134 a second (the defaults: 30 failures a minute per address)."""
    clock = FakeClock()
    with limited_client(tmp_path, clock) as client:
        answers = []
        for attempt in range(300):
            clock.now += 1 / 134
            guess = {"Authorization": f"Bearer guess-{attempt:04d}-0123456789abcdef"}
            answers.append(client.get("/v1/plans", headers=guess))
        codes = [a.status_code for a in answers]
        assert codes[:30] == [401] * 30
        # Over those 2.2 s one more failure is allowed (30 a minute), and no more.
        assert codes.count(401) <= 32 and codes.count(429) >= 268
        assert set(codes) == {401, 429}
        blocked = answers[-1]
        assert int(blocked.headers["retry-after"]) >= 1 and "unknown keys" in blocked.json()["detail"]
        # While the address is blocked, no key is even looked up: a guess that would be right
        # tells nothing either.
        assert client.get("/v1/plans", headers=ACME).status_code == 429
        # A request without any key is no guess: it is told to send one.
        assert client.get("/v1/plans").status_code == 401
        clock.now += 2  # one failure's worth back (one every 2 s)
        assert client.get("/v1/plans", headers=ACME).status_code == 200


def test_token_buckets_forget_full_buckets() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(60, clock, prune_above=10)
    for name in range(10):
        assert buckets.take(f"client-{name}") == 0.0
    clock.now += 1.0  # refilled, so each is like a new bucket
    assert buckets.take("newcomer") == 0.0
    assert len(buckets._buckets) == 1
    assert TokenBuckets(0, clock).take("anyone") == 0.0  # 0: no limit


# --- 8. an organisation's share of the solvers -------------------------------------------


def hold_until(path: str) -> bool:
    """A solver job that keeps its process busy until ``path`` exists (at most two minutes)."""
    deadline = time.monotonic() + 120
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


def follow(client: TestClient, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 300
    while True:
        body: dict[str, Any] = client.get(location, headers=headers).json()
        if body["status"] not in ("QUEUED", "SOLVING"):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def test_one_organisation_may_not_hold_the_whole_pool(tmp_path: Path) -> None:
    release = tmp_path / "release"
    settings = api_settings(tmp_path, solver_processes=1, queue_depth=4, max_solves_per_organisation=2)
    with TestClient(create_app(settings)) as client:
        pool = client.app.state.services.pool  # type: ignore[attr-defined]
        # The only process is taken by a job of no organisation, so what follows stays queued.
        blocker = pool.submit(hold_until, str(release))
        try:
            three = {"scenario_name": "three-cities"}
            queued = [
                client.post("/v1/plans", params={"wait": "false"}, json=three, headers=ACME) for _ in "12"
            ]
            assert [r.status_code for r in queued] == [202, 202]
            assert client.get("/v1/health").json()["solver"]["in_flight"] == 3

            refused = client.post("/v1/plans", json=three, headers=ACME)
            assert refused.status_code == 429, refused.text
            assert refused.headers["retry-after"] == str(settings.retry_after_s)
            assert "share of the solvers" in refused.json()["detail"]
            assert_secured(refused)
            fog = {"scenario_name": "kazakhstan-winter-2016", "timeline_names": ["almaty-fog"]}
            whatif = client.post("/v1/whatif", json=fog, headers=ACME)
            assert whatif.status_code == 429, whatif.text
            # The pool has room, and another organisation gets it.
            rival = client.post("/v1/plans", params={"wait": "false"}, json=three, headers=RIVAL)
            assert rival.status_code == 202
        finally:
            release.touch()
        assert blocker.result(timeout=120) is True
        for answer, headers in [(queued[0], ACME), (queued[1], ACME), (rival, RIVAL)]:
            assert follow(client, answer.headers["location"], headers)["status"] == "OPTIMAL"
        # Its solves done, the organisation may solve again.
        assert client.post("/v1/plans", json=three, headers=ACME).status_code == 201
        assert client.get("/v1/health").json()["solver"]["in_flight"] == 0
