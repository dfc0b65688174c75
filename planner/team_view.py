"""A team's view of a scenario: what it may hold and how it travels (only the domain; the checker uses it)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from planner.domain import Scenario
from planner.domain.people import Member, Team


def _instant(moment: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """A scenario datetime on the time line: a local one read in ``zone``."""
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)).astimezone(dt.UTC)


def staffed(scenario: Scenario, team: Team, city: str) -> bool:
    """True when the team's members meet the staffing rule of a seminar in ``city``."""
    roles = Counter(scenario.member(m).role for m in team.members)
    return all(roles[role] >= count for role, count in scenario.staffing.needed(city).items())


def joiner(scenario: Scenario, team: Team) -> Member | None:
    """The team's member who may join it en route (``joins_en_route``), if any."""
    return next((m for m in map(scenario.member, team.members) if m.joins_en_route), None)


def without_joiner(team: Team, member: Member) -> Team:
    """The team as it leaves: without the member who joins it on the way (cars as it gives them)."""
    return team.model_copy(update={"members": tuple(m for m in team.members if m != member.id)})


def team_scenario(scenario: Scenario, team: Team, leaves_first: bool = False) -> Scenario:
    """The scenario as one team sees it: its size, cars, start, end and window, and the seminars
    its members may hold (none required: a required city is required of the teams together).

    ``leaves_first``: the view of a team whose joiner meets it en route: the team leaves when its
    other members are free (its size and cars are still the whole team's)."""
    waits_for = team.members
    late = joiner(scenario, team) if leaves_first else None
    if late is not None:
        waits_for = without_joiner(team, late).members
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
    leaving = [scenario.member(m) for m in waits_for]
    start_zone = scenario.city(fields.get("start_city", delegation.start_city)).zone
    end_zone = scenario.city(fields.get("end_city", delegation.end_city)).zone
    leave = fields.get("earliest_departure", delegation.earliest_departure)
    for member in leaving:
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


def joiner_scenario(
    scenario: Scenario, team: Team, member: Member, meets: tuple[str, dt.datetime]
) -> Scenario:
    """The joiner's own trip as one person: from their home when they are free to the seminar
    ``meets`` (city, local start) where they meet the team, by the team's travel rules; the plan of
    this view holds that one seminar and ends with it."""
    city, start = meets
    seminar = next(s for s in scenario.seminars if s.city == city)
    end = start + dt.timedelta(minutes=seminar.duration_min)
    assert member.home_city is not None and member.available_from is not None
    seen = team_scenario(scenario, team, leaves_first=True)
    delegation = seen.delegation.model_copy(
        update={
            "size": 1,
            "vehicles": 1,
            "start_city": member.home_city,
            "end_city": city,
            "earliest_departure": member.available_from,
            "latest_return": end,
        }
    )
    return seen.model_copy(
        update={
            "name": f"{seen.name}.{member.id}",
            "delegation": delegation,
            "seminars": (seminar.model_copy(update={"required": False}),),
        }
    )


def entry_scenario(scenario: Scenario, team: Team, entry: dict[str, Any]) -> Scenario:
    """The view a team plan's entry was planned in: the team leaving first when a member meets it
    en route (``joiner``), else waiting for every member."""
    return team_scenario(scenario, team, leaves_first=bool(entry.get("joiner")))


def member_plan(entry: dict[str, Any], member_id: str) -> dict[str, Any]:
    """A member's own itinerary in a team plan entry: the team's plan, or for the member who meets
    it en route, their own legs and nights until the seminar where they join, then the team's."""
    joined = entry.get("joiner")
    plan = entry["plan"]
    if not joined or joined.get("member") != member_id:
        return plan
    own = joined["plan"]
    at = dt.datetime.fromisoformat(joined["at"])
    first = next(
        (i for i, leg in enumerate(plan["legs"]) if dt.datetime.fromisoformat(leg["depart"]) >= at),
        len(plan["legs"]),
    )
    shift = len(own["legs"]) - first
    later = [c for c in plan["connections"] if all(i >= first for i in c["legs"])]
    return {
        **plan,
        "legs": own["legs"] + plan["legs"][first:],
        "connections": own["connections"] + [{**c, "legs": [i + shift for i in c["legs"]]} for c in later],
        "seminars": [s for s in plan["seminars"] if dt.datetime.fromisoformat(s["start"]) >= at],
        "nights": own["nights"]
        + [n for n in plan["nights"] if dt.date.fromisoformat(n["date"]) >= at.date()],
    }
