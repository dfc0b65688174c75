"""The organisation's webhooks: register (URL and secret), list, delete, and read the delivery log.

Each is called on every new version of the organisation's plans (``plan.version_created``) and on
every replan that stored nothing after it was started or raced (``plan.replan_failed``), signed
with its secret (api.notify). Delivery happens in the background: it never delays or fails the
replan that caused it.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, Field, field_validator

from api import limits
from api.bodies import CheckedBodyRoute
from api.deps import OwnerDep, ServicesDep
from api.errors import ERROR_RESPONSES, field_error, not_found
from api.notify import REPLAN_FAILED, VERSION_CREATED
from api.schemas import Body
from api.tables import MAX_ROW_ID
from api.webhook_store import DeliveryInfo, WebhookInfo

router = APIRouter(
    prefix="/v1/webhooks", tags=["webhooks"], responses=ERROR_RESPONSES, route_class=CheckedBodyRoute
)

WebhookId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A webhook's id.")]
MIN_SECRET = 16


class CreateWebhook(Body):
    url: str = Field(
        min_length=1,
        max_length=limits.WEBHOOK_URL,
        description="Where to POST notifications: an http:// or https:// URL.",
    )
    secret: str = Field(
        min_length=MIN_SECRET,
        max_length=limits.WEBHOOK_SECRET,
        description="Signs every delivery (X-Planner-Signature, HMAC-SHA256); never shown again.",
    )

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        if limits.unprintable(url) is not None or any(c.isspace() for c in url):
            raise ValueError("a URL holds no spaces or control characters")
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(f"the scheme is {parts.scheme or 'missing'!r}; give an http:// or https:// URL")
        if not parts.hostname:
            raise ValueError("the URL names no host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("the URL holds a user name or password; the secret authenticates deliveries")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when it is read
        except ValueError as error:
            raise ValueError(f"bad port: {error}") from None
        return url

    @field_validator("secret")
    @classmethod
    def _secret(cls, secret: str) -> str:
        if limits.unprintable(secret) is not None:
            raise ValueError("the secret holds a control character; give printable text")
        return secret


class WebhookOut(BaseModel):
    id: int = Field(description="The webhook's id.")
    url: str = Field(description="Where notifications are POSTed.")
    events: list[str] = Field(description="What it is called on.")
    created_at: dt.datetime = Field(description="When it was registered (UTC).")
    created_by: str = Field(description="The organisation and key that registered it.")


class DeliveryOut(BaseModel):
    id: int = Field(description="The delivery's id, sent as X-Planner-Delivery on every attempt.")
    webhook_id: int = Field(description="The webhook it goes to.")
    event: str = Field(description="plan.version_created or plan.replan_failed.")
    state: str = Field(description="pending (attempts left), delivered (a 2xx answer) or failed (none).")
    attempts: int = Field(description="Attempts made so far.")
    status_codes: list[int | None] = Field(description="Each attempt's HTTP status; null: no answer.")
    last_error: str | None = Field(description="What went wrong at the last failed attempt, if any.")
    created_at: dt.datetime = Field(description="When the notification was made (UTC).")
    updated_at: dt.datetime = Field(description="When the last attempt ended (UTC).")
    payload: dict[str, Any] = Field(description="The JSON body sent.")


def _out(info: WebhookInfo) -> WebhookOut:
    return WebhookOut(
        id=info.id,
        url=info.url,
        events=[VERSION_CREATED, REPLAN_FAILED],
        created_at=info.created_at,
        created_by=info.created_by,
    )


def _delivery(info: DeliveryInfo) -> DeliveryOut:
    return DeliveryOut(**{name: getattr(info, name) for name in DeliveryOut.model_fields})


@router.post(
    "",
    status_code=201,
    response_model=WebhookOut,
    responses={409: {"description": "The organisation has the most webhooks it may. Nothing stored."}},
    summary="Register a webhook",
)
def create_webhook(body: CreateWebhook, services: ServicesDep, owner: OwnerDep) -> WebhookOut:
    problem = limits.text_problem(owner.author, limits.CREATED_BY)
    if problem is not None:
        raise field_error([], f"the key's organisation and label (created_by): {problem}; use another key")
    most = services.settings.max_webhooks_per_organisation
    if len(services.webhooks.of_organisation(owner.organisation)) >= most:
        raise HTTPException(
            status_code=409, detail=f"your organisation has {most} webhooks, the most it may; delete one"
        )
    return _out(services.webhooks.register(owner, body.url, body.secret))


@router.get("", response_model=list[WebhookOut], summary="The organisation's webhooks")
def list_webhooks(services: ServicesDep, owner: OwnerDep) -> list[WebhookOut]:
    return [_out(info) for info in services.webhooks.of_organisation(owner.organisation)]


@router.delete(
    "/{webhook_id}", status_code=204, response_class=Response, summary="Delete a webhook and its log"
)
def delete_webhook(webhook_id: WebhookId, services: ServicesDep, owner: OwnerDep) -> Response:
    if not services.webhooks.delete(owner.organisation, webhook_id):
        raise not_found(f"webhook {webhook_id}")
    return Response(status_code=204)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=list[DeliveryOut],
    summary="A webhook's delivery log, newest first: attempts, status codes, last error",
)
def list_deliveries(
    webhook_id: WebhookId,
    services: ServicesDep,
    owner: OwnerDep,
    limit: int = Query(default=100, ge=1, le=1000, description="Most deliveries to return."),
) -> list[DeliveryOut]:
    if services.webhooks.webhook(owner.organisation, webhook_id) is None:
        raise not_found(f"webhook {webhook_id}")
    return [_delivery(info) for info in services.webhooks.deliveries(webhook_id, limit)]
