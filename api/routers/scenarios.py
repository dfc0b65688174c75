"""GET /v1/scenarios and /v1/scenarios/{name}: the scenarios bundled with the server."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import OwnerDep, ServicesDep
from api.errors import ERROR_RESPONSES
from api.schemas import ScenarioOut, ScenarioSummary

router = APIRouter(prefix="/v1/scenarios", tags=["scenarios"], responses=ERROR_RESPONSES)


@router.get("", response_model=list[ScenarioSummary], summary="List the bundled scenarios")
def list_scenarios(services: ServicesDep, _owner: OwnerDep) -> list[ScenarioSummary]:
    catalog = services.catalog
    loaded = [(name, catalog.require(name)) for name in catalog.names()]
    return [catalog.summary(name, scenario) for name, scenario in loaded]


@router.get("/{name}", response_model=ScenarioOut, summary="One bundled scenario, in full")
def get_scenario(
    name: Annotated[str, Path(max_length=200, description="A bundled scenario's name.")],
    services: ServicesDep,
    _owner: OwnerDep,
) -> ScenarioOut:
    catalog = services.catalog
    scenario = catalog.require(name)
    summary = catalog.summary(name, scenario)
    return ScenarioOut(
        **summary.model_dump(), scenario=scenario.model_dump(mode="json", exclude_defaults=True)
    )
