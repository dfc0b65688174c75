"""Request and response bodies of the HTTP API (separate from the planner's domain models).

The plan itself travels as the planner's plan JSON (format ``delegation-plan/1``,
described in the README), the same document the command line writes; responses declare it
as ``planner.document.PlanDocument`` so that OpenAPI lists every field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from planner.document import PlanDocument
from planner.team_document import TeamPlanDocument


class Body(BaseModel):
    """A request body: unknown fields and numbers that are not finite are errors."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class SolveOptions(Body):
    """Solver settings for this request; unset fields take the scenario's own."""

    time_limit_s: float | None = Field(
        default=None, gt=0, description="Seconds the solver may search (capped by the server)."
    )
    seed: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Random seed; the same seed gives the same plan."
    )


class ScenarioChoice(Body):
    """A scenario given inline or by the name of one bundled with the server (exactly one)."""

    scenario_name: str | None = Field(
        default=None,
        max_length=200,
        description="Name of a bundled scenario (see GET /v1/scenarios), e.g. 'kazakhstan-winter-2016'.",
    )
    scenario: dict[str, Any] | None = Field(
        default=None,
        description="A whole scenario in the scenario file format (scenarios/README.md), as JSON.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> ScenarioChoice:
        if (self.scenario_name is None) == (self.scenario is None):
            raise ValueError("give exactly one of scenario_name or scenario")
        return self


class CreatePlan(ScenarioChoice):
    """Ask for a new plan (version 1), or store one made elsewhere after checking it."""

    options: SolveOptions = Field(default_factory=SolveOptions, description="Solver settings.")
    plan: dict[str, Any] | None = Field(
        default=None,
        description="An existing plan JSON (format delegation-plan/1) to store as version 1 instead of "
        "solving; it is accepted only if the independent checker passes it.",
    )


class ReplanRequest(Body):
    """Report what happened and ask for the next version of a plan."""

    base_version: int = Field(
        ge=1,
        le=1_000_000,
        description="The version this replan starts from; it must still be the latest (else 409).",
    )
    now: AwareDatetime = Field(
        description="The moment of replanning, with its UTC offset; everything before it is kept as done.",
        examples=["2016-01-21T07:30:00+05:00"],
    )
    position: str | None = Field(
        default=None,
        max_length=100,
        description="City id where the delegation is now, when it is not where the plan says.",
    )
    events: list[dict[str, Any]] = Field(
        default_factory=list,
        max_length=200,
        description="New disruptions, each in the event format of scenarios/README.md "
        "(id, kind, announced_at, start, end and the kind's target fields).",
    )
    options: SolveOptions = Field(default_factory=SolveOptions, description="Solver settings.")


class WhatIfRequest(ScenarioChoice):
    """Play event timelines against a scenario's undisrupted plan and compare."""

    timelines: list[dict[str, Any]] | None = Field(
        default=None,
        max_length=20,
        description="Event timelines in the what-if file format (name, description, events).",
    )
    timeline_names: list[str] | None = Field(
        default=None,
        max_length=20,
        description="Names of bundled timelines; when neither this nor timelines is given, every "
        "bundled timeline for the scenario is played.",
    )
    options: SolveOptions = Field(default_factory=SolveOptions, description="Solver settings.")


class VersionSummary(BaseModel):
    """One version of a plan, without the plan itself."""

    version: int = Field(description="1 for the first plan, then one more per replan.")
    kind: str = Field(description="planned, imported or replanned.")
    base_version: int | None = Field(description="The version a replan started from.")
    now: str | None = Field(description="The replanning moment (local time with offset).")
    created_at: dt.datetime = Field(description="When the version was stored (UTC).")
    created_by: str = Field(description="Organisation and key that made the change.")
    status: str = Field(
        description="OPTIMAL or FEASIBLE for a stored version; QUEUED, SOLVING or FAILED for one "
        "being computed."
    )
    seminars: int = Field(description="Seminars held in this version (by every team).")
    changes: int = Field(
        description="Changes against the previous version (0 for version 1), summed over the teams."
    )
    events: list[dict[str, Any]] = Field(description="The events reported with this version.")
    progress: dict[str, Any] | None = Field(
        default=None,
        description="While QUEUED or SOLVING: phase (queued, connections, solving, explaining, checking), "
        "elapsed_s and, once the solver has a plan, solutions, objective and bound (lower is better).",
    )
    error: dict[str, Any] | None = Field(
        default=None, description="When FAILED: the HTTP status and detail the request would have had."
    )


class PlanVersionOut(VersionSummary):
    """A version of a plan with the plan JSON."""

    id: str = Field(description="The plan's id.")
    plan: Annotated[PlanDocument | TeamPlanDocument, Field(discriminator="format")] | None = Field(
        description="None until the version is stored. The plan document (format delegation-plan/1): "
        "seminars, legs, nights, totals, coverage, "
        "uncovered cities with reasons, diff against the previous version; times local with offsets. "
        "For a scenario with teams, the team plan document (format delegation-team-plan/1): each team "
        "with its members and its own plan document, coverage across the teams, costs."
    )


class PlanSummary(BaseModel):
    """A plan of the caller's organisation."""

    id: str = Field(description="The plan's id.")
    scenario_name: str = Field(description="Name of the scenario it was made for.")
    created_at: dt.datetime = Field(description="When version 1 was stored (UTC).")
    created_by: str = Field(description="Organisation and key that created it.")
    latest_version: int = Field(description="Number of the latest version.")
    status: str = Field(description="Solver status of the latest version.")


class ComparisonRow(BaseModel):
    timeline: str = Field(description="Timeline name ('undisrupted' for the baseline).")
    status: str = Field(description="Solver status of the final version.")
    regions: int = Field(description="Regions covered at the end.")
    cities: int = Field(description="Seminars held at the end.")
    travel_hours: float = Field(description="Hours of travel in the final plan (summed over the teams).")
    changes: int = Field(description="Changes summed over every replan of the timeline.")


class TimelineStep(BaseModel):
    at: str = Field(description="When the events were announced (local time with offset).")
    events: list[str] = Field(description="Ids of the events announced then.")
    version: int = Field(description="The version this replan produced, or the one that stands.")
    status: str = Field(description="Its solver status.")
    changes: int = Field(description="Changes against the version before.")
    violations: list[str] = Field(description="Checker findings (empty when the version is valid).")
    kept: bool = Field(
        default=False,
        description="True when the events left the plan optimal and valid: no replan, the version stands.",
    )
    changes_by_team: dict[str, int] | None = Field(
        default=None, description="A team plan: each team's changes against the version before."
    )


class TimelineReport(BaseModel):
    name: str = Field(description="Timeline name.")
    description: str = Field(description="What the timeline replays.")
    story: list[str] = Field(description="Readable account of each replan.")
    steps: list[TimelineStep] = Field(description="One entry per announcement.")


class WhatIfOut(BaseModel):
    scenario_name: str = Field(description="The scenario played.")
    rows: list[ComparisonRow] = Field(description="The comparison table, undisrupted first.")
    table: str = Field(description="The same table as fixed-width text.")
    timelines: list[TimelineReport] = Field(description="Each timeline's replans.")
    seconds: float = Field(description="Solver time spent.")


class ScenarioSummary(BaseModel):
    name: str = Field(description="Name to use as scenario_name.")
    title: str = Field(description="The scenario's own name field.")
    cities: int = Field(description="Number of cities.")
    regions: int = Field(description="Number of regions.")
    seminars: int = Field(description="Number of seminar cities.")
    services: int = Field(description="Number of timetabled services.")
    start_date: dt.date = Field(description="First day of the horizon.")
    horizon_days: int = Field(description="Days in the horizon.")
    timelines: list[str] = Field(description="Bundled what-if timelines for this scenario.")
    teams: list[str] = Field(
        default_factory=list, description="Team ids, when the delegation travels as several fixed teams."
    )
    forms_teams: int = Field(
        default=0, description="Teams the planner forms from the members (`forming`); 0 when it forms none."
    )


class ScenarioOut(ScenarioSummary):
    scenario: dict[str, Any] = Field(description="The scenario in the scenario file format, as JSON.")


class PoolStatus(BaseModel):
    processes: int = Field(description="Solver processes.")
    capacity: int = Field(description="Solves admitted at once (running plus waiting).")
    in_flight: int = Field(description="Solves running or waiting now.")


class Health(BaseModel):
    status: str = Field(description="'ok' when the database answers.")
    database: str = Field(description="'ok' or the error.")
    solver: PoolStatus = Field(description="The solver pool.")
    version: str = Field(description="Service version.")
