"""GET /plans/{id}: the plan page a coordinator opens in a browser and forwards.

One static HTML file with its own script and styles (no build step, no CDN). It asks
for the organisation's API key, keeps it for the browser tab only (sessionStorage),
and reads everything through the same /v1 routes as any other client, so it can never
show more than the key may see. Its texts are one JSON table per language (English,
Russian, Kazakh) in the page's head: data the policy never lets run.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.security import page_policy

router = APIRouter(include_in_schema=False)

PAGE_FILE = Path(__file__).resolve().parent.parent / "static" / "plan.html"
_PAGE = PAGE_FILE.read_text(encoding="utf-8")
_POLICY = page_policy(_PAGE)  # its one inline script by hash; nothing from other hosts


@router.get("/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(plan_id: str) -> HTMLResponse:
    # The page holds no plan data: the script fetches it with the key, or asks for one.
    return HTMLResponse(
        _PAGE,
        headers={
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": _POLICY,
        },
    )
