"""The team plan document: the typed form of a team plan's JSON (format ``delegation-team-plan/1``).

A team plan is built by ``planner.teams.team_plan_document``; its readers outside the planner
(the HTTP API and its OpenAPI schema, the plan page) validate it here. Each team's ``plan`` is an
ordinary plan document of the team's own view of the scenario, so everything that reads one plan
reads a team's. Like ``PlanDocument``, a document read back dumps to the same JSON, and members
this model does not know are kept as given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, ValidationError

from planner.document import (
    Figure,
    LocalTime,
    PlanDocument,
    PlanDocumentError,
    PlanPart,
    SolveStatus,
    _where,
    read_document,
)

TeamPlanFormat = Literal["delegation-team-plan/1"]


class TeamMemberOut(PlanPart):
    id: str = Field(description="Member id.")
    name: str = Field(description="Member name.")
    role: str = Field(description="The role staffing rules count.")


class JoinerOut(PlanPart):
    """A member who meets the team en route, from home, and their own way there."""

    member: str = Field(description="Member id.")
    home_city: str = Field(description="City id they leave from.")
    city: str = Field(description="City id of the seminar where they join the team.")
    at: LocalTime = Field(description="That seminar's start, local: from then on they travel with the team.")
    plan: PlanDocument = Field(
        description="Their own trip there: an ordinary plan of one person, ending with that seminar."
    )


class TeamOut(PlanPart):
    """One team and its own plan."""

    id: str = Field(description="Team id.")
    name: str = Field(description="Team name.")
    members: tuple[TeamMemberOut, ...] = Field(description="Who travels in it.")
    size: int = Field(ge=1, description="People travelling (fares are paid per person).")
    vehicles: int = Field(ge=1, description="Cars for drives.")
    plan: PlanDocument = Field(
        description="The team's itinerary: an ordinary plan of its view of the scenario."
    )
    joiner: JoinerOut | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="A member who meets the team en route (its legs before then carry `people`).",
    )


class TeamCoverage(PlanPart):
    points: int = Field(description="Coverage points won across the teams.")
    max_points: int = Field(description="Every seminar and region.")
    regions_covered: tuple[str, ...] = Field(description="Region ids covered by any team.")
    regions_uncovered: tuple[str, ...] = Field(description="Region ids no team covers.")
    cities: tuple[str, ...] = Field(description="Cities holding a seminar, by any team.")


class TeamUncovered(PlanPart):
    city: str = Field(description="City id.")
    reason: str = Field(description="Why no team holds it (as in a plan's uncovered, or no_staff).")
    detail: str = Field(description="The reason in words.")
    required: bool = Field(description="Whether the scenario requires it.")


class TeamPlanDocument(PlanPart):
    """A team plan or a replanned version of it, as the planner writes it."""

    format: TeamPlanFormat = Field(description="The format: delegation-team-plan/1.")
    scenario: str = Field(description="The scenario's name.")
    version: int = Field(ge=1, description="1, then one more per replan.")
    based_on: int | None = Field(description="The version this one was replanned from.")
    now: LocalTime | None = Field(description="The replanning moment (replanned versions).")
    status: SolveStatus = Field(description="OPTIMAL, FEASIBLE, INFEASIBLE or TIME_LIMIT.")
    objective: int | None = Field(description="The joint model's objective (lower is better).")
    bound: int | None = Field(description="The best bound proven on it.")
    runtime_s: Figure | None = Field(default=None, description="Seconds the solve took.")
    solver: dict[str, Any] = Field(description="The solver's settings and figures.")
    coverage: TeamCoverage = Field(description="What the teams cover together.")
    uncovered: tuple[TeamUncovered, ...] = Field(description="Cities no team holds, with why.")
    teams: tuple[TeamOut, ...] = Field(min_length=1, description="Each team with its plan.")
    costs: dict[str, Any] | None = Field(
        default=None, description="Per person, per team and in all, against the budget (when costed)."
    )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)

    def team(self, team_id: str) -> TeamOut | None:
        return next((team for team in self.teams if team.id == team_id), None)

    @property
    def seminar_count(self) -> int:
        return sum(len(team.plan.seminars) for team in self.teams)

    @property
    def changes(self) -> int:
        """Changes against the previous version, summed over the teams."""
        return sum(team.plan.diff.changes for team in self.teams if team.plan.diff is not None)


def read_team_document(data: Any) -> TeamPlanDocument:
    """A team plan JSON as a document; ``PlanDocumentError`` names the first field that is wrong."""
    if isinstance(data, TeamPlanDocument):
        return data
    if not isinstance(data, Mapping):
        raise PlanDocumentError("plan", "expected an object")
    try:
        return TeamPlanDocument.model_validate(data)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        message = "missing" if first["type"] == "missing" else first["msg"].removeprefix("Value error, ")
        raise PlanDocumentError(_where(tuple(first["loc"])), message) from None


def read_any_document(data: Any) -> PlanDocument | TeamPlanDocument:
    """A plan or a team plan, told apart by its ``format``."""
    if isinstance(data, Mapping) and data.get("format") == "delegation-team-plan/1":
        return read_team_document(data)
    return read_document(data)
