"""Plans and their versions: create, read, list versions, replan.

A replan names the version it starts from. If another replan stored a newer version
first, the answer is 409 and nothing is stored: no one overwrites a colleague's work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from api.catalog import checked_events, near_the_trip
from api.deps import OwnerDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, SOLVE_RESPONSES, field_error, not_found
from api.jobs import PlanOutcome, check_job, plan_job, replan_job
from api.schemas import CreatePlan, PlanSummary, PlanVersionOut, ReplanRequest, VersionSummary
from api.storage import PlanInfo, StaleVersion, VersionInfo

router = APIRouter(prefix="/v1/plans", tags=["plans"], responses=ERROR_RESPONSES)

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "base_version is not the latest: someone replanned first. Nothing stored."}
}
_GOOD = {"OPTIMAL", "FEASIBLE"}
MAX_VERSION = 1_000_000  # far beyond any trip; keeps numbers inside every database's integer

PlanId = Annotated[str, Path(min_length=1, max_length=64, description="The plan's id.")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1.")]


def _summary(version: VersionInfo) -> dict[str, Any]:
    plan = version.plan
    return {
        "version": version.number,
        "kind": version.kind,
        "base_version": version.base_version,
        "now": version.now,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "status": str(plan.get("status", "")),
        "seminars": len(plan.get("seminars", [])),
        "changes": int((plan.get("diff") or {}).get("changes", 0)),
        "events": list(version.events),
    }


def _version_out(version: VersionInfo) -> PlanVersionOut:
    return PlanVersionOut(id=version.plan_id, plan=version.plan, **_summary(version))


def _usable(outcome: PlanOutcome, time_limit_s: float) -> dict[str, Any]:
    """The plan of a finished job, or the HTTP error that says why there is none."""
    if outcome.error is not None:
        raise field_error(list(outcome.error.loc), outcome.error.message)
    plan = outcome.plan
    assert plan is not None
    if outcome.violations:
        raise HTTPException(
            status_code=500,
            detail={
                "message": "the checker rejected the plan; nothing was stored",
                "violations": outcome.violations,
            },
        )
    status = str(plan.get("status"))
    if status == "TIME_LIMIT":
        raise HTTPException(
            status_code=504, detail=f"no plan found within {time_limit_s:g} s; nothing was stored"
        )
    if status not in _GOOD:
        raise HTTPException(
            status_code=422,
            detail={
                "message": f"no itinerary satisfies the rules ({status}); nothing was stored",
                "uncovered": plan.get("uncovered", []),
            },
        )
    return plan


def _owned_plan(services: Services, plan_id: PlanId, organisation: str) -> PlanInfo:
    info = services.store.plan(plan_id, organisation)
    if info is None:
        raise not_found(f"plan {plan_id!r}")
    return info


@router.post(
    "",
    status_code=201,
    response_model=PlanVersionOut,
    responses=SOLVE_RESPONSES,
    summary="Create a plan (version 1) for a bundled or inline scenario",
)
def create_plan(body: CreatePlan, services: ServicesDep, owner: OwnerDep) -> PlanVersionOut:
    chosen = services.catalog.choose(body)
    options = services.catalog.solver_options(body.options, chosen.scenario)
    if body.plan is not None:
        if body.plan.get("version", 1) != 1:
            raise field_error(
                ["plan", "version"], "only a version 1 can be imported; replan it here for more"
            )
        outcome = services.run_job(check_job, chosen.data, body.plan, time_limit_s=0.0)
        if outcome.violations:
            raise field_error(
                ["plan"], "the checker rejects this plan: " + "; ".join(outcome.violations[:10])
            )
        plan = _usable(outcome, 0.0)
        kind = "imported"
    else:
        outcome = services.run_job(plan_job, chosen.data, options, time_limit_s=options["time_limit_s"])
        plan = _usable(outcome, options["time_limit_s"])
        kind = "planned"
    version = services.store.create_plan(owner, chosen.name, chosen.data, plan, kind)
    return _version_out(version)


@router.get("", response_model=list[PlanSummary], summary="The organisation's plans, newest first")
def list_plans(
    services: ServicesDep,
    owner: OwnerDep,
    limit: int = Query(default=50, ge=1, le=500, description="Most plans to return."),
    offset: int = Query(default=0, ge=0, le=1_000_000_000, description="Plans to skip."),
) -> list[PlanSummary]:
    return [
        PlanSummary(
            id=info.id,
            scenario_name=info.scenario_name,
            created_at=info.created_at,
            created_by=info.created_by,
            latest_version=info.latest_version,
            status=str(latest.plan.get("status", "")),
        )
        for info, latest in services.store.plans(owner.organisation, limit, offset)
    ]


@router.get("/{plan_id}", response_model=PlanVersionOut, summary="The latest version of a plan")
def get_plan(plan_id: PlanId, services: ServicesDep, owner: OwnerDep) -> PlanVersionOut:
    info = _owned_plan(services, plan_id, owner.organisation)
    version = services.store.version(plan_id, info.latest_version)
    if version is None:
        raise not_found(f"plan {plan_id!r}")
    return _version_out(version)


@router.get("/{plan_id}/versions", response_model=list[VersionSummary], summary="Every version of a plan")
def list_versions(plan_id: PlanId, services: ServicesDep, owner: OwnerDep) -> list[VersionSummary]:
    _owned_plan(services, plan_id, owner.organisation)
    return [VersionSummary(**_summary(v)) for v in services.store.versions(plan_id)]


@router.get("/{plan_id}/versions/{number}", response_model=PlanVersionOut, summary="One version of a plan")
def get_version(
    plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep
) -> PlanVersionOut:
    _owned_plan(services, plan_id, owner.organisation)
    version = services.store.version(plan_id, number)
    if version is None:
        raise not_found(f"version {number} of plan {plan_id!r}")
    return _version_out(version)


@router.post(
    "/{plan_id}/replan",
    status_code=201,
    response_model=PlanVersionOut,
    responses={**SOLVE_RESPONSES, **_CONFLICT},
    summary="Report events and get the next version, with its diff",
)
def replan_plan(
    plan_id: PlanId, body: ReplanRequest, services: ServicesDep, owner: OwnerDep
) -> PlanVersionOut:
    info = _owned_plan(services, plan_id, owner.organisation)
    if body.base_version != info.latest_version:
        raise _stale(info.latest_version)
    scenario = services.catalog.stored(info.scenario)
    # Bad events, times and positions are refused here, before they take a solver's time.
    checked_events(scenario, body.events, [])
    near_the_trip(scenario, body.now, ["now"])
    if body.position is not None and body.position not in {c.id for c in scenario.cities}:
        raise field_error(["position"], f"unknown city {body.position!r}")
    previous = services.store.version(plan_id, body.base_version)
    if previous is None:
        raise _stale(info.latest_version)
    options = services.catalog.solver_options(body.options, scenario)
    now = body.now.isoformat()
    outcome = services.run_job(
        replan_job,
        info.scenario,
        previous.plan,
        now,
        body.events,
        body.position,
        options,
        time_limit_s=options["time_limit_s"],
    )
    plan = _usable(outcome, options["time_limit_s"])
    try:
        version = services.store.add_version(owner, plan_id, body.base_version, plan, body.events, now)
    except StaleVersion as stale:
        raise _stale(stale.latest) from None
    return _version_out(version)


def _stale(latest: int) -> HTTPException:
    return HTTPException(
        status_code=409,
        detail=f"version {latest} is the latest: someone replanned first; read it and replan from it",
    )
