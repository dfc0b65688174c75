"""Tiny named worlds shared by the tests, built in code so each test reads on its own."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import Any

import pytest

from planner.connections.store import CACHE_DIR_ENV
from planner.domain import Scenario
from planner.result import plan_json
from planner.scenario import load_scenario
from planner.solve import plan
from tests.leftovers import TAG, left_behind, reap

# Every process the suite starts inherits this tag; at the end none may be left (tests/leftovers.py).
SESSION = os.environ.setdefault(TAG, secrets.token_hex(8))

# The connections a `planner plan` keeps on disk go to a directory of this run alone, inherited by
# every CLI the suite starts: a run never reads what an earlier run, or the user, kept.
_CONNECTION_CACHE = tempfile.TemporaryDirectory(prefix="planner-cache-")
os.environ[CACHE_DIR_ENV] = _CONNECTION_CACHE.name


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a server, solver pool or CLI a test started is still alive."""
    alive = left_behind(SESSION)
    if alive:
        reap(alive)
        listing = "\n".join(f"  {pid}: {command}" for pid, command in sorted(alive.items()))
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = f"\nprocesses started by the tests were still running at the end:\n{listing}"
        if reporter is not None:
            reporter.write_line(message, red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
FLAGSHIP = SCENARIOS / "kazakhstan-winter-2016.yaml"


# The solver settings of every scenario a test solves: no binding wall-clock limit, so what a
# test asserts (OPTIMAL, the plan itself) never depends on how fast or busy the machine is.
# Anytime behaviour under limits is tested with CP-SAT's deterministic time (test_anytime.py).
UNHURRIED = {"time_limit_s": 3600, "workers": 1, "seed": 0}


def unhurried(scenario: Scenario) -> Scenario:
    """The scenario with the solver limit that never binds (its seed kept)."""
    solver = scenario.solver.model_copy(update={"time_limit_s": UNHURRIED["time_limit_s"], "workers": 1})
    return scenario.model_copy(update={"solver": solver})


def load(path: Path) -> Scenario:
    """A scenario file, loaded as the tests solve it (``unhurried``)."""
    return unhurried(load_scenario(path))


def make_plan(scenario: Scenario) -> dict[str, Any]:
    """The planner's own plan JSON for a scenario (version 1)."""
    problem, result = plan(scenario)
    return plan_json(scenario, problem.axis, result)


def steppe_data(**overrides: Any) -> dict[str, Any]:
    """Three cities on the 2016 map: Astana (home, UTC+6), Karaganda (road, 3 h) and
    Aktobe (UTC+5, one daily flight each way). Three working days from Mon 18 Jan 2016.
    """
    data: dict[str, Any] = {
        "name": "steppe",
        "calendar": {"start_date": "2016-01-18", "horizon_days": 3},
        "regions": [{"id": "astana-city"}, {"id": "karaganda"}, {"id": "aktobe"}],
        "cities": [
            {
                "id": "astana",
                "name": "Astana",
                "region": "astana-city",
                "lat": 51.18,
                "lon": 71.446,
                "timezone": "Asia/Almaty",
                "terminals": [{"id": "TSE", "kind": "airport", "access_min": 30, "check_in_min": 60}],
            },
            {
                "id": "karaganda",
                "name": "Karaganda",
                "region": "karaganda",
                "lat": 49.802,
                "lon": 73.102,
                "timezone": "Asia/Almaty",
            },
            {
                "id": "aktobe",
                "name": "Aktobe",
                "region": "aktobe",
                "lat": 50.28,
                "lon": 57.207,
                "timezone": "Asia/Aqtobe",
                "terminals": [{"id": "AKX", "kind": "airport", "access_min": 20, "check_in_min": 60}],
            },
        ],
        "seminars": [
            {"city": "karaganda", "start_times": ["09:30", "14:30"]},
            {"city": "aktobe", "start_times": ["09:30", "14:30"]},
        ],
        "delegation": {
            "start_city": "astana",
            "end_city": "astana",
            "earliest_departure": "2016-01-18T07:00",
            "latest_return": "2016-01-20T23:00",
        },
        "services": [
            {
                "id": "KC101",
                "mode": "flight",
                "stops": [{"terminal": "TSE", "depart": "07:00"}, {"terminal": "AKX", "arrive": "07:41"}],
                "fare": 30000,
            },
            {
                "id": "KC102",
                "mode": "flight",
                "stops": [{"terminal": "AKX", "depart": "17:00"}, {"terminal": "TSE", "arrive": "19:41"}],
                "fare": 30000,
            },
        ],
        "roads": [
            {
                "id": "astana-karaganda",
                "a": "astana",
                "b": "karaganda",
                "distance_km": 215,
                "duration_min": 180,
            }
        ],
    }
    data["solver"] = dict(UNHURRIED)
    for key, value in overrides.items():
        data[key] = value
    return data


@pytest.fixture
def steppe() -> Scenario:
    return Scenario.model_validate(steppe_data())


@pytest.fixture(scope="session")
def flagship() -> Scenario:
    return load(FLAGSHIP)


def counted_calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """One entry per call of ``module.name`` from now on (the real function runs, only counted)."""
    calls: list[int] = []
    real = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls
