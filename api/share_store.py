"""Read-only share links of plans in the database: create, list, revoke, and find a token's plan.

A token is a 256-bit random string shown once when it is made; only its SHA-256 is stored, as
for API keys. A revoked token is refused from the next request on: every request looks it up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from api.storage import KeyOwner, PlanRow, hash_key
from api.tables import ShareTokenRow

SHARE_PREFIX = "dps_"


@dataclass(frozen=True)
class ShareInfo:
    id: int
    plan_id: str
    label: str
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None


def new_share_token() -> str:
    return SHARE_PREFIX + secrets.token_urlsafe(32)


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite stores no offset; everything written here is UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _info(row: ShareTokenRow) -> ShareInfo:
    revoked = _utc(row.revoked_at) if row.revoked_at is not None else None
    return ShareInfo(row.id, row.plan_id, row.label, _utc(row.created_at), row.created_by, revoked)


class ShareStore:
    """The only code that reads or writes share tokens."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, owner: KeyOwner, plan_id: str, label: str) -> tuple[str, ShareInfo]:
        """A new token for a plan of ``owner``'s organisation; the token is returned once."""
        token = new_share_token()
        with Session(self.engine) as session, session.begin():
            row = ShareTokenRow(
                plan_id=plan_id,
                organisation=owner.organisation,
                label=label,
                token_hash=hash_key(token),
                created_at=dt.datetime.now(dt.UTC),
                created_by=owner.author,
            )
            session.add(row)
            session.flush()
            return token, _info(row)

    def of_plan(self, plan_id: str) -> list[ShareInfo]:
        """Every token of a plan, revoked ones included, oldest first."""
        with Session(self.engine) as session:
            rows = session.scalars(
                select(ShareTokenRow).where(ShareTokenRow.plan_id == plan_id).order_by(ShareTokenRow.id)
            )
            return [_info(row) for row in rows]

    def revoke(self, plan_id: str, share_id: int) -> bool:
        """Revoke a live token of the plan; False when there is none by that id."""
        with Session(self.engine) as session, session.begin():
            row = session.get(ShareTokenRow, share_id)
            if row is None or row.plan_id != plan_id or row.revoked_at is not None:
                return False
            row.revoked_at = dt.datetime.now(dt.UTC)
            return True

    def holder(self, token: str) -> KeyOwner | None:
        """Who a live token speaks for: its plan's organisation, limited to that plan."""
        with Session(self.engine) as session:
            found = session.execute(
                select(ShareTokenRow, PlanRow.organisation)
                .join(PlanRow, PlanRow.id == ShareTokenRow.plan_id)
                .where(ShareTokenRow.token_hash == hash_key(token), ShareTokenRow.revoked_at.is_(None))
            ).first()
            if found is None:
                return None
            row, organisation = found
            return KeyOwner(organisation, f"share {row.id}", None, shared_plan=row.plan_id)
