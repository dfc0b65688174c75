"""Property-based requests generated from /openapi.json against a real server: never a 5xx.

Schemathesis draws requests (valid and invalid) for every operation; a bounded number
per operation keeps the run short (the slow tier draws thousands). Besides "no server
error", every answer must use a status code, content type and body shape that the
OpenAPI document declares.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Ok

from tests.api_support import ACME, running_server

EXAMPLES_PER_OPERATION = 12
# The slow tier: at least this many requests in all. Operations with few possible inputs
# (no parameters at all, like the health check) end early, so the others draw more.
SLOW_REQUESTS = 5000
SLOW_EXAMPLES_PER_OPERATION = 500
REAL_SCENARIO = "three-cities"


def steer(case: schemathesis.Case, plan_id: str) -> None:
    """Point drawn requests at things that exist, so they reach the solver and the checker.

    Purely random ids and names would only ever meet 404 and 422.
    """
    if case.path_parameters and "plan_id" in case.path_parameters:
        case.path_parameters["plan_id"] = plan_id
    if isinstance(case.body, dict) and isinstance(case.body.get("scenario_name"), str):
        case.body["scenario_name"] = REAL_SCENARIO


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def generated_requests(tmp_path: Path, examples_per_operation: int) -> tuple[list[str], Counter[int]]:
    """Draw up to ``examples_per_operation`` requests for every operation of a real server and
    check each answer; the operations tested and how many answers had each status."""
    # The plan the drawn requests work on, made without a binding limit (on any machine)...
    with running_server(tmp_path / "planner.db", PLANNER_SOLVER_PROCESSES="1") as base:
        created = httpx.post(
            f"{base}/v1/plans", json={"scenario_name": REAL_SCENARIO}, headers=ACME, timeout=600
        )
        assert created.status_code == 201, created.text
        plan_id = created.json()["id"]
    # ... then a 1 s solver cap keeps any drawn solve short; the server must still never fail.
    with running_server(
        tmp_path / "planner.db",
        PLANNER_MAX_TIME_LIMIT_S="1",
        PLANNER_DEFAULT_TIME_LIMIT_S="1",
        PLANNER_SOLVER_PROCESSES="1",
    ) as base:
        api = schemathesis.openapi.from_url(f"{base}/openapi.json")
        tested = []
        statuses: Counter[int] = Counter()
        for result in api.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(
                max_examples=examples_per_operation,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                steer(case, plan_id)
                response = case.call_and_validate(headers=ACME, timeout=60, checks=CHECKS)
                statuses[response.status_code] += 1

            call()
            tested.append(operation.label)
    return tested, statuses


def test_generated_requests_never_get_a_server_error(tmp_path: Path) -> None:
    tested, statuses = generated_requests(tmp_path, EXAMPLES_PER_OPERATION)
    assert len(tested) >= 9, tested
    assert not [status for status in statuses if status >= 500], statuses


@pytest.mark.slow
def test_thousands_of_generated_requests_never_get_a_server_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At least SLOW_REQUESTS drawn requests, not one answered with a 5xx. No rate limit (the
    servers inherit the environment): the requests come faster than a key's default rate,
    and a 429 would test nothing."""
    monkeypatch.setenv("PLANNER_RATE_PER_KEY", "0")
    monkeypatch.setenv("PLANNER_RATE_PER_ORGANISATION", "0")
    tested, statuses = generated_requests(tmp_path, SLOW_EXAMPLES_PER_OPERATION)
    assert len(tested) >= 9, tested
    assert sum(statuses.values()) >= SLOW_REQUESTS, statuses
    assert not [status for status in statuses if status >= 500], statuses
