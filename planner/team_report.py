"""A team plan as coordinators read it: each team's day-by-day table, then the costs per person."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from typing import Any

from planner.check.basics import Violation
from planner.document import PlanDocument
from planner.domain import Disruption, EventTimeline, Scenario, SolverParams
from planner.domain.people import Team
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.plan_report import render_plan, show_plan, status_words, write_json
from planner.scenario import load_scenario
from planner.team_view import entry_scenario, joiner_scenario, member_plan


def render_team_plan(scenario: Scenario, document: dict[str, Any]) -> str:
    """The whole team plan: status, each team's plan, what no team holds, the costs."""
    names = {c.id: c.name for c in scenario.cities}
    coverage = document["coverage"]
    regions = len(coverage["regions_covered"]) + len(coverage["regions_uncovered"])
    gap = None
    objective, bound = document["objective"], document["bound"]
    if objective and bound is not None:
        gap = (objective - bound) / abs(objective)
    lines = [
        f"{scenario.name}: {status_words(document['status'], gap)}  ({len(document['teams'])} teams, seed "
        f"{document['solver']['seed']}, {document['solver']['workers']} worker(s))",
        f"Together: {len(coverage['cities'])} seminars, {len(coverage['regions_covered'])} of {regions} "
        f"regions ({coverage['points']}/{coverage['max_points']} points)",
    ]
    forming = document.get("forming")
    if forming:
        when = f" in version {forming['version']}" if forming["version"] != document["version"] else ""
        lines.append(
            f"Teams formed by the planner{when}: the best of {forming['splits']} distinct splits "
            f"({forming['planned']} planned, {forming['skipped']} ruled out by their coverage, "
            f"{forming['proven']} proven)"
        )
        if "left_home" in forming:
            lines.append(_left_home_line(scenario, forming["left_home"]))
    teams = {team.id: team for team in scenario.teams}
    for entry in document["teams"]:
        who = ", ".join(f"{m['name']} ({m['role']})" for m in entry["members"])
        lines += ["", f"== Team {entry['name']}: {who}; {entry['vehicles']} car(s)"]
        seen = entry_scenario(scenario, teams[entry["id"]], entry)
        # The team's own plan without its status line: the team plan's status above is the one that
        # counts (a team's plan alone is FEASIBLE with no bound, being the best for the teams together).
        lines += render_plan(seen, PlanDocument.model_validate(entry["plan"])).splitlines()[1:]
        if entry.get("joiner"):
            lines += _joiner_lines(scenario, teams[entry["id"]], entry)
    if document["uncovered"]:
        lines += ["", "No team holds:"]
        for item in document["uncovered"]:
            flag = " (REQUIRED)" if item["required"] else ""
            lines.append(f"  {names[item['city']]}{flag}: {item['reason']} - {item['detail']}")
    costs = document.get("costs")
    if costs:
        lines += ["", *render_costs(scenario, costs)]
    return "\n".join(lines)


def _joiner_lines(scenario: Scenario, team: Team, entry: dict[str, Any]) -> list[str]:
    """Who meets the team en route, where and when, and their own way there."""
    joined = entry["joiner"]
    member = scenario.member(joined["member"])
    at = dt.datetime.fromisoformat(joined["at"])
    city, home = scenario.city(joined["city"]).name, scenario.city(joined["home_city"]).name
    before = sum(1 for leg in entry["plan"]["legs"] if "people" in leg)
    lines = [
        f"  {member.name} joins the team in {city} at the seminar of {at:%a %d %b %H:%M %z}, "
        f"from home in {home}; the team's first {before} leg(s) carry the others only.",
    ]
    own = entry["joiner"]["plan"]
    seen = joiner_scenario(scenario, team, member, (joined["city"], at.replace(tzinfo=None)))
    if not own["legs"]:
        lines.append(f"  {member.name} needs no travel to get there.")
        return lines
    lines.append(f"  {member.name}'s own way there:")
    lines += ["    " + line for line in render_plan(seen, PlanDocument.model_validate(own)).splitlines()[1:]]
    return lines


def _left_home_line(scenario: Scenario, left_home: list[str]) -> str:
    if not left_home:
        return "Left at home: nobody (every optional member travels)"
    names = {member.id: f"{member.name} ({member.role})" for member in scenario.members}
    who = ", ".join(names.get(member, member) for member in left_home)
    return f"Left at home (optional members the plan does without): {who}"


def member_calendars(scenario: Scenario, document: dict[str, Any]) -> dict[str, bytes]:
    """One iCalendar file per member (by member id): the member's team plan, in a calendar of the
    member's own whose UIDs carry the member's id and stay the same across versions of the plan."""
    from planner.exports import plan_to_ics

    teams = {team.id: team for team in scenario.teams}
    calendars = {}
    for entry in document["teams"]:
        seen = entry_scenario(scenario, teams[entry["id"]], entry)
        for member in entry["members"]:
            calendars[member["id"]] = plan_to_ics(
                seen,
                member_plan(entry, member["id"]),
                calendar_id=f"{scenario.name}/{member['id']}",
                title=f"{member['name']}: delegation trip {scenario.name} ({entry['name']})",
            )
    return calendars


def render_costs(scenario: Scenario, costs: dict[str, Any]) -> list[str]:
    """Per person (fares, hotels, per-diems), per team and in all, and the budget."""
    currency = costs["currency"]
    lines = [
        f"Costs ({currency})      team    fares        hotels (nights)    per-diems (days)   total",
    ]
    for person in costs["people"]:
        member = scenario.member(person["member"])
        lines.append(
            f"  {member.name[:20]:<20} {person['team']:<7} {person['fares']:>11,.0f}  "
            f"{person['hotels']:>11,.0f} ({person['hotel_nights']:>2})  "
            f"{person['per_diems']:>11,.0f} ({person['days']:>2})  {person['total']:>12,.0f}"
        )
    names = {c.id: c.name for c in scenario.cities}
    for stay in costs.get("stays", []):
        lines.append(
            f"  hotel  {stay['team']:<7} {names[stay['city']]:<16} in {stay['check_in']} out "
            f"{stay['check_out']}  {stay['nights']} night(s) x {stay['rooms']} room(s) at {stay['rate']:,.0f}"
        )
    for team in costs["teams"]:
        lines.append(f"  team {team['team']} ({team['members']} people): {team['total']:,.0f}")
    lines.append(f"  all: {costs['total']:,.0f} {currency}")
    budget = costs.get("budget")
    if budget:
        verdict = "within" if budget["within"] else "OVER"
        held = f" ({budget['enforce']})" if budget.get("enforce") else ""
        lines.append(
            f"  budget {budget['cap']:,.0f}{held}: {verdict} ({abs(budget['left']):,.0f} "
            f"{'left' if budget['within'] else 'over'})"
            if not budget.get("why_no_plan")
            else f"  budget {budget['cap']:,.0f}{held}: {budget['why_no_plan']}"
        )
    return lines


def plan_teams_command(
    args: argparse.Namespace,
    scenario: Scenario,
    params: SolverParams,
    report: Callable[[list[Violation]], None],
) -> int:
    """`planner plan` on a scenario with teams: the team plan, checked, as a table or JSON."""
    from planner.check.forming import check_any_team_plan

    if args.robust:
        print("--robust: robust planning is for one team; this scenario has teams", file=sys.stderr)
        return 2
    shown, data = first_team_plan(scenario, params)
    violations = check_any_team_plan(scenario, data)
    show_plan(args, data, lambda: render_team_plan(shown, data))
    if violations:
        report(violations)
        return 1
    return 0 if data["status"] not in ("INFEASIBLE", "TIME_LIMIT") else 1


def first_team_plan(scenario: Scenario, params: SolverParams) -> tuple[Scenario, dict[str, Any]]:
    """The team plan of a scenario with teams, fixed or formed, and the scenario with its teams."""
    if scenario.forming is not None:
        from planner.team_forming import form_teams, formed_plan_json

        formed = form_teams(scenario, params)
        return formed.scenario, formed_plan_json(formed)
    from planner.teams import plan_teams, teams_plan_json

    return scenario, teams_plan_json(scenario, plan_teams(scenario, params))


def with_plan_teams(scenario: Scenario, plan: dict[str, Any]) -> Scenario | None:
    """A scenario that forms its teams with the teams of ``plan`` fixed from now on (None, the
    reasons printed, when they break its limits); a scenario with fixed teams as it is."""
    if scenario.forming is None:
        return scenario
    from planner.check.forming import formed_teams
    from planner.domain.forming import formed_scenario

    violations, teams = formed_teams(scenario, plan)
    for violation in violations:
        print(f"error: the plan's {violation.where}: {violation.message}", file=sys.stderr)
    return None if violations else formed_scenario(scenario, teams)


def export_members_command(args: argparse.Namespace, plan: dict[str, Any]) -> int:
    """`planner export TEAM-PLAN --members-ics DIR --scenario FILE`: a calendar per member."""
    if plan.get("format") != TEAM_PLAN_FORMAT or args.scenario is None:
        print("error: --members-ics: give a team plan and its --scenario FILE", file=sys.stderr)
        return 2
    if args.ics or args.geojson or args.map or args.timeline:
        print("error: --members-ics: give it alone (the other outputs are for one plan)", file=sys.stderr)
        return 2
    scenario = load_scenario(args.scenario)
    if plan.get("scenario") != scenario.name or not (scenario.teams or scenario.forming):
        print(
            f"error: --scenario: the plan is for {plan.get('scenario')!r}, not {scenario.name!r}",
            file=sys.stderr,
        )
        return 2
    fixed = with_plan_teams(scenario, plan)
    if fixed is None:
        return 2
    scenario = fixed
    args.members_ics.mkdir(parents=True, exist_ok=True)
    for member_id, calendar in member_calendars(scenario, plan).items():
        path = args.members_ics / f"{member_id}.ics"
        path.write_bytes(calendar)
        print(f"Calendar of {scenario.member(member_id).name}: {path}")
    return 0


def replan_teams_command(
    args: argparse.Namespace,
    scenario: Scenario,
    params: SolverParams,
    previous: dict[str, Any],
    events: tuple[Disruption, ...],
    now: dt.datetime,
    report: Callable[[list[Violation]], None],
    render_diff: Callable[[Scenario, PlanDocument], str],
) -> int:
    """`planner replan` of a team plan: every team from now, each team's diff, checked. Teams the
    planner formed stay as the plan has them: a replan never moves a member to another team."""
    from planner.check.forming import check_any_team_plan
    from planner.team_replan import replan_teams

    if args.position is not None:
        print("--position: a team plan is replanned from where its plans have each team", file=sys.stderr)
        return 2
    if previous.get("format") != TEAM_PLAN_FORMAT:
        print(f"error: {args.plan}: a scenario with teams is replanned from its team plan", file=sys.stderr)
        return 2
    fixed = with_plan_teams(scenario, previous)
    if fixed is None:
        return 2
    data = replan_teams(fixed, previous, now, events, params)
    if previous.get("forming"):
        data["forming"] = previous["forming"]  # how the teams were formed, in the first version
    violations = check_any_team_plan(scenario, data, previous=previous, now=now)
    print(render_team_plan(fixed, data))
    teams = {team.id: team for team in fixed.teams}
    for entry in data["teams"]:
        seen = entry_scenario(fixed, teams[entry["id"]], entry)
        print(f"\n== Team {entry['name']}: changes")
        print(render_diff(seen, PlanDocument.model_validate(entry["plan"])))
    if args.out:
        write_json(args.out, data)
        print(f"\nVersion {data['version']} written to {args.out}")
    if violations:
        report(violations)
        return 1
    return 0


def whatif_teams_command(
    args: argparse.Namespace, scenario: Scenario, params: SolverParams, timelines: list[EventTimeline]
) -> int:
    """`planner whatif` on a scenario with teams: the team plan, then each timeline played through."""
    from planner.team_whatif import play_teams, team_story, team_table

    # Teams the planner forms are formed once, before the trip, and kept through every timeline.
    scenario, first = first_team_plan(scenario, params)
    print(
        f"Undisrupted team plan: {first['status']}, {len(first['coverage']['regions_covered'])} regions, "
        f"{len(first['coverage']['cities'])} cities, {len(first['teams'])} teams\n"
    )
    runs = [play_teams(scenario, timeline, first, params) for timeline in timelines]
    failures = 0
    for played in runs:
        print("\n".join(team_story(scenario, played)))
        print()
        failures += sum(len(step.violations) for step in played.steps)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for step in played.steps:
                path = args.out / f"{played.timeline.name}.v{step.plan['version']}.json"
                write_json(path, step.plan)
    print(team_table(first, runs))
    return 1 if failures else 0
