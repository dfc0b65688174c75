"""Notifications to the organisations' webhooks: signed, retried with exponential backoff, logged.

``Notifier.notify`` records one delivery per webhook and hands them to threads of its own, so
the request or solve that caused it never waits for a receiver nor fails with one. Each attempt
POSTs the JSON body with

- ``X-Planner-Event``: what happened (``plan.version_created``, ``plan.replan_failed``);
- ``X-Planner-Delivery``: the delivery's id in the log (the same on every attempt);
- ``X-Planner-Timestamp``: the attempt's Unix time in seconds;
- ``X-Planner-Signature``: ``t=TIMESTAMP,v1=HEX``, HEX the HMAC-SHA256 with the webhook's secret
  of ``TIMESTAMP.BODY`` (the timestamp, a full stop, the body's bytes).

An answer 2xx delivers it; anything else (another status, a redirect, no answer within the
timeout) is retried after ``webhook_backoff_s``, then twice that, and so on, up to
``webhook_attempts`` attempts in all. Every attempt is in the delivery log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from api.settings import Settings
from api.webhook_store import Outgoing, WebhookStore

logger = logging.getLogger("api.notify")

VERSION_CREATED = "plan.version_created"
REPLAN_FAILED = "plan.replan_failed"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Planner-Signature of ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer that is not 2xx: the receiver's address is the one registered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


class Notifier:
    def __init__(self, store: WebhookStore, settings: Settings) -> None:
        self.store = store
        self.attempts = settings.webhook_attempts
        self.backoff_s = settings.webhook_backoff_s
        self.timeout_s = settings.webhook_timeout_s
        self._stop = threading.Event()
        self._threads = ThreadPoolExecutor(max_workers=settings.webhook_threads, thread_name_prefix="webhook")

    def notify(self, organisation: str, event: str, data: dict[str, Any]) -> None:
        """Record and start the deliveries of ``event`` to the organisation's webhooks. Never raises:
        a notification that cannot even be recorded is logged, and what caused it goes on."""
        payload = {"event": event, "organisation": organisation, "sent_by": "delegation-planner", **data}
        try:
            for outgoing in self.store.record(organisation, event, payload):
                self._threads.submit(self._deliver, outgoing)
        except Exception:
            logger.exception("the %s notification of %s could not be recorded", event, organisation)

    def _deliver(self, outgoing: Outgoing) -> None:
        body = json.dumps(outgoing.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
        try:
            for attempt in range(1, self.attempts + 1):
                status, error = self._attempt(outgoing, body)
                final = error is None or attempt == self.attempts or self._stop.is_set()
                self.store.attempted(outgoing.delivery_id, status, error, final)
                if final:
                    return
                if self._stop.wait(self.backoff_s * 2 ** (attempt - 1)):
                    return  # shutting down: the log says pending, with what was tried
        except Exception:
            logger.exception("delivery %s to webhook %s failed", outgoing.delivery_id, outgoing.webhook_id)

    def _attempt(self, outgoing: Outgoing, body: bytes) -> tuple[int | None, str | None]:
        """One POST: its status code (None without an answer) and its error (None when 2xx)."""
        timestamp = int(time.time())
        request = urllib.request.Request(
            outgoing.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "delegation-planner-webhooks/1",
                "X-Planner-Event": outgoing.event,
                "X-Planner-Delivery": str(outgoing.delivery_id),
                "X-Planner-Timestamp": str(timestamp),
                "X-Planner-Signature": signature(outgoing.secret, timestamp, body),
            },
        )
        try:
            with _OPENER.open(request, timeout=self.timeout_s) as answer:
                status = int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code, f"HTTP {error.code} {error.reason}"
        except (OSError, ValueError) as error:  # refused, unreachable, timed out, bad answer
            return None, f"{type(error).__name__}: {error}"
        if not 200 <= status < 300:
            return status, f"HTTP {status}"
        return status, None

    def shutdown(self) -> None:
        """Stop waiting between attempts and wait for the attempts under way."""
        self._stop.set()
        self._threads.shutdown(wait=True, cancel_futures=True)
