"""Plans, their versions, the events behind each version and API keys, through SQLAlchemy.

SQLite by default, any SQLAlchemy URL (PostgreSQL) by setting ``PLANNER_DATABASE_URL``.
Alembic owns the schema (api/migrations): a model changed here needs a new revision there.
Every write is one transaction. Two replans of the same version race on the unique
(plan, number) constraint, so exactly one of them can store its version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.pool import ConnectionPoolEntry

from api import limits, migrations
from api.tables import Base

KEY_PREFIX = "dp_"


class StaleVersion(Exception):
    """The version a change was based on is no longer the latest."""

    def __init__(self, latest: int) -> None:
        self.latest = latest
        super().__init__(f"version {latest} is the latest")


class ApiKeyRow(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(limits.ORGANISATION), index=True)
    label: Mapped[str] = mapped_column(String(limits.KEY_LABEL))
    # SHA-256 of the key: keys are 256-bit random tokens, so a fast hash is safe
    # (nothing to brute-force) and lets a request find its key by an index lookup.
    key_hash: Mapped[str] = mapped_column(String(limits.KEY_HASH), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class PlanRow(Base):
    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(limits.PLAN_ID), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(limits.ORGANISATION), index=True)
    scenario_name: Mapped[str] = mapped_column(String(limits.SCENARIO_NAME))
    scenario: Mapped[dict[str, Any]] = mapped_column(JSON)  # as given, so later edits change nothing
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(limits.CREATED_BY))


class VersionRow(Base):
    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_id", "number", name="one_row_per_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(limits.VERSION_KIND))  # planned, imported, replanned
    base_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    now: Mapped[str | None] = mapped_column(String(limits.VERSION_NOW), nullable=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(limits.CREATED_BY))


class EventRow(Base):
    __tablename__ = "plan_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)  # the version this report produced
    event_id: Mapped[str] = mapped_column(String(limits.EVENT_ID))
    kind: Mapped[str] = mapped_column(String(limits.EVENT_KIND))
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    reported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reported_by: Mapped[str] = mapped_column(String(limits.CREATED_BY))


class RiskReportRow(Base):
    """A reliability report of a version (planner.risk), as ``RiskReport.to_json`` gives it; a
    version may have several (other seeds, sample counts or policies): the newest is the one shown."""

    __tablename__ = "plan_risk_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[str] = mapped_column(ForeignKey("plans.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    policy: Mapped[str] = mapped_column(String(limits.RISK_POLICY))
    samples: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(limits.CREATED_BY))


@dataclass(frozen=True)
class KeyOwner:
    """Who a request speaks for."""

    organisation: str
    label: str
    key_id: int | None  # None for keys configured by environment
    # A share link's holder: may read this one plan only (api.deps), never change anything.
    shared_plan: str | None = None

    @property
    def author(self) -> str:
        source = f"key {self.key_id}" if self.key_id is not None else "configured key"
        return f"{self.organisation}/{self.label} ({source})"


@dataclass(frozen=True)
class KeyInfo:
    id: int
    organisation: str
    label: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


@dataclass(frozen=True)
class PlanInfo:
    id: str
    organisation: str
    scenario_name: str
    scenario: dict[str, Any]
    created_at: dt.datetime
    created_by: str
    latest_version: int


@dataclass(frozen=True)
class VersionInfo:
    plan_id: str
    number: int
    kind: str
    base_version: int | None
    now: str | None
    plan: dict[str, Any]
    created_at: dt.datetime
    created_by: str
    events: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class RiskInfo:
    plan_id: str
    version: int
    policy: str
    samples: int
    seed: int
    report: dict[str, Any]
    created_at: dt.datetime
    created_by: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(moment: dt.datetime) -> dt.datetime:
    # SQLite stores no offset; everything written here is UTC.
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _json(value: Any) -> str:
    # NaN and Infinity are not JSON and PostgreSQL refuses them: refused alike on every database.
    return json.dumps(value, allow_nan=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets a busy timeout and WAL so readers never block writers."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, json_serializer=_json)
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, json_serializer=_json
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(connection: Any, _record: ConnectionPoolEntry) -> None:
        cursor = connection.cursor()
        if ":memory:" not in url:
            _write_ahead_log(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return engine


def _write_ahead_log(cursor: Any, patience_s: float = 30.0) -> None:
    """Switch a SQLite file to WAL. The switch does not wait on the busy timeout: when servers
    start together on a new file, one finds it locked for a moment, so it tries again."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Store:
    """The only code that reads or writes the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(make_engine(url))

    def upgrade_schema(self) -> None:
        """Bring the database to the newest schema (Alembic, api/migrations): create the tables of
        a new one, stamp one made by the first release, do nothing to one that is up to date."""
        migrations.upgrade(self.engine)

    def ping(self) -> bool:
        with Session(self.engine) as session:
            return session.execute(select(1)).scalar_one() == 1

    # --- keys -------------------------------------------------------------------------

    def create_key(self, organisation: str, label: str = "default", replace: bool = False) -> tuple[str, int]:
        """A new key for ``organisation``; the key itself is returned once and never stored.

        With ``replace``, earlier live keys of the same organisation and label are revoked.
        """
        key = new_key()
        with Session(self.engine) as session, session.begin():
            if replace:
                rows = session.scalars(
                    select(ApiKeyRow).where(
                        ApiKeyRow.organisation == organisation,
                        ApiKeyRow.label == label,
                        ApiKeyRow.revoked_at.is_(None),
                    )
                )
                for row in rows:
                    row.revoked_at = _utc_now()
            row = ApiKeyRow(
                organisation=organisation, label=label, key_hash=hash_key(key), created_at=_utc_now()
            )
            session.add(row)
            session.flush()
            return key, row.id

    def revoke_key(self, key_id: int) -> bool:
        with Session(self.engine) as session, session.begin():
            row = session.get(ApiKeyRow, key_id)
            if row is None or row.revoked_at is not None:
                return False
            row.revoked_at = _utc_now()
            return True

    def all_keys(self) -> list[KeyInfo]:
        with Session(self.engine) as session:
            rows = session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id))
            return [
                KeyInfo(
                    r.id,
                    r.organisation,
                    r.label,
                    _utc(r.created_at),
                    _utc(r.revoked_at) if r.revoked_at else None,
                )
                for r in rows
            ]

    def key_owner(self, key: str) -> KeyOwner | None:
        with Session(self.engine) as session:
            row = session.scalars(
                select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_key(key), ApiKeyRow.revoked_at.is_(None))
            ).first()
            return KeyOwner(row.organisation, row.label, row.id) if row else None

    # --- plans ------------------------------------------------------------------------

    def create_plan(
        self,
        owner: KeyOwner,
        scenario_name: str,
        scenario: dict[str, Any],
        plan: dict[str, Any],
        kind: str,
        plan_id: str | None = None,
    ) -> VersionInfo:
        """A new plan with its version 1, in one transaction."""
        now = _utc_now()
        plan_id = plan_id or uuid.uuid4().hex
        with Session(self.engine) as session, session.begin():
            session.add(
                PlanRow(
                    id=plan_id,
                    organisation=owner.organisation,
                    scenario_name=scenario_name,
                    scenario=scenario,
                    created_at=now,
                    created_by=owner.author,
                )
            )
            session.flush()  # the plan row first: versions refer to it
            version = VersionRow(
                plan_id=plan_id, number=1, kind=kind, plan=plan, created_at=now, created_by=owner.author
            )
            session.add(version)
            session.flush()
            return self._version_info(version, ())

    def plan(self, plan_id: str, organisation: str) -> PlanInfo | None:
        """The plan if it exists and belongs to ``organisation`` (otherwise None, alike)."""
        with Session(self.engine) as session:
            row = session.get(PlanRow, plan_id)
            if row is None or row.organisation != organisation:
                return None
            latest = session.scalar(select(func.max(VersionRow.number)).where(VersionRow.plan_id == plan_id))
            return PlanInfo(
                row.id,
                row.organisation,
                row.scenario_name,
                row.scenario,
                _utc(row.created_at),
                row.created_by,
                int(latest or 0),
            )

    def plans(
        self, organisation: str, limit: int = 100, offset: int = 0
    ) -> list[tuple[PlanInfo, VersionInfo]]:
        """The organisation's plans, newest first, each with its latest version, in one query.

        The versions come without their events (a listing does not show them).
        """
        latest = (
            select(VersionRow.plan_id, func.max(VersionRow.number).label("number"))
            .group_by(VersionRow.plan_id)
            .subquery()
        )
        with Session(self.engine) as session:
            rows = session.execute(
                select(PlanRow, VersionRow)
                .join(latest, latest.c.plan_id == PlanRow.id)
                .join(VersionRow, (VersionRow.plan_id == PlanRow.id) & (VersionRow.number == latest.c.number))
                .where(PlanRow.organisation == organisation)
                .order_by(PlanRow.created_at.desc(), PlanRow.id)
                .limit(limit)
                .offset(offset)
            ).all()
            return [
                (
                    PlanInfo(
                        plan.id,
                        plan.organisation,
                        plan.scenario_name,
                        plan.scenario,
                        _utc(plan.created_at),
                        plan.created_by,
                        version.number,
                    ),
                    self._version_info(version, ()),
                )
                for plan, version in rows
            ]

    def versions(self, plan_id: str) -> list[VersionInfo]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(VersionRow).where(VersionRow.plan_id == plan_id).order_by(VersionRow.number)
            ).all()
            return [self._version_info(row, self._events(session, plan_id, row.number)) for row in rows]

    def version(self, plan_id: str, number: int) -> VersionInfo | None:
        with Session(self.engine) as session:
            row = session.scalars(
                select(VersionRow).where(VersionRow.plan_id == plan_id, VersionRow.number == number)
            ).first()
            return self._version_info(row, self._events(session, plan_id, number)) if row else None

    def add_version(
        self,
        owner: KeyOwner,
        plan_id: str,
        base_version: int,
        plan: dict[str, Any],
        events: list[dict[str, Any]],
        now: str,
    ) -> VersionInfo:
        """Store version ``base_version + 1`` and the events reported with it, or nothing.

        Raises StaleVersion when ``base_version`` is no longer the latest, whether it was
        already stale when the transaction started or another writer won the race.
        """
        moment = _utc_now()
        try:
            with Session(self.engine) as session, session.begin():
                latest = session.scalar(
                    select(func.max(VersionRow.number)).where(VersionRow.plan_id == plan_id)
                )
                if latest != base_version:
                    raise StaleVersion(int(latest or 0))
                row = VersionRow(
                    plan_id=plan_id,
                    number=base_version + 1,
                    kind="replanned",
                    base_version=base_version,
                    now=now,
                    plan=plan,
                    created_at=moment,
                    created_by=owner.author,
                )
                session.add(row)
                for item in events:
                    session.add(
                        EventRow(
                            plan_id=plan_id,
                            version=base_version + 1,
                            event_id=str(item["id"]),
                            kind=str(item["kind"]),
                            event=item,
                            reported_at=moment,
                            reported_by=owner.author,
                        )
                    )
                session.flush()
                return self._version_info(row, tuple(events))
        except IntegrityError:
            # Another replan of the same version committed between our read and our insert.
            latest_now = self.plan_latest(plan_id)
            raise StaleVersion(latest_now) from None

    def plan_latest(self, plan_id: str) -> int:
        with Session(self.engine) as session:
            return int(
                session.scalar(select(func.max(VersionRow.number)).where(VersionRow.plan_id == plan_id)) or 0
            )

    # --- reliability reports ------------------------------------------------------------

    def add_risk_report(
        self, owner: KeyOwner, plan_id: str, version: int, report: dict[str, Any]
    ) -> RiskInfo:
        """Store a reliability report of a stored version (its policy, samples and seed from it)."""
        with Session(self.engine) as session, session.begin():
            row = RiskReportRow(
                plan_id=plan_id,
                version=version,
                policy=str(report["policy"]),
                samples=int(report["samples"]),
                seed=int(report["seed"]),
                report=report,
                created_at=_utc_now(),
                created_by=owner.author,
            )
            session.add(row)
            session.flush()
            return self._risk_info(row)

    def risk_report(self, plan_id: str, version: int) -> RiskInfo | None:
        """The newest reliability report of a version, if any."""
        with Session(self.engine) as session:
            row = session.scalars(
                select(RiskReportRow)
                .where(RiskReportRow.plan_id == plan_id, RiskReportRow.version == version)
                .order_by(RiskReportRow.id.desc())
            ).first()
            return self._risk_info(row) if row else None

    @staticmethod
    def _risk_info(row: RiskReportRow) -> RiskInfo:
        return RiskInfo(
            row.plan_id,
            row.version,
            row.policy,
            row.samples,
            row.seed,
            row.report,
            _utc(row.created_at),
            row.created_by,
        )

    @staticmethod
    def _events(session: Session, plan_id: str, number: int) -> tuple[dict[str, Any], ...]:
        rows = session.scalars(
            select(EventRow)
            .where(EventRow.plan_id == plan_id, EventRow.version == number)
            .order_by(EventRow.id)
        )
        return tuple(row.event for row in rows)

    @staticmethod
    def _version_info(row: VersionRow, events: tuple[dict[str, Any], ...]) -> VersionInfo:
        return VersionInfo(
            row.plan_id,
            row.number,
            row.kind,
            row.base_version,
            row.now,
            row.plan,
            _utc(row.created_at),
            row.created_by,
            events,
        )
