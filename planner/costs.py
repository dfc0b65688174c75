"""What a team plan costs, per person, per team and in all, in the scenario's currency.

- Fares: a leg's cost is the team's (a ride's fare times its members, a drive's cost for its cars);
  each member pays an equal share.
- Hotels: each night of the team's plan spent in a city (not on board) costs that city's rate
  (``costs.hotel_by_city``, else ``costs.hotel_per_night``) per member, except a member whose
  ``home_city`` it is (who sleeps at home); consecutive nights in one city are one stay, with its
  check-in and check-out dates (a room per member away from home).
- Per-diems: each member is paid for every local date of the trip, from the date the team leaves
  to the date it is back (the local dates of its first departure and last arrival), at the member's own
  rate, else the rate for the role, else ``costs.per_diem``. A team that does not travel costs
  nothing.
- Budget: the total against ``budget.cap``, when the scenario has one, and how the plan was held
  to it (``enforce``, when not merely reported).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from planner.domain import Scenario
from planner.domain.people import Costs, Member


def _money(value: float) -> float:
    return round(value, 2)


def per_diem_rate(costs: Costs, member: Member) -> float:
    """The member's own rate, else the rate for the role, else ``costs.per_diem``."""
    if member.per_diem is not None:
        return member.per_diem
    return costs.per_diem_by_role.get(member.role, costs.per_diem)


def trip_days(plan: dict[str, Any]) -> int:
    """Local dates from the first departure to the last arrival (0 without legs)."""
    legs = plan["legs"]
    if not legs:
        return 0
    first = dt.datetime.fromisoformat(legs[0]["depart"]).date()
    last = dt.datetime.fromisoformat(legs[-1]["arrive"]).date()
    return (last - first).days + 1


def hotel_stays(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Consecutive nights in one city as one stay: check in on the first night's date, check out
    the morning after the last."""
    stays: list[dict[str, Any]] = []
    for night in plan["nights"]:
        city, date = night.get("city"), dt.date.fromisoformat(night["date"])
        if city is None:
            continue
        last = stays[-1] if stays else None
        if last is not None and last["city"] == city and last["check_out"] == date.isoformat():
            last["check_out"] = (date + dt.timedelta(days=1)).isoformat()
            last["nights"] += 1
            continue
        stays.append(
            {
                "city": city,
                "check_in": date.isoformat(),
                "check_out": (date + dt.timedelta(days=1)).isoformat(),
                "nights": 1,
            }
        )
    return stays


def _room_stays(costs: Costs, rooms: dict[tuple[str, str], int]) -> list[dict[str, Any]]:
    """Consecutive nights in one city with the same rooms as one stay (``hotel_stays``)."""
    stays: list[dict[str, Any]] = []
    for (date, city), count in sorted(rooms.items()):
        merged = False
        for stay in stays:
            if stay["city"] == city and stay["rooms"] == count and stay["check_out"] == date:
                stay["check_out"] = (dt.date.fromisoformat(date) + dt.timedelta(days=1)).isoformat()
                stay["nights"] += 1
                merged = True
                break
        if not merged:
            (stay,) = hotel_stays({"nights": [{"date": date, "city": city}]})
            stays.append({**stay, "rate": costs.hotel(city), "rooms": count})
    return stays


def _on_leg(leg: dict[str, Any], size: int) -> int:
    """People on a leg: the whole team, or fewer before a member joins it en route."""
    return int(leg.get("people") or size)


def joiner_trip(team: dict[str, Any]) -> dict[str, Any] | None:
    """A member joining en route: their own legs, their nights (their own until they join, then the
    team's), and the local dates they are away; None without one."""
    joiner = team.get("joiner")
    if not joiner:
        return None
    own, plan = joiner["plan"], team["plan"]
    joined = dt.datetime.fromisoformat(joiner["at"]).date()
    nights = list(own["nights"]) + [n for n in plan["nights"] if dt.date.fromisoformat(n["date"]) >= joined]
    first = dt.datetime.fromisoformat(own["legs"][0]["depart"]).date() if own["legs"] else joined
    last = dt.datetime.fromisoformat(plan["legs"][-1]["arrive"]).date() if plan["legs"] else joined
    return {
        "member": joiner["member"],
        "legs": own["legs"],
        "nights": nights,
        "days": (last - first).days + 1,
    }


def trip_costs(scenario: Scenario, teams: list[dict[str, Any]]) -> dict[str, Any]:
    """Costs of a team plan's teams (``teams[].plan``, ``teams[].members``, ``teams[].joiner``)."""
    costs = scenario.costs
    assert costs is not None, "the scenario gives no costs"
    people = []
    team_totals = []
    stays: list[dict[str, Any]] = []
    for team in teams:
        plan = team["plan"]
        size = len(team["members"])
        joining = joiner_trip(team)
        late = joining["member"] if joining else None
        joined = dt.datetime.fromisoformat(team["joiner"]["at"]).date() if joining else None
        rooms: dict[tuple[str, str], int] = {}  # (date, city) -> rooms that night
        for person in team["members"]:
            member = scenario.member(person["id"])
            nights = joining["nights"] if joining and member.id == late else plan["nights"]
            for night in nights:
                # A member at home in the city needs no room.
                if night.get("city") and night["city"] != member.home_city:
                    key = (night["date"], night["city"])
                    rooms[key] = rooms.get(key, 0) + 1
        stays.extend({"team": team["id"], **stay} for stay in _room_stays(costs, rooms))
        # Each leg's cost is shared by the people on it: before a member joins, the others.
        shared = sum(leg["cost"] / _on_leg(leg, size) for leg in plan["legs"] if _on_leg(leg, size) < size)
        together = sum(leg["cost"] / size for leg in plan["legs"] if _on_leg(leg, size) >= size)
        total = 0.0
        for person in team["members"]:
            member = scenario.member(person["id"])
            if member.id == late:
                assert joining is not None and joined is not None
                fares = together + sum(leg["cost"] for leg in joining["legs"])
                nights, days = joining["nights"], joining["days"]
            else:
                fares, nights, days = shared + together, plan["nights"], trip_days(plan)
            away = [n["city"] for n in nights if n.get("city") and n["city"] != member.home_city]
            hotel = sum(costs.hotel(city) for city in away)
            per_diems = per_diem_rate(costs, member) * days
            mine = fares + hotel + per_diems
            total += mine
            people.append(
                {
                    "member": member.id,
                    "team": team["id"],
                    "fares": _money(fares),
                    "hotels": _money(hotel),
                    "hotel_nights": len(away),
                    "per_diems": _money(per_diems),
                    "days": days,
                    "total": _money(mine),
                }
            )
        team_totals.append({"team": team["id"], "members": size, "total": _money(total)})
    grand = _money(sum(t["total"] for t in team_totals))
    budget: dict[str, Any] | None = None
    if scenario.budget is not None:
        cap = scenario.budget.cap
        budget = {"cap": cap, "within": grand <= cap, "left": _money(cap - grand)}
        if scenario.budget.enforce != "report":
            budget["enforce"] = scenario.budget.enforce
    return {
        "currency": scenario.currency,
        "people": people,
        "teams": team_totals,
        "stays": stays,
        "total": grand,
        "budget": budget,
    }
