"""The declarative base of every table, and the tables of share links and webhooks.

The plans, versions, events, keys and reliability reports are declared in api/storage.py on the
same ``Base``; Alembic (api/migrations) compares the database with ``Base.metadata`` as a whole.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from api import limits

# The largest id an ``Integer`` primary key holds in every supported database (PostgreSQL's
# INTEGER is 32-bit): ids taken from a request are bounded by it, so a larger one is a 422
# naming it, not a database error.
MAX_ROW_ID = 2**31 - 1


class Base(DeclarativeBase):
    pass


class ShareTokenRow(Base):
    """A read-only link to one plan: whoever holds the token may read that plan and nothing else."""

    __tablename__ = "share_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    organisation: Mapped[str] = mapped_column(String(limits.ORGANISATION))
    label: Mapped[str] = mapped_column(String(limits.SHARE_LABEL))
    # SHA-256 of the token, as for API keys: the token itself is shown once and never stored.
    token_hash: Mapped[str] = mapped_column(String(limits.KEY_HASH), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(limits.CREATED_BY))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class WebhookRow(Base):
    """An organisation's receiver of notifications. The secret signs every delivery, so it is kept
    as given (a hash could not sign); it is never shown again after registration."""

    __tablename__ = "webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(limits.ORGANISATION), index=True)
    url: Mapped[str] = mapped_column(String(limits.WEBHOOK_URL))
    secret: Mapped[str] = mapped_column(String(limits.WEBHOOK_SECRET))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(limits.CREATED_BY))


class DeliveryRow(Base):
    """One notification to one webhook and how its attempts went."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id"), index=True)
    event: Mapped[str] = mapped_column(String(limits.WEBHOOK_EVENT))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(limits.DELIVERY_STATE))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer)
    status_codes: Mapped[list[int | None]] = mapped_column(JSON)  # one per attempt; None: no answer
    last_error: Mapped[str | None] = mapped_column(String(limits.DELIVERY_ERROR), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
