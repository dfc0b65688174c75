"""Plans and their versions: create, read, list versions, replan.

A replan names the version it starts from. If another replan stored a newer version
first, the answer is 409 and nothing is stored: no one overwrites a colleague's work.
A replan starts no earlier than the version it starts from: the past stays as it was.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response

from api import limits
from api.bodies import CheckedBodyRoute
from api.catalog import checked_events, near_the_trip
from api.deps import OwnerDep, ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, SOLVE_RESPONSES, field_error, input_error, not_found
from api.jobs import check_job, plan_job, replan_job
from api.pending import PendingVersion
from api.schemas import CreatePlan, PlanSummary, PlanVersionOut, ReplanRequest, VersionSummary
from api.storage import KeyOwner, PlanInfo, VersionInfo
from api.versioning import (
    launch,
    notify_replan_failed,
    notify_version,
    stale,
    stored_document,
    usable_plan,
    wait_for,
)
from planner.document import PlanDocument
from planner.team_document import TeamPlanDocument

router = APIRouter(
    prefix="/v1/plans", tags=["plans"], responses=ERROR_RESPONSES, route_class=CheckedBodyRoute
)

_CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {"description": "base_version is not the latest: someone replanned first. Nothing stored."}
}
MAX_VERSION = 1_000_000  # far beyond any trip; keeps numbers inside every database's integer

PlanId = Annotated[str, Path(min_length=1, max_length=64, description="The plan's id.")]
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1.")]


def _summary(version: VersionInfo, document: PlanDocument | TeamPlanDocument) -> dict[str, Any]:
    if isinstance(document, TeamPlanDocument):
        seminars, changes = document.seminar_count, document.changes
    else:
        seminars, changes = len(document.seminars), document.diff.changes if document.diff else 0
    return {
        "version": version.number,
        "kind": version.kind,
        "base_version": version.base_version,
        "now": version.now,
        "created_at": version.created_at,
        "created_by": version.created_by,
        "status": document.status.value,
        "seminars": seminars,
        "changes": changes,
        "events": list(version.events),
    }


def _version_out(version: VersionInfo) -> PlanVersionOut:
    document = stored_document(version.plan)
    return PlanVersionOut(id=version.plan_id, plan=document, **_summary(version, document))


def _pending_out(pending: PendingVersion) -> PlanVersionOut:
    error = pending.error
    return PlanVersionOut(
        id=pending.plan_id,
        version=pending.number,
        kind=pending.kind,
        base_version=pending.base_version,
        now=pending.now,
        created_at=pending.created_at,
        created_by=pending.created_by,
        status=pending.state,
        seminars=0,
        changes=0,
        events=list(pending.events),
        plan=None,
        progress=pending.report() if error is None else None,
        error={"status_code": error.status_code, "detail": error.detail} if error is not None else None,
    )


def _answer(
    services: Services, pending: PendingVersion, wait: bool, time_limit_s: float, response: Response
) -> PlanVersionOut:
    """201 with the stored version when waiting; else 202 with its status and where to follow it."""
    if wait:
        return _version_out(wait_for(services, pending, time_limit_s))
    response.status_code = 202
    response.headers["Location"] = f"/v1/plans/{pending.plan_id}/versions/{pending.number}"
    return _pending_out(pending)


def _storable_owner(owner: KeyOwner) -> None:
    """The key's organisation and the created_by made of it fit their columns (else 422, before
    any work). Keys made by ``planner keys create`` always fit; a long organisation in
    PLANNER_API_KEYS, or a key made before labels were limited, may not."""
    for what, text, limit in (
        ("organisation", owner.organisation, limits.ORGANISATION),
        ("organisation and label (created_by)", owner.author, limits.CREATED_BY),
    ):
        problem = limits.text_problem(text, limit)
        if problem is not None:
            raise input_error(["header", "authorization"], f"the key's {what}: {problem}; use another key")


_IMPORTABLE = ("OPTIMAL", "FEASIBLE")


def _owned_plan(services: Services, plan_id: str, organisation: str) -> PlanInfo:
    info = services.store.plan(plan_id, organisation)
    if info is None:
        if services.board.get(plan_id, 1, organisation) is not None:
            raise HTTPException(status_code=409, detail="version 1 of this plan is still being computed")
        raise not_found(f"plan {plan_id!r}")
    return info


_WAIT = Query(
    default=True,
    description="true: answer 201 with the version once stored. false: answer 202 at once; follow the "
    "version's status (QUEUED, SOLVING with progress, then the stored version or FAILED) at the Location.",
)


@router.post(
    "",
    status_code=201,
    response_model=PlanVersionOut,
    responses={**SOLVE_RESPONSES, 202: {"description": "Accepted (wait=false): the version is computing."}},
    summary="Create a plan (version 1) for a bundled or inline scenario",
)
def create_plan(
    body: CreatePlan, services: ServicesDep, owner: OwnerDep, response: Response, wait: bool = _WAIT
) -> PlanVersionOut:
    _storable_owner(owner)
    chosen = services.catalog.choose(body)
    options = services.catalog.solver_options(body.options, chosen.scenario)
    if body.plan is not None:
        if body.plan.get("version", 1) != 1:
            raise field_error(
                ["plan", "version"], "only a version 1 can be imported; replan it here for more"
            )
        status = body.plan.get("status")
        if status not in _IMPORTABLE:
            shown = repr(status) if isinstance(status, str | None) else f"a JSON {type(status).__name__}"
            raise field_error(
                ["plan", "status"],
                f"{shown[:60]}: only a plan with a solution (OPTIMAL or FEASIBLE) can be imported",
            )
        outcome = services.run_job(check_job, chosen.data, body.plan, time_limit_s=0.0)
        if outcome.violations:
            raise field_error(
                ["plan"], "the checker rejects this plan: " + "; ".join(outcome.violations[:10])
            )
        plan = usable_plan(outcome, 0.0)
        imported = services.store.create_plan(owner, chosen.name, chosen.data, plan, "imported")
        notify_version(services, owner.organisation, imported)
        return _version_out(imported)

    plan_id = uuid.uuid4().hex
    pending = PendingVersion(plan_id, 1, owner.organisation, "planned", None, None, owner.author)
    time_limit = options["time_limit_s"]
    launch(
        services,
        pending,
        plan_job,
        (chosen.data, options),
        time_limit,
        lambda plan: services.store.create_plan(owner, chosen.name, chosen.data, plan, "planned", plan_id),
    )
    return _answer(services, pending, wait, time_limit, response)


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
            status=stored_document(latest.plan).status.value,
        )
        for info, latest in services.store.plans(owner.organisation, limit, offset)
    ]


@router.get("/{plan_id}", response_model=PlanVersionOut, summary="The latest stored version of a plan")
def get_plan(plan_id: PlanId, services: ServicesDep, owner: ReaderDep) -> PlanVersionOut:
    info = services.store.plan(plan_id, owner.organisation)
    if info is None:
        first = services.board.get(plan_id, 1, owner.organisation)
        if first is not None:  # version 1 still computing (or failed): say so
            return _pending_out(first)
        raise not_found(f"plan {plan_id!r}")
    version = services.store.version(plan_id, info.latest_version)
    if version is None:
        raise not_found(f"plan {plan_id!r}")
    return _version_out(version)


@router.get(
    "/{plan_id}/versions",
    response_model=list[VersionSummary],
    summary="Every version of a plan, with any being computed",
)
def list_versions(plan_id: PlanId, services: ServicesDep, owner: ReaderDep) -> list[VersionSummary]:
    if services.store.plan(plan_id, owner.organisation) is not None:
        stored = [
            VersionSummary(**_summary(v, stored_document(v.plan))) for v in services.store.versions(plan_id)
        ]
    elif services.board.get(plan_id, 1, owner.organisation) is not None:
        stored = []  # version 1 is still being computed
    else:
        raise not_found(f"plan {plan_id!r}")
    latest = stored[-1].version if stored else 0
    computing = [
        VersionSummary(**_pending_out(p).model_dump(exclude={"id", "plan"}))
        for p in services.board.of_plan(plan_id, owner.organisation)
        if p.number > latest
    ]
    return stored + computing


@router.get(
    "/{plan_id}/versions/{number}",
    response_model=PlanVersionOut,
    summary="One version of a plan (its status while it is being computed)",
)
def get_version(
    plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: ReaderDep
) -> PlanVersionOut:
    # The board first, then the store: a version is stored before it leaves the board, so one that
    # finishes between the two reads is found stored. Read the other way round it would be found in
    # neither place, and a coordinator polling it would be told it does not exist.
    pending = services.board.get(plan_id, number, owner.organisation)
    version = None
    if services.store.plan(plan_id, owner.organisation) is not None:
        version = services.store.version(plan_id, number)
    if version is not None:
        return _version_out(version)
    if pending is not None:
        return _pending_out(pending)
    raise not_found(f"version {number} of plan {plan_id!r}")


@router.post(
    "/{plan_id}/replan",
    status_code=201,
    response_model=PlanVersionOut,
    responses={
        **SOLVE_RESPONSES,
        **_CONFLICT,
        202: {"description": "Accepted (wait=false): the version is computing."},
    },
    summary="Report events and get the next version, with its diff",
)
def replan_plan(
    plan_id: PlanId,
    body: ReplanRequest,
    services: ServicesDep,
    owner: OwnerDep,
    response: Response,
    wait: bool = _WAIT,
) -> PlanVersionOut:
    _storable_owner(owner)
    info = _owned_plan(services, plan_id, owner.organisation)
    if body.base_version != info.latest_version:
        conflict = stale(info.latest_version)
        notify_replan_failed(services, owner.organisation, plan_id, body.base_version, conflict)
        raise conflict
    scenario = services.catalog.stored(info.scenario)
    # Bad events, times and positions are refused here, before they take a solver's time.
    checked_events(scenario, body.events, [])
    for index, event in enumerate(body.events):
        for name, limit in (("id", limits.EVENT_ID), ("kind", limits.EVENT_KIND)):
            problem = limits.text_problem(str(event[name]), limit)
            if problem is not None:
                raise field_error(["events", index, name], problem)
    near_the_trip(scenario, body.now, ["now"])
    if body.position is not None and (scenario.teams or scenario.forming):
        raise field_error(
            ["position"], "a team plan is replanned from where each team's plan has it; leave position out"
        )
    if body.position is not None and body.position not in {c.id for c in scenario.cities}:
        raise field_error(["position"], f"unknown city {body.position!r}")
    previous = services.store.version(plan_id, body.base_version)
    if previous is None:
        raise stale(info.latest_version)
    if previous.now is not None and body.now < dt.datetime.fromisoformat(previous.now):
        raise field_error(
            ["now"],
            f"{body.now.isoformat()} is before {previous.now}, the moment version {previous.number} "
            "was replanned at: a replan cannot change what was already done",
        )
    options = services.catalog.solver_options(body.options, scenario)
    now = body.now.isoformat()
    if len(now) > limits.VERSION_NOW:
        raise field_error(["now"], f"{len(now)} characters; at most {limits.VERSION_NOW} are stored")
    base = body.base_version
    pending = PendingVersion(
        plan_id, base + 1, owner.organisation, "replanned", base, now, owner.author, tuple(body.events)
    )
    time_limit = options["time_limit_s"]
    launch(
        services,
        pending,
        replan_job,
        (info.scenario, previous.plan, now, body.events, body.position, options),
        time_limit,
        lambda plan: services.store.add_version(owner, plan_id, base, plan, body.events, now),
    )
    return _answer(services, pending, wait, time_limit, response)
