"""What every answer carries and what every request body must be.

- ``SecurityHeaders``: Content-Security-Policy (nothing may frame a page; an answer
  that sets no policy of its own gets one that allows nothing), X-Frame-Options,
  X-Content-Type-Options and Referrer-Policy on every response, errors included.
- ``page_policy``: the policy of one of our HTML pages: its inline scripts by hash,
  everything else from this server only.
- ``Utf8Body``: a request body that is not UTF-8 gets 422 naming the body, instead of
  a parser error deep inside the framework.
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# For JSON, SVG, pictures and everything else that is not one of our pages.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def page_policy(html: str) -> str:
    """The Content-Security-Policy of an HTML page served by this app.

    Scripts: files from this server and the page's own inline scripts, by their hash.
    Styles may be inline (the pictures are SVG with style attributes; Swagger UI and
    ReDoc set styles from script). Pictures, fonts and workers come from this server or
    are made in the page (``data:``, ``blob:``); requests go to this server only.
    """
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "worker-src 'self' blob:",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class SecurityHeaders:
    """Adds the security headers to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[tuple[bytes, bytes]] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                extra = {"content-security-policy": API_POLICY, **HEADERS}
                headers += [(k.encode(), v.encode()) for k, v in extra.items() if k.encode() not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Utf8Body:
    """422 for a request body that is not UTF-8 (every body this API reads is JSON, RFC 8259)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as error:
            response = body_error(
                f"the request body is not UTF-8 (byte 0x{body[error.start]:02x} at position "
                f"{error.start}); send JSON encoded as UTF-8",
                "body_not_utf8",
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def body_error(message: str, kind: str) -> JSONResponse:
    """A 422 about the body as a whole, in the shape of FastAPI's validation errors."""
    return JSONResponse(
        status_code=422, content={"detail": [{"loc": ["body"], "msg": message, "type": kind}]}
    )
