"""`planner export TEAM-PLAN --map FILE --timeline FILE`: the pictures of a team plan.

The map shows every team's route in the team's colour, the timeline a group of days per team
(``planner.pictures``). A team plan's calendars are one per member (``--members-ics``, in
``team_report``); the single plan's calendar and GeoJSON are not written for a team plan.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from planner.domain import Scenario
from planner.plan_report import write_outputs
from planner.scenario import load_scenario
from planner.validate import bundled_scenario


def export_team_pictures_command(args: argparse.Namespace, plan: dict[str, Any]) -> int:
    """Draw the team plan's map and timeline (SVG or PNG by the file name); nothing is written
    unless every picture could be drawn."""
    if args.ics or args.geojson:
        print(
            "error: --ics, --geojson: these are for one plan; a team plan's calendars are written "
            "per member with --members-ics DIR",
            file=sys.stderr,
        )
        return 2
    scenario = _team_plan_scenario(args, plan)
    if scenario is None:
        return 2
    from planner import pictures

    outputs: list[tuple[str, Path, bytes | str]] = []
    try:
        for what, path, svg, png in (
            ("Map", args.map, pictures.render_map_svg, pictures.render_map_png),
            ("Timeline", args.timeline, pictures.render_timeline_svg, pictures.render_timeline_png),
        ):
            if path is not None:
                picture = svg(scenario, plan) if path.suffix.lower() == ".svg" else png(scenario, plan)
                outputs.append((what, path, picture))
    except ValueError as error:  # PlanDocumentError: the message names the field
        print(f"error: {args.plan}: {error}", file=sys.stderr)
        return 2
    write_outputs(
        outputs, lambda what, path: f"{what} of the teams, version {plan.get('version')}, written to {path}"
    )
    return 0


def _team_plan_scenario(args: argparse.Namespace, plan: dict[str, Any]) -> Scenario | None:
    """The scenario of --scenario, or the bundled one the plan names; None (said why) when it is
    not the plan's."""
    path: Path | None = args.scenario
    if path is None:
        path = bundled_scenario(str(args.plan), "plan", plan.get("scenario"))
        print(f"Scenario: {path} (named by the plan)")
    scenario = load_scenario(path)
    if plan.get("scenario") != scenario.name:
        written_for = plan.get("scenario")
        print(
            f"error: {args.plan}: scenario: the plan is for {written_for!r}, {path} is {scenario.name!r}",
            file=sys.stderr,
        )
        return None
    return scenario
