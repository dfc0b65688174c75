"""A plan version as a calendar file (iCalendar) and as a map (GeoJSON).

Calendar events keep their UIDs from version to version of one plan, so importing a newer
version updates a coordinator's calendar; whatever an earlier version of the plan held and
this one does not is sent as cancelled.

Names go into the files printable: a plan stored before names were checked on input may
hold control characters in its scenario's names, which a calendar line cannot carry; the
catalog's stored scenarios (api.catalog.Catalog.stored) replace them with spaces.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Response

from api.deps import OwnerDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, not_found
from api.routers.plans import PlanId, VersionNumber
from api.storage import PlanInfo, VersionInfo
from planner.exports import plan_to_geojson, plan_to_ics

router = APIRouter(prefix="/v1/plans", tags=["exports"], responses=ERROR_RESPONSES)

ICS_MEDIA_TYPE = "text/calendar"
GEOJSON_MEDIA_TYPE = "application/geo+json"

_ICS_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "An iCalendar file (RFC 5545): one event per seminar and per leg, each in its city's "
            "time zone with a VTIMEZONE per zone. UIDs stay the same across the plan's versions and "
            "SEQUENCE is the version number, so importing a newer version updates the same events; "
            "seminars and legs of earlier versions that this one no longer holds come with "
            "STATUS:CANCELLED."
        ),
        "content": {ICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}
_GEOJSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "A GeoJSON FeatureCollection (RFC 7946): a Point per city of the trip (properties id, "
            "name, roles among start/seminar/end/transit, seminar_start and seminar_end local to "
            "the city) and a LineString per leg ([longitude, latitude] positions; properties mode, "
            "service, from, to, depart, arrive, minutes, distance_km)."
        ),
        "content": {
            GEOJSON_MEDIA_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["type", "features"],
                    "properties": {
                        "type": {"type": "string", "enum": ["FeatureCollection"]},
                        "features": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
        },
    }
}


def _version_with_history(
    services: Services, plan_id: str, number: int, organisation: str
) -> tuple[PlanInfo, VersionInfo, list[VersionInfo]]:
    """The plan (404 for another organisation, alike a missing one), the version and those before it."""
    info = services.store.plan(plan_id, organisation)
    if info is None:
        raise not_found(f"plan {plan_id!r}")
    versions = services.store.versions(plan_id)
    chosen = next((v for v in versions if v.number == number), None)
    if chosen is None:
        raise not_found(f"version {number} of plan {plan_id!r}")
    return info, chosen, [v for v in versions if v.number < number]


def _file_name(info: PlanInfo, number: int, suffix: str) -> str:
    # Scenario names are free text; a header takes only a plain, quoted-safe name.
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", info.scenario_name).strip("-.") or "plan"
    return f'attachment; filename="{stem}-v{number}.{suffix}"'


@router.get(
    "/{plan_id}/versions/{number}/itinerary.ics",
    response_class=Response,
    responses=_ICS_RESPONSE,
    summary="One version of a plan as a calendar file (iCalendar)",
)
def itinerary_ics(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    info, version, earlier = _version_with_history(services, plan_id, number, owner.organisation)
    calendar = plan_to_ics(
        services.catalog.stored(info.scenario),
        version.plan,
        calendar_id=plan_id,  # the same for every version of this plan, different for every other plan
        earlier=[v.plan for v in earlier],
        stamp=version.created_at,  # so the same version is always the same file
    )
    return Response(
        calendar,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": _file_name(info, number, "ics")},
    )


@router.get(
    "/{plan_id}/versions/{number}/route.geojson",
    response_class=Response,
    responses=_GEOJSON_RESPONSE,
    summary="One version of a plan as a map (GeoJSON)",
)
def route_geojson(plan_id: PlanId, number: VersionNumber, services: ServicesDep, owner: OwnerDep) -> Response:
    info, version, _ = _version_with_history(services, plan_id, number, owner.organisation)
    collection = plan_to_geojson(services.catalog.stored(info.scenario), version.plan)
    return Response(
        json.dumps(collection, ensure_ascii=False),
        media_type=GEOJSON_MEDIA_TYPE,
        headers={"Content-Disposition": _file_name(info, number, "geojson")},
    )
