"""Reliability reports of a version: how likely the plan is to survive sampled winter disruptions.

``POST /v1/plans/{id}/versions/{n}/risk`` starts a Monte Carlo run of ``planner risk`` as a job in
the solver pool (its samples one after the other in one of the pool's processes, so the service's
parallelism stays the pool's) and answers 202 at once; ``GET`` the same address follows it (202
with samples done and running estimates) and then gives the report, stored with the version. A
version may get several reports (other seeds, sample counts, policies); the newest is the one
given. ``GET .../risk.svg`` draws it.

The risk model is the bundled ``scenarios/risk/<scenario name>.yaml`` for a plan of a bundled
scenario (unchanged since the plan was made), or the ``risk`` object of the request, which also
replaces the bundled one. Samples announce their events from the trip's start, so the run is
refused for a replanned version (one with ``now``): it needs the plan made before departure.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Response
from pydantic import BaseModel, Field

from api.bodies import CheckedBodyRoute
from api.deps import OwnerDep, Services, ServicesDep
from api.errors import SOLVE_RESPONSES, field_error, input_error, not_found
from api.jobs import PoolBusy, RiskOutcome, risk_job
from api.pending import PendingVersion
from api.routers.plans import PlanId, VersionNumber, _storable_owner
from api.schemas import Body, SolveOptions
from api.storage import KeyOwner, PlanInfo, RiskInfo, VersionInfo
from planner.domain import Scenario
from planner.pictures.reliability import risk_svg
from planner.risk.ray_engine import RayEngineError
from planner.risk.report import Estimate, RiskReport
from planner.scenario import ScenarioError, parse_text, risk_from_data

logger = logging.getLogger("api.risk")

router = APIRouter(prefix="/v1/plans", tags=["risk"], responses=SOLVE_RESPONSES, route_class=CheckedBodyRoute)

MAX_SAMPLES = 5000


class RiskRequest(Body):
    """How to sample: how many winters, from which seed, and what the delegation does."""

    samples: int = Field(default=100, ge=1, le=MAX_SAMPLES, description="Sampled winters to replay.")
    seed: int = Field(
        default=0, ge=0, le=2**31 - 1, description="Seed of the samples: the same seed, the same report."
    )
    policy: Literal["replan", "follow"] = Field(
        default="replan",
        description="replan: the delegation replans at each announcement; follow: it keeps to the plan "
        "(what replanning is worth is the difference).",
    )
    risk: dict[str, Any] | None = Field(
        default=None,
        description="A risk model in the risk file format (scenarios/README.md), as JSON. Needed when the "
        "plan's scenario is not a bundled one; for a bundled one it replaces scenarios/risk/<name>.yaml.",
    )


class RiskOut(BaseModel):
    """A reliability report of a version, or the run computing it."""

    id: str = Field(description="The plan's id.")
    version: int = Field(description="The version the samples replay.")
    status: str = Field(description="DONE with the report; QUEUED or RUNNING with progress; FAILED.")
    policy: str = Field(description="replan or follow.")
    samples: int = Field(description="Samples asked for.")
    seed: int = Field(description="Seed of the samples.")
    created_at: dt.datetime = Field(description="When the run was asked for (UTC), or the report stored.")
    created_by: str = Field(description="Organisation and key that asked for it.")
    progress: dict[str, Any] | None = Field(
        default=None,
        description="While QUEUED or RUNNING: phase, elapsed_s and, once sampling, samples_done, "
        "samples_total, regions_mean_so_far and p_all_regions_so_far (the running estimates).",
    )
    error: dict[str, Any] | None = Field(
        default=None, description="When FAILED: the HTTP status and detail the request would have had."
    )
    report: dict[str, Any] | None = Field(
        default=None,
        description="When DONE: the report of `planner risk --json`: expected regions and cities and "
        "P(all regions), P(back by the end) with 95 % intervals, extra hours and nights, fragile legs "
        "and cities (shares of samples), the worst samples and regions_histogram [[regions, samples]].",
    )


@dataclass
class PendingRisk(PendingVersion):
    """A run on the risk board: keyed by plan and version like a version being solved."""

    policy: str = "replan"
    samples: int = 0
    seed: int = 0


_STATES = {"QUEUED": "QUEUED", "SOLVING": "RUNNING", "FAILED": "FAILED"}


def _pending_out(pending: PendingRisk) -> RiskOut:
    error = pending.error
    return RiskOut(
        id=pending.plan_id,
        version=pending.number,
        status=_STATES.get(pending.state, pending.state),
        policy=pending.policy,
        samples=pending.samples,
        seed=pending.seed,
        created_at=pending.created_at,
        created_by=pending.created_by,
        progress=pending.report() if error is None else None,
        error={"status_code": error.status_code, "detail": error.detail} if error is not None else None,
    )


def _stored_out(stored: RiskInfo) -> RiskOut:
    return RiskOut(
        id=stored.plan_id,
        version=stored.version,
        status="DONE",
        policy=stored.policy,
        samples=stored.samples,
        seed=stored.seed,
        created_at=stored.created_at,
        created_by=stored.created_by,
        report=stored.report,
    )


def _owned_version(
    services: Services, plan_id: str, number: int, owner: KeyOwner
) -> tuple[PlanInfo, VersionInfo]:
    info = services.store.plan(plan_id, owner.organisation)
    if info is None:
        raise not_found(f"plan {plan_id!r}")
    version = services.store.version(plan_id, number)
    if version is None:
        raise not_found(f"version {number} of plan {plan_id!r}")
    return info, version


def _bundled_risk(services: Services, info: PlanInfo) -> dict[str, Any] | None:
    """The bundled risk file's data, when the plan is of a bundled scenario as it is now."""
    catalog = services.catalog
    bundled = catalog.scenario(info.scenario_name)
    path = catalog.folder / "risk" / f"{info.scenario_name}.yaml"
    if bundled is None or not path.is_file():
        return None
    # An inline scenario may carry a bundled one's name; and a bundled file may change after a
    # plan was made. Either way its risk file is not known to fit: the request must give one.
    if bundled.model_dump(mode="json", exclude_defaults=True) != info.scenario:
        return None
    data, _ = parse_text(path.read_text(encoding="utf-8"), str(path))
    return data if isinstance(data, dict) else None


def _risk_data(services: Services, info: PlanInfo, scenario: Scenario, given: dict[str, Any] | None) -> Any:
    data = given if given is not None else _bundled_risk(services, info)
    if data is None:
        raise field_error(
            ["risk"],
            f"no bundled risk model for the plan's scenario {info.scenario_name!r}; give one as `risk`, "
            "in the risk file format (scenarios/README.md)",
        )
    try:
        risk_from_data(data, "risk", {}, scenario)
    except ScenarioError as error:
        first = error.problems[0]
        where = "" if given is not None else "the bundled risk model: "
        raise field_error(
            ["risk", *first.path], where + "; ".join(p.message for p in error.problems)
        ) from None
    return data


@router.post(
    "/{plan_id}/versions/{number}/risk",
    status_code=202,
    response_model=RiskOut,
    responses={409: {"description": "A reliability run of this version is already going."}},
    summary="Start a reliability report of a version (Monte Carlo replay of sampled winters)",
)
def start_risk(
    plan_id: PlanId,
    number: VersionNumber,
    services: ServicesDep,
    owner: OwnerDep,
    response: Response,
    body: RiskRequest | None = None,
) -> RiskOut:
    body = body or RiskRequest()  # no body: every default
    _storable_owner(owner)
    info, version = _owned_version(services, plan_id, number, owner)
    if version.now is not None:
        raise input_error(
            ["path", "number"],
            f"version {number} is a replan (now {version.now}); samples start at the trip's start, so "
            "the reliability report is of a plan made before departure (version 1)",
        )
    scenario = services.catalog.stored(info.scenario)
    if scenario.teams or scenario.forming:
        raise input_error(
            ["path", "plan_id"],
            "a team plan: the reliability report is of one team's plan; this plan's scenario has teams",
        )
    risk_data = _risk_data(services, info, scenario, body.risk)
    options = services.catalog.solver_options(SolveOptions(), scenario)
    pending = PendingRisk(
        plan_id,
        number,
        owner.organisation,
        "risk",
        None,
        None,
        owner.author,
        policy=body.policy,
        samples=body.samples,
        seed=body.seed,
    )
    pending.progress.update({"samples_done": 0, "samples_total": body.samples})
    if services.risk_board.add(pending) is not None:
        raise HTTPException(
            status_code=409,
            detail=f"a reliability run of version {number} is already going; follow it at its Location",
            headers={"Location": _location(plan_id, number)},
        )
    args = (info.scenario, risk_data, version.plan, body.samples, body.seed, body.policy, options)
    try:
        future = services.pool.submit(risk_job, *args, pending.token, services.settings.risk_ray_address)
    except PoolBusy:
        services.risk_board.remove(pending)  # never started: nothing to follow
        raise services.busy() from None
    future.add_done_callback(lambda done: _finished(services, owner, pending, done))
    response.headers["Location"] = _location(plan_id, number)
    return _pending_out(pending)


def _location(plan_id: str, number: int) -> str:
    return f"/v1/plans/{plan_id}/versions/{number}/risk"


def _finished(services: Services, owner: KeyOwner, pending: PendingRisk, done: Future[RiskOutcome]) -> None:
    """Store the report of a finished run, or keep the run on the board as FAILED with why."""
    board = services.risk_board
    try:
        outcome = done.result()
        if outcome.error is not None:
            raise field_error(list(outcome.error.loc), outcome.error.message)
        assert outcome.report is not None
        services.store.add_risk_report(owner, pending.plan_id, pending.number, outcome.report)
        board.remove(pending)
    except HTTPException as error:
        board.failed(pending, error)
    except RayEngineError as error:  # PLANNER_RISK_RAY_ADDRESS names a cluster that cannot take it
        board.failed(
            pending, HTTPException(status_code=503, detail=f"the Ray cluster cannot run it: {error}")
        )
    except Exception:  # a bug or a crashed solver process: report it, store nothing
        logger.exception(
            "the reliability run of version %s of plan %s failed", pending.number, pending.plan_id
        )
        board.failed(pending, HTTPException(status_code=500, detail="the reliability run failed"))
    finally:
        pending.done.set()


@router.get(
    "/{plan_id}/versions/{number}/risk",
    response_model=RiskOut,
    responses={202: {"description": "A run is going: its progress and running estimates."}},
    summary="The newest reliability report of a version (or the run computing it)",
)
def get_risk(
    plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep, response: Response
) -> RiskOut:
    _owned_version(services, plan_id, number, owner)
    # The run first, then the report: a run stores its report before it leaves the board, so a run
    # found gone has its report in the store by the time it is read. Read the other way round, a
    # run ending between the two reads would leave the older report as the answer.
    pending = services.risk_board.get(plan_id, number, owner.organisation)
    stored = services.store.risk_report(plan_id, number)
    if pending is not None and isinstance(pending, PendingRisk):
        if pending.state != "FAILED":
            response.status_code = 202
            return _pending_out(pending)
        if stored is None or stored.created_at < pending.created_at:  # the newest run failed: say so
            return _pending_out(pending)
    if stored is None:
        raise not_found(f"a reliability report of version {number} of plan {plan_id!r}")
    return _stored_out(stored)


@router.get(
    "/{plan_id}/versions/{number}/risk.svg",
    response_class=Response,
    responses={
        200: {
            "description": "The newest report drawn: the distribution of regions covered over the "
            "samples, and the route with each leg as wide and dark as it is fragile.",
            "content": {"image/svg+xml": {"schema": {"type": "string"}}},
        }
    },
    summary="The reliability picture of a version (SVG)",
)
def risk_picture(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    info, version = _owned_version(services, plan_id, number, owner)
    stored = services.store.risk_report(plan_id, number)
    if stored is None:
        raise not_found(f"a reliability report of version {number} of plan {plan_id!r}")
    scenario = services.catalog.stored(info.scenario)
    content = risk_svg(scenario, version.plan, report_from_json(stored.report))
    # A newer report may replace this one at any time: the browser asks again each time.
    return Response(content, media_type="image/svg+xml", headers={"Cache-Control": "private, no-cache"})


def report_from_json(data: dict[str, Any]) -> RiskReport:
    """A stored report (``RiskReport.to_json``) as the report again."""
    known = {f.name for f in dataclasses.fields(RiskReport)}
    values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
    for name in ("regions", "cities", "all_regions", "back"):
        values[name] = Estimate(**data[name])
    for name in ("fragile_legs", "fragile_cities", "regions_histogram"):
        values[name] = tuple(tuple(item) for item in data.get(name, ()))
    values["worst"] = tuple(data["worst"])
    return RiskReport(**values)
