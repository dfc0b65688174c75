"""The HTTP API served by a real uvicorn process on a loopback port, as coordinators use it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api_support import (
    ACME,
    REPLAN_NOW,
    ROAD_CLOSED,
    ROOT,
    TRAIN_CANCELLED,
    assert_checked,
    bundled_events,
    database_url,
    running_server,
)
from tests.leftovers import children_of, running


def create_key(database: Path, organisation: str) -> str:
    """A key made with ``planner keys create``, as an operator would."""
    environment = {**os.environ, "PLANNER_DATABASE_URL": database_url(database)}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "keys", "create", organisation, "--label", "desk"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    key = done.stdout.strip().splitlines()[-1]
    assert key.startswith("dp_") and len(key) > 40
    return key


def everything(base: str, headers: dict[str, str]) -> dict[str, Any]:
    """Every plan of an organisation with every version, as the API shows them."""
    plans = httpx.get(f"{base}/v1/plans", headers=headers).json()
    return {
        p["id"]: [
            httpx.get(f"{base}/v1/plans/{p['id']}/versions/{v['version']}", headers=headers).json()
            for v in httpx.get(f"{base}/v1/plans/{p['id']}/versions", headers=headers).json()
        ]
        for p in plans
    }


def test_coordinator_flow_races_and_restart(tmp_path: Path) -> None:
    database = tmp_path / "planner.db"
    key = create_key(database, "ministry")
    desk = {"Authorization": f"Bearer {key}"}
    with running_server(database) as base:
        # The flagship, then the Aktau airport closure reported on the morning it is announced.
        response = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": "kazakhstan-winter-2016"}, headers=desk, timeout=120
        )
        assert response.status_code == 201, response.text
        first = response.json()
        assert first["created_by"].startswith("ministry/desk") and first["status"] == "OPTIMAL"
        assert_checked(first)
        body = {
            "base_version": 1,
            "now": "2016-01-21T07:00:00+05:00",
            "events": bundled_events("aktau-airport-closed"),
        }
        response = httpx.post(f"{base}/v1/plans/{first['id']}/replan", json=body, headers=desk, timeout=120)
        assert response.status_code == 201, response.text
        second = response.json()
        assert second["version"] == 2 and second["events"][0]["id"] == "sco-icing"
        moved = {m["city"] for m in second["plan"]["diff"]["seminars"]["moved"]}
        dropped = {d["city"] for d in second["plan"]["diff"]["seminars"]["dropped"]}
        assert "aktau" in moved | dropped
        assert_checked(second, previous=first["plan"])
        # Another organisation's key sees nothing of it.
        assert httpx.get(f"{base}/v1/plans/{first['id']}", headers=ACME).status_code == 404

        # Two coordinators replan the same version at once: one wins, the other gets 409.
        created = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": "three-cities"}, headers=desk, timeout=60
        ).json()
        answers: dict[str, httpx.Response] = {}

        def report(event: dict[str, Any]) -> None:
            answers[event["id"]] = httpx.post(
                f"{base}/v1/plans/{created['id']}/replan",
                json={"base_version": 1, "now": REPLAN_NOW, "events": [event]},
                headers=desk,
                timeout=60,
            )

        threads = [threading.Thread(target=report, args=(e,)) for e in (TRAIN_CANCELLED, ROAD_CLOSED)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        codes = sorted(a.status_code for a in answers.values())
        assert codes == [201, 409], {k: a.text for k, a in answers.items()}
        winner = next(a.json() for a in answers.values() if a.status_code == 201)
        versions = httpx.get(f"{base}/v1/plans/{created['id']}/versions", headers=desk).json()
        assert [v["version"] for v in versions] == [1, 2]
        assert versions[1]["events"] == winner["events"]
        assert httpx.get(f"{base}/v1/plans/{created['id']}", headers=desk).json()["plan"] == winner["plan"]
        assert_checked(winner, previous=created["plan"])
        before = everything(base, desk)
    assert len(before) == 2 and sum(len(v) for v in before.values()) == 4

    # A restart (same database) keeps every plan and version.
    with running_server(database) as base:
        assert everything(base, desk) == before
        latest = httpx.get(f"{base}/v1/plans/{created['id']}", headers=desk).json()
        assert latest["version"] == 2


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_solver_processes_end_with_the_server(tmp_path: Path, stop: signal.Signals) -> None:
    """kill -9 of the server, or the SIGTERM of a service manager, leaves none of its solver
    processes (nor the resource tracker)."""
    started: list[subprocess.Popen[str]] = []
    with running_server(tmp_path / "planner.sqlite", started=started) as _base:
        server = started[0]
        children = children_of(server.pid)
        assert len(children) >= 2, children  # the solver pool, warmed at start
        server.send_signal(stop)
        assert server.wait(timeout=60) is not None
        deadline = time.monotonic() + 30
        while any(running(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if running(pid)]
