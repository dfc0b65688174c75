"""The scenario: everything a plan depends on, checked as a whole when it is built."""

from __future__ import annotations

from pydantic import Field, model_validator

from planner.domain.events import Closure, Disruption
from planner.domain.forming import Forming
from planner.domain.people import Budget, Costs, Member, Staffing, Team
from planner.domain.places import City, Region, Road, Service, Terminal
from planner.domain.seminars import Calendar, Delegation, Seminar
from planner.domain.settings import EmissionFactors, Objective, SolverParams
from planner.domain.validation import DanglingReferences, reference_problems
from planner.domain.values import Frozen, Name


class Scenario(Frozen):
    """Everything a plan depends on."""

    name: Name
    description: str = ""
    currency: str = "KZT"
    calendar: Calendar
    regions: tuple[Region, ...]
    cities: tuple[City, ...]
    seminars: tuple[Seminar, ...]
    delegation: Delegation
    services: tuple[Service, ...] = ()
    roads: tuple[Road, ...] = ()
    closures: tuple[Closure, ...] = ()
    disruptions: tuple[Disruption, ...] = Field(
        default=(), description="Events already known when the first plan is made."
    )
    objective: Objective = Objective()
    solver: SolverParams = SolverParams()
    emissions: EmissionFactors = EmissionFactors()
    members: tuple[Member, ...] = Field(default=(), description="The people, for teams and costs.")
    teams: tuple[Team, ...] = Field(
        default=(), description="Several teams sharing the seminars; none: one group of delegation.size."
    )
    staffing: Staffing = Field(default_factory=Staffing, description="Roles needed at each seminar (teams).")
    costs: Costs | None = Field(default=None, description="Hotels and per-diems, for the cost figures.")
    budget: Budget | None = None
    forming: Forming | None = Field(
        default=None, description="Teams the planner forms from the members, instead of fixed teams."
    )

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = reference_problems(self)
        if problems:
            raise DanglingReferences(problems)
        return self

    # Lookups used everywhere; cheap enough to rebuild on demand.
    def city(self, city_id: str) -> City:
        for city in self.cities:
            if city.id == city_id:
                return city
        raise KeyError(city_id)

    def terminal_city(self) -> dict[str, City]:
        return {t.id: c for c in self.cities for t in c.terminals}

    def terminals(self) -> dict[str, Terminal]:
        return {t.id: t for c in self.cities for t in c.terminals}

    def member(self, member_id: str) -> Member:
        for member in self.members:
            if member.id == member_id:
                return member
        raise KeyError(member_id)

    def regions_served(self, seminar: Seminar) -> tuple[str, ...]:
        """The region of the seminar's city first, then the ones it also serves."""
        own = self.city(seminar.city).region
        return (own, *[r for r in seminar.serves if r != own])
