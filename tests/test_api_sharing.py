"""Read-only share links: an editor (an API key) makes them; their holder reads one plan, nothing else.

The service runs in process (TestClient) on the real database of the tests (a SQLite file, or
PostgreSQL with PLANNER_TEST_DATABASE_URL) and the real solver pool.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.app import create_app
from api.tables import ShareTokenRow
from tests.api_support import ACME, REPLAN_NOW, RIVAL, TRAIN_CANCELLED, api_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("sharing"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def create(client: TestClient, headers: dict[str, str] = ACME) -> str:
    response = client.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=headers)
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    return plan_id


def share(client: TestClient, plan_id: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/v1/plans/{plan_id}/shares", json=body, headers=ACME)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def share_rows(client: TestClient) -> list[tuple[Any, ...]]:
    """Every share token row, as stored."""
    with Session(client.app.state.services.store.engine) as session:  # type: ignore[attr-defined]
        rows = session.scalars(select(ShareTokenRow).order_by(ShareTokenRow.id))
        return [(r.id, r.plan_id, r.label, r.token_hash, r.revoked_at) for r in rows]


def versions(client: TestClient, plan_id: str) -> list[int]:
    return [v["version"] for v in client.get(f"/v1/plans/{plan_id}/versions", headers=ACME).json()]


READABLE = [
    "",
    "/versions",
    "/versions/1",
    "/versions/1/itinerary.ics",
    "/versions/1/route.geojson",
    "/versions/1/map.svg",
    "/versions/1/timeline.svg",
    "/calendar.ics",
]


def test_a_share_token_reads_its_plan_in_every_form(client: TestClient) -> None:
    plan_id = create(client)
    made = share(client, plan_id, label="ministry liaison")
    token = made["token"]
    assert token.startswith("dps_") and made["active"] and made["label"] == "ministry liaison"
    assert made["plan_id"] == plan_id and made["created_by"] == "acme/configured (configured key)"
    for path in READABLE:
        url = f"/v1/plans/{plan_id}{path}"
        by_key = client.get(url, headers=ACME)
        assert by_key.status_code == 200, (path, by_key.text)
        for how in ({"params": {"share": token}}, {"headers": {"X-Share-Token": token}}):
            shared = client.get(url, **how)
            assert shared.status_code == 200, (path, how, shared.text)
            assert shared.headers["content-type"] == by_key.headers["content-type"]
            assert shared.content == by_key.content, path
        bearer = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200 and bearer.content == by_key.content


def test_a_share_token_changes_nothing_and_reads_nothing_else(client: TestClient) -> None:
    plan_id = create(client)
    other = create(client)
    rivals = create(client, RIVAL)
    token = share(client, plan_id)["token"]
    viewer = {"X-Share-Token": token}
    replan = {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}
    rows = share_rows(client)
    refused = [
        ("POST", f"/v1/plans/{plan_id}/replan", replan),
        ("POST", "/v1/plans", {"scenario_name": "three-cities"}),
        ("POST", f"/v1/plans/{plan_id}/shares", {}),
        ("DELETE", f"/v1/plans/{plan_id}/shares/{rows[-1][0]}", None),
        ("POST", f"/v1/plans/{plan_id}/versions/1/risk", {"samples": 4}),
        ("POST", "/v1/webhooks", {"url": "http://127.0.0.1:9/", "secret": "s" * 20}),
        ("GET", f"/v1/plans/{plan_id}/shares", None),
        ("GET", "/v1/plans", None),
        ("GET", "/v1/webhooks", None),
        ("GET", f"/v1/plans/{plan_id}/versions/1/risk", None),
        ("GET", f"/v1/plans/{other}", None),
        ("GET", f"/v1/plans/{other}/versions/1/itinerary.ics", None),
        ("GET", f"/v1/plans/{rivals}", None),
        ("GET", f"/v1/plans/{rivals}/calendar.ics", None),
    ]
    for method, path, body in refused:
        response = client.request(method, path, json=body, headers=viewer)
        assert response.status_code == 403, (method, path, response.text)
        assert "share link" in response.json()["detail"]
    assert versions(client, plan_id) == [1]
    assert share_rows(client) == rows
    assert client.get("/v1/plans", headers=ACME, params={"limit": 500}).status_code == 200
    # An API key beside the token reads as the key (an editor), never less.
    both = client.get(f"/v1/plans/{other}", headers={**ACME, **viewer})
    assert both.status_code == 200


def test_tokens_are_stored_hashed_and_revoked_at_once(client: TestClient) -> None:
    plan_id = create(client)
    first, second = share(client, plan_id, label="first"), share(client, plan_id, label="second")
    stored = {row[0]: row for row in share_rows(client)}
    for made in (first, second):
        row = stored[made["id"]]
        assert row[3] == hashlib.sha256(made["token"].encode()).hexdigest()
        assert made["token"] not in repr(row)
    listed = client.get(f"/v1/plans/{plan_id}/shares", headers=ACME).json()
    assert [(s["id"], s["label"], s["active"]) for s in listed] == [
        (first["id"], "first", True),
        (second["id"], "second", True),
    ]
    assert all("token" not in s for s in listed)

    path = f"/v1/plans/{plan_id}"
    assert client.get(path, params={"share": first["token"]}).status_code == 200
    assert client.delete(f"{path}/shares/{first['id']}", headers=ACME).status_code == 204
    gone = client.get(path, params={"share": first["token"]})
    assert gone.status_code == 401 and gone.json()["detail"] == "unknown or revoked share token"
    assert client.get(f"{path}/calendar.ics", params={"share": first["token"]}).status_code == 401
    assert client.get(path, params={"share": second["token"]}).status_code == 200  # the other one stays
    listed = client.get(f"{path}/shares", headers=ACME).json()
    assert [(s["id"], s["active"], s["revoked_at"] is not None) for s in listed] == [
        (first["id"], False, True),
        (second["id"], True, False),
    ]
    rows = share_rows(client)
    assert client.delete(f"{path}/shares/{first['id']}", headers=ACME).status_code == 404  # already
    assert share_rows(client) == rows


def test_only_the_plan_s_organisation_manages_its_links(client: TestClient) -> None:
    plan_id = create(client)
    made = share(client, plan_id)
    rows = share_rows(client)
    assert client.post(f"/v1/plans/{plan_id}/shares", json={}, headers=RIVAL).status_code == 404
    assert client.get(f"/v1/plans/{plan_id}/shares", headers=RIVAL).status_code == 404
    assert client.delete(f"/v1/plans/{plan_id}/shares/{made['id']}", headers=RIVAL).status_code == 404
    # A link's id under another plan of the same organisation is not found either.
    other = create(client)
    assert client.delete(f"/v1/plans/{other}/shares/{made['id']}", headers=ACME).status_code == 404
    assert share_rows(client) == rows
    assert client.get(f"/v1/plans/{plan_id}", params={"share": made["token"]}).status_code == 200


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"label": ""}, ["body", "label"]),
        ({"label": "x" * 101}, ["body", "label"]),
        ({"label": "line\nbreak"}, ["body", "label"]),
        ({"label": 7}, ["body", "label"]),
        ({"lable": "typo"}, ["body", "lable"]),
    ],
)
def test_bad_share_requests_name_the_field_and_store_nothing(
    client: TestClient, body: dict[str, Any], loc: list[str]
) -> None:
    plan_id = create(client)
    rows = share_rows(client)
    response = client.post(f"/v1/plans/{plan_id}/shares", json=body, headers=ACME)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert share_rows(client) == rows


def test_bad_ids_and_tokens(client: TestClient) -> None:
    plan_id = create(client)
    rows = share_rows(client)
    wrong_id = client.delete(f"/v1/plans/{plan_id}/shares/abc", headers=ACME)
    assert wrong_id.status_code == 422 and wrong_id.json()["detail"][0]["loc"] == ["path", "share_id"]
    # Beyond a 32-bit integer (PostgreSQL's INTEGER): refused naming the id, not a database error.
    huge = client.delete(f"/v1/plans/{plan_id}/shares/{2**31}", headers=ACME)
    assert huge.status_code == 422 and huge.json()["detail"][0]["loc"] == ["path", "share_id"]
    assert client.post("/v1/plans/no-such-plan/shares", json={}, headers=ACME).status_code == 404
    unknown = client.get(f"/v1/plans/{plan_id}", params={"share": "dps_not-a-token"})
    assert unknown.status_code == 401
    assert client.get(f"/v1/plans/{plan_id}").status_code == 401  # nothing at all
    assert share_rows(client) == rows
