"""What a team plan costs, per person, per team and in all, in the scenario's currency.

- Fares: a leg's cost is the team's (a ride's fare times its members, a drive's cost for its cars);
  each member pays an equal share.
- Hotels: each night of the team's plan spent in a city (not on board) costs that city's rate
  (``costs.hotel_by_city``, else ``costs.hotel_per_night``) per member; consecutive nights in one
  city are one stay, with its check-in and check-out dates (a room per member).
- Per-diems: each member is paid for every local date of the trip, from the date the team leaves
  to the date it is back (the local dates of its first departure and last arrival), at the member's own
  rate, else the rate for the role, else ``costs.per_diem``. A team that does not travel costs
  nothing.
- Budget: the total against ``budget.cap``, when the scenario has one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from planner.domain import Scenario


def _money(value: float) -> float:
    return round(value, 2)


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


def trip_costs(scenario: Scenario, teams: list[dict[str, Any]]) -> dict[str, Any]:
    """Costs of a team plan's teams (``teams[].plan`` and ``teams[].members``)."""
    costs = scenario.costs
    assert costs is not None, "the scenario gives no costs"
    people = []
    team_totals = []
    stays = []
    for team in teams:
        for stay in hotel_stays(team["plan"]):
            rate = costs.hotel(stay["city"])
            stays.append({"team": team["id"], **stay, "rate": rate, "rooms": len(team["members"])})
        plan = team["plan"]
        size = len(team["members"])
        fares = sum(leg["cost"] for leg in plan["legs"]) / size
        hotel = sum(costs.hotel(night["city"]) for night in plan["nights"] if night.get("city"))
        nights = sum(1 for night in plan["nights"] if night.get("city"))
        days = trip_days(plan)
        total = 0.0
        for person in team["members"]:
            member = scenario.member(person["id"])
            rate = (
                member.per_diem
                if member.per_diem is not None
                else costs.per_diem_by_role.get(member.role, costs.per_diem)
            )
            per_diems = rate * days
            mine = fares + hotel + per_diems
            total += mine
            people.append(
                {
                    "member": member.id,
                    "team": team["id"],
                    "fares": _money(fares),
                    "hotels": _money(hotel),
                    "hotel_nights": nights,
                    "per_diems": _money(per_diems),
                    "days": days,
                    "total": _money(mine),
                }
            )
        team_totals.append({"team": team["id"], "members": size, "total": _money(total)})
    grand = _money(sum(t["total"] for t in team_totals))
    budget = None
    if scenario.budget is not None:
        cap = scenario.budget.cap
        budget = {"cap": cap, "within": grand <= cap, "left": _money(cap - grand)}
    return {
        "currency": scenario.currency,
        "people": people,
        "teams": team_totals,
        "stays": stays,
        "total": grand,
        "budget": budget,
    }
