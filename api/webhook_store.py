"""Webhooks and their delivery log in the database.

``record`` writes one delivery per webhook of an organisation for a notification, in one
transaction; ``attempted`` adds the outcome of one attempt. A webhook deleted while a delivery
of it is under way takes its log with it; the attempt under way records nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from api import limits
from api.storage import KeyOwner
from api.tables import DeliveryRow, WebhookRow

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True)
class WebhookInfo:
    id: int
    organisation: str
    url: str
    created_at: dt.datetime
    created_by: str


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    webhook_id: int
    event: str
    payload: dict[str, Any]
    state: str
    attempts: int
    status_codes: list[int | None]
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class Outgoing:
    """A delivery to make: where, signed with what, and which log row it updates."""

    delivery_id: int
    webhook_id: int
    url: str
    secret: str
    event: str
    payload: dict[str, Any]


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite stores no offset; everything written here is UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _webhook(row: WebhookRow) -> WebhookInfo:
    return WebhookInfo(row.id, row.organisation, row.url, _utc(row.created_at), row.created_by)


def _delivery(row: DeliveryRow) -> DeliveryInfo:
    return DeliveryInfo(
        row.id,
        row.webhook_id,
        row.event,
        row.payload,
        row.state,
        row.attempts,
        list(row.status_codes),
        row.last_error,
        _utc(row.created_at),
        _utc(row.updated_at),
    )


class WebhookStore:
    """The only code that reads or writes webhooks and deliveries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register(self, owner: KeyOwner, url: str, secret: str) -> WebhookInfo:
        with Session(self.engine) as session, session.begin():
            row = WebhookRow(
                organisation=owner.organisation,
                url=url,
                secret=secret,
                created_at=dt.datetime.now(dt.UTC),
                created_by=owner.author,
            )
            session.add(row)
            session.flush()
            return _webhook(row)

    def of_organisation(self, organisation: str) -> list[WebhookInfo]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(WebhookRow).where(WebhookRow.organisation == organisation).order_by(WebhookRow.id)
            )
            return [_webhook(row) for row in rows]

    def webhook(self, organisation: str, webhook_id: int) -> WebhookInfo | None:
        with Session(self.engine) as session:
            row = session.get(WebhookRow, webhook_id)
            return _webhook(row) if row is not None and row.organisation == organisation else None

    def delete(self, organisation: str, webhook_id: int) -> bool:
        """Delete a webhook of the organisation and its delivery log; False when there is none."""
        with Session(self.engine) as session, session.begin():
            row = session.get(WebhookRow, webhook_id)
            if row is None or row.organisation != organisation:
                return False
            session.execute(delete(DeliveryRow).where(DeliveryRow.webhook_id == webhook_id))
            session.delete(row)
            return True

    def record(self, organisation: str, event: str, payload: dict[str, Any]) -> list[Outgoing]:
        """One pending delivery per webhook of the organisation, all in one transaction."""
        now = dt.datetime.now(dt.UTC)
        with Session(self.engine) as session, session.begin():
            hooks = session.scalars(select(WebhookRow).where(WebhookRow.organisation == organisation)).all()
            made: list[Outgoing] = []
            for hook in hooks:
                row = DeliveryRow(
                    webhook_id=hook.id,
                    event=event,
                    payload=payload,
                    state=PENDING,
                    attempts=0,
                    status_codes=[],
                    last_error=None,
                    created_at=now,
                    updated_at=now,
                )
                session.add(row)
                session.flush()
                made.append(Outgoing(row.id, hook.id, hook.url, hook.secret, event, payload))
            return made

    def attempted(self, delivery_id: int, status_code: int | None, error: str | None, final: bool) -> None:
        """Log one attempt: its status code (None: no answer), its error (None: delivered), and
        whether it was the last (delivered, or out of attempts)."""
        with Session(self.engine) as session, session.begin():
            row = session.get(DeliveryRow, delivery_id)
            if row is None:  # the webhook was deleted meanwhile
                return
            row.attempts += 1
            row.status_codes = [*row.status_codes, status_code]
            if error is not None:
                row.last_error = error[: limits.DELIVERY_ERROR]
            row.state = DELIVERED if error is None else (FAILED if final else PENDING)
            row.updated_at = dt.datetime.now(dt.UTC)

    def deliveries(self, webhook_id: int, limit: int = 100) -> list[DeliveryInfo]:
        """The webhook's deliveries, newest first."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(DeliveryRow)
                .where(DeliveryRow.webhook_id == webhook_id)
                .order_by(DeliveryRow.id.desc())
                .limit(limit)
            )
            return [_delivery(row) for row in rows]
