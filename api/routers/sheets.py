"""A plan version's day sheets: the printable itinerary as a PDF (``planner.daysheets``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import ReaderDep, ServicesDep
from api.errors import ERROR_RESPONSES, input_error, not_found
from api.routers.plans import MAX_VERSION, PlanId
from planner.daysheets import SheetError, build_sheets, file_stem
from planner.daysheets_pdf import render_pdf

router = APIRouter(prefix="/v1/plans", tags=["exports"], responses=ERROR_RESPONSES)

PDF_MEDIA_TYPE = "application/pdf"

_PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "A4 PDF, day by day: seminars, legs (mode, service, terminals, local departure and "
            "arrival with offsets), a check-in time before each departure (the terminal's check-in "
            "in the scenario plus the delegation's departure buffer, as the plan assumes), the "
            "night's city and the cities' contacts. The plan's name and version are on every page, "
            "and the pages are numbered."
        ),
        "content": {PDF_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.get(
    "/{plan_id}/sheets.pdf",
    response_class=Response,
    responses=_PDF_RESPONSE,
    summary="A plan version's day sheets: a printable itinerary (PDF)",
)
def sheets_pdf(
    plan_id: PlanId,
    services: ServicesDep,
    owner: ReaderDep,
    version: Annotated[
        int | None, Query(ge=1, le=MAX_VERSION, description="A version number (default: the latest).")
    ] = None,
    team: Annotated[
        str | None, Query(max_length=64, description="A team plan: the sheets of this team only.")
    ] = None,
    member: Annotated[
        str | None, Query(max_length=64, description="A team plan: the sheets of this member only.")
    ] = None,
) -> Response:
    """The whole plan (a part per team for a team plan), or one team's or one member's sheets."""
    info = services.store.plan(plan_id, owner.organisation)
    if info is None:
        raise not_found(f"plan {plan_id!r}")
    number = info.latest_version if version is None else version
    stored = services.store.version(plan_id, number)
    if stored is None:
        raise not_found(f"version {number} of plan {plan_id!r}")
    if team is not None and member is not None:
        raise input_error(["query", "member"], "give team or member, not both")
    try:
        sheets = build_sheets(services.catalog.stored(info.scenario), stored.plan)
    except SheetError as error:  # a stored plan passed the checker: not expected, but named
        raise input_error(["path", "plan_id"], f"{error.where}: {error.message}") from None
    stem = f"{file_stem(info.scenario_name)}-v{number}"
    chosen = next(iter(sheets.values()))  # the whole plan's sheets come first
    for field, value in (("team", team), ("member", member)):
        if value is None:
            continue
        if len(sheets) == 1:
            raise input_error(["query", field], f"this plan has no teams; leave {field} out")
        owned = {getattr(sheet, field): sheet for sheet in sheets.values() if getattr(sheet, field)}
        if value not in owned:
            raise input_error(["query", field], f"no {field} {value!r} in this plan; have {', '.join(owned)}")
        chosen = owned[value]
        stem += f"-{file_stem(value)}"
    return Response(
        render_pdf(chosen),
        media_type=PDF_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{stem}.pdf"'},
    )
