"""Computing a new version: launch the solve, follow its progress, store it or say why not.

Both ways of asking go through here: a request that waits (201 with the version) and
one that does not (202; the version's status tells QUEUED, SOLVING with progress,
then the stored version or FAILED). Either way a version is stored only if the solve
finished in time, the independent checker passed it and it is still the next version.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from fastapi import HTTPException

from api.deps import Services
from api.errors import field_error
from api.jobs import PlanOutcome, PoolBusy
from api.notify import REPLAN_FAILED, VERSION_CREATED
from api.pending import PendingVersion
from api.storage import StaleVersion, VersionInfo
from planner.document import PlanDocument, PlanDocumentError, SolveStatus
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.team_document import TeamPlanDocument, read_any_document

logger = logging.getLogger("api.versioning")

_GOOD = {SolveStatus.OPTIMAL, SolveStatus.FEASIBLE}


def stored_document(plan: dict[str, Any]) -> PlanDocument | TeamPlanDocument:
    """A stored plan (or team plan) as its document. Every plan is validated before it is stored
    (planned, replanned or imported), so a failure here is a fault of the server, not of the request."""
    if plan.get("format") == TEAM_PLAN_FORMAT:
        return TeamPlanDocument.model_validate(plan)
    return PlanDocument.model_validate(plan)


def usable_plan(outcome: PlanOutcome, time_limit_s: float) -> dict[str, Any]:
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
    try:
        document = read_any_document(plan)
    except PlanDocumentError as error:
        # Only an imported plan can get here (the planner writes documents): bad input.
        raise field_error(["plan"], f"not a plan document: {error}") from None
    if document.status == SolveStatus.TIME_LIMIT:
        raise HTTPException(
            status_code=504, detail=f"no plan found within {time_limit_s:g} s; nothing was stored"
        )
    if document.status not in _GOOD:
        raise HTTPException(
            status_code=422,
            detail={
                "message": f"no itinerary satisfies the rules ({document.status.value}); nothing was stored",
                "uncovered": [u.model_dump(mode="json") for u in document.uncovered],
            },
        )
    return plan


def stale(latest: int) -> HTTPException:
    return HTTPException(
        status_code=409,
        detail=f"version {latest} is the latest: someone replanned first; read it and replan from it",
    )


def notify_version(services: Services, organisation: str, version: VersionInfo) -> None:
    """Tell the organisation's webhooks of a new stored version (in the background)."""
    services.notifier.notify(
        organisation,
        VERSION_CREATED,
        {
            "plan_id": version.plan_id,
            "version": version.number,
            "kind": version.kind,
            "base_version": version.base_version,
            "now": version.now,
            "status": version.plan.get("status"),
            "created_at": version.created_at.isoformat(),
            "created_by": version.created_by,
            "location": f"/v1/plans/{version.plan_id}/versions/{version.number}",
        },
    )


def notify_replan_failed(
    services: Services, organisation: str, plan_id: str, base_version: int, error: HTTPException
) -> None:
    """Tell the organisation's webhooks that a replan stored nothing, and why (in the background)."""
    services.notifier.notify(
        organisation,
        REPLAN_FAILED,
        {
            "plan_id": plan_id,
            "base_version": base_version,
            "version": base_version + 1,
            "status_code": error.status_code,
            "detail": error.detail,
            "location": f"/v1/plans/{plan_id}",
        },
    )


def launch(
    services: Services,
    pending: PendingVersion,
    job: Callable[..., PlanOutcome],
    args: tuple[Any, ...],
    time_limit_s: float,
    store: Callable[[dict[str, Any]], VersionInfo],
) -> PendingVersion:
    """Start computing ``pending``; 409 if that version is already being computed or a replan
    of the same base version stored it meanwhile, 503 if busy."""
    running = services.board.add(pending)
    if running is not None:
        raise HTTPException(
            status_code=409,
            detail=f"version {running.number} is being computed ({running.state}); "
            "wait for it, then replan from it",
        )
    if pending.base_version is not None:
        # Registered first, checked second: a replan that stored this version leaves the board
        # only after its commit, so either it was still there (409 above) or it is in the
        # database now. The loser of a race learns it here, never from someone else's version.
        latest = services.store.plan_latest(pending.plan_id)
        if latest != pending.base_version:
            services.board.remove(pending)
            conflict = stale(latest)
            notify_replan_failed(
                services, pending.organisation, pending.plan_id, pending.base_version, conflict
            )
            raise conflict
    try:
        future = services.pool.submit(job, *args, pending.token)
    except PoolBusy:
        services.board.remove(pending)  # never started: nothing to report on it later
        raise services.busy() from None

    def finished(done: Future[PlanOutcome]) -> None:
        failure: HTTPException | None = None
        try:
            with pending.lock:
                if pending.abandoned:
                    raise HTTPException(status_code=504, detail="the request timed out; nothing was stored")
                plan = usable_plan(done.result(), time_limit_s)
                try:
                    pending.stored = store(plan)
                except StaleVersion as error:
                    raise stale(error.latest) from None
            services.board.remove(pending)
        except HTTPException as error:
            failure = error
            services.board.failed(pending, error)
        except Exception:  # a bug or a crashed solver process: report it, store nothing
            logger.exception("version %s of plan %s failed", pending.number, pending.plan_id)
            failure = HTTPException(status_code=500, detail="the solve failed")
            services.board.failed(pending, failure)
        finally:
            pending.done.set()
        # After the answer is ready: a notification never delays nor fails the version.
        if pending.stored is not None:
            notify_version(services, pending.organisation, pending.stored)
        elif failure is not None and pending.base_version is not None:
            organisation, base = pending.organisation, pending.base_version
            notify_replan_failed(services, organisation, pending.plan_id, base, failure)

    future.add_done_callback(finished)
    return pending


def wait_for(services: Services, pending: PendingVersion, time_limit_s: float) -> VersionInfo:
    """The stored version, or the HTTP error that prevented it (504 after the deadline)."""
    if not pending.done.wait(time_limit_s + services.settings.grace_s):
        # The lock orders this against storing: either the version is already stored
        # (then it is the answer) or it never will be.
        with pending.lock:
            if pending.stored is None:
                pending.abandoned = True
                raise HTTPException(
                    status_code=504, detail=f"no result within {time_limit_s:g} s; nothing was stored"
                )
            return pending.stored
    if pending.error is not None:
        raise pending.error
    assert pending.stored is not None
    return pending.stored
