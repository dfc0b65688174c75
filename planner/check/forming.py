"""The checker of a plan of teams the planner formed: the teams keep the scenario's ``forming``
limits, then the plan is checked as a plan of those teams fixed.

A scenario with ``forming`` names no teams; the plan does. ``teams_formed`` holds when the plan
has exactly ``forming.teams`` teams with distinct ids, each of ``min_size`` to ``max_size``
members, every member of the scenario is in one of them at most, and every member not
``optional`` is in one (an optional member may stay at home; ``forming.left_home``, when the plan
states it, lists exactly the members in no team). The plan is then checked by
``check_team_plan`` against the scenario with those teams fixed (each from the ``forming`` start
and end cities). A replanned version keeps the teams of the version it replans: they are taken
from ``previous``, so a version whose members changed team fails ``teams_share_seminars``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pydantic import ValidationError

from planner.check.basics import Violation
from planner.check.teams import check_team_plan
from planner.domain import Scenario
from planner.domain.forming import formed_scenario
from planner.domain.people import Team

FORMING_RULES = ("teams_formed",)


def check_formed_team_plan(
    scenario: Scenario,
    plan: dict[str, Any],
    previous: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> list[Violation]:
    """Every violation in a plan of formed teams (empty: valid); with ``previous`` and ``now``, a
    replanned version checked against the teams of ``previous``."""
    violations, teams = formed_teams(scenario, previous if previous is not None else plan)
    if violations:
        return violations
    return check_team_plan(formed_scenario(scenario, teams), plan, previous=previous, now=now)


def formed_teams(scenario: Scenario, plan: Any) -> tuple[list[Violation], tuple[Team, ...]]:
    """The teams a plan formed, or the violations of ``teams_formed`` that keep them from counting."""
    forming = scenario.forming
    if forming is None:
        return [Violation("teams_formed", "teams", "the scenario forms no teams")], ()
    entries = plan.get("teams") if isinstance(plan, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [Violation("plan_format", "teams", "a team plan has a `teams` list")], ()
    violations: list[Violation] = []
    if len(entries) != forming.teams:
        message = f"{len(entries)} teams, the scenario forms {forming.teams}"
        violations.append(Violation("teams_formed", "teams", message))
    low = forming.min_size
    high = forming.max_size if forming.max_size is not None else len(scenario.members)
    teams: list[Team] = []
    placed: Counter[str] = Counter()
    for number, entry in enumerate(entries):
        listed = entry.get("members")
        ids = [str(m.get("id")) for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
        placed.update(ids)
        if not low <= len(ids) <= high:
            message = f"{len(ids)} members, the scenario's teams have {low} to {high}"
            violations.append(Violation("teams_formed", f"teams.{number}.members", message))
        try:
            teams.append(
                Team(
                    id=entry.get("id"),
                    name=entry.get("name") or "",
                    members=tuple(ids),
                    start_city=forming.start_city,
                    end_city=forming.end_city,
                )
            )
        except ValidationError:
            violations.append(
                Violation("teams_formed", f"teams.{number}", "not a team: an id and its members")
            )
    known = {m.id for m in scenario.members}
    twice = sorted(m for m, n in placed.items() if n > 1)
    if twice:
        violations.append(Violation("teams_formed", "teams", f"members in more than one team: {twice}"))
    unknown = sorted(set(placed) - known)
    if unknown:
        violations.append(Violation("teams_formed", "teams", f"not members of the scenario: {unknown}"))
    required = {m.id for m in scenario.members if not m.optional}
    missing = sorted(required - set(placed))
    if missing:
        violations.append(Violation("teams_formed", "teams", f"required members in no team: {missing}"))
    violations += _left_home_violations(scenario, plan, set(placed))
    if len({team.id for team in teams}) != len(teams):
        violations.append(Violation("teams_formed", "teams", "two teams have the same id"))
    return violations, tuple(teams) if not violations else ()


def _left_home_violations(scenario: Scenario, plan: dict[str, Any], placed: set[str]) -> list[Violation]:
    """``forming.left_home``, when the plan states it: exactly the members in no team."""
    forming = plan.get("forming")
    stated = forming.get("left_home") if isinstance(forming, dict) else None
    if stated is None:
        return []
    home = [m.id for m in scenario.members if m.id not in placed]
    if not isinstance(stated, list) or sorted(map(str, stated)) != sorted(home):
        message = f"lists {stated}, the members in no team are {home}"
        return [Violation("teams_formed", "forming.left_home", message)]
    return []


def check_any_team_plan(
    scenario: Scenario,
    plan: dict[str, Any],
    previous: dict[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> list[Violation]:
    """A team plan checked as its scenario says: as formed teams' when it forms them, else fixed."""
    if scenario.forming is not None:
        return check_formed_team_plan(scenario, plan, previous=previous, now=now)
    return check_team_plan(scenario, plan, previous=previous, now=now)


def with_plan_teams(scenario: Scenario, plan: dict[str, Any]) -> Scenario:
    """The scenario whose teams are the plan's: as it is when it fixes its teams; with the teams
    the plan formed, fixed from then on, when it forms them. ``ValueError`` naming the first
    violation of ``teams_formed`` when the plan's teams break the scenario's limits."""
    if scenario.forming is None:
        return scenario
    violations, teams = formed_teams(scenario, plan)
    if violations:
        first = violations[0]
        raise ValueError(f"{first.where}: {first.message}")
    return formed_scenario(scenario, teams)
