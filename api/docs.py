"""The API's docs, Swagger UI at /docs and ReDoc at /redoc, working offline.

FastAPI's own pages load Swagger UI and ReDoc from a CDN, so without the internet
/docs is blank. Here both come from the files of the ``fastapi-offline`` package,
served by this app under ``/static/docs``; neither page names another host.
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from api.security import page_policy

ASSETS = "/static/docs"


class _Page:
    """A fixed HTML page with its Content-Security-Policy."""

    def __init__(self, html: HTMLResponse) -> None:
        self.body = bytes(html.body).decode()
        self.policy = page_policy(self.body)

    def response(self) -> HTMLResponse:
        return HTMLResponse(self.body, headers={"Content-Security-Policy": self.policy})


def add_docs(app: FastAPI) -> None:
    """Mount the assets and add /docs and /redoc (the app is made with docs_url=None, redoc_url=None)."""
    app.mount(ASSETS, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets")
    openapi_url = app.openapi_url or "/openapi.json"
    swagger = _Page(
        get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            # No badge from the public validator service: nothing leaves this server.
            swagger_ui_parameters={"validatorUrl": None},
        )
    )
    redoc = _Page(
        get_redoc_html(
            openapi_url=openapi_url,
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
            with_google_fonts=False,
        )
    )

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return swagger.response()

    @app.get("/redoc", include_in_schema=False)
    def redoc_page() -> HTMLResponse:
        return redoc.response()
