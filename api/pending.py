"""Versions being computed: their progress while solving, their outcome when done.

A version exists in the database only once it is solved, checked and stored. Until
then it lives here, so that ``GET .../versions/{n}`` can say QUEUED or SOLVING (with
the solver's progress), and a replan of the same version is refused with 409 instead
of racing it. A version leaves this board only after it is stored, so a replan that
registers here and then finds its base version still the latest in the database
cannot lose a race to one that stored meanwhile. A version that fails stays here as
FAILED, with the error, for an hour.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import HTTPException

from api.storage import VersionInfo

FAILED_KEPT_S = 3600.0


@dataclass
class PendingVersion:
    plan_id: str
    number: int
    organisation: str
    kind: str  # planned or replanned
    base_version: int | None
    now: str | None
    created_by: str
    events: tuple[dict[str, Any], ...] = ()
    created_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: str = "QUEUED"  # QUEUED, SOLVING, FAILED
    phase: str = "queued"
    progress: dict[str, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.monotonic)
    error: HTTPException | None = None
    stored: VersionInfo | None = None
    abandoned: bool = False  # the waiting request timed out: store nothing
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    failed_at: float | None = None

    def report(self) -> dict[str, Any]:
        """What a coordinator sees while it runs: phase, seconds, best plan so far."""
        return {"phase": self.phase, "elapsed_s": round(time.monotonic() - self.started, 1), **self.progress}


class PendingBoard:
    """Every version in computation, by plan and number and by job token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_version: dict[tuple[str, int], PendingVersion] = {}
        self._by_token: dict[str, PendingVersion] = {}

    def add(self, pending: PendingVersion) -> PendingVersion | None:
        """Register ``pending``; return the live one already computing that version, if any."""
        with self._lock:
            self._expire()
            key = (pending.plan_id, pending.number)
            current = self._by_version.get(key)
            if current is not None and current.state != "FAILED":
                return current
            self._by_version[key] = pending
            self._by_token[pending.token] = pending
            return None

    def progress(self, token: str, phase: str, details: dict[str, Any]) -> None:
        with self._lock:
            pending = self._by_token.get(token)
            if pending is None or pending.state == "FAILED":
                return
            pending.state = "SOLVING"
            pending.phase = phase
            pending.progress.update(details)

    def remove(self, pending: PendingVersion) -> None:
        """Forget a version: it is stored (the database has it now) or it never started.

        Only ``pending`` itself: another request's record of the same version stays.
        """
        with self._lock:
            key = (pending.plan_id, pending.number)
            if self._by_version.get(key) is pending:
                del self._by_version[key]
            self._by_token.pop(pending.token, None)

    def failed(self, pending: PendingVersion, error: HTTPException) -> None:
        with self._lock:
            pending.state = "FAILED"
            pending.phase = "failed"
            pending.error = error
            pending.failed_at = time.monotonic()
            self._by_token.pop(pending.token, None)

    def get(self, plan_id: str, number: int, organisation: str) -> PendingVersion | None:
        with self._lock:
            self._expire()
            pending = self._by_version.get((plan_id, number))
            return pending if pending is not None and pending.organisation == organisation else None

    def of_plan(self, plan_id: str, organisation: str) -> list[PendingVersion]:
        with self._lock:
            self._expire()
            return sorted(
                (
                    p
                    for (pid, _), p in self._by_version.items()
                    if pid == plan_id and p.organisation == organisation
                ),
                key=lambda p: p.number,
            )

    def _expire(self) -> None:
        limit = time.monotonic() - FAILED_KEPT_S
        for key, pending in list(self._by_version.items()):
            if pending.failed_at is not None and pending.failed_at < limit:
                del self._by_version[key]
