"""Property-based requests generated from /openapi.json against a real server: never a 5xx.

Schemathesis draws requests (valid and invalid) for every operation; a bounded number
per operation keeps the run short. Besides "no server error", every answer must use a
status code, content type and body shape that the OpenAPI document declares.
"""

from __future__ import annotations

from pathlib import Path

import httpx
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

EXAMPLES_PER_OPERATION = 30
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


def test_generated_requests_never_get_a_server_error(tmp_path: Path) -> None:
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
        for result in api.get_all_operations():
            assert isinstance(result, Ok), result
            operation = result.ok()

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                steer(case, plan_id)
                case.call_and_validate(headers=ACME, timeout=60, checks=CHECKS)

            call()
            tested.append(operation.label)
    assert len(tested) >= 9, tested
