"""What every route needs: the service objects and the caller's organisation."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer

from api.catalog import Catalog
from api.jobs import JobTimeout, PoolBusy, ShareExceeded, SolverPool, solver_tenant
from api.notify import Notifier
from api.pending import PendingBoard
from api.ratelimit import RateLimits
from api.settings import Settings
from api.share_store import SHARE_PREFIX, ShareStore
from api.storage import KeyOwner, Store
from api.webhook_store import WebhookStore


@dataclass
class Services:
    """Created once per app by its lifespan and shared by every request."""

    settings: Settings
    store: Store
    pool: SolverPool
    catalog: Catalog
    configured_keys: dict[str, str]  # key -> organisation, from the environment
    board: PendingBoard  # versions being computed
    limits: RateLimits  # requests per key, per organisation, failed keys per address
    shares: ShareStore  # read-only share links of plans
    webhooks: WebhookStore  # the organisations' webhooks and their delivery log
    notifier: Notifier  # delivers notifications to the webhooks, in threads of its own
    # Reliability reports being computed (api.routers.risk), by plan and version.
    risk_board: PendingBoard = field(default_factory=PendingBoard)

    def busy(self) -> HTTPException:
        """The answer to the PoolBusy being handled, with Retry-After: 429 when the caller's
        organisation already holds its share of the solvers, else 503 (every solver process
        is busy and the waiting line is full)."""
        if isinstance(sys.exception(), ShareExceeded):
            return HTTPException(
                status_code=429,
                detail=f"your organisation already has {self.settings.max_solves_per_organisation} "
                "solves running or waiting, its share of the solvers; retry when one is done",
                headers={"Retry-After": str(self.settings.retry_after_s)},
            )
        return HTTPException(
            status_code=503,
            detail="every solver is busy; retry shortly",
            headers={"Retry-After": str(self.settings.retry_after_s)},
        )

    def run_job(self, fn: Any, *args: Any, time_limit_s: float) -> Any:
        """A solver job in the pool; 503 when the pool is full, 504 when it runs out of time."""
        try:
            return self.pool.run(fn, *args, timeout=time_limit_s + self.settings.grace_s)
        except PoolBusy:
            raise self.busy() from None
        except JobTimeout:
            raise HTTPException(
                status_code=504, detail=f"no result within {time_limit_s:g} s; nothing was stored"
            ) from None


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


_bearer = HTTPBearer(auto_error=False, description="An API key: Authorization: Bearer KEY")
_share_query = APIKeyQuery(
    name="share", auto_error=False, description="A share link's token: reads its one plan only."
)
_share_header = APIKeyHeader(
    name="X-Share-Token", auto_error=False, description="A share link's token: reads its one plan only."
)


def current_owner(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    share_query: Annotated[str | None, Depends(_share_query)],
    share_header: Annotated[str | None, Depends(_share_header)],
) -> KeyOwner:
    """Who the request speaks for: the organisation of its API key, or the plan of its share token
    (``share`` query parameter, X-Share-Token header, or a bearer token made for sharing); 401
    without a valid key or token, 429 over a rate. A bearer API key wins over a share token."""
    challenge = {"WWW-Authenticate": "Bearer"}
    bearer = credentials.credentials if credentials and credentials.scheme.lower() == "bearer" else None
    share = share_query or share_header
    if bearer is not None and bearer.startswith(SHARE_PREFIX) and bearer not in services.configured_keys:
        bearer, share = None, bearer
    if bearer is None and share is None:
        raise HTTPException(
            status_code=401, detail="send an API key: Authorization: Bearer KEY", headers=challenge
        )
    address = request.client.host if request.client else "unknown"
    services.limits.check_client(address)
    if bearer is not None:
        organisation = services.configured_keys.get(bearer)
        if organisation is not None:
            owner: KeyOwner | None = KeyOwner(organisation, "configured", None)
        else:
            owner = services.store.key_owner(bearer)
        what, token = "API key", bearer
    else:
        assert share is not None
        owner, what, token = services.shares.holder(share), "share token", share
    if owner is None:
        services.limits.failed(address)
        raise HTTPException(status_code=401, detail=f"unknown or revoked {what}", headers=challenge)
    services.limits.admit(token, owner.organisation)
    return owner


async def admitted_owner(owner: Annotated[KeyOwner, Depends(current_owner)]) -> KeyOwner:
    """The caller's organisation, for a route that needs an API key (an editor): 403 for a share
    token. Also marked on the solver jobs this request submits (their share of the pool). Async, so
    the mark is made in the request's own context, which the route's thread inherits."""
    if owner.shared_plan is not None:
        raise HTTPException(status_code=403, detail="a share link only reads its plan; this needs an API key")
    solver_tenant.set(owner.organisation)
    return owner


async def reading_owner(request: Request, owner: Annotated[KeyOwner, Depends(current_owner)]) -> KeyOwner:
    """The caller's organisation, for a route that reads one plan: an API key, or a share token of
    that very plan (403 for any other plan)."""
    if owner.shared_plan is not None and request.path_params.get("plan_id") != owner.shared_plan:
        raise HTTPException(status_code=403, detail="a share link reads only the plan it was made for")
    solver_tenant.set(owner.organisation)
    return owner


ServicesDep = Annotated[Services, Depends(get_services)]
OwnerDep = Annotated[KeyOwner, Depends(admitted_owner)]
ReaderDep = Annotated[KeyOwner, Depends(reading_owner)]
