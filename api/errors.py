"""HTTP errors in one shape: FastAPI's ``{"detail": ...}``, field errors as a located list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException


def field_error(loc: Sequence[str | int], message: str, status: int = 422) -> HTTPException:
    """An error about one field of the body, located like FastAPI's own validation errors."""
    return input_error(["body", *loc], message, status)


def input_error(loc: Sequence[str | int], message: str, status: int = 422) -> HTTPException:
    """An error about one input (``["header", "authorization"]``, ``["body", ...]``)."""
    return HTTPException(
        status_code=status, detail=[{"loc": list(loc), "msg": message, "type": "value_error"}]
    )


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} not found")


# Documented in OpenAPI for every route that can answer them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or unknown API key (send Authorization: Bearer KEY)."},
    403: {"description": "A share token, used beyond reading the one plan it was made for."},
    404: {"description": "No such resource for the key's organisation."},
    413: {"description": "Request body larger than the server's limit."},
    422: {"description": "Invalid input; each error names the field."},
    429: {
        "description": "Too many requests from the key, its organisation, or (with unknown keys) the "
        "client address; retry after the Retry-After header's seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    },
}
SOLVE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    429: {
        "description": "Too many requests from the key, its organisation, or (with unknown keys) the "
        "client address, or the organisation already has its share of solves running or waiting "
        "(PLANNER_MAX_SOLVES_PER_ORGANISATION); retry after the Retry-After header's seconds.",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    },
    500: {"description": "The independent checker rejected the solver's plan; nothing was stored."},
    503: {"description": "Every solver is busy; retry after the Retry-After header's seconds."},
    504: {"description": "No plan within the time limit; nothing was stored."},
}
