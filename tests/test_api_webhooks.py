"""Webhooks: registered per organisation, called on new versions and failed replans, signed, retried.

The receivers are real HTTP servers (the standard library's, in a thread of the test) on loopback
ports; the service runs in process on the real database of the tests and the real solver pool.
Nothing asserted depends on speed: waits poll the delivery log, with a deadline only against a hang.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from api.tables import DeliveryRow, WebhookRow
from tests.api_support import ACME, REPLAN_NOW, RIVAL, TRAIN_CANCELLED, api_settings, free_port

SECRET = "a-secret-of-at-least-16"
ATTEMPTS = 3


@dataclass
class Receiver:
    """What a loopback receiver answers (each POST the next of ``answers``, then 200) and was sent;
    with ``hold``, each request waits for ``release`` before it is answered."""

    answers: list[int] = field(default_factory=list)
    hold: bool = False
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            if receiver.hold:
                receiver.release.wait(300)
            status = receiver.answers.pop(0) if receiver.answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(
        tmp_path_factory.mktemp("webhooks"),
        webhook_attempts=ATTEMPTS,
        webhook_backoff_s=0.01,
        webhook_timeout_s=60.0,
        max_webhooks_per_organisation=50,
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def no_webhooks_left(client: TestClient) -> Iterator[None]:
    """Each test starts with no webhooks, so one test's receivers never see another's versions."""
    yield
    for organisation in (ACME, RIVAL):
        for hook in client.get("/v1/webhooks", headers=organisation).json():
            client.delete(f"/v1/webhooks/{hook['id']}", headers=organisation)


def register(client: TestClient, url: str, headers: dict[str, str] = ACME) -> int:
    response = client.post("/v1/webhooks", json={"url": url, "secret": SECRET}, headers=headers)
    assert response.status_code == 201, response.text
    hook_id: int = response.json()["id"]
    return hook_id


def create(client: TestClient) -> str:
    response = client.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME)
    assert response.status_code == 201, response.text
    plan_id: str = response.json()["id"]
    return plan_id


def replan(client: TestClient, plan_id: str, base: int = 1) -> Any:
    body = {"base_version": base, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}
    return client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME)


def settled(client: TestClient, hook_id: int, count: int, headers: dict[str, str] = ACME) -> list[Any]:
    """The webhook's ``count`` deliveries once none is pending (newest first)."""
    deadline = time.monotonic() + 120  # only against a hang
    while True:
        response = client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=headers)
        assert response.status_code == 200, response.text
        log: list[Any] = response.json()
        if len(log) >= count and all(d["state"] != "pending" for d in log):
            assert len(log) == count, log
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.02)


def verify(headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """Check a delivery's signature as a receiver would; its payload."""
    timestamp = headers["x-planner-timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["x-planner-signature"] == f"t={timestamp},v1={expected}"
    assert headers["content-type"] == "application/json"
    payload: dict[str, Any] = json.loads(body)
    assert headers["x-planner-event"] == payload["event"]
    return payload


def counts(client: TestClient) -> tuple[int, int]:
    with Session(client.app.state.services.store.engine) as session:  # type: ignore[attr-defined]
        hooks = session.scalar(select(func.count()).select_from(WebhookRow))
        deliveries = session.scalar(select(func.count()).select_from(DeliveryRow))
        return int(hooks or 0), int(deliveries or 0)


def test_a_new_version_is_delivered_signed(client: TestClient) -> None:
    plan_id = create(client)
    with receiving(Receiver()) as receiver:
        hook_id = register(client, receiver.url)
        listed = client.get("/v1/webhooks", headers=ACME).json()
        assert [(h["id"], h["url"]) for h in listed] == [(hook_id, receiver.url)]
        assert "secret" not in listed[0]
        assert replan(client, plan_id).status_code == 201
        [delivery] = settled(client, hook_id, 1)
    assert delivery["state"] == "delivered" and delivery["attempts"] == 1
    assert delivery["status_codes"] == [200] and delivery["last_error"] is None
    [(headers, body)] = receiver.received
    payload = verify(headers, body)
    assert headers["x-planner-delivery"] == str(delivery["id"])
    assert payload == delivery["payload"]
    assert payload["event"] == "plan.version_created" and payload["organisation"] == "acme"
    assert (payload["plan_id"], payload["version"], payload["base_version"]) == (plan_id, 2, 1)
    assert payload["location"] == f"/v1/plans/{plan_id}/versions/2"
    # A signature made with another secret, or over another body, does not verify.
    forged = hmac.new(b"another-secret-entirely", body, hashlib.sha256).hexdigest()
    assert not headers["x-planner-signature"].endswith(forged)
    with pytest.raises(AssertionError):
        verify(headers, body + b" ")


def test_new_plans_and_imports_are_new_versions_too(client: TestClient) -> None:
    with receiving(Receiver()) as receiver:
        hook_id = register(client, receiver.url)
        planned = client.post("/v1/plans", json={"scenario_name": "three-cities"}, headers=ACME)
        assert planned.status_code == 201
        body = {"scenario_name": "three-cities", "plan": planned.json()["plan"]}
        imported = client.post("/v1/plans", json=body, headers=ACME)
        assert imported.status_code == 201, imported.text
        log = settled(client, hook_id, 2)
    assert [d["state"] for d in log] == ["delivered", "delivered"]
    payloads = sorted((verify(*sent) for sent in receiver.received), key=lambda p: p["kind"])
    assert [(p["kind"], p["version"], p["base_version"]) for p in payloads] == [
        ("imported", 1, None),
        ("planned", 1, None),
    ]
    assert {p["plan_id"] for p in payloads} == {planned.json()["id"], imported.json()["id"]}


def test_a_receiver_failing_first_gets_it_again(client: TestClient) -> None:
    plan_id = create(client)
    with receiving(Receiver(answers=[500, 503])) as receiver:
        hook_id = register(client, receiver.url)
        assert replan(client, plan_id).status_code == 201
        [delivery] = settled(client, hook_id, 1)
    assert delivery["state"] == "delivered" and delivery["attempts"] == 3
    assert delivery["status_codes"] == [500, 503, 200]
    assert delivery["last_error"].startswith("HTTP 503")
    assert len(receiver.received) == 3
    bodies = {body for _, body in receiver.received}
    assert len(bodies) == 1  # the same notification each time, each attempt signed anew
    assert {headers["x-planner-delivery"] for headers, _ in receiver.received} == {str(delivery["id"])}
    for headers, body in receiver.received:
        verify(headers, body)


def test_attempts_are_bounded_and_never_fail_the_replan(client: TestClient) -> None:
    plan_id = create(client)
    nobody = f"http://127.0.0.1:{free_port()}/nobody-listens"
    with receiving(Receiver(answers=[500] * 10)) as receiver:
        refusing = register(client, receiver.url)
        absent = register(client, nobody)
        response = replan(client, plan_id)
        assert response.status_code == 201 and response.json()["version"] == 2
        [failed] = settled(client, refusing, 1)
        [unanswered] = settled(client, absent, 1)
    assert failed["state"] == "failed" and failed["attempts"] == ATTEMPTS
    assert failed["status_codes"] == [500] * ATTEMPTS and failed["last_error"].startswith("HTTP 500")
    assert len(receiver.received) == ATTEMPTS
    assert unanswered["state"] == "failed" and unanswered["attempts"] == ATTEMPTS
    assert unanswered["status_codes"] == [None] * ATTEMPTS and "refused" in unanswered["last_error"].lower()
    versions = client.get(f"/v1/plans/{plan_id}/versions", headers=ACME).json()
    assert [v["version"] for v in versions] == [1, 2]


def test_a_slow_receiver_does_not_hold_the_replan(client: TestClient) -> None:
    plan_id = create(client)
    with receiving(Receiver(hold=True)) as receiver:
        hook_id = register(client, receiver.url)
        response = replan(client, plan_id)  # answered while the receiver still holds the delivery
        assert response.status_code == 201
        log = client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=ACME).json()
        assert [d["state"] for d in log] in ([], ["pending"])
        receiver.release.set()
        [delivery] = settled(client, hook_id, 1)
    assert delivery["state"] == "delivered"


def test_a_failed_replan_is_notified(client: TestClient) -> None:
    plan_id = create(client)
    assert replan(client, plan_id).status_code == 201
    with receiving(Receiver()) as receiver:
        hook_id = register(client, receiver.url)
        stale = replan(client, plan_id, base=1)
        assert stale.status_code == 409
        [delivery] = settled(client, hook_id, 1)
    payload = verify(*receiver.received[0])
    assert delivery["event"] == payload["event"] == "plan.replan_failed"
    assert (payload["plan_id"], payload["base_version"], payload["status_code"]) == (plan_id, 1, 409)
    assert "version 2 is the latest" in payload["detail"]


def test_webhooks_belong_to_their_organisation(client: TestClient) -> None:
    plan_id = create(client)
    with receiving(Receiver()) as mine, receiving(Receiver()) as theirs:
        hook_id = register(client, mine.url)
        rival_hook = register(client, theirs.url, RIVAL)
        assert [h["id"] for h in client.get("/v1/webhooks", headers=RIVAL).json()] == [rival_hook]
        assert client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=RIVAL).status_code == 404
        assert client.delete(f"/v1/webhooks/{hook_id}", headers=RIVAL).status_code == 404
        assert replan(client, plan_id).status_code == 201
        settled(client, hook_id, 1)
    assert len(mine.received) == 1 and theirs.received == []
    assert settled(client, rival_hook, 0, RIVAL) == []
    before = counts(client)
    assert client.delete(f"/v1/webhooks/{hook_id}", headers=ACME).status_code == 204
    assert counts(client) == (before[0] - 1, before[1] - 1)  # the webhook and its log
    assert client.get(f"/v1/webhooks/{hook_id}/deliveries", headers=ACME).status_code == 404
    assert client.delete(f"/v1/webhooks/{hook_id}", headers=ACME).status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "ftp://127.0.0.1/x", "secret": SECRET}, ["body", "url"]),
        ({"url": "http:///path-only", "secret": SECRET}, ["body", "url"]),
        ({"url": "http://user:pw@127.0.0.1/", "secret": SECRET}, ["body", "url"]),
        ({"url": "http://127.0.0.1:99999/", "secret": SECRET}, ["body", "url"]),
        ({"url": "http://127.0.0.1/a b", "secret": SECRET}, ["body", "url"]),
        ({"url": "http://127.0.0.1/" + "x" * 2000, "secret": SECRET}, ["body", "url"]),
        ({"secret": SECRET}, ["body", "url"]),
        ({"url": "http://127.0.0.1/", "secret": "short"}, ["body", "secret"]),
        ({"url": "http://127.0.0.1/", "secret": "sixteen-or-more\u0000"}, ["body", "secret"]),
        ({"url": "http://127.0.0.1/"}, ["body", "secret"]),
        ({"url": "http://127.0.0.1/", "secret": SECRET, "events": ["all"]}, ["body", "events"]),
    ],
)
def test_bad_registrations_name_the_field_and_store_nothing(
    client: TestClient, body: dict[str, Any], loc: list[str]
) -> None:
    before = counts(client)
    response = client.post("/v1/webhooks", json=body, headers=ACME)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == loc
    assert counts(client) == before


def test_bad_ids_and_the_most_webhooks(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = api_settings(tmp_path_factory.mktemp("most"), max_webhooks_per_organisation=2)
    with TestClient(create_app(settings)) as small:
        for _ in range(2):
            register(small, "http://127.0.0.1:9/")
        before = counts(small)
        full = small.post("/v1/webhooks", json={"url": "http://127.0.0.1:9/", "secret": SECRET}, headers=ACME)
        assert full.status_code == 409 and "delete one" in full.json()["detail"]
        wrong = small.get("/v1/webhooks/x/deliveries", headers=ACME)
        assert wrong.status_code == 422 and wrong.json()["detail"][0]["loc"] == ["path", "webhook_id"]
        assert small.delete("/v1/webhooks/0", headers=ACME).status_code == 422
        huge = small.delete(f"/v1/webhooks/{2**31}", headers=ACME)  # beyond PostgreSQL's INTEGER
        assert huge.status_code == 422 and huge.json()["detail"][0]["loc"] == ["path", "webhook_id"]
        assert small.get("/v1/webhooks").status_code == 401
        assert counts(small) == before
