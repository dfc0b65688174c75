"""The ``planner`` command: validate, plan and check itineraries.

Exit codes: 0 success, 1 a plan that fails the checker (or no plan found),
2 bad input (the message names the file, field and line).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.daysheets_command import add_sheets_command, run_sheets
from planner.domain import FIRST_YEAR, LAST_YEAR, Scenario, SolverParams, trip_window
from planner.inputs.problems import TEAM_PLAN_FORMAT
from planner.risk.command import add_risk_command, run_risk
from planner.risk.robust_command import add_robust_options, robust_document
from planner.scenario import (
    ScenarioError,
    load_events,
    load_plan,
    load_scenario,
    plan_problems,
)
from planner.validate import PROJECT_ROOT, bundled_scenario, validate

# What one traded-off city's explanation may take when asked for (planner/replan_diff.py's limit
# for replans). Off by default for `plan`: each is a solve of its own, and on the flagship six of
# them take about 25 s, ten times the plan itself.
EXPLANATION_LIMIT_S = 5.0

if TYPE_CHECKING:
    from rich.progress import Progress

    from planner.check import Violation
    from planner.document import PlanDocument


CommandAdder = Callable[["argparse._SubParsersAction[argparse.ArgumentParser]"], None]


def _solver_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--time-limit", type=float, help="seconds (default: the scenario's)")
    command.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    command.add_argument("--workers", type=int, help="CP-SAT workers (default: the scenario's)")


def build_parser(more_commands: CommandAdder | None = None) -> argparse.ArgumentParser:
    """The command-line parser; ``more_commands`` lets an outer layer (the HTTP service) add its own."""
    parser = argparse.ArgumentParser(prog="planner", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    if more_commands is not None:
        more_commands(commands)

    validate = commands.add_parser(
        "validate", help="check a scenario, event or plan file (told apart by its keys) and summarise it"
    )
    validate.add_argument("file", type=Path, help="a scenario, an event file or a plan JSON")
    validate.add_argument(
        "--scenario",
        type=Path,
        help="the scenario an event or plan file is checked against (default for a file naming its "
        "scenario: scenarios/<that name>.yaml of the project)",
    )

    plan = commands.add_parser("plan", help="compute the best itinerary of a scenario")
    plan.add_argument("scenario", type=Path)
    plan.add_argument("--out", type=Path, help="write the plan JSON here")
    _solver_options(plan)
    plan.add_argument("--json", action="store_true", help="print the plan JSON instead of a table")
    plan.add_argument(
        "--no-cache",
        action="store_true",
        help="search every connection again instead of reading those kept from an earlier plan of the "
        "same scenario (kept in $PLANNER_CACHE_DIR, default ~/.cache/delegation-planner)",
    )
    plan.add_argument(
        "--explain-limit",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="say what covering each traded-off city would take, from a solve of at most SECONDS each "
        f"(e.g. {EXPLANATION_LIMIT_S:g}; default 0: not asked); all of them stop after the plan's time limit",
    )
    add_robust_options(plan)

    check = commands.add_parser("check", help="verify a plan JSON against its scenario")
    check.add_argument("scenario", type=Path)
    check.add_argument("plan", type=Path)
    check.add_argument("--events", type=Path, action="append", default=[], help="event file(s) in force")

    replan = commands.add_parser("replan", help="a new version of a plan from now, given new events")
    replan.add_argument("scenario", type=Path)
    replan.add_argument("plan", type=Path)
    replan.add_argument("--now", required=True, help="ISO datetime with offset, e.g. 2016-01-21T21:40+05:00")
    replan.add_argument("--events", type=Path, action="append", default=[], help="event file(s)")
    replan.add_argument("--position", help="city the delegation is in now, if not where the plan says")
    replan.add_argument("--out", type=Path, help="write the new plan JSON here")
    _solver_options(replan)

    whatif = commands.add_parser("whatif", help="play event timelines against a scenario's plan")
    whatif.add_argument("scenario", type=Path)
    whatif.add_argument("events", type=Path, nargs="*", help="default: scenarios/events/*.yaml for it")
    whatif.add_argument("--out", type=Path, help="folder for each version's plan JSON")
    _solver_options(whatif)
    add_risk_command(commands)  # planner/risk/command.py: the options and the run
    add_sheets_command(commands)  # planner/daysheets_command.py: printable day sheets

    export = commands.add_parser("export", help="write a plan as a calendar (ICS) and a map (GeoJSON)")
    export.add_argument("plan", type=Path)
    export.add_argument(
        "--scenario", type=Path, help="the plan's scenario file (default: scenarios/<plan's scenario>.yaml)"
    )
    export.add_argument("--ics", type=Path, help="write the iCalendar file here")
    export.add_argument("--geojson", type=Path, help="write the GeoJSON file here")
    export.add_argument("--map", type=Path, help="draw the route map here (.svg or .png)")
    export.add_argument("--timeline", type=Path, help="draw the day-by-day timeline here (.svg or .png)")
    export.add_argument(
        "--members-ics",
        type=Path,
        metavar="DIR",
        help="a team plan: write one calendar per member into DIR (MEMBER.ics)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    return run_command(build_parser().parse_args(argv))


def run_command(args: argparse.Namespace) -> int:
    """Run a parsed planner command; exit code 0, 1 or 2 as in the module docstring."""
    from planner.processes import search_processes

    try:
        search_processes()  # a bad setting is refused before any work, not in the middle of it
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if args.command == "validate":
            return validate(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "check":
            return _check(args)
        if args.command == "replan":
            return _replan(args)
        if args.command == "whatif":
            return _whatif(args)
        if args.command == "export":
            return _export(args)
        if args.command == "risk":
            return run_risk(args)
        if args.command == "sheets":
            return run_sheets(args)
    except ScenarioError as error:
        _report_problems(error, f"{len(error.problems)} problem(s) in the input")
        return 2
    except ValueError as error:
        # Imported here, not at the top: validate and --help must not load the solver stack.
        from planner.replan import ReplanError

        if not isinstance(error, ReplanError):
            raise
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 2


def _report_problems(error: ScenarioError, header: str) -> None:
    print(f"error: {header}:", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def _params(scenario: Scenario, args: argparse.Namespace) -> SolverParams:
    data = scenario.solver.model_dump()
    for field, value in (("time_limit_s", args.time_limit), ("seed", args.seed), ("workers", args.workers)):
        if value is not None:
            data[field] = value
    try:
        return SolverParams.model_validate(data)
    except Exception as exc:  # pydantic's message names the field
        from planner.scenario import problems_from_validation

        raise ScenarioError(problems_from_validation(exc, "command line")) from None  # type: ignore[arg-type]


def _plan(args: argparse.Namespace) -> int:
    from planner.check import check_plan
    from planner.network import TransportNetwork
    from planner.solve import plan

    scenario = load_scenario(args.scenario)
    params = _params(scenario, args)
    if scenario.teams or scenario.forming:
        from planner.team_report import plan_teams_command

        return plan_teams_command(args, scenario, params, _report_rejection)
    trade_off = ""
    if args.robust:
        chosen = robust_document(args, scenario, params)
        if isinstance(chosen, int):
            return chosen
        document, trade_off = chosen
    else:
        from planner.connections.store import ConnectionStore

        network = TransportNetwork.build(scenario)  # shared by the plan and its legs' backups
        store = None if args.no_cache else ConnectionStore.default()
        problem, result = plan(scenario, params, network=network, store=store)
        if args.explain_limit > 0:
            from planner.replan_diff import explain_trade_offs

            until = time.perf_counter() + params.time_limit_s
            result = explain_trade_offs(scenario, problem, result, params, until, args.explain_limit)
        document = result.to_document(scenario, problem.axis, network=network, store=store)
    data = document.to_json()
    violations = check_plan(scenario, data)
    from planner.plan_report import render_plan, show_plan

    hint = ""
    if not args.explain_limit and any(u.reason == "traded_off" for u in document.uncovered):
        hint = f"\n(--explain-limit {EXPLANATION_LIMIT_S:g}: what covering each traded-off city would take.)"
    show_plan(
        args,
        data,
        lambda: render_plan(scenario, document) + hint + (f"\n\n{trade_off}" if trade_off else ""),
    )
    if violations:
        _report_rejection(violations)
        return 1
    return 0 if document.status.value not in ("INFEASIBLE", "TIME_LIMIT") else 1  # no itinerary: 1


def _report_rejection(violations: list[Violation]) -> None:
    print(f"\nThe checker rejects this plan ({len(violations)} violation(s)):", file=sys.stderr)
    for violation in violations:
        print(f"  [{violation.rule}] {violation.where}: {violation.message}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    from planner.check import check_plan

    scenario = load_scenario(args.scenario)
    data = _read_plan(args.plan)
    if data is None:
        return 2
    events = tuple(e for path in args.events for e in load_events(path, scenario).events)
    if data.get("format") == TEAM_PLAN_FORMAT:
        from planner.check.forming import check_any_team_plan

        if events:
            print("--events: a team plan is checked without events", file=sys.stderr)
            return 2
        violations = check_any_team_plan(scenario, data)
        seminars = len(data["coverage"]["cities"])
    else:
        violations = check_plan(scenario, data, events=events)
        seminars = len(data.get("seminars", []))
    if violations:
        print(f"{args.plan}: INVALID, {len(violations)} violation(s):")
        for violation in violations:
            print(f"  [{violation.rule}] {violation.where}: {violation.message}")
        return 1
    print(f"{args.plan}: valid plan for {scenario.name!r} ({seminars} seminars)")
    return 0


def _read_plan(path: Path) -> dict[str, Any] | None:
    """A plan file through the input gate; None (the problems printed) when it cannot be read."""
    try:
        data, _lines = load_plan(path)
    except ScenarioError as error:
        _report_problems(error, f"{path}: cannot read the plan")
        return None
    return data


def _now_in_trip(scenario: Scenario, text: str) -> dt.datetime:
    """--now: an ISO datetime with its offset, inside the trip (nothing is left to replan after it)."""
    from planner.replan import ReplanError

    try:
        now = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ReplanError(f"--now: {text!r} is not an ISO datetime like 2016-01-21T21:40+05:00") from None
    if now.tzinfo is None:
        raise ReplanError("--now: give the UTC offset too, e.g. 2016-01-21T21:40+05:00")
    leave, back = trip_window(scenario)
    home = scenario.city(scenario.delegation.start_city).zone
    trip = f"the trip runs from {leave.astimezone(home).isoformat()} to {back.astimezone(home).isoformat()}"
    # Before departure is fine: a closure announced the day before the trip is replanned with
    # as few changes to the booked plan as possible, from the earliest departure.
    if not FIRST_YEAR <= now.year <= LAST_YEAR:
        raise ReplanError(f"--now: {text} is nowhere near the trip ({trip})")
    if now < leave - dt.timedelta(days=366):
        raise ReplanError(f"--now: {text} is more than a year before the trip starts ({trip})")
    if now > back:
        raise ReplanError(
            f"--now: {text} is after the trip's latest return ({trip}): nothing is left to replan"
        )
    return now


def _replan(args: argparse.Namespace) -> int:
    from planner.check import check_plan
    from planner.replan import replan

    scenario = load_scenario(args.scenario)
    now = _now_in_trip(scenario, args.now)
    previous = _read_plan(args.plan)
    if previous is None:
        return 2
    if scenario.teams or scenario.forming:
        from planner.team_report import replan_teams_command

        events = tuple(e for path in args.events for e in load_events(path, scenario).events)
        params = _params(scenario, args)
        return replan_teams_command(
            args, scenario, params, previous, events, now, _report_rejection, render_diff
        )
    problems = plan_problems(scenario, previous, str(args.plan), rules=False)
    if problems:
        raise ScenarioError(problems)
    events = tuple(e for path in args.events for e in load_events(path, scenario).events)
    params = _params(scenario, args)
    new = replan(scenario, previous, now, events, position=args.position, params=params, backups=True)
    data = new.plan
    # The checker reads the raw JSON on purpose; the events in force are the document's.
    violations = check_plan(
        scenario, data, events=new.document.events, previous=previous, now=now, position=args.position
    )
    from planner.plan_report import render_plan, write_json

    print(render_plan(scenario, new.document))
    print(render_diff(scenario, new.document))
    if args.out:
        write_json(args.out, data)
        print(f"\nVersion {new.document.version} written to {args.out}")
    if violations:
        _report_rejection(violations)
        return 1
    return 0


def render_diff(scenario: Scenario, document: PlanDocument) -> str:
    """What changed against the previous version, with the reason for each dropped city."""
    from planner.whatif import leg_changes, seminar_changes

    names = {c.id: c.name for c in scenario.cities}
    diff = document.diff
    if diff is None:
        raise ValueError("render_diff: the plan is version 1, it has no diff")
    lines = [f"\nChanges against version {document.based_on} ({diff.changes}):"]
    # seminar_changes and leg_changes read the diff as JSON (they also tell the what-if stories).
    changes = diff.model_dump(mode="json", by_alias=True)
    lines.extend(seminar_changes(names, changes, "  "))
    lines.extend(leg_changes(scenario, changes, list(document.events), "  "))
    if diff.changes == 0:
        lines.append("  none: the plan still works as it is")
    return "\n".join(lines)


def _whatif(args: argparse.Namespace) -> int:
    from planner.plan_report import write_json
    from planner.whatif import baseline, comparison, format_table, play, story

    scenario = load_scenario(args.scenario)
    params = _params(scenario, args)
    paths = list(args.events)
    if not paths:
        # The bundled timelines written for this scenario (or for any scenario).
        folder = args.scenario.parent / "events"
        paths = [
            path for path in sorted(folder.glob("*.yaml")) if _timeline_for(path) in (None, scenario.name)
        ]
    timelines = [load_events(path, scenario) for path in paths]
    timelines = [t for t in timelines if t.scenario in (None, scenario.name)]
    if not timelines:
        print("error: no event timelines for this scenario", file=sys.stderr)
        return 2
    if scenario.teams or scenario.forming:
        from planner.team_report import whatif_teams_command

        return whatif_teams_command(args, scenario, params, timelines)
    # One solve for the undisrupted plan, then one replan per announcement moment.
    steps = 1 + sum(len({str(e.announced_at) for e in t.events}) for t in timelines)
    progress = _progress_bar()
    task = progress.add_task("undisrupted plan", total=steps)
    with progress:
        first = baseline(scenario, params)
        progress.advance(task)
        runs = []
        for timeline in timelines:
            progress.update(task, description=timeline.name)
            runs.append(play(scenario, timeline, first, params, on_step=lambda _: progress.advance(task)))
    print(
        f"Undisrupted plan: {first['status']}, {len(first['coverage']['regions_covered'])} regions, "
        f"{first['totals']['seminars']} cities, {first['totals']['travel_hours']:.1f} h travel\n"
    )
    failures = 0
    for timeline, played in zip(timelines, runs, strict=True):
        print("\n".join(story(scenario, played)))
        print()
        failures += sum(len(step.violations) for step in played.steps)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            for step in played.steps:
                if step.kept:
                    continue  # the version it kept is written by the step that made it, or is v1
                path = args.out / f"{timeline.name}.v{step.plan['version']}.json"
                write_json(path, step.plan)
    print(format_table(comparison(first, runs)))
    return 1 if failures else 0


def _timeline_for(path: Path) -> str | None:
    """The scenario an event file names, read before validating it against one."""
    from planner.inputs import read_data

    data, _ = read_data(path)
    name = data.get("scenario") if isinstance(data, dict) else None
    return str(name) if name is not None else None


def _progress_bar() -> Progress:
    """A bar on standard error (gone when done), so standard output stays the report."""
    from rich.console import Console
    from rich.progress import Progress, TimeElapsedColumn

    return Progress(
        *Progress.get_default_columns(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _export_scenario(args: argparse.Namespace, document: PlanDocument) -> Scenario:
    """The scenario named by --scenario, or the project's bundled file named by the plan."""
    from planner.exports import ExportError

    path: Path | None = args.scenario
    if path is None:
        name = document.scenario
        try:
            path = bundled_scenario(str(args.plan), "plan", name)
        except ScenarioError:
            folder = PROJECT_ROOT / "scenarios"
            raise ExportError(
                f"scenario: no bundled scenario {name!r} in {folder}; give --scenario FILE"
            ) from None
        print(f"Scenario: {path} (named by the plan)")
    scenario = load_scenario(path)
    if document.scenario != scenario.name:
        raise ExportError(f"scenario: the plan is for {document.scenario!r}, {path} is {scenario.name!r}")
    return scenario


def _export(args: argparse.Namespace) -> int:
    from planner.document import PlanDocumentError, read_document
    from planner.exports import ExportError, plan_to_geojson, plan_to_ics

    if args.members_ics is not None:
        from planner.team_report import export_members_command

        team_plan = _read_plan(args.plan)
        return 2 if team_plan is None else export_members_command(args, team_plan)
    if not (args.ics or args.geojson or args.map or args.timeline):
        print("error: nothing to write: give --ics, --geojson, --map and/or --timeline FILE", file=sys.stderr)
        return 2
    for option, path in (("--map", args.map), ("--timeline", args.timeline)):
        if path is not None and path.suffix.lower() not in (".svg", ".png"):
            print(f"error: {option} {path}: the file name must end in .svg or .png", file=sys.stderr)
            return 2
    plan = _read_plan(args.plan)
    if plan is None:
        return 2
    if plan.get("format") == TEAM_PLAN_FORMAT:
        from planner.team_export import export_team_pictures_command

        return export_team_pictures_command(args, plan)
    try:
        document = read_document(plan)
        scenario = _export_scenario(args, document)
        # The map export reads every seminar and leg against the scenario: a plan it accepts can be drawn too.
        geojson = plan_to_geojson(scenario, document)
        calendar = plan_to_ics(scenario, document) if args.ics else None
    except (PlanDocumentError, ExportError) as error:  # each message names the field
        print(f"error: {args.plan}: {error}", file=sys.stderr)
        return 2
    from planner.plan_report import write_outputs

    version = document.version
    outputs: list[tuple[str, Path, bytes | str]] = []
    if calendar is not None:
        outputs.append(("Calendar", args.ics, calendar))
    if args.geojson:
        outputs.append(("Map data", args.geojson, json.dumps(geojson, indent=2, ensure_ascii=False) + "\n"))
    if args.map or args.timeline:
        from planner import pictures

        for what, path, svg, png in (
            ("Map", args.map, pictures.render_map_svg, pictures.render_map_png),
            ("Timeline", args.timeline, pictures.render_timeline_svg, pictures.render_timeline_png),
        ):
            if path is not None:
                picture = (
                    svg(scenario, document) if path.suffix.lower() == ".svg" else png(scenario, document)
                )
                outputs.append((what, path, picture))
    write_outputs(outputs, lambda what, path: f"{what} of version {version} written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
