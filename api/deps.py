"""What every route needs: the service objects and the caller's organisation."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.catalog import Catalog
from api.jobs import JobTimeout, PoolBusy, ShareExceeded, SolverPool, solver_tenant
from api.pending import PendingBoard
from api.ratelimit import RateLimits
from api.settings import Settings
from api.storage import KeyOwner, Store


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


def current_owner(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> KeyOwner:
    """The organisation the request's key belongs to; 401 without a valid key, 429 over a rate."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status_code=401, detail="send an API key: Authorization: Bearer KEY", headers=challenge
        )
    address = request.client.host if request.client else "unknown"
    services.limits.check_client(address)
    key = credentials.credentials
    organisation = services.configured_keys.get(key)
    if organisation is not None:
        owner: KeyOwner | None = KeyOwner(organisation, "configured", None)
    else:
        owner = services.store.key_owner(key)
    if owner is None:
        services.limits.failed(address)
        raise HTTPException(status_code=401, detail="unknown or revoked API key", headers=challenge)
    services.limits.admit(key, owner.organisation)
    return owner


async def admitted_owner(owner: Annotated[KeyOwner, Depends(current_owner)]) -> KeyOwner:
    """The caller's organisation, also marked on the solver jobs this request submits (their
    share of the pool). Async, so the mark is made in the request's own context, which the
    route's thread inherits."""
    solver_tenant.set(owner.organisation)
    return owner


ServicesDep = Annotated[Services, Depends(get_services)]
OwnerDep = Annotated[KeyOwner, Depends(admitted_owner)]
