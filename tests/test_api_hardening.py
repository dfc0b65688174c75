"""The HTTP service against the requests that once broke it: replans racing without waiting,
a replan that rewrites the past, JSON only Python accepts, names and strings that do not fit
where they are stored, and statuses the OpenAPI document did not declare.

TestClient, the real solver pool and a real SQLite file, as in test_api.py. Races are
ordered by holding one request at a known point, never by timing.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from api import limits
from api.app import create_app
from api.cli import main
from api.jobs import PoolBusy
from api.pending import PendingVersion
from api.ratelimit import RateLimits
from api.storage import KeyOwner, Store
from planner.scenario import scenario_from_data
from tests.api_support import (
    ACME,
    KEYS,
    REPLAN_NOW,
    RIVAL,
    ROAD_CLOSED,
    TRAIN_CANCELLED,
    api_settings,
    assert_checked,
    database_url,
)
from tests.conftest import make_plan
from tests.test_api import create, follow, inline_three_cities, plan_count, versions

LONG_ORGANISATION = "o" * (limits.ORGANISATION + 1)
LONG_ORGANISATION_KEY = "long-organisation-0123456789abcdef"
LONG = {"Authorization": f"Bearer {LONG_ORGANISATION_KEY}"}
TIMELINE = {"name": "train-off", "description": "the night train fails", "events": [TRAIN_CANCELLED]}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(
        tmp_path_factory.mktemp("hardening"),
        api_keys=f"{KEYS},{LONG_ORGANISATION}:{LONG_ORGANISATION_KEY}",
        rate_per_key=0,
        rate_per_organisation=0,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def services(client: TestClient) -> Any:
    return client.app.state.services  # type: ignore[attr-defined]


def post_text(client: TestClient, path: str, text: str, headers: dict[str, str] = ACME) -> Any:
    """A JSON body sent as written (json= would refuse NaN, or write it differently)."""
    return client.post(path, content=text.encode(), headers={**headers, "Content-Type": "application/json"})


def replan(client: TestClient, plan_id: str, body: dict[str, Any], **params: str) -> Any:
    return client.post(f"/v1/plans/{plan_id}/replan", json=body, params=params, headers=ACME)


# --- 1. a replan that loses a race without waiting -----------------------------------------


def test_a_replan_that_loses_the_race_without_waiting_gets_409(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser read version 1 as the latest, then the winner stored version 2 before the
    loser registered its own version 2. It used to get 202 with a Location that showed the
    winner's version as OPTIMAL (its own FAILED record hidden behind it)."""
    plan_id = create(client)["id"]
    board, store = services(client).board, services(client).store
    winner_may_store = threading.Event()
    winners: list[PendingVersion] = []
    register, add_version = board.add, store.add_version

    def held_add_version(*args: Any, **kwargs: Any) -> Any:
        assert winner_may_store.wait(600)
        return add_version(*args, **kwargs)

    def register_in_order(pending: PendingVersion) -> PendingVersion | None:
        if [e["id"] for e in pending.events] == [ROAD_CLOSED["id"]]:  # the loser, past every check
            winner_may_store.set()
            assert winners[0].done.wait(600)  # the winner stored and left the board
        elif [e["id"] for e in pending.events] == [TRAIN_CANCELLED["id"]]:
            winners.append(pending)
        return register(pending)

    monkeypatch.setattr(store, "add_version", held_add_version)
    monkeypatch.setattr(board, "add", register_in_order)
    try:
        winner = replan(
            client, plan_id, {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}, wait="false"
        )
        assert winner.status_code == 202, winner.text
        # While the winner is computing (it cannot store yet), a replan of the same version: 409.
        meanwhile = replan(client, plan_id, {"base_version": 1, "now": REPLAN_NOW}, wait="false")
        assert meanwhile.status_code == 409 and "being computed" in meanwhile.json()["detail"]
        # The loser passes every check while version 1 is the latest, and registers only
        # after the winner stored version 2.
        loser = replan(
            client, plan_id, {"base_version": 1, "now": REPLAN_NOW, "events": [ROAD_CLOSED]}, wait="false"
        )
    finally:
        winner_may_store.set()
    assert loser.status_code == 409, loser.text
    assert "location" not in loser.headers
    assert set(loser.json()) == {"detail"} and "version 2 is the latest" in loser.json()["detail"]

    stored = follow(client, winner.headers["location"], [])
    assert stored["status"] == "OPTIMAL" and stored["events"] == [TRAIN_CANCELLED]
    assert versions(client, plan_id) == [1, 2]
    assert client.get(f"/v1/plans/{plan_id}/versions/3", headers=ACME).status_code == 404


# --- 2. and 3. what a replan must and need not carry --------------------------------------


def test_a_replan_cannot_start_before_its_base_version(client: TestClient) -> None:
    """Version 3 on base 2 with a `now` before version 2's was accepted, and dropped a leg that
    version 2 had kept as done. 422 naming `now`; the same moment (in another offset) is fine."""
    created = create(client)
    plan_id = created["id"]
    second = replan(client, plan_id, {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]})
    assert second.status_code == 201, second.text
    earlier = "2016-01-19T03:59:00+00:00"  # 09:59 in Astana, a minute before version 2's now
    response = replan(client, plan_id, {"base_version": 2, "now": earlier})
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "now"] and "before" in error["msg"] and REPLAN_NOW in error["msg"]
    assert versions(client, plan_id) == [1, 2]

    # Nothing but base_version and now: the same moment as version 2's, written in UTC.
    third = replan(client, plan_id, {"base_version": 2, "now": "2016-01-19T04:00:00+00:00"})
    assert third.status_code == 201, third.text
    assert third.json()["version"] == 3 and third.json()["events"] == []
    assert_checked(third.json(), previous=second.json()["plan"])


def test_a_replan_with_only_a_position_needs_no_events(client: TestClient) -> None:
    created = create(client)
    response = replan(client, created["id"], {"base_version": 1, "now": REPLAN_NOW, "position": "pavlodar"})
    assert response.status_code == 201, response.text
    assert response.json()["plan"]["position"]["city"] == "pavlodar"
    assert_checked(response.json(), previous=created["plan"], position="pavlodar")


# --- 4. JSON only Python accepts, deep nesting, imports, names ---------------------------


def set_at(data: Any, path: list[str | int], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def inline_with(path: list[str | int], raw: str, **top: Any) -> str:
    """A create body with the inline scenario, ``raw`` (JSON text) written at ``path``."""
    data = inline_three_cities()
    set_at(data, path, "@@raw@@")
    return json.dumps({"scenario": data, **top}).replace('"@@raw@@"', raw)


@pytest.mark.parametrize(
    ("path", "text", "loc"),
    [
        (
            "/v1/plans",
            '{"scenario_name": "three-cities", "options": {"time_limit_s": NaN}}',
            ["options", "time_limit_s"],
        ),
        ("/v1/plans", '{"scenario_name": "three-cities", "options": {"seed": 1e400}}', ["options", "seed"]),
        (
            "/v1/plans",
            inline_with(["roads", 0, "distance_km"], "Infinity"),
            ["scenario", "roads", 0, "distance_km"],
        ),
        (
            "/v1/plans",
            '{"scenario_name": "three-cities", "options": {"seed": ' + "9" * 5000 + "}}",
            ["options", "seed"],
        ),
        ("/v1/plans", '{"scenario_name": "\\ud800three-cities"}', ["scenario_name"]),
        (
            "/v1/whatif",
            json.dumps(
                {
                    "scenario_name": "three-cities",
                    "timelines": [TIMELINE | {"events": [ROAD_CLOSED | {"kind": "road_slowed", "x": 0}]}],
                }
            ).replace('"x": 0', '"factor": NaN'),
            ["timelines", 0, "events", 0, "factor"],
        ),
    ],
    ids=["nan-option", "overflow-option", "infinity-in-scenario", "5000-digits", "lone-surrogate", "event"],
)
def test_json_that_only_python_accepts_is_422_naming_the_field(
    client: TestClient, path: str, text: str, loc: list[str | int]
) -> None:
    before = plan_count(client)
    response = post_text(client, path, text)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", *loc]
    assert plan_count(client) == before


def test_non_finite_numbers_in_an_imported_plan_are_refused(client: TestClient) -> None:
    made = create(client)["plan"]
    before = plan_count(client)
    text = json.dumps({"scenario_name": "three-cities", "plan": {**made, "junk": [1, "x"]}})
    response = post_text(client, "/v1/plans", text.replace('"x"', "-Infinity"))
    assert response.status_code == 422, response.text  # it was stored, -Infinity and all
    assert response.json()["detail"][0]["loc"] == ["body", "plan", "junk", 1]
    assert plan_count(client) == before


def nested(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_deep_nesting_is_422_naming_the_field(client: TestClient) -> None:
    made = create(client)["plan"]
    before = plan_count(client)
    # 800 levels inside an imported plan: a RecursionError (500) when sent to the solver process.
    body = {"scenario_name": "three-cities", "plan": {**made, "junk": nested(800)}}
    response = client.post("/v1/plans", json=body, headers=ACME)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert (
        error["loc"][:4] == ["body", "plan", "junk", "a"] and len(error["loc"]) == 1 + limits.MAX_JSON_DEPTH
    )
    assert f"deeper than {limits.MAX_JSON_DEPTH} levels" in error["msg"]
    # Deeper than the parser itself goes (it answered 400, undeclared).
    text = '{"scenario_name": "three-cities", "plan": {"junk": ' + "[" * 5000 + "]" * 5000 + "}}"
    response = post_text(client, "/v1/plans", text)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][:4] == ["body", "plan", "junk", 0]
    # The limit itself is accepted as far as nesting goes (the checker then judges the plan).
    within = {"scenario_name": "three-cities", "plan": {**made, "junk": nested(limits.MAX_JSON_DEPTH - 3)}}
    assert client.post("/v1/plans", json=within, headers=ACME).status_code == 201
    assert plan_count(client) == before + 1


def test_an_import_is_not_a_solve(client: TestClient) -> None:
    """A plan saying TIME_LIMIT (no plan; the checker has nothing to object to) got 504, as
    if a solve had run out of time. It is bad input: 422 naming plan.status."""
    data = inline_three_cities()
    data["seminars"] = [{**s, "required": True} if s["city"] == "pavlodar" else s for s in data["seminars"]]
    data["services"] = [
        s
        for s in data["services"]
        if all("PWQ" not in st["terminal"] and st["terminal"] != "pavlodar-rail" for st in s["stops"])
    ]
    data["roads"] = [r for r in data["roads"] if "pavlodar" not in (r["a"], r["b"])]
    infeasible = make_plan(scenario_from_data(data))
    assert infeasible["status"] == "INFEASIBLE"
    before = plan_count(client)
    for status in ("TIME_LIMIT", "INFEASIBLE", None, 3):
        body = {"scenario": data, "plan": {**infeasible, "status": status}}
        response = client.post("/v1/plans", json=body, headers=ACME)
        assert response.status_code == 422, (status, response.text)
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", "plan", "status"] and "OPTIMAL or FEASIBLE" in error["msg"]
    assert plan_count(client) == before


def test_names_with_control_characters_are_refused(client: TestClient) -> None:
    before = plan_count(client)
    cases: list[tuple[list[str | int], str]] = [
        (["name"], "Winter\ntrip"),
        (["cities", 1, "name"], "Kara\tganda"),
    ]
    for path, name in cases:
        data = inline_three_cities()
        set_at(data, path, name)
        response = client.post("/v1/plans", json={"scenario": data}, headers=ACME)
        assert response.status_code == 422, response.text
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", "scenario", *path] and "control character" in error["msg"]
    assert plan_count(client) == before


def test_exports_of_a_plan_stored_with_control_characters_in_its_names(client: TestClient) -> None:
    """A scenario named with a newline (accepted before names were checked, and still in the
    database) answered 500 on itinerary.ics: a calendar's name line cannot hold a line break."""
    data = inline_three_cities()
    plan = make_plan(scenario_from_data(data))
    data["name"] = "Winter\ntrip\x07"
    data["cities"][1]["name"] = "Kara\r\nganda"
    owner = KeyOwner("acme", "configured", None)
    stored = services(client).store.create_plan(owner, data["name"], data, plan, "planned")
    base = f"/v1/plans/{stored.plan_id}/versions/1"
    ics = client.get(f"{base}/itinerary.ics", headers=ACME)
    assert ics.status_code == 200, ics.text
    calendar = Calendar.from_ical(ics.content)
    assert str(calendar["x-wr-calname"]) == "Delegation trip Winter trip "
    assert 'filename="Winter-trip-v1.ics"' in ics.headers["content-disposition"]
    geojson = client.get(f"{base}/route.geojson", headers=ACME)
    assert geojson.status_code == 200
    assert geojson.json()["scenario"] == "Winter trip "


# --- 5. strings that do not fit where they are stored ------------------------------------


def test_stored_strings_are_checked_before_solving(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_solve(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a solve started for a request that cannot be stored")

    before = plan_count(client)
    monkeypatch.setattr(services(client).pool, "submit", no_solve)
    # An organisation over its column (from PLANNER_API_KEYS): every create failed after solving.
    response = client.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=LONG)
    assert response.status_code == 422, response.text
    error = response.json()["detail"][0]
    assert error["loc"] == ["header", "authorization"] and "organisation" in error["msg"]
    assert f"at most {limits.ORGANISATION}" in error["msg"]
    # A key made before labels were limited, whose created_by would not fit.
    store: Store = services(client).store
    key, _ = store.create_key("m" * limits.ORGANISATION, "l" * limits.KEY_LABEL)
    response = client.post(
        "/v1/plans", json={"scenario_name": "three-cities"}, headers={"Authorization": f"Bearer {key}"}
    )
    assert response.status_code == 422, response.text
    assert "created_by" in response.json()["detail"][0]["msg"]
    # A scenario name over its column.
    data = inline_three_cities()
    data["name"] = "n" * (limits.SCENARIO_NAME + 1)
    response = client.post("/v1/plans", json={"scenario": data}, headers=ACME)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["body", "scenario", "name"]
    assert plan_count(client) == before


def test_created_by_always_fits_its_column() -> None:
    """created_by is organisation/label (key id): from the longest organisation, the longest
    label `planner keys create` accepts and the largest id, it still fits."""
    longest = KeyOwner("o" * limits.ORGANISATION, "l" * limits.NEW_KEY_LABEL, limits.LARGEST_KEY_ID)
    assert len(longest.author) <= limits.CREATED_BY
    configured = KeyOwner("o" * limits.ORGANISATION, "configured", None)
    assert len(configured.author) <= limits.CREATED_BY


def test_keys_create_refuses_what_does_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = database_url(tmp_path / "keys.db")
    monkeypatch.setenv("PLANNER_DATABASE_URL", url)
    refused = [
        (["o" * (limits.ORGANISATION + 1)], f"organisation: {limits.ORGANISATION + 1} characters"),
        (["ministry", "--label", "l" * (limits.KEY_LABEL + 1)], f"at most {limits.NEW_KEY_LABEL}"),
        (["ministry", "--label", "l" * (limits.NEW_KEY_LABEL + 1)], "--label"),
        (["ministry", "--label", "desk\n2"], "control character U+000A"),
    ]
    for arguments, message in refused:
        assert main(["keys", "create", *arguments]) == 2, arguments
        assert message in capsys.readouterr().err, arguments
    assert main(["keys", "create", "o" * limits.ORGANISATION, "--label", "l" * limits.NEW_KEY_LABEL]) == 0
    key = capsys.readouterr().out.strip().splitlines()[-1]
    store = Store.from_url(url)
    try:
        owner = store.key_owner(key)
        assert owner is not None and len(owner.author) <= limits.CREATED_BY
        assert len(store.all_keys()) == 1
    finally:
        store.engine.dispose()


# --- 6. every status a route answers is declared -----------------------------------------


def hold_until(path: str) -> bool:
    """A solver job that keeps its process busy until ``path`` exists (ten minutes at most)."""
    deadline = time.monotonic() + 600
    while not Path(path).exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


class Declared:
    """Requests by operation, each checked against the statuses /openapi.json declares for it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.schema: dict[str, Any] = client.get("/openapi.json").json()
        self.seen: dict[tuple[str, str], set[int]] = {}

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(m, p, op) for p, ops in self.schema["paths"].items() for m, op in ops.items()]

    def call(
        self,
        method: str,
        template: str,
        expected: int,
        *,
        values: dict[str, Any] | None = None,
        headers: dict[str, str] | None = ACME,
        **request: Any,
    ) -> Any:
        defaults = {
            "plan_id": "none",
            "number": 1,
            "name": "three-cities",
            "member_id": "trainer-a",
            "share_id": 1,
            "webhook_id": 1,
        }
        path = template.format(**{**defaults, **(values or {})})
        response = self.client.request(method, path, headers=headers, **request)
        assert response.status_code == expected, (method, path, response.text[:300])
        declared = self.schema["paths"][template][method]["responses"]
        assert str(expected) in declared, f"{method.upper()} {template} answers {expected}, undeclared"
        self.seen.setdefault((method, template), set()).add(expected)
        return response


def test_every_status_a_route_answers_is_declared(client: TestClient, tmp_path: Path) -> None:
    api = Declared(client)
    plan_id = create(client)["id"]
    share = client.post(f"/v1/plans/{plan_id}/shares", json={}, headers=ACME).json()
    hook = client.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/", "secret": "s" * 16}, headers=ACME
    ).json()
    real = {
        "plan_id": plan_id,
        "number": 1,
        "name": "three-cities",
        "share_id": share["id"],
        "webhook_id": hook["id"],
    }
    too_big = b" " * (services(client).settings.max_body_bytes + 1)
    good_bodies = {
        "/v1/plans": {"scenario_name": "three-cities"},
        "/v1/plans/{plan_id}/replan": {"base_version": 1, "now": REPLAN_NOW},
        "/v1/whatif": {"scenario_name": "three-cities", "timelines": [TIMELINE]},
    }
    json_text = {**ACME, "Content-Type": "application/json"}
    # A reliability report of the plan, so that its routes have something to answer 200 with.
    risk_path = f"/v1/plans/{plan_id}/versions/1/risk"
    assert client.post(risk_path, json={"samples": 3, "policy": "follow"}, headers=ACME).status_code == 202
    while client.get(risk_path, headers=ACME).status_code == 202:
        time.sleep(0.05)
    # A team plan, for the routes of a team plan's members.
    team_plan = client.post("/v1/plans", json={"scenario_name": "three-cities-two-teams"}, headers=ACME)
    assert team_plan.status_code == 201, team_plan.text
    team_real = {**real, "plan_id": team_plan.json()["id"], "member_id": "trainer-a"}
    for method, template, operation in api.operations():
        body = good_bodies.get(template)  # None for the routes that take none
        if "{member_id}" in template:
            real_here = team_real
            api.call(method, template, 404, values={**team_real, "member_id": "nobody"})
            api.call(method, template, 422, values=real)  # a one-team plan has no members
            api.call(method, template, 422, values={**team_real, "member_id": "x" * 65})
        else:
            real_here = {**real}
        if operation.get("security"):
            api.call(method, template, 401, values=real_here, headers={}, json=body)
        api.call(method, template, 413, values=real_here, content=too_big)
        if "{plan_id}" in template:
            api.call(method, template, 404, values={**real_here, "plan_id": "0" * 32}, json=body)
            api.call(method, template, 422, values={**real_here, "plan_id": "x" * 65}, json=body)
        if "{number}" in template:
            api.call(method, template, 404, values={**real_here, "number": 99})
            api.call(method, template, 422, values={**real_here, "number": 0})
        if "{name}" in template:
            api.call(method, template, 404, values={**real_here, "name": "atlantis"})
            api.call(method, template, 422, values={**real_here, "name": "x" * 201})
        for name in ("share_id", "webhook_id"):
            if "{" + name + "}" in template:
                api.call(method, template, 404, values={**real_here, name: 99})
                api.call(method, template, 422, values={**real_here, name: 0})
        if method == "get":
            api.call(method, template, 200, values=real_here)
        elif method == "delete":  # takes no body; deleted last, once every other route has used it
            continue
        else:
            api.call(method, template, 422, values=real_here, json={"unknown": 1})
            api.call(method, template, 422, values=real_here, content=b'{"x": NaN}', headers=json_text)
    api.call("get", "/v1/plans", 422, params={"limit": 0})
    api.call("delete", "/v1/plans/{plan_id}/shares/{share_id}", 204, values=real)
    api.call("delete", "/v1/webhooks/{webhook_id}", 204, values=real)

    # The solving routes: 201 or 200 when waiting, 202 when not, 409 on a stale version.
    api.call("post", "/v1/plans", 201, json=good_bodies["/v1/plans"])
    accepted = api.call("post", "/v1/plans", 202, json=good_bodies["/v1/plans"], params={"wait": "false"})
    follow(client, accepted.headers["location"], [])
    replan_path = "/v1/plans/{plan_id}/replan"
    api.call("post", replan_path, 201, values=real, json=good_bodies[replan_path])
    api.call("post", replan_path, 409, values=real, json=good_bodies[replan_path])
    second = {"base_version": 2, "now": REPLAN_NOW}
    accepted = api.call("post", replan_path, 202, values=real, json=second, params={"wait": "false"})
    follow(client, accepted.headers["location"], [])
    api.call("post", "/v1/whatif", 200, json=good_bodies["/v1/whatif"])

    # Busy and out of time (503, 429, 504) on a pool held by a job that waits for a file.
    busy_statuses(api.seen, tmp_path, good_bodies)

    for method, template, _ in api.operations():
        assert (method, template) in api.seen, (method, template)
    every = set().union(*api.seen.values())
    assert {200, 201, 202, 401, 404, 409, 413, 422, 429, 503, 504} <= every


def busy_statuses(seen: dict[tuple[str, str], set[int]], tmp_path: Path, bodies: dict[str, Any]) -> None:
    release = tmp_path / "release"
    settings = api_settings(
        tmp_path, solver_processes=1, queue_depth=4, grace_s=0.0, max_solves_per_organisation=2
    )
    app = create_app(settings)
    with TestClient(app) as tight:
        api = Declared(tight)
        acme_plans = [create(tight)["id"] for _ in "12"]
        rival_plan = tight.post("/v1/plans", json=bodies["/v1/plans"], headers=RIVAL).json()["id"]
        pool = app.state.services.pool
        holders = [pool.submit(hold_until, str(release))]  # of no organisation: not in any share
        try:
            hurried = {"options": {"time_limit_s": 0.001}}
            replan_path = "/v1/plans/{plan_id}/replan"
            # Queued behind the held process, past a limit of 1 ms (and no grace): 504.
            api.call("post", "/v1/plans", 504, json={**bodies["/v1/plans"], **hurried})
            replanned = {**bodies[replan_path], **hurried}
            api.call("post", replan_path, 504, values={"plan_id": acme_plans[0]}, json=replanned)
            api.call("post", "/v1/whatif", 504, json={**bodies["/v1/whatif"], **hurried}, headers=RIVAL)
            # acme holds its share (2) of the solvers: 429.
            api.call("post", "/v1/plans", 429, json=bodies["/v1/plans"])
            api.call("post", replan_path, 429, values={"plan_id": acme_plans[1]}, json=bodies[replan_path])
            api.call("post", "/v1/whatif", 429, json=bodies["/v1/whatif"])
            # Every place taken: 503 for anyone within their share.
            while True:
                try:
                    holders.append(pool.submit(hold_until, str(release)))
                except PoolBusy:
                    break
            api.call("post", "/v1/plans", 503, json=bodies["/v1/plans"], headers=RIVAL)
            api.call(
                "post",
                replan_path,
                503,
                values={"plan_id": rival_plan},
                json=bodies[replan_path],
                headers=RIVAL,
            )
            api.call("post", "/v1/whatif", 503, json=bodies["/v1/whatif"], headers=RIVAL)
        finally:
            release.touch()
        assert all(holder.result(timeout=600) for holder in holders)
        # An address that sent a wrong key waits (a clock that stands still: it never refills).
        app.state.services.limits = RateLimits(
            settings.model_copy(update={"auth_failures_per_client": 1}), clock=lambda: 0.0
        )
        assert (
            tight.get("/v1/plans", headers={"Authorization": "Bearer wrong-0123456789abcdef"}).status_code
            == 401
        )
        for method, template, operation in api.operations():
            if operation.get("security"):
                body = bodies.get(template)
                api.call(method, template, 429, values={"plan_id": acme_plans[1]}, json=body)
    for key, statuses in api.seen.items():
        seen.setdefault(key, set()).update(statuses)
