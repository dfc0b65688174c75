"""The checker of a team plan: every team's plan by the single-plan rules, then what holds across teams.

Each team's plan is checked by ``check_plan`` against the team's scenario (planner.teams.
team_scenario: the scenario with the team's size, cars, start, window and the seminars its
members may hold), its violations named ``teams.N.plan....``. Across the teams:

- ``teams_share_seminars``: no city holds two seminars; the teams and members are the scenario's;
- ``teams_staffing``: every seminar is held by a team whose members meet its staffing rule;
- ``teams_coverage``: the covered regions, cities and points are those of the seminars held, and
  every seminar city no team holds is listed as uncovered (a required one makes the plan fail);
- ``teams_costs``: the costs per person, team and in all, and the budget line, recomputed here
  from the legs and nights (fares shared by the team's members, a hotel per night in a city
  but the member's home city, per-diems per local date from the first departure to the last arrival);
- ``teams_joining``: a member who joins en route (``joiner``) is the team's member who may, from
  their home city (one living away from the team's start always joins en route: the team waits
  for them only at their home); the team holds a seminar where and when they meet it; their own
  plan is a valid plan of one person from home, when free, holding just that seminar
  (``team_view.joiner_scenario``); the team's legs before then state one person fewer (and the
  cars it has without them), its seminars before then are staffed without them;
- ``teams_budget``: a plan of a scenario whose budget is ``enforce: hard`` costs no more than the
  cap (to the cent); a replanned version states an overrun (``costs.budget.within``) instead.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from planner.check import check_plan
from planner.check.basics import Violation
from planner.domain import Disruption, Scenario
from planner.domain.people import Team
from planner.team_view import joiner_scenario, team_scenario

TEAM_RULES = (
    "teams_share_seminars",
    "teams_staffing",
    "teams_coverage",
    "teams_costs",
    "teams_budget",
    "teams_joining",
)


def check_team_plan(
    scenario: Scenario,
    plan: dict[str, Any],
    previous: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> list[Violation]:
    """Every violation in a team plan (empty: the plan is valid).

    With ``previous`` (the team plan replanned) and ``now``, each team's plan is checked as a
    replan of that team's previous plan: its past frozen, under the events its version states.
    """
    if not isinstance(plan, dict) or not isinstance(plan.get("teams"), list):
        return [Violation("plan_format", "teams", "a team plan has a `teams` list")]
    violations: list[Violation] = []
    known = {team.id: team for team in scenario.teams}
    listed = [team.get("id") for team in plan["teams"]]
    if sorted(map(str, listed)) != sorted(known):
        message = f"the teams are {listed}, the scenario's are {sorted(known)}"
        violations.append(Violation("teams_share_seminars", "teams", message))
        return violations
    holder: dict[str, str] = {}
    for number, entry in enumerate(plan["teams"]):
        team = known[entry["id"]]
        where = f"teams.{number}"
        members = [m.get("id") for m in entry.get("members", [])]
        if members != list(team.members):
            violations.append(
                Violation(
                    "teams_share_seminars", f"{where}.members", f"{members} are not {list(team.members)}"
                )
            )
        joined = entry.get("joiner")
        seen = team_scenario(scenario, team, leaves_first=joined is not None)
        carried: dict[int, tuple[int, int | None]] = {}
        joins_at = None
        before = None
        if previous is not None:
            earlier = next((t for t in previous.get("teams", []) if t.get("id") == team.id), None)
            before = None if earlier is None else earlier["plan"]
        if joined is not None:
            own_before = (earlier or {}).get("joiner") if previous is not None else None
            has_plan = plan.get("status") in ("OPTIMAL", "FEASIBLE")
            carried, joins_at, problems = _joining(scenario, team, entry, where, own_before, now, has_plan)
            violations.extend(problems)
        try:
            events = tuple(Disruption.model_validate(e) for e in entry["plan"].get("events", []))
        except ValueError:
            message = "the events of the version are not events of the scenario format"
            violations.append(Violation("plan_format", f"{where}.plan.events", message))
            events = ()
        found = check_plan(
            seen, entry["plan"], events=events, previous=before, now=now if before else None, carried=carried
        )
        for violation in found:
            violations.append(Violation(violation.rule, f"{where}.plan.{violation.where}", violation.message))
        late = next((scenario.member(m) for m in team.members if scenario.member(m).joins_en_route), None)
        if joined is None and late is not None and late.home_city != seen.delegation.start_city:
            message = f"{late.id} lives in {late.home_city}, away from the team's start: say where they join"
            violations.append(Violation("teams_joining", f"{where}.joiner", message))
        for index, seminar in enumerate(entry["plan"].get("seminars", [])):
            city = seminar["city"]
            if joins_at is not None and dt.datetime.fromisoformat(seminar["start"]) < joins_at:
                # Held before the member who joins en route is there.
                roles = Counter(scenario.member(m).role for m in team.members if m != joined["member"])
            else:
                roles = Counter(scenario.member(m).role for m in team.members)
            if city in holder:
                message = f"{city} holds a seminar by team {holder[city]} and by team {team.id}"
                violations.append(
                    Violation("teams_share_seminars", f"{where}.plan.seminars.{index}", message)
                )
            holder.setdefault(city, team.id)
            short = {r: n for r, n in scenario.staffing.needed(city).items() if roles[r] < n}
            if short:
                message = f"team {team.id} lacks {short} for the seminar in {city}"
                violations.append(Violation("teams_staffing", f"{where}.plan.seminars.{index}", message))
    violations.extend(_coverage(scenario, plan, holder))
    if scenario.costs is not None:
        violations.extend(_costs(scenario, plan))
    return violations


def _joining(
    scenario: Scenario,
    team: Team,
    entry: dict[str, Any],
    where: str,
    before: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
    has_plan: bool = True,
) -> tuple[dict[int, tuple[int, int | None]], dt.datetime | None, list[Violation]]:
    """A member meeting the team en route: the team's, the member's and the meeting's rules. Returns
    the legs that carry the others only (for ``check_plan``), when the member joins, and what is wrong.

    ``before`` (the previous version's meeting) and ``now``: a member's plan replanned in this
    version (a newer version than before) is checked as a replan of their previous one."""
    joined, plan = entry["joiner"], entry["plan"]
    here = f"{where}.joiner"
    member = next((scenario.member(m) for m in team.members if scenario.member(m).joins_en_route), None)
    if member is None or joined.get("member") != member.id:
        message = f"{joined.get('member')!r} is not the member of team {team.id} who joins en route"
        return {}, None, [Violation("teams_joining", f"{here}.member", message)]
    out = []
    if joined.get("home_city") != member.home_city:
        message = f"home_city is {joined.get('home_city')!r}, the member's is {member.home_city!r}"
        out.append(Violation("teams_joining", f"{here}.home_city", message))
    try:
        at = dt.datetime.fromisoformat(str(joined.get("at")))
    except ValueError:
        return {}, None, [*out, Violation("teams_joining", f"{here}.at", "not an ISO date-time")]
    city = joined.get("city")
    held = [s for s in plan.get("seminars", []) if s.get("city") == city]
    if at.tzinfo is None:
        return {}, None, [*out, Violation("teams_joining", f"{here}.at", "needs its UTC offset")]
    if not has_plan:
        # A replan that found no plan keeps the past and the meeting as planned; nothing to meet.
        return _carried_legs(scenario, team, plan, at), at, out
    if not any(dt.datetime.fromisoformat(s["start"]) == at for s in held):
        message = f"the team holds no seminar in {city} at {joined.get('at')} to meet the member at"
        return {}, None, [*out, Violation("teams_joining", f"{here}.at", message)]
    # The member's own trip: one person from home, when free, to that seminar.
    own = joiner_scenario(scenario, team, member, (str(city), at.replace(tzinfo=None)))
    earlier = None
    if before is not None and joined["plan"].get("version") != before.get("plan", {}).get("version"):
        earlier = before.get("plan")
    for violation in check_plan(own, joined["plan"], previous=earlier, now=now if earlier else None):
        out.append(Violation(violation.rule, f"{here}.plan.{violation.where}", violation.message))
    mine = [(s.get("city"), s.get("start")) for s in joined["plan"].get("seminars", [])]
    if [(c, dt.datetime.fromisoformat(t)) for c, t in mine] != [(city, at)]:
        message = f"the member's plan holds {mine}, not just the seminar in {city} where they join"
        out.append(Violation("teams_joining", f"{here}.plan.seminars", message))
    return _carried_legs(scenario, team, plan, at), at, out


def _carried_legs(
    scenario: Scenario, team: Team, plan: dict[str, Any], at: dt.datetime
) -> dict[int, tuple[int, int | None]]:
    """The team's legs before the member joins at ``at``: the others, in their own cars."""
    others = len(team.members) - 1
    seats = scenario.costs.car_seats if scenario.costs is not None else 4
    cars = team.vehicles or math.ceil(others / seats)
    carried: dict[int, tuple[int, int | None]] = {}
    for index, leg in enumerate(plan.get("legs", [])):
        if dt.datetime.fromisoformat(leg["depart"]) < at:
            carried[index] = (others, cars if leg.get("mode") == "drive" else None)
    return carried


def _dates(first: str, last: str) -> int:
    """Local dates from one ISO moment to another, both counted."""
    return (dt.datetime.fromisoformat(last).date() - dt.datetime.fromisoformat(first).date()).days + 1


def _coverage(scenario: Scenario, plan: dict[str, Any], holder: dict[str, str]) -> list[Violation]:
    out = []
    held = [s for s in scenario.seminars if s.city in holder]
    regions = sorted({r for s in held for r in scenario.regions_served(s)})
    points = sum(s.weight for s in held) + sum(r.weight for r in scenario.regions if r.id in regions)
    coverage = plan.get("coverage", {})
    expected = {"regions_covered": regions, "cities": sorted(holder), "points": points}
    for name, value in expected.items():
        if coverage.get(name) != value:
            out.append(
                Violation("teams_coverage", f"coverage.{name}", f"is {coverage.get(name)}, expected {value}")
            )
    listed = {u.get("city") for u in plan.get("uncovered", [])}
    missing = {s.city for s in scenario.seminars} - set(holder)
    if listed != missing:
        message = f"lists {sorted(map(str, listed))}, the cities without a seminar are {sorted(missing)}"
        out.append(Violation("teams_coverage", "uncovered", message))
    has_plan = plan.get("status") in ("OPTIMAL", "FEASIBLE")
    for seminar in scenario.seminars:
        if has_plan and seminar.required and seminar.city not in holder:
            out.append(
                Violation("teams_coverage", "uncovered", f"required city {seminar.city} holds no seminar")
            )
    return out


def _costs(scenario: Scenario, plan: dict[str, Any]) -> list[Violation]:
    costs = scenario.costs
    assert costs is not None
    teams = {team.id: team for team in scenario.teams}
    stated = plan.get("costs") or {}
    people = {p.get("member"): p for p in stated.get("people", [])}
    out = []
    grand = 0.0
    for entry in plan["teams"]:
        legs, nights = entry["plan"]["legs"], entry["plan"]["nights"]
        size = len(entry["members"])
        joined = entry.get("joiner") or {}
        late = joined.get("member")
        # A leg's cost is shared by those on it: fewer than the team before a member joins.
        others = sum(float(leg["cost"]) / leg["people"] for leg in legs if leg.get("people", size) < size)
        everyone = sum(float(leg["cost"]) / size for leg in legs if leg.get("people", size) >= size)
        days = _dates(legs[0]["depart"], legs[-1]["arrive"]) if legs else 0
        for member_id in teams[entry["id"]].members:
            member = scenario.member(member_id)
            fares, own_nights = others + everyone, nights
            if member_id == late:
                own = joined["plan"]
                meets = dt.datetime.fromisoformat(joined["at"]).date()
                fares = everyone + sum(float(leg["cost"]) for leg in own["legs"])
                own_nights = own["nights"] + [n for n in nights if dt.date.fromisoformat(n["date"]) >= meets]
                leaves = own["legs"][0]["depart"] if own["legs"] else joined["at"]
                days = _dates(leaves, legs[-1]["arrive"] if legs else joined["at"])
            elif legs:
                days = _dates(legs[0]["depart"], legs[-1]["arrive"])
            # No hotel for a night at home.
            hotels = sum(
                costs.hotel_by_city.get(n["city"], costs.hotel_per_night)
                for n in own_nights
                if n.get("city") and n["city"] != member.home_city
            )
            rate = (
                member.per_diem
                if member.per_diem is not None
                else costs.per_diem_by_role.get(member.role, costs.per_diem)
            )
            total = fares + hotels + rate * days
            grand += total
            mine = people.get(member_id)
            if mine is None or abs(float(mine.get("total", -1)) - total) > 0.02:
                got = None if mine is None else mine.get("total")
                out.append(
                    Violation(
                        "teams_costs", f"costs.people.{member_id}", f"total {got}, expected {total:.2f}"
                    )
                )
    if abs(float(stated.get("total", -1)) - grand) > 0.01 * (len(people) + 1):
        out.append(Violation("teams_costs", "costs.total", f"is {stated.get('total')}, expected {grand:.2f}"))
    if scenario.budget is not None:
        budget = stated.get("budget") or {}
        if budget.get("within") != (grand <= scenario.budget.cap + 0.01):
            out.append(
                Violation("teams_costs", "costs.budget.within", f"is {budget.get('within')} for {grand:.2f}")
            )
        has_plan = plan.get("status") in ("OPTIMAL", "FEASIBLE")
        # The cap binds the plan made before departure. A replan after a disruption is never
        # refused for money: it keeps the cost as low as coverage allows and states any overrun.
        planned = plan.get("based_on") is None
        if (
            has_plan
            and planned
            and scenario.budget.enforce == "hard"
            and round(grand, 2) > scenario.budget.cap
        ):
            message = f"{grand:.2f} is over the hard budget cap of {scenario.budget.cap:.2f}"
            out.append(Violation("teams_budget", "costs.total", message))
    return out
