"""A team's view of a scenario: what it may hold and how it travels (only the domain; the checker uses it)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from planner.domain import Scenario
from planner.domain.people import Team


def _instant(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A scenario datetime on the time line: a local one read in ``zone``."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(dt.UTC)


def staffed(scenario: Scenario, team: Team, city: str) -> bool:
    """True when the team's members meet the staffing rule of a seminar in ``city``."""
    roles = Counter(scenario.member(m).role for m in team.members)
    return all(roles[role] >= count for role, count in scenario.staffing.needed(city).items())


def team_scenario(scenario: Scenario, team: Team) -> Scenario:
    """The scenario as one team sees it: its size, cars, start, end and window, and the seminars
    its members may hold (none required: a required city is required of the teams together)."""
    size = len(team.members)
    seats = scenario.costs.car_seats if scenario.costs is not None else 4
    delegation = scenario.delegation
    fields: dict[str, Any] = {"size": size, "vehicles": team.vehicles or math.ceil(size / seats)}
    for name in ("start_city", "end_city", "earliest_departure", "latest_return"):
        if getattr(team, name) is not None:
            fields[name] = getattr(team, name)
    # A team travels together: it leaves when its last member is free, and is back when its
    # first member must be.
    members = [scenario.member(m) for m in team.members]
    start_zone = scenario.city(fields.get("start_city", delegation.start_city)).zone
    end_zone = scenario.city(fields.get("end_city", delegation.end_city)).zone
    leave = fields.get("earliest_departure", delegation.earliest_departure)
    for member in members:
        if member.available_from is not None and _instant(member.available_from, start_zone) > _instant(
            leave, start_zone
        ):
            leave = fields["earliest_departure"] = member.available_from
    back = fields.get("latest_return", delegation.latest_return)
    for member in members:
        if member.available_to is not None and _instant(member.available_to, end_zone) < _instant(
            back, end_zone
        ):
            back = fields["latest_return"] = member.available_to
    if team.max_travel_min_per_day is not None:
        fields["rules"] = delegation.rules.model_copy(
            update={"max_travel_min_per_day": team.max_travel_min_per_day}
        )
    seminars = tuple(
        s.model_copy(update={"required": False}) for s in scenario.seminars if staffed(scenario, team, s.city)
    )
    return scenario.model_copy(
        update={
            "name": f"{scenario.name}.{team.id}",
            "delegation": delegation.model_copy(update=fields),
            "seminars": seminars,
            "teams": (),
        }
    )
