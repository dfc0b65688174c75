"""`planner sheets PLAN.json [--scenario FILE] --out DIR`: the plan's day sheets as printable PDFs.

Only the standard library is imported here: the parser is built for every command (a fast
``--help``); what a run needs is imported when it runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

_MODES = ("flight", "train", "bus", "drive")


def add_sheets_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sheets = commands.add_parser(
        "sheets",
        help="write a plan's day sheets (printable PDF itinerary; per team and member for a team plan)",
    )
    sheets.add_argument("plan", type=Path, help="a plan or team plan JSON")
    sheets.add_argument(
        "--scenario", type=Path, help="the plan's scenario file (default: scenarios/<plan's scenario>.yaml)"
    )
    sheets.add_argument("--out", type=Path, required=True, help="folder for the PDF files")
    sheets.add_argument(
        "--check-in",
        action="append",
        default=[],
        metavar="MODE=MIN",
        help="minutes at the terminal before a departure of that mode (default: each terminal's "
        "check_in_min in the scenario plus the delegation's departure_buffer_min, as the plan assumes)",
    )


def _check_in(options: list[str]) -> dict[str, int] | str:
    """The --check-in options as minutes by mode, or the message naming what is wrong."""
    minutes: dict[str, int] = {}
    for option in options:
        mode, _, value = option.partition("=")
        if mode not in _MODES:
            return f"--check-in {option}: the mode is one of {', '.join(_MODES)}, as in flight=90"
        if not value.isdigit() or int(value) > 24 * 60:
            return f"--check-in {option}: the minutes are a whole number from 0 to 1440"
        minutes[mode] = int(value)
    return minutes


def run_sheets(args: argparse.Namespace) -> int:
    """Exit 0 with the files written, 2 on bad input (the message names the field)."""
    from planner.daysheets import SheetError, build_sheets
    from planner.daysheets_pdf import render_pdf
    from planner.domain import Mode
    from planner.scenario import load_plan, load_scenario
    from planner.validate import bundled_scenario

    given = _check_in(args.check_in)
    if isinstance(given, str):
        print(f"error: {given}", file=sys.stderr)
        return 2
    check_in = {Mode(mode): value for mode, value in given.items()}
    if args.out.exists() and not args.out.is_dir():
        print(f"error: --out {args.out}: not a folder", file=sys.stderr)
        return 2
    data, _lines = load_plan(args.plan)  # a ScenarioError names the file, line and field
    path = args.scenario
    if path is None:
        name = data.get("scenario") if isinstance(data, dict) else None
        path = bundled_scenario(str(args.plan), "plan", name)
        print(f"Scenario: {path} (named by the plan)")
    scenario = load_scenario(path)
    try:
        sheets = build_sheets(scenario, data, check_in)
    except SheetError as error:
        print(f"error: {args.plan}: {error.where}: {error.message}", file=sys.stderr)
        return 2
    files = {name: render_pdf(sheet) for name, sheet in sheets.items()}
    args.out.mkdir(parents=True, exist_ok=True)
    for name, pdf in files.items():
        target = args.out / name
        target.write_bytes(pdf)
        print(f"Day sheets {sheets[name].title}: {target}")
    return 0
