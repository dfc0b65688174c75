"""Live calendar feeds: a plan's calendar at one URL, always its latest version, read with a share token.

Read back with icalendar (the parser the export is written with is not what is asserted: UIDs,
SEQUENCE, STATUS and the feed's refresh interval are). The service runs in process on the real
database of the tests and the real solver pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api_support import ACME, REPLAN_NOW, RIVAL, TRAIN_CANCELLED, api_settings

FEED_LINES = b"REFRESH-INTERVAL;VALUE=DURATION:PT1H\r\nX-PUBLISHED-TTL:PT1H\r\n"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = api_settings(tmp_path_factory.mktemp("feeds"))
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def create(client: TestClient, scenario_name: str = "three-cities") -> dict[str, Any]:
    response = client.post("/v1/plans", json={"scenario_name": scenario_name}, headers=ACME)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def share(client: TestClient, plan_id: str) -> dict[str, Any]:
    response = client.post(f"/v1/plans/{plan_id}/shares", json={"label": "calendar"}, headers=ACME)
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def local(client: TestClient, url: str) -> Any:
    """GET a link the service gave, on the test client (its host is the client's own)."""
    parts = urlsplit(url)
    return client.get(f"{parts.path}?{parts.query}")


def events(content: bytes) -> dict[str, tuple[int, str]]:
    """UID -> (SEQUENCE, STATUS) of every event of a calendar."""
    calendar = icalendar.Calendar.from_ical(content)
    found = calendar.walk("VEVENT")
    return {str(e["UID"]): (int(str(e["SEQUENCE"])), str(e.get("STATUS", "CONFIRMED"))) for e in found}


def as_export(feed: bytes) -> bytes:
    """The feed without the lines that make it a feed: the export of the latest version."""
    assert FEED_LINES in feed
    return feed.replace(FEED_LINES, b"", 1)


def test_the_feed_is_the_latest_version_with_stable_uids(client: TestClient) -> None:
    created = create(client)
    plan_id = created["id"]
    made = share(client, plan_id)
    link = made["feeds"]["calendar"]
    assert made["feeds"]["teams"] == [] and made["feeds"]["members"] == []
    assert link["https"].startswith("https://") and link["webcal"].startswith("webcal://")
    assert link["https"].removeprefix("https://") == link["webcal"].removeprefix("webcal://")
    assert urlsplit(link["https"]).path == f"/v1/plans/{plan_id}/calendar.ics"

    first = local(client, link["https"])
    assert first.status_code == 200, first.text
    assert first.headers["content-type"].startswith("text/calendar")
    assert first.headers["cache-control"] == "private, no-cache"
    export = client.get(f"/v1/plans/{plan_id}/versions/1/itinerary.ics", headers=ACME)
    assert as_export(first.content) == export.content
    before = events(first.content)
    assert before and {sequence for sequence, _ in before.values()} == {1}
    assert icalendar.Calendar.from_ical(first.content)["REFRESH-INTERVAL"] is not None

    body = {"base_version": 1, "now": REPLAN_NOW, "events": [TRAIN_CANCELLED]}
    assert client.post(f"/v1/plans/{plan_id}/replan", json=body, headers=ACME).status_code == 201
    second = local(client, link["https"])  # the same URL, now version 2
    assert second.status_code == 200
    export = client.get(f"/v1/plans/{plan_id}/versions/2/itinerary.ics", headers=ACME)
    assert as_export(second.content) == export.content
    after = events(second.content)
    assert set(before) <= set(after)  # every event keeps its UID: kept, moved or cancelled
    assert {sequence for sequence, _ in after.values()} == {2}
    cancelled = {uid for uid, (_, status) in after.items() if status == "CANCELLED"}
    assert cancelled and cancelled <= set(before)
    summaries = {
        str(e["UID"]): str(e["SUMMARY"]) for e in icalendar.Calendar.from_ical(second.content).walk("VEVENT")
    }
    assert any("KTZ031" in summaries[uid] for uid in cancelled), [summaries[uid] for uid in cancelled]
    # The editor's key reads the same feed.
    assert client.get(f"/v1/plans/{plan_id}/calendar.ics", headers=ACME).content == second.content


def test_feeds_of_a_team_plan_per_team_and_per_member(client: TestClient) -> None:
    created = create(client, "three-cities-two-teams")
    plan_id = created["id"]
    made = share(client, plan_id)
    feeds = made["feeds"]
    teams = created["plan"]["teams"]
    assert feeds["calendar"] is None
    assert [f["team"] for f in feeds["teams"]] == [t["id"] for t in teams]
    assert [f["member"] for f in feeds["members"]] == [m["id"] for t in teams for m in t["members"]]
    for feed in feeds["teams"]:
        response = local(client, feed["https"])
        assert response.status_code == 200, response.text
        export = client.get(
            f"/v1/plans/{plan_id}/versions/1/itinerary.ics", params={"team": feed["team"]}, headers=ACME
        )
        assert as_export(response.content) == export.content
    for feed in feeds["members"]:
        response = local(client, feed["https"])
        assert response.status_code == 200, response.text
        export = client.get(f"/v1/plans/{plan_id}/versions/1/members/{feed['member']}.ics", headers=ACME)
        assert as_export(response.content) == export.content
        assert all(feed["member"] in uid for uid in events(response.content))
    token = {"share": made["token"]}
    unnamed = client.get(f"/v1/plans/{plan_id}/calendar.ics", params=token)
    assert unnamed.status_code == 422 and unnamed.json()["detail"][0]["loc"] == ["query", "team"]
    nobody = client.get(f"/v1/plans/{plan_id}/members/nobody/calendar.ics", params=token)
    assert nobody.status_code == 404


def test_feeds_refuse_others(client: TestClient) -> None:
    plan_id = create(client)["id"]
    other = create(client)["id"]
    token = {"share": share(client, plan_id)["token"]}
    assert client.get(f"/v1/plans/{plan_id}/calendar.ics").status_code == 401
    assert client.get(f"/v1/plans/{plan_id}/calendar.ics", headers=RIVAL).status_code == 404
    assert client.get(f"/v1/plans/{other}/calendar.ics", params=token).status_code == 403
    assert client.get("/v1/plans/no-such-plan/calendar.ics", headers=ACME).status_code == 404
    solo = client.get(f"/v1/plans/{plan_id}/members/someone/calendar.ics", params=token)
    assert solo.status_code == 422 and solo.json()["detail"][0]["loc"] == ["path", "plan_id"]


def test_links_use_the_configured_public_address(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = api_settings(tmp_path_factory.mktemp("public"), public_url="https://plans.example.org/trip/")
    with TestClient(create_app(settings)) as client:
        plan_id = create(client)["id"]
        link = share(client, plan_id)["feeds"]["calendar"]
        assert link["https"].startswith(f"https://plans.example.org/trip/v1/plans/{plan_id}/calendar.ics?")
        assert link["webcal"].startswith(f"webcal://plans.example.org/trip/v1/plans/{plan_id}/")
