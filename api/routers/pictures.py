"""A plan version as pictures: the route map and the day-by-day timeline, SVG or PNG."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from api.deps import ReaderDep, ServicesDep
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
    services: ServicesDep, owner: ReaderDep, plan_id: str, number: int, name: str, kind: str
) -> Response:
    info = services.store.plan(plan_id, owner.organisation)
    version = services.store.version(plan_id, number) if info is not None else None
    if info is None or version is None:
        raise not_found(f"version {number} of plan {plan_id!r}")
    render, media_type = _RENDERERS[(name, kind)]
    scenario = services.catalog.stored(info.scenario)
    content = render(scenario, version.plan)  # planner.pictures draws one at a time itself
    return Response(content, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})


_WHAT = {
    "map": "The route: cities, legs coloured by mode, closed terminals and roads marked.",
    "timeline": "The days of the trip: seminars, legs, nights and disruptions, in home-zone local time.",
}


def _route(name: str, kind: str) -> Callable[..., Response]:
    def picture(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: ReaderDep) -> Response:
        return _picture(services, owner, plan_id, number, name, kind)

    picture.__name__ = f"{name}_{kind}"
    return picture


# One route per picture and format: map.svg, map.png, timeline.svg, timeline.png.
for (_name, _kind), (_, _media_type) in _RENDERERS.items():
    router.add_api_route(
        f"/{{plan_id}}/versions/{{number}}/{_name}.{_kind}",
        _route(_name, _kind),
        methods=["GET"],
        response_class=Response,
        responses={
            200: {"description": _WHAT[_name], "content": {_media_type: {"schema": {"type": "string"}}}}
        },
        summary=f"The {_name} of a version ({_kind.upper()})",
    )
