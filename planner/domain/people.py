"""The people of a delegation: members with roles, the teams they travel in, who a seminar needs,
and what a night and a day cost them.

All optional: a scenario without ``teams`` plans one group of ``delegation.size`` people, as
before. With ``teams``, each team travels as one group (its members together, from its start to
its end city) and the teams share the seminars: a city holds at most one seminar, by one team.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from planner.domain.values import MAX_MONEY, DateTime, Frozen, Identifier, Name, Number, Whole


class Member(Frozen):
    """One person of the delegation.

    ``optional`` matters only when the planner forms the teams (``forming``): an optional member
    may stay at home, in no team, where the plan is better without them by the forming order
    (coverage points, then travel cost, then fewer travellers); a required one is always placed.
    A member listed in a fixed team travels with it, optional or not.
    """

    id: Identifier
    name: Name
    role: Identifier = Field(description="e.g. trainer, ministry, undp: what staffing rules count.")
    per_diem: Number | None = Field(
        default=None, ge=0, le=MAX_MONEY, description="Per day; else the costs' rate for the role."
    )
    available_from: DateTime | None = Field(
        default=None, description="Free to leave from then (local to the team's start city)."
    )
    available_to: DateTime | None = Field(
        default=None, description="Must be back by then (local to the team's end city)."
    )
    home_city: Identifier | None = Field(
        default=None, description="Where the member lives: a night the team spends there costs them no hotel."
    )
    optional: bool = Field(
        default=False,
        description=(
            "With `forming`: the planner may leave them at home when the plan is better without them "
            "(a required member always travels). In a fixed team: travels with it."
        ),
    )
    joins_en_route: bool = Field(
        default=False,
        description=(
            "Free only from `available_from`, at `home_city`: the team may leave without them and "
            "they travel on their own to meet it at one of its seminars (or the team waits for them, "
            "whichever plan is better). At most one such member per team."
        ),
    )


class Team(Frozen):
    """Members who travel together for the whole trip."""

    id: Identifier
    name: str = ""
    members: tuple[Identifier, ...] = Field(min_length=1)
    vehicles: Whole | None = Field(
        default=None, ge=1, le=20, description="Cars for drives; else one per `costs.car_seats` members."
    )
    start_city: Identifier | None = Field(default=None, description="Else the delegation's start city.")
    end_city: Identifier | None = Field(default=None, description="Else the delegation's end city.")
    earliest_departure: DateTime | None = Field(
        default=None, description="Local to its start city; else the delegation's."
    )
    latest_return: DateTime | None = Field(
        default=None, description="Local to its end city; else the delegation's."
    )
    max_travel_min_per_day: Whole | None = Field(
        default=None,
        ge=60,
        le=24 * 60,
        description="Its own daily travel limit (door-to-door minutes); else the delegation's rule.",
    )


class Staffing(Frozen):
    """Who must be at a seminar: at least so many members of each role."""

    roles: dict[Identifier, Whole] = Field(default_factory=dict, description="At every seminar.")
    cities: dict[Identifier, dict[Identifier, Whole]] = Field(
        default_factory=dict, description="A city's own rule, instead of `roles`."
    )

    def needed(self, city: str) -> dict[str, int]:
        return self.cities.get(city, self.roles)


class Costs(Frozen):
    """What people cost besides fares, in the scenario's currency (sourced or [EST] in `note`)."""

    hotel_per_night: Number = Field(ge=0, le=MAX_MONEY, description="Per person and night.")
    hotel_by_city: dict[Identifier, Number] = Field(default_factory=dict, description="Per person and night.")
    per_diem: Number = Field(default=0, ge=0, le=MAX_MONEY, description="Per member and trip day.")
    per_diem_by_role: dict[Identifier, Number] = Field(default_factory=dict)
    car_seats: Whole = Field(
        default=4, ge=1, le=60, description="Members per car when a team gives no vehicles."
    )
    note: str = ""

    def hotel(self, city: str) -> float:
        return self.hotel_by_city.get(city, self.hotel_per_night)


class Budget(Frozen):
    """A cap on the whole trip's cost (fares, hotels, per-diems, as ``planner.costs`` counts them).

    ``enforce`` says what the cap does to the plan:

    - ``report`` (the default): every plan states its cost against the cap; the plan is chosen as
      without it.
    - ``hard``: no plan costs more than the cap. When none can, the plan is INFEASIBLE and says that
      the budget is why and what the cheapest plan costs.
    - ``priority``: the cap may be exceeded where the coverage won is worth it: every
      ``over_cap_per_point`` whole units of currency over the cap (an overrun rounded up to the
      unit) weigh as much as one coverage point lost. Within the cap, the plan is the one chosen
      without a cap; travel comfort never buys an overrun.
    """

    cap: Number = Field(gt=0, le=1e12)
    enforce: Literal["report", "hard", "priority"] = Field(
        default="report", description="report: stated only; hard: never exceeded; priority: weighed."
    )
    over_cap_per_point: Whole | None = Field(
        default=None,
        ge=1,
        le=1_000_000_000,
        description="With priority: units of currency over the cap one coverage point is worth.",
    )
    note: str = ""
