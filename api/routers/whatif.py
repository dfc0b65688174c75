"""POST /v1/whatif: how a scenario's plan fares under event timelines, before departure."""

from __future__ import annotations

from fastapi import APIRouter

from api.bodies import CheckedBodyRoute
from api.catalog import checked_events
from api.deps import OwnerDep, ServicesDep
from api.errors import SOLVE_RESPONSES, field_error
from api.jobs import whatif_job
from api.schemas import WhatIfOut, WhatIfRequest

router = APIRouter(prefix="/v1", tags=["what-if"], responses=SOLVE_RESPONSES, route_class=CheckedBodyRoute)


@router.post("/whatif", response_model=WhatIfOut, summary="Play event timelines and compare the outcomes")
def whatif(body: WhatIfRequest, services: ServicesDep, _owner: OwnerDep) -> WhatIfOut:
    catalog = services.catalog
    chosen = catalog.choose(body)
    options = catalog.solver_options(body.options, chosen.scenario)
    bundled = catalog.timelines(chosen.scenario)
    timelines = list(body.timelines or [])
    for index, name in enumerate(body.timeline_names or []):
        if name not in bundled:
            raise field_error(
                ["timeline_names", index],
                f"no bundled timeline {name!r} for this scenario; have {sorted(bundled)}",
            )
        timelines.append(bundled[name])
    if body.timelines is None and body.timeline_names is None:
        timelines = list(bundled.values())
    for index, timeline in enumerate(body.timelines or []):
        checked_events(chosen.scenario, timeline, ["timelines", index])
    if not timelines:
        raise field_error(["timelines"], "no timeline to play: give timelines or timeline_names")
    # A what-if solves once, then once per announcement of every timeline.
    announcements = sum(len(t.get("events", []) or []) for t in timelines)
    budget = options["time_limit_s"] * (1 + announcements)
    outcome = services.run_job(whatif_job, chosen.data, timelines, options, time_limit_s=budget)
    if outcome.error is not None:
        raise field_error(list(outcome.error.loc), outcome.error.message)
    return WhatIfOut(scenario_name=chosen.name, seconds=round(outcome.seconds, 3), **outcome.report)
