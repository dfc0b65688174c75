"""What-if timelines played through a team plan: a team replan at each announcement, each new
version checked as a replan of the one before it, what each team changed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from planner.check.basics import Violation
from planner.check.teams import check_team_plan
from planner.domain import Disruption, EventTimeline, Scenario, SolverParams, event_zone
from planner.team_replan import replan_teams
from planner.whatif import event_target


@dataclass(frozen=True)
class TeamStep:
    """One announcement: when, which events, the team plan after it and what the checker said."""

    at: str
    events: tuple[Disruption, ...]
    plan: dict[str, Any]
    violations: tuple[Violation, ...]

    def changes(self) -> dict[str, int]:
        """Changes per team against the version before (the team's diff)."""
        return {t["id"]: int((t["plan"].get("diff") or {}).get("changes", 0)) for t in self.plan["teams"]}


@dataclass
class TeamPlayed:
    timeline: EventTimeline
    first: dict[str, Any]
    steps: list[TeamStep] = field(default_factory=list)

    @property
    def final(self) -> dict[str, Any]:
        return self.steps[-1].plan if self.steps else self.first

    def final_team_ids(self) -> list[str]:
        return [team["id"] for team in self.final["teams"]]


def play_teams(
    scenario: Scenario, timeline: EventTimeline, first: dict[str, Any], params: SolverParams | None = None
) -> TeamPlayed:
    """Replan the team plan at each announcement of the timeline, with every event known by then."""
    played = TeamPlayed(timeline, first)

    def announced(event: Disruption) -> dt.datetime:
        moment = event.announced_at
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=event_zone(scenario, event))

    known: list[Disruption] = []
    current = first
    for moment, group in groupby(sorted(timeline.events, key=announced), key=announced):
        batch = tuple(group)
        known.extend(batch)
        new = replan_teams(scenario, current, moment, tuple(known), params)
        violations = tuple(check_team_plan(scenario, new, previous=current, now=moment))
        played.steps.append(TeamStep(moment.isoformat(), batch, new, violations))
        current = new
    return played


def team_story(scenario: Scenario, played: TeamPlayed) -> list[str]:
    """Each announcement and what each team changed."""
    names = {c.id: c.name for c in scenario.cities}
    lines = [f"== {played.timeline.name}: {played.timeline.description.strip()}"]
    for step in played.steps:
        for event in step.events:
            target = event_target(event)
            lines.append(f"  {step.at}  {event.id}: {event.kind.value} {target}")
        for team in step.plan["teams"]:
            diff = team["plan"].get("diff") or {}
            dropped = [names[d["city"]] for d in diff.get("seminars", {}).get("dropped", [])]
            moved = [names[m["city"]] for m in diff.get("seminars", {}).get("moved", [])]
            what = f"{diff.get('changes', 0)} change(s)"
            if moved:
                what += f", moved: {', '.join(moved)}"
            if dropped:
                what += f", dropped: {', '.join(dropped)}"
            lines.append(f"      team {team['id']}: version {team['plan']['version']}, {what}")
        if step.violations:
            lines.append(f"      CHECKER: {len(step.violations)} violation(s)")
    return lines


def team_table(first: dict[str, Any], runs: list[TeamPlayed]) -> str:
    """Per timeline: status, regions and cities held, changes per team."""
    header = f"{'timeline':<24} {'status':<9} {'regions':>7} {'cities':>6}  changes per team"
    lines = [header, "-" * (len(header) + 12)]
    rows: list[tuple[str, dict[str, Any], dict[str, int]]] = [("undisrupted", first, {})] + [
        (
            played.timeline.name,
            played.final,
            {t: sum(step.changes()[t] for step in played.steps) for t in played.final_team_ids()},
        )
        for played in runs
    ]
    for name, plan, changes in rows:
        per_team = ", ".join(f"{team} {count}" for team, count in changes.items()) or "-"
        lines.append(
            f"{name:<24} {plan['status']:<9} {len(plan['coverage']['regions_covered']):>7} "
            f"{len(plan['coverage']['cities']):>6}  {per_team}"
        )
    return "\n".join(lines)
