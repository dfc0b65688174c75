"""The FastAPI application: ``create_app(settings)`` builds one; uvicorn serves it.

The lifespan opens the database (creating the schema), starts the solver processes
and shares both with every request through ``app.state.services``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.catalog import Catalog
from api.deps import Services
from api.docs import add_docs
from api.jobs import SolverPool
from api.notify import Notifier
from api.pending import PendingBoard
from api.ratelimit import RateLimits
from api.routers import (
    exports,
    feeds,
    health,
    pages,
    pictures,
    plans,
    risk,
    scenarios,
    shares,
    sheets,
    webhooks,
    whatif,
)
from api.security import SecurityHeaders, Utf8Body
from api.settings import Settings
from api.share_store import ShareStore
from api.storage import Store
from api.webhook_store import WebhookStore

DESCRIPTION = """
Itineraries for multi-city delegations under winter disruption.

Create a plan for a bundled scenario (`kazakhstan-winter-2016`) or your own, report
closures as they are announced and get new versions with a diff, or play what-if
timelines before departure. Every request but `/v1/health` needs an API key:
`Authorization: Bearer KEY` (create one with `planner keys create ORGANISATION`).
A share token (`?share=TOKEN` or `X-Share-Token`) reads one plan only: its versions,
exports, pictures and live calendar feed.
Times in plans are local to their city, with the UTC offset.
"""


class BodySizeLimit:
    """Answer 413 to a body over ``max_bytes``, declared or streamed, before it is parsed.

    The body is read here (it is small by construction) and handed on whole, so the
    limit holds for chunked uploads that declare no length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._reject(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            status_code=413, content={"detail": f"request body over {self.max_bytes} bytes"}
        )
        await response(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configured_keys = settings.configured_keys()  # a bad PLANNER_API_KEYS stops the start

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = Store.from_url(settings.database_url)
        store.upgrade_schema()
        board = PendingBoard()
        risk_board = PendingBoard()

        def on_progress(token: str, phase: str, details: dict[str, Any]) -> None:
            # A job's token is on one board only: versions being solved, or reliability reports.
            board.progress(token, phase, details)
            risk_board.progress(token, phase, details)

        pool = SolverPool(
            settings.solver_processes,
            settings.queue_depth,
            on_progress=on_progress,
            max_per_tenant=settings.max_solves_per_organisation,
        )
        pool.warm()
        webhook_store = WebhookStore(store.engine)
        notifier = Notifier(webhook_store, settings)
        app.state.services = Services(
            settings,
            store,
            pool,
            Catalog(settings),
            configured_keys,
            board,
            RateLimits(settings),
            ShareStore(store.engine),
            webhook_store,
            notifier,
            risk_board,
        )
        try:
            yield
        finally:
            pool.shutdown()
            notifier.shutdown()  # after the pool: a solve finishing at shutdown may still notify
            store.engine.dispose()

    app = FastAPI(
        title="Delegation trip planner",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served offline by add_docs
        redoc_url=None,
    )
    add_docs(app)
    for module in (plans, exports, pictures, shares, feeds, webhooks, whatif, risk, scenarios, health, pages):
        app.include_router(module.router)
    app.include_router(sheets.router)  # day sheets (PDF)

    @app.get("/", include_in_schema=False)
    def root() -> Any:
        return RedirectResponse("/docs")

    app.add_middleware(Utf8Body)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)  # outermost: on every answer, 413 included
    return app
