"""The risk file: hazards that may disrupt a trip, each with its chance, timing and source.

A risk file sits beside the scenario (``scenarios/risk/<scenario>.yaml``) and is read through the
same input gate and the same frozen models as every other input: unknown keys are errors, chances
lie in [0, 1], a triangular distribution has ``min <= most_likely <= max``, and every terminal,
road, region and service it names is checked against the scenario (:func:`risk_problems`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, model_validator

from planner.domain import Date, FieldProblems, Frozen, Identifier, Mode, Name, Number, Scenario

Chance = Annotated[Number, Field(ge=0.0, le=1.0)]
Hours = Annotated[Number, Field(ge=0.0, le=24.0 * 7)]
# A triangular shape holds hours (durations) or minutes (delays): at most a week of minutes.
Amount = Annotated[Number, Field(ge=0.0, le=7 * 24 * 60)]


class Triangular(Frozen):
    """A triangular distribution: ``min <= most_likely <= max`` (all equal: a fixed value)."""

    min: Amount
    most_likely: Amount
    max: Amount

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.min <= self.most_likely <= self.max:
            raise FieldProblems(
                [((), f"needs min <= most_likely <= max, got {self.min}, {self.most_likely}, {self.max}")]
            )
        return self


class StartHours(Frozen):
    """Local hours of the day an episode may start, ``[from, to)``; equal ends: exactly that hour."""

    from_: Annotated[Number, Field(ge=0.0, le=24.0)] = Field(alias="from")
    to: Annotated[Number, Field(ge=0.0, le=24.0)]

    model_config = Frozen.model_config | {"populate_by_name": True}

    @model_validator(mode="after")
    def _ordered(self) -> StartHours:
        if self.to < self.from_:
            raise FieldProblems([(("to",), f"must not be before from ({self.to} < {self.from_})")])
        return self


class HazardKind(StrEnum):
    TERMINAL_CLOSURE = "terminal_closure"
    ROAD_CLOSURE = "road_closure"
    ROAD_SLOWDOWN = "road_slowdown"
    SERVICE_DELAY = "service_delay"
    SERVICE_CANCELLATION = "service_cancellation"
    STORM = "storm"


# Event ids are a hazard's id, the date and (for a storm or a run) the target: within 64 characters.
HazardId = Annotated[Identifier, Field(max_length=40)]


class _Hazard(Frozen):
    id: HazardId
    note: str = Field(default="", description="Its source (a fact id such as S44) or [EST] with reasoning.")


class _Episode(_Hazard):
    """A hazard drawn once per local day of the trip: does an episode start that day, when, how long."""

    chance_per_day: Chance
    start_hours: StartHours
    duration_hours: Triangular
    lead_hours: Hours = Field(default=0.0, description="How long before its start it is announced.")
    dates: tuple[Date, ...] = Field(default=(), description="Only these local dates (default: every one).")


class _RoadTarget(Frozen):
    road: Identifier | None = None
    region: Identifier | None = None

    @model_validator(mode="after")
    def _one_target(self) -> _RoadTarget:
        if (self.road is None) == (self.region is None):
            raise FieldProblems([((), "name exactly one of road or region")])
        return self


class _ServiceTarget(Frozen):
    service: Identifier | None = None
    mode: Mode | None = None

    @model_validator(mode="after")
    def _one_target(self) -> _ServiceTarget:
        if (self.service is None) == (self.mode is None):
            raise FieldProblems([((), "name exactly one of service or mode")])
        return self


class TerminalClosure(_Episode):
    kind: Literal[HazardKind.TERMINAL_CLOSURE]
    terminal: Identifier


class RoadClosure(_Episode, _RoadTarget):
    kind: Literal[HazardKind.ROAD_CLOSURE]


class RoadSlowdown(_Episode, _RoadTarget):
    kind: Literal[HazardKind.ROAD_SLOWDOWN]
    factor: Annotated[Number, Field(ge=1.0, le=10.0)]


class ServiceDelay(_Hazard, _ServiceTarget):
    """Drawn once per run of each service it names: delayed or not, by how many minutes."""

    kind: Literal[HazardKind.SERVICE_DELAY]
    chance_per_run: Chance
    delay_minutes: Triangular = Field(description="Minutes (the same triangular shape as hours).")
    lead_hours: Hours = 0.0


class ServiceCancellation(_Hazard, _ServiceTarget):
    kind: Literal[HazardKind.SERVICE_CANCELLATION]
    chance_per_run: Chance
    lead_hours: Hours = 0.0


class Affected(Frozen):
    """What one storm front closes together."""

    terminals: tuple[Identifier, ...] = ()
    roads: tuple[Identifier, ...] = ()
    regions: tuple[Identifier, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> Affected:
        if not (self.terminals or self.roads or self.regions):
            raise FieldProblems([((), "a storm closes at least one terminal, road or region")])
        seen: set[str] = set()
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for field in ("terminals", "roads", "regions"):
            for position, name in enumerate(getattr(self, field)):
                if name in seen:
                    problems.append(((field, position), f"{name!r} is named twice: each target once"))
                seen.add(name)
        if problems:
            raise FieldProblems(problems)
        return self


class Storm(_Episode):
    """A correlated front: one draw closes every terminal, road and region it affects together."""

    kind: Literal[HazardKind.STORM]
    affects: Affected


Hazard = Annotated[
    TerminalClosure | RoadClosure | RoadSlowdown | ServiceDelay | ServiceCancellation | Storm,
    Field(discriminator="kind"),
]


class RiskModel(Frozen):
    """A risk file: the hazards of one scenario."""

    name: Name
    scenario: str | None = Field(default=None, description="The scenario it is written for.")
    description: str = ""
    hazards: tuple[Hazard, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> RiskModel:
        seen: set[str] = set()
        problems: list[tuple[tuple[str | int, ...], str]] = []
        for index, hazard in enumerate(self.hazards):
            if hazard.id in seen:
                problems.append((("hazards", index, "id"), f"duplicate hazard id {hazard.id!r}"))
            seen.add(hazard.id)
        if problems:
            raise FieldProblems(problems)
        return self


def risk_problems(scenario: Scenario, risk: RiskModel) -> list[tuple[tuple[str | int, ...], str]]:
    """Every terminal, road, region and service the hazards name that the scenario lacks."""
    known = {
        "terminal": {t.id for c in scenario.cities for t in c.terminals},
        "road": {r.id for r in scenario.roads},
        "region": {r.id for r in scenario.regions},
        "service": {s.id for s in scenario.services},
    }
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for index, hazard in enumerate(risk.hazards):
        where: tuple[str | int, ...] = ("hazards", index)
        named: list[tuple[tuple[str | int, ...], str, str]] = []
        for field in ("terminal", "road", "region", "service"):
            value = getattr(hazard, field, None)
            if value is not None:
                named.append(((*where, field), field, value))
        if isinstance(hazard, Storm):
            for field, kind in (("terminals", "terminal"), ("roads", "road"), ("regions", "region")):
                for position, value in enumerate(getattr(hazard.affects, field)):
                    named.append(((*where, "affects", field, position), kind, value))
        problems.extend(
            (path, f"unknown {kind} {value!r}") for path, kind, value in named if value not in known[kind]
        )
        if getattr(hazard, "mode", None) == Mode.DRIVE:
            problems.append(
                ((*where, "mode"), "services run by flight, train or bus; for drives use a road hazard")
            )
    if risk.scenario is not None and risk.scenario != scenario.name:
        problems.append(
            (("scenario",), f"the file is written for {risk.scenario!r}, not for {scenario.name!r}")
        )
    return problems


__all__ = [
    "Affected",
    "Hazard",
    "HazardKind",
    "RiskModel",
    "RoadClosure",
    "RoadSlowdown",
    "ServiceCancellation",
    "ServiceDelay",
    "StartHours",
    "Storm",
    "TerminalClosure",
    "Triangular",
]
