"""What-if timelines: plan, then replan at each announcement, and compare with no disruption."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from planner.check import Violation, check_plan
from planner.connections import KeptContexts, SlotMemo
from planner.domain import Disruption, DisruptionKind, EventTimeline, Scenario, SolverParams, event_zone
from planner.network import TransportNetwork
from planner.plan_report import moment, span
from planner.replan import replan
from planner.result import plan_json
from planner.solve import plan


@dataclass
class Step:
    """One announcement of a timeline: when, which events, and the version after it.

    ``kept``: ``plan`` is the version that was current, and no new version was made: the events
    did not touch it (no replan was needed, see ``still_works``), or ``replanned`` and the replan
    kept every seminar and leg as they were.
    """

    at: str  # local time of the announcement, with offset
    events: list[Disruption]
    plan: dict[str, Any]
    violations: list[Violation]
    kept: bool = False
    replanned: bool = False

    @property
    def changes(self) -> int:
        return 0 if self.kept else int(self.plan["diff"]["changes"])


@dataclass
class Played:
    """A timeline played through: its steps and the final plan."""

    timeline: EventTimeline
    steps: list[Step] = field(default_factory=list)

    @property
    def final(self) -> dict[str, Any]:
        return self.steps[-1].plan


def baseline(scenario: Scenario, params: SolverParams | None = None) -> dict[str, Any]:
    """The undisrupted plan, version 1."""
    problem, result = plan(scenario, params)
    return plan_json(scenario, problem.axis, result)


def play(
    scenario: Scenario,
    timeline: EventTimeline,
    first: dict[str, Any],
    params: SolverParams | None = None,
    network: TransportNetwork | None = None,
    on_step: Callable[[Step], None] | None = None,
    memo: SlotMemo | None = None,
) -> Played:
    """Replan at each announcement time from where the current plan has the delegation.

    ``on_step`` is told of each replan as it is done (for progress displays). ``memo`` (of
    ``network``) carries slot searches over from other timelines (the risk replay's samples).
    """
    network = network or TransportNetwork.build(scenario)
    contexts: KeptContexts = {}  # each replan of the timeline reuses the searches under known events
    axis = network.axis
    played = Played(timeline)
    current = first
    known: list[Disruption] = []

    def announced(event: Disruption) -> int:
        return axis.minutes(event.announced_at, event_zone(scenario, event))

    ordered = sorted(timeline.events, key=announced)
    for minute, group in groupby(ordered, key=announced):
        batch = list(group)
        known.extend(batch)
        now = axis.utc(minute)
        at = axis.iso(minute, event_zone(scenario, batch[0]))
        if still_works(scenario, current, batch, tuple(known)):
            played.steps.append(Step(at, batch, current, [], kept=True))
        else:
            new = replan(
                scenario,
                current,
                now,
                tuple(known),
                params=params,
                network=network,
                contexts=contexts,
                memo=memo,
            )
            violations = check_plan(scenario, new.plan, events=tuple(known), previous=current, now=now)
            if same_trip(current, new.plan):  # no change: the current version stands, none is stored
                played.steps.append(Step(at, batch, current, violations, kept=True, replanned=True))
            else:
                played.steps.append(Step(at, batch, new.plan, violations))
                current = new.plan
        if on_step is not None:
            on_step(played.steps[-1])
    return played


def still_works(
    scenario: Scenario, current: dict[str, Any], new: list[Disruption], known: tuple[Disruption, ...]
) -> bool:
    """Whether ``current`` stays the best plan after ``new`` events, with no replan needed.

    True when the current version is OPTIMAL, the checker passes it under every event known so
    far, and no new event is a delay. Closures, cancellations, slowdowns and unavailable cities only
    take options away, so a plan that was optimal and still obeys every rule stays optimal, and
    keeping it changes nothing (a replan ranks changes after coverage, and the kept plan has none).
    A delay is different: a run leaving later is an option the plan never had, which might fit
    better, so a delay is always replanned.
    """
    if current.get("status") != "OPTIMAL":
        return False
    if any(event.kind is DisruptionKind.SERVICE_DELAYED for event in new):
        return False
    return not check_plan(scenario, without_backups(current), events=known)


def same_trip(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Whether two versions hold the same seminars at the same times and the same legs."""

    def seminars(plan: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(s["city"], s["start"], s["end"]) for s in plan["seminars"]]

    def legs(plan: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
        return [(g["service"], g["from"], g["to"], g["depart"], g["arrive"]) for g in plan["legs"]]

    return seminars(before) == seminars(after) and legs(before) == legs(after)


def without_backups(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan without its legs' backups: advice of the version, made under the events it knew.

    Whether a plan still works under later events is a question about its legs and seminars; a
    backup those events spoil does not break the plan (the next version has backups of its own).
    """
    legs = plan.get("legs")
    if not isinstance(legs, list) or not any(isinstance(leg, dict) and "backup" in leg for leg in legs):
        return plan
    stripped = [
        {k: v for k, v in leg.items() if k != "backup"} if isinstance(leg, dict) else leg for leg in legs
    ]
    return {**plan, "legs": stripped}


def summary_row(name: str, data: dict[str, Any], changes: int) -> dict[str, Any]:
    totals = data["totals"]
    coverage = data["coverage"]
    return {
        "timeline": name,
        "status": data["status"],
        "regions": len(coverage["regions_covered"]),
        "cities": totals["seminars"],
        "travel_hours": totals["travel_hours"],
        "changes": changes,
    }


def seminar_changes(names: dict[str, str], diff: dict[str, Any], indent: str) -> list[str]:
    """One line per seminar moved, dropped (with its reason) or added."""
    seminars = diff["seminars"]
    lines = [
        f"{indent}moved   {names[m['city']]}: {moment(m['old_start'])} -> {moment(m['new_start'])}"
        for m in seminars["moved"]
    ]
    lines += [
        f"{indent}dropped {names[d['city']]}: {d['reason']} - {d['detail']}" for d in seminars["dropped"]
    ]
    lines += [f"{indent}added   {names[a['city']]} at {moment(a['start'])}" for a in seminars["added"]]
    return lines


def event_target(event: Disruption) -> str | None:
    """What an event hits: its terminal, road, region, service or city id."""
    return event.terminal or event.road or event.region or event.service or event.city


def story(scenario: Scenario, played: Played) -> list[str]:
    """A compact, readable account: time, event, what changed and why."""
    names = {c.id: c.name for c in scenario.cities}
    lines = [f"== {played.timeline.name}: {played.timeline.description.strip()}"]
    for step in played.steps:
        for event in step.events:
            note = f" ({event.note})" if event.note else ""
            lines.append(f"  {moment(step.at)}  {event.id}: {event.kind.value} {event_target(event)}{note}")
        if step.kept:
            stands = f"version {step.plan['version']} stands"
            if step.replanned:
                lines.append(f"      replanned, no change needed: {stands}, no new version")
            else:
                lines.append(f"      plan unaffected: {stands}, no replan needed")
            lines.extend(f"      CHECKER: {violation}" for violation in step.violations)
            continue
        diff = step.plan["diff"]
        lines.extend(seminar_changes(names, diff, "      "))
        lines.extend(leg_changes(scenario, diff, step.events, "      "))
        status = (
            "passes the checker" if not step.violations else f"CHECKER: {len(step.violations)} violation(s)"
        )
        lines.append(f"      -> version {step.plan['version']}: {step.plan['status']}, {status}")
    return lines


def leg_changes(scenario: Scenario, diff: dict[str, Any], events: list[Disruption], indent: str) -> list[str]:
    """Each leg the new version cancels, with the event that hits it (or that it follows the changes
    of seminars and connections around it), then each leg it books instead."""
    legs = diff["legs"]
    lines = []
    if legs["removed"]:
        lines.append(f"{indent}legs cancelled ({len(legs['removed'])}):")
    for leg in legs["removed"]:
        hits = [event for event in events if _hits(scenario, event, leg)]
        why = (
            "hit by " + ", ".join(f"{e.id} ({e.kind.value} {event_target(e)})" for e in hits)
            if hits
            else "not hit itself: it no longer fits the changed plan"
        )
        lines.append(f"{indent}  - {_leg_line(leg)}: {why}")
    if legs["added"]:
        lines.append(f"{indent}legs booked instead ({len(legs['added'])}):")
    lines.extend(f"{indent}  + {_leg_line(leg)}" for leg in legs["added"])
    return lines


def _leg_line(leg: dict[str, Any]) -> str:
    depart = dt.datetime.fromisoformat(leg["depart"])
    days = (dt.datetime.fromisoformat(leg["arrive"]).date() - depart.date()).days
    times = span(leg["depart"], leg["arrive"], " -> ") + (f" (+{days}d)" if days else "")
    return f"{leg['mode']} {leg['service']} {leg['from']} -> {leg['to']} {depart:%a %d %b} {times}"


def _hits(scenario: Scenario, event: Disruption, leg: dict[str, Any]) -> bool:
    """Does an event concern a leg: its terminals, its service, its road or a region the road runs
    through (as region closures are read), at a time the leg is under way?"""
    zone = event_zone(scenario, event)
    start, end = (t if t.tzinfo is not None else t.replace(tzinfo=zone) for t in (event.start, event.end))
    depart, arrive = dt.datetime.fromisoformat(leg["depart"]), dt.datetime.fromisoformat(leg["arrive"])
    if not (start < arrive and depart < end):
        return False
    if leg["mode"] != "drive":
        return event.terminal in (leg["from"], leg["to"]) or event.service == leg["service"]
    road = next((r for r in scenario.roads if r.id == leg["service"]), None)
    regions = road.regions if road is not None else ()
    return event.road == leg["service"] or (event.region is not None and event.region in regions)


def comparison(first: dict[str, Any], runs: list[Played]) -> list[dict[str, Any]]:
    rows = [summary_row("undisrupted", first, 0)]
    for played in runs:
        changes = sum(step.changes for step in played.steps)
        rows.append(summary_row(played.timeline.name, played.final, changes))
    return rows


def format_table(rows: list[dict[str, Any]]) -> str:
    header = f"{'timeline':<24} {'status':<9} {'regions':>7} {'cities':>6} {'travel h':>8} {'changes':>7}"
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row['timeline']:<24} {row['status']:<9} {row['regions']:>7} {row['cities']:>6} "
            f"{row['travel_hours']:>8.1f} {row['changes']:>7}"
        )
    return "\n".join(lines)
