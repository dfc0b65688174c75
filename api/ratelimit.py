"""Request rates: per API key, per organisation, and failed keys per client address.

Token buckets: a limit of N a minute holds N tokens (so a burst of N is allowed) and
gains one every 60/N seconds; a request takes one, and finds 429 with ``Retry-After``
(the seconds until a token is back) when there is none.

The buckets live in the server process's memory. That is exact for one ``planner
serve`` process, which is how the service runs (the solver processes never see a
request); several server processes would each count on their own.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import HTTPException

from api.settings import Settings

Clock = Callable[[], float]


@dataclass
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """One bucket per name, each of ``per_minute`` tokens; 0 means no limit."""

    def __init__(self, per_minute: int, clock: Clock = time.monotonic, prune_above: int = 10_000) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()
        self._prune_above = prune_above
        self._prune_at = prune_above

    def _refilled(self, name: str, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= self._prune_at:
                self._prune(now)
            bucket = self._buckets[name] = _Bucket(float(self.per_minute), now)
            return bucket
        bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.at) * self.per_minute / 60)
        bucket.at = now
        return bucket

    def _prune(self, now: float) -> None:
        """Forget the buckets that are full again: they behave exactly like new ones."""
        full = [
            name
            for name, bucket in self._buckets.items()
            if bucket.tokens + (now - bucket.at) * self.per_minute / 60 >= self.per_minute
        ]
        for name in full:
            del self._buckets[name]
        self._prune_at = max(self._prune_above, 2 * len(self._buckets))

    def _wait(self, bucket: _Bucket) -> float:
        return (1 - bucket.tokens) * 60 / self.per_minute

    def take(self, name: str) -> float:
        """Take a token: 0.0 if there was one, else the seconds until there is (nothing taken)."""
        if self.per_minute == 0:
            return 0.0
        with self._lock:
            bucket = self._refilled(name, self._clock())
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return self._wait(bucket)

    def wait(self, name: str) -> float:
        """The seconds until ``name`` has a token (0.0: it has one now); takes nothing."""
        if self.per_minute == 0:
            return 0.0
        with self._lock:
            bucket = self._buckets.get(name)
            if bucket is None:
                return 0.0
            bucket = self._refilled(name, self._clock())
            return 0.0 if bucket.tokens >= 1 else self._wait(bucket)


def too_many(what: str, per_minute: int, wait_s: float) -> HTTPException:
    retry = max(1, math.ceil(wait_s))
    return HTTPException(
        status_code=429,
        detail=f"too many requests {what} (limit {per_minute} a minute); retry in {retry} s",
        headers={"Retry-After": str(retry)},
    )


class RateLimits:
    """The three limits of the settings, shared by every request of one app."""

    def __init__(self, settings: Settings, clock: Clock = time.monotonic) -> None:
        self.per_key = TokenBuckets(settings.rate_per_key, clock)
        self.per_organisation = TokenBuckets(settings.rate_per_organisation, clock)
        self.failed_keys = TokenBuckets(settings.auth_failures_per_client, clock)

    def check_client(self, address: str) -> None:
        """429 while ``address`` has sent too many wrong keys, before its key is even looked up:
        a guesser learns nothing more until its bucket refills."""
        wait = self.failed_keys.wait(address)
        if wait > 0:
            raise too_many("with unknown keys from this address", self.failed_keys.per_minute, wait)

    def failed(self, address: str) -> None:
        self.failed_keys.take(address)

    def admit(self, key: str, organisation: str) -> None:
        """Count a request with a valid key; 429 when its key or its organisation is over the limit."""
        # Buckets are named by a digest: the keys themselves are not kept in memory.
        wait = self.per_key.take(hashlib.sha256(key.encode()).hexdigest())
        if wait > 0:
            raise too_many("with this API key", self.per_key.per_minute, wait)
        wait = self.per_organisation.take(organisation)
        if wait > 0:
            raise too_many(f"from organisation {organisation!r}", self.per_organisation.per_minute, wait)
