"""``planner validate``: a scenario, event, risk or plan file, told apart by its top-level keys."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from planner.domain import Scenario
from planner.inputs import TEAM_PLAN_FORMAT, Path_
from planner.scenario import (
    Problem,
    ScenarioError,
    events_from_data,
    extended,
    load_scenario,
    plan_problems,
    read_input,
    risk_from_data,
    scenario_from_data,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def validate(args: argparse.Namespace) -> int:
    """A scenario, an event file, a risk file or a plan file, told apart by its top-level keys."""
    source = str(args.file)
    kind, data, lines = read_input(args.file)
    if kind == "scenario":
        scenario = scenario_from_data(extended(args.file, data), source, lines)
        calendar = scenario.calendar
        print(f"{args.file}: valid scenario {scenario.name!r}")
        print(
            f"  {len(scenario.cities)} cities, {len(scenario.regions)} regions, "
            f"{len(scenario.seminars)} seminars, {len(scenario.services)} services, "
            f"{len(scenario.roads)} roads, {len(scenario.closures)} closures"
        )
        print(f"  {calendar.horizon_days} days from {calendar.start_date:%a %d %b %Y}")
        if scenario.teams:
            print(f"  {len(scenario.teams)} teams of {len(scenario.members)} members")
        if scenario.forming:
            optional = sum(1 for member in scenario.members if member.optional)
            who = f" ({optional} optional: may stay home)" if optional else ""
            print(f"  {scenario.forming.teams} teams to form from {len(scenario.members)} members{who}")
        return 0
    named = data.get("scenario") if isinstance(data, dict) else None
    scenario_path = args.scenario or bundled_scenario(source, kind, named)
    scenario = load_scenario(scenario_path)
    if kind == "risk":
        risk = risk_from_data(data, source, lines, scenario)  # also refuses another scenario's file
        print(f"{args.file}: valid risk file {risk.name!r} for {scenario.name!r} ({scenario_path})")
        for hazard in risk.hazards:
            print(f"  {hazard.id}: {hazard.kind.value}")
        return 0
    if kind == "events":
        timeline = events_from_data(data, scenario, source, lines)
        _same_scenario(source, lines, timeline.scenario, scenario.name, scenario_path)
        print(f"{args.file}: valid event file {timeline.name!r} for {scenario.name!r} ({scenario_path})")
        for event in timeline.events:
            print(f"  {event.id}: {event.kind.value}, announced {event.announced_at.isoformat()}")
        return 0
    if isinstance(data, dict) and data.get("format") == TEAM_PLAN_FORMAT:
        return _validate_team_plan(args, scenario, data, scenario_path)
    problems = plan_problems(scenario, data, source, lines)
    if problems:
        raise ScenarioError(problems)
    print(
        f"{args.file}: valid plan (version {data.get('version', 1)}, {data.get('status')}) for "
        f"{scenario.name!r} ({scenario_path}): {len(data.get('seminars', []))} seminars, "
        f"{len(data.get('legs', []))} legs"
    )
    return 0


def _validate_team_plan(
    args: argparse.Namespace, scenario: Scenario, data: dict[str, Any], scenario_path: Path
) -> int:
    """A team plan, by the team checker; each violation a problem naming its field."""
    from planner.check.forming import check_any_team_plan

    source = str(args.file)
    violations = check_any_team_plan(scenario, data)
    if violations:
        raise ScenarioError(
            [Problem(source, tuple(v.where.split(".")), f"[{v.rule}] {v.message}") for v in violations]
        )
    print(
        f"{args.file}: valid team plan (version {data.get('version', 1)}, {data.get('status')}) for "
        f"{scenario.name!r} ({scenario_path}): {len(data['teams'])} teams, "
        f"{len(data['coverage']['cities'])} seminars"
    )
    return 0


def bundled_scenario(source: str, kind: str, name: object) -> Path:
    """The project's scenarios/<name>.yaml that an event or plan file names, if there is one."""
    what = {"events": "an event file", "risk": "a risk file"}.get(kind, "a plan file")
    folder = PROJECT_ROOT / "scenarios"
    path = folder / f"{name}.yaml" if isinstance(name, str) else None
    # Only a plain file name of that folder: a file must not point anywhere else.
    if path is None or path.parent != folder or not path.is_file():
        named = f"names scenario {name!r}, which is not bundled in {folder}" if name else "names no scenario"
        raise ScenarioError(
            [
                Problem(
                    source,
                    (),
                    f"this is {what}: it is checked against its scenario, and it {named}; "
                    "give --scenario SCENARIO_FILE",
                )
            ]
        )
    return path


def _same_scenario(
    source: str, lines: dict[Path_, int], written_for: str | None, name: str, path: Path
) -> None:
    """A file written for another scenario than the one it is checked against is refused."""
    if written_for is not None and written_for != name:
        where = ("scenario",)
        message = f"the file is written for {written_for!r}, not for {name!r} ({path})"
        raise ScenarioError([Problem(source, where, message, lines.get(where))])
