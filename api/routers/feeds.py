"""Live calendars: a plan's calendar feed, always its latest version, for calendar apps to subscribe to.

``/v1/plans/{id}/calendar.ics`` is the iCalendar export (api.routers.exports) of the plan's
latest version: its events keep their UIDs from version to version and SEQUENCE is the version
number, so a subscribed calendar moves the same events when the plan is replanned, and cancels
what the new version dropped. A team plan has a feed per team (``?team=``) and per member
(``/members/{member_id}/calendar.ics``). Calendar apps cannot send headers, so a feed is read
with a share token in its URL (``?share=TOKEN``); an API key reads it too.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi import Path as FastApiPath
from pydantic import BaseModel, Field

from api.deps import ReaderDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, not_found
from api.routers import exports
from api.routers.plans import PlanId
from planner.inputs.problems import TEAM_PLAN_FORMAT

router = APIRouter(prefix="/v1/plans", tags=["calendar feeds"], responses=ERROR_RESPONSES)

REFRESH = "PT1H"  # how often a subscribed calendar app should read the feed again


class FeedLink(BaseModel):
    https: str = Field(description="The feed's HTTPS URL, with the token in it.")
    webcal: str = Field(description="The same URL as webcal://, which calendar apps open to subscribe.")


class TeamFeed(FeedLink):
    team: str = Field(description="The team whose itinerary the feed holds.")


class MemberFeed(FeedLink):
    member: str = Field(description="The member whose own calendar the feed holds.")
    name: str = Field(description="The member's name.")


class FeedLinks(BaseModel):
    calendar: FeedLink | None = Field(description="The plan's feed; null for a team plan (see teams).")
    teams: list[TeamFeed] = Field(description="A team plan: a feed per team.")
    members: list[MemberFeed] = Field(description="A team plan: a feed per member.")


def _link(url: str) -> FeedLink:
    return FeedLink(https=url, webcal="webcal://" + url.partition("://")[2])


def feed_links(services: Services, request: Request, plan_id: str, token: str) -> FeedLinks:
    """The HTTPS and webcal:// URLs of a plan's feeds, with ``token`` in them."""
    base = services.settings.public_url or str(request.base_url).replace("http://", "https://", 1)
    root = f"{base.rstrip('/')}/v1/plans/{plan_id}"
    latest = services.store.plan_latest(plan_id)
    version = services.store.version(plan_id, latest)
    plan = version.plan if version is not None else {}
    if plan.get("format") != TEAM_PLAN_FORMAT:
        return FeedLinks(calendar=_link(f"{root}/calendar.ics?share={token}"), teams=[], members=[])
    teams = [
        TeamFeed(team=t["id"], **_link(f"{root}/calendar.ics?team={t['id']}&share={token}").model_dump())
        for t in plan["teams"]
    ]
    members = [
        MemberFeed(
            member=m["id"],
            name=m["name"],
            **_link(f"{root}/members/{m['id']}/calendar.ics?share={token}").model_dump(),
        )
        for t in plan["teams"]
        for m in t["members"]
    ]
    return FeedLinks(calendar=None, teams=teams, members=members)


def _latest(services: Services, plan_id: str, organisation: str) -> int:
    info = services.store.plan(plan_id, organisation)
    if info is None:
        raise not_found(f"plan {plan_id!r}")
    return info.latest_version


def _as_feed(answer: Response) -> Response:
    """An export as a feed: shown, not saved; read again every hour; never cached by a proxy."""
    body = bytes(answer.body)
    head = b"BEGIN:VCALENDAR\r\n"
    if body.startswith(head):
        extra = f"REFRESH-INTERVAL;VALUE=DURATION:{REFRESH}\r\nX-PUBLISHED-TTL:{REFRESH}\r\n".encode()
        body = head + extra + body[len(head) :]
    return Response(
        body,
        media_type=exports.ICS_MEDIA_TYPE,
        headers={"Cache-Control": "private, no-cache", "Content-Disposition": "inline"},
    )


_FEED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The latest version as iCalendar (RFC 5545), with REFRESH-INTERVAL; UIDs stay, "
        "SEQUENCE is the version number.",
        "content": {exports.ICS_MEDIA_TYPE: {"schema": {"type": "string"}}},
    }
}


@router.get(
    "/{plan_id}/calendar.ics",
    response_class=Response,
    responses=_FEED,
    summary="The plan's live calendar: always its latest version (subscribe with webcal://)",
)
def calendar_feed(
    plan_id: PlanId, services: ServicesDep, owner: ReaderDep, team: str | None = exports._TEAM
) -> Response:
    latest = _latest(services, plan_id, owner.organisation)
    return _as_feed(exports.itinerary_ics(plan_id, latest, services, owner, team))


@router.get(
    "/{plan_id}/members/{member_id}/calendar.ics",
    response_class=Response,
    responses=_FEED,
    summary="A member's live calendar of a team plan: always its latest version",
)
def member_feed(
    plan_id: PlanId,
    member_id: Annotated[str, FastApiPath(min_length=1, max_length=64, description="A member's id.")],
    services: ServicesDep,
    owner: ReaderDep,
) -> Response:
    latest = _latest(services, plan_id, owner.organisation)
    return _as_feed(exports.member_ics(plan_id, latest, member_id, services, owner))
