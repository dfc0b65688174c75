"""Read-only share links of a plan: an editor (an API key) makes, lists and revokes them.

Whoever holds a share token reads that one plan: its versions, exports, pictures and live
calendar feed (``?share=TOKEN`` or ``X-Share-Token: TOKEN``), and nothing else (api.deps).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from pydantic import BaseModel, Field, field_validator

from api import limits
from api.bodies import CheckedBodyRoute
from api.deps import OwnerDep, Services, ServicesDep
from api.errors import ERROR_RESPONSES, not_found
from api.routers.feeds import FeedLinks, feed_links
from api.routers.plans import PlanId
from api.schemas import Body
from api.share_store import ShareInfo
from api.tables import MAX_ROW_ID

router = APIRouter(
    prefix="/v1/plans", tags=["sharing"], responses=ERROR_RESPONSES, route_class=CheckedBodyRoute
)

ShareId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A share link's id.")]


class CreateShare(Body):
    label: str = Field(
        default="share",
        min_length=1,
        max_length=limits.SHARE_LABEL,
        description="Who the link is for (e.g. 'ministry liaison'), shown in the list of links.",
    )

    @field_validator("label")
    @classmethod
    def _printable(cls, label: str) -> str:
        problem = limits.text_problem(label, limits.SHARE_LABEL)
        if problem is not None:
            raise ValueError(problem)
        return label


class ShareOut(BaseModel):
    id: int = Field(description="The link's id, for revoking it.")
    plan_id: str = Field(description="The plan it reads.")
    label: str = Field(description="Who the link is for.")
    created_at: dt.datetime = Field(description="When it was made (UTC).")
    created_by: str = Field(description="The organisation and key that made it.")
    revoked_at: dt.datetime | None = Field(description="When it was revoked (UTC); null while it works.")
    active: bool = Field(description="Whether its token is accepted.")


class ShareCreated(ShareOut):
    token: str = Field(description="The token, shown this once: only its hash is stored.")
    feeds: FeedLinks = Field(description="The plan's live calendar, readable with this token.")


def _out(info: ShareInfo) -> ShareOut:
    return ShareOut(
        id=info.id,
        plan_id=info.plan_id,
        label=info.label,
        created_at=info.created_at,
        created_by=info.created_by,
        revoked_at=info.revoked_at,
        active=info.revoked_at is None,
    )


def _own_plan(services: Services, plan_id: str, organisation: str) -> None:
    if services.store.plan(plan_id, organisation) is None:
        raise not_found(f"plan {plan_id!r}")


@router.post(
    "/{plan_id}/shares",
    status_code=201,
    response_model=ShareCreated,
    summary="Make a read-only share link of a plan (its token is shown once)",
)
def create_share(
    plan_id: PlanId,
    request: Request,
    services: ServicesDep,
    owner: OwnerDep,
    body: CreateShare | None = None,
) -> ShareCreated:
    """With no body, the link's label is 'share'."""
    _own_plan(services, plan_id, owner.organisation)
    label = body.label if body is not None else CreateShare().label
    token, info = services.shares.create(owner, plan_id, label)
    links = feed_links(services, request, plan_id, token)
    return ShareCreated(**_out(info).model_dump(), token=token, feeds=links)


@router.get("/{plan_id}/shares", response_model=list[ShareOut], summary="A plan's share links, revoked too")
def list_shares(plan_id: PlanId, services: ServicesDep, owner: OwnerDep) -> list[ShareOut]:
    _own_plan(services, plan_id, owner.organisation)
    return [_out(info) for info in services.shares.of_plan(plan_id)]


@router.delete(
    "/{plan_id}/shares/{share_id}",
    status_code=204,
    response_class=Response,
    summary="Revoke a share link: its token is refused from the next request on",
)
def revoke_share(plan_id: PlanId, share_id: ShareId, services: ServicesDep, owner: OwnerDep) -> Response:
    _own_plan(services, plan_id, owner.organisation)
    if not services.shares.revoke(plan_id, share_id):
        raise not_found(f"live share link {share_id} of plan {plan_id!r}")
    return Response(status_code=204)
