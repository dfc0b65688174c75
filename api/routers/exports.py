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
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi import Path as FastApiPath

from api.deps import ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, input_error, not_found
from api.routers.plans import PlanId, VersionNumber
from api.storage import PlanInfo, VersionInfo
from planner.check.forming import with_plan_teams
from planner.domain import Scenario
from planner.exports import plan_to_geojson, plan_to_ics
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.team_view import entry_scenario, member_plan

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


_TEAM = Query(
    default=None,
    max_length=64,
    description="A team plan: the team whose itinerary to give (required for a team plan).",
)


def _team_part(
    scenario: Scenario, plan: dict[str, Any], team_id: str | None
) -> tuple[Scenario, dict[str, Any]]:
    """The scenario and plan to draw: the plan itself, or one team's view and plan of a team plan."""
    if plan.get("format") != TEAM_PLAN_FORMAT:
        if team_id is not None:
            raise input_error(["query", "team"], "this plan has no teams; leave team out")
        return scenario, plan
    scenario = with_plan_teams(scenario, plan)  # stored plans passed the checker: their teams are valid
    teams = {team.id: team for team in scenario.teams}
    if team_id is None:
        raise input_error(["query", "team"], f"a team plan: name one of its teams ({', '.join(teams)})")
    entry = next((t for t in plan["teams"] if t["id"] == team_id), None)
    if entry is None or team_id not in teams:
        raise input_error(["query", "team"], f"no team {team_id!r} in this plan; have {', '.join(teams)}")
    return entry_scenario(scenario, teams[team_id], entry), entry["plan"]


@router.get(
    "/{plan_id}/versions/{number}/itinerary.ics",
    response_class=Response,
    responses=_ICS_RESPONSE,
    summary="One version of a plan as a calendar file (iCalendar)",
)
def itinerary_ics(
    plan_id: PlanId,
    number: VersionNumber,
    services: ServicesDep,
    owner: ReaderDep,
    team: str | None = _TEAM,
) -> Response:
    info, version, earlier = _version_with_history(services, plan_id, number, owner.organisation)
    stored = services.catalog.stored(info.scenario)
    scenario, plan = _team_part(stored, version.plan, team)
    calendar = plan_to_ics(
        scenario,
        plan,
        # the same for every version of this plan (and team), different for every other plan
        calendar_id=plan_id if team is None else f"{plan_id}/{team}",
        earlier=[_team_part(stored, v.plan, team)[1] for v in earlier],
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
def route_geojson(
    plan_id: PlanId,
    number: VersionNumber,
    services: ServicesDep,
    owner: ReaderDep,
    team: str | None = _TEAM,
) -> Response:
    info, version, _ = _version_with_history(services, plan_id, number, owner.organisation)
    scenario, plan = _team_part(services.catalog.stored(info.scenario), version.plan, team)
    collection = plan_to_geojson(scenario, plan)
    return Response(
        json.dumps(collection, ensure_ascii=False),
        media_type=GEOJSON_MEDIA_TYPE,
        headers={"Content-Disposition": _file_name(info, number, "geojson")},
    )


@router.get(
    "/{plan_id}/versions/{number}/members/{member_id}.ics",
    response_class=Response,
    responses=_ICS_RESPONSE,
    summary="A member's own calendar of a team plan version (iCalendar)",
)
def member_ics(
    plan_id: PlanId,
    number: VersionNumber,
    member_id: Annotated[str, FastApiPath(min_length=1, max_length=64, description="A member's id.")],
    services: ServicesDep,
    owner: ReaderDep,
) -> Response:
    """The itinerary of the member's team, in a calendar of the member's own: each person subscribes
    to theirs. UIDs carry the plan and member ids and stay the same across versions."""
    info, version, earlier = _version_with_history(services, plan_id, number, owner.organisation)
    scenario = services.catalog.stored(info.scenario)
    if version.plan.get("format") != TEAM_PLAN_FORMAT:
        raise input_error(["path", "plan_id"], "this plan has no teams: use itinerary.ics")
    holder = next((t for t in version.plan["teams"] if member_id in {m["id"] for m in t["members"]}), None)
    if holder is None:
        raise not_found(f"member {member_id!r} of plan {plan_id!r}")
    seen, _ = _team_part(scenario, version.plan, holder["id"])
    name = next(m["name"] for m in holder["members"] if m["id"] == member_id)

    def own(team_plan: dict[str, Any]) -> dict[str, Any]:
        """The member's own itinerary: a member joining en route has their own legs until then."""
        entry = next(t for t in team_plan["teams"] if t["id"] == holder["id"])
        return member_plan(entry, member_id)

    calendar = plan_to_ics(
        seen,
        own(version.plan),
        calendar_id=f"{plan_id}/{member_id}",
        earlier=[own(v.plan) for v in earlier],
        stamp=version.created_at,
        title=f"{name}: delegation trip {scenario.name} ({holder['name']})",
    )
    stem = _file_name(info, number, "ics").removesuffix('.ics"')
    return Response(
        calendar,
        media_type=ICS_MEDIA_TYPE,
        headers={"Content-Disposition": f'{stem}-{re.sub(r"[^A-Za-z0-9._-]+", "-", member_id)}.ics"'},
    )
