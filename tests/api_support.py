"""Shared pieces of the HTTP tests: settings, databases, keys, a real server process, the checker.

The database of each test is a SQLite file, or a PostgreSQL database of its own when
PLANNER_TEST_DATABASE_URL is set (``database_url``).
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import URL, Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from api.settings import Settings
from planner.check import check_plan
from planner.domain import Disruption
from planner.scenario import load_scenario, parse_text, scenario_from_data

ROOT = Path(__file__).resolve().parent.parent
ACME_KEY = "acme-key-0123456789abcdef"
RIVAL_KEY = "rival-key-0123456789abcdef"
KEYS = f"acme:{ACME_KEY},rival:{RIVAL_KEY}"
ACME = {"Authorization": f"Bearer {ACME_KEY}"}
RIVAL = {"Authorization": f"Bearer {RIVAL_KEY}"}

# Three cities: the plan reaches Pavlodar on the overnight train KTZ031 (19 Jan).
TRAIN_CANCELLED = {
    "id": "ktz031-off",
    "kind": "service_cancelled",
    "service": "KTZ031",
    "announced_at": "2016-01-19T10:00+06:00",
    "start": "2016-01-19T00:00+06:00",
    "end": "2016-01-20T00:00+06:00",
    "note": "locomotive failure",
}
ROAD_CLOSED = {
    "id": "a-k-road-shut",
    "kind": "road_closed",
    "road": "astana-karaganda",
    "announced_at": "2016-01-19T10:00+06:00",
    "start": "2016-01-19T10:00+06:00",
    "end": "2016-01-20T10:00+06:00",
}
REPLAN_NOW = "2016-01-19T10:00:00+06:00"

# A PostgreSQL URL (postgresql+psycopg://USER[:PASSWORD]@HOST:PORT/DB; USER may create databases)
# to run the storage tests on PostgreSQL instead of SQLite files: each test gets a database of its
# own, created and at the end dropped through a connection to DB. .ci/postgres sets it.
TEST_DATABASE = "PLANNER_TEST_DATABASE_URL"
_databases: dict[Path, URL] = {}


def database_url(path: Path) -> str:
    """The database of a test: the SQLite file ``path``, or, when PLANNER_TEST_DATABASE_URL names a
    PostgreSQL server, a new empty database of its own there (the same one whenever ``path`` is
    given again, e.g. for a restart), dropped when the test run ends."""
    server = os.environ.get(TEST_DATABASE)
    if not server:
        return f"sqlite:///{path}"
    if path not in _databases:
        _databases[path] = _new_database(make_url(server))
    return _databases[path].render_as_string(hide_password=False)


def _admin(server: URL) -> Engine:
    return create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _new_database(server: URL) -> URL:
    name = f"{server.database or 'planner'}_{secrets.token_hex(6)}"
    admin = _admin(server)
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    if not _databases:
        atexit.register(_drop_databases, server)
    return server.set(database=name)


def _drop_databases(server: URL) -> None:
    admin = _admin(server)
    try:
        with admin.connect() as connection:
            for url in _databases.values():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()
    _databases.clear()


def api_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url(tmp_path / "planner.db"),
        "api_keys": KEYS,
        "solver_processes": 1,
        "queue_depth": 4,
        "max_cities": 20,
        "max_horizon_days": 20,
        "max_body_bytes": 300_000,
        # No binding wall-clock limit: what the tests assert must not depend on the machine's speed.
        "max_time_limit_s": 3600.0,
        "default_time_limit_s": 3600.0,
    }
    values.update(overrides)
    return Settings(**values)


def bundled_events(name: str) -> list[dict[str, Any]]:
    data, _ = parse_text((ROOT / "scenarios" / "events" / f"{name}.yaml").read_text(), name)
    events: list[dict[str, Any]] = data["events"]
    return events


def assert_checked(
    version: dict[str, Any], previous: dict[str, Any] | None = None, position: str | None = None
) -> None:
    """The independent checker passes the plan of an API answer (with its events in force)."""
    plan = version["plan"]
    scenario = load_scenario(ROOT / "scenarios" / f"{plan['scenario']}.yaml")
    events = tuple(Disruption.model_validate(e) for e in plan.get("events", []))
    now = dt.datetime.fromisoformat(version["now"]) if version.get("now") else None
    violations = check_plan(scenario, plan, events=events, previous=previous, now=now, position=position)
    assert violations == [], violations


def assert_checked_inline(scenario_data: dict[str, Any], plan: dict[str, Any]) -> None:
    scenario = scenario_from_data(scenario_data)
    assert check_plan(scenario, plan) == []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    database: Path, *, started: list[subprocess.Popen[str]] | None = None, **env: str
) -> Iterator[str]:
    """``planner serve`` in its own process on a loopback port; yields the base URL (and
    appends the process to ``started``, when given)."""
    port = free_port()
    environment = {
        **os.environ,
        "PLANNER_DATABASE_URL": database_url(database),
        "PLANNER_API_KEYS": KEYS,
        "PLANNER_SOLVER_PROCESSES": "2",
        "PLANNER_MAX_TIME_LIMIT_S": "3600",
        "PLANNER_DEFAULT_TIME_LIMIT_S": "3600",
        **env,
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    base = f"http://127.0.0.1:{port}"
    if started is not None:
        started.append(process)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stdout.read() if process.stdout else ''}")
            try:
                if httpx.get(f"{base}/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
