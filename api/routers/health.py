"""GET /v1/health: is the service up, does the database answer, how busy are the solvers."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from api.deps import ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas import Health, PoolStatus

# No key and no parameters: only an oversized body (of any request) is refused, by the server.
router = APIRouter(prefix="/v1", tags=["health"], responses={413: ERROR_RESPONSES[413]})


def _version() -> str:
    try:
        return version("delegation-planner")
    except PackageNotFoundError:
        return "unknown"


@router.get("/health", response_model=Health, summary="Service health (no key needed)")
def health(services: ServicesDep) -> Health:
    try:
        database = "ok" if services.store.ping() else "no answer"
    except Exception as exc:  # any driver error means the database is not usable
        database = f"error: {type(exc).__name__}"
    pool = services.pool
    return Health(
        status="ok" if database == "ok" else "degraded",
        database=database,
        solver=PoolStatus(processes=pool.processes, capacity=pool.capacity, in_flight=pool.in_flight),
        version=_version(),
    )
