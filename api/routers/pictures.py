"""A plan version as pictures: the route map and the day-by-day timeline, SVG or PNG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from api.deps import OwnerDep, ServicesDep
from api.errors import ERROR_RESPONSES, not_found
from api.routers.plans import PlanId, VersionNumber
from planner.domain import Scenario
from planner.pictures import render_map_png, render_map_svg, render_timeline_png, render_timeline_svg

router = APIRouter(prefix="/v1/plans", tags=["pictures"], responses=ERROR_RESPONSES)

_RENDERERS: dict[tuple[str, str], tuple[Callable[[Scenario, dict[str, Any]], Any], str]] = {
    ("map", "svg"): (render_map_svg, "image/svg+xml"),
    ("map", "png"): (render_map_png, "image/png"),
    ("timeline", "svg"): (render_timeline_svg, "image/svg+xml"),
    ("timeline", "png"): (render_timeline_png, "image/png"),
}


def _picture(
    services: ServicesDep, owner: OwnerDep, plan_id: str, number: int, name: str, kind: str
) -> Response:
    info = services.store.plan(plan_id, owner.organisation)
    version = services.store.version(plan_id, number) if info is not None else None
    if info is None or version is None:
        raise not_found(f"version {number} of plan {plan_id!r}")
    render, media_type = _RENDERERS[(name, kind)]
    scenario = services.catalog.stored(info.scenario)
    content = render(scenario, version.plan)  # planner.pictures draws one at a time itself
    return Response(content, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})


def _responses(media_type: str, what: str) -> dict[int | str, dict[str, Any]]:
    return {200: {"description": what, "content": {media_type: {"schema": {"type": "string"}}}}}


_MAP = "The route: cities, legs coloured by mode, closed terminals and roads marked."
_TIMELINE = "The days of the trip: seminars, legs, nights and disruptions, in home-zone local time."


@router.get(
    "/{plan_id}/versions/{number}/map.svg",
    response_class=Response,
    responses=_responses("image/svg+xml", _MAP),
    summary="The route map (SVG)",
)
def map_svg(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    return _picture(services, owner, plan_id, number, "map", "svg")


@router.get(
    "/{plan_id}/versions/{number}/map.png",
    response_class=Response,
    responses=_responses("image/png", _MAP),
    summary="The route map (PNG)",
)
def map_png(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    return _picture(services, owner, plan_id, number, "map", "png")


@router.get(
    "/{plan_id}/versions/{number}/timeline.svg",
    response_class=Response,
    responses=_responses("image/svg+xml", _TIMELINE),
    summary="The day-by-day timeline (SVG)",
)
def timeline_svg(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    return _picture(services, owner, plan_id, number, "timeline", "svg")


@router.get(
    "/{plan_id}/versions/{number}/timeline.png",
    response_class=Response,
    responses=_responses("image/png", _TIMELINE),
    summary="The day-by-day timeline (PNG)",
)
def timeline_png(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    return _picture(services, owner, plan_id, number, "timeline", "png")
