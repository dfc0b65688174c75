"""Load and dump scenario files (YAML or JSON), event files and plan files.

Every file passes the input gate of :mod:`planner.inputs` (size, UTF-8, a safe
loader with budgets, each key once); plain data (a parsed file or an HTTP body)
is then checked by the models of :mod:`planner.domain`. A bad input gives one
:class:`ScenarioError` listing every problem, each naming the file, the field path
and (when known) the line, never a traceback.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from planner.domain import EventTimeline, Scenario, disruption_problems
from planner.inputs import (
    PLAN_FORMAT,
    TEAM_PLAN_FORMAT,
    FileKind,
    Path_,
    Problem,
    ScenarioError,
    file_kind,
    nearest_line,
    parse_json_text,
    parse_text,
    problems_from_validation,
    read_data,
    read_plan,
    read_text,
)

if TYPE_CHECKING:
    from planner.risk.model import RiskModel

__all__ = [
    "Problem",
    "ScenarioError",
    "dump_scenario",
    "events_from_data",
    "load_events",
    "load_plan",
    "load_risk",
    "load_scenario",
    "parse_text",
    "plan_problems",
    "problems_from_validation",
    "read_input",
    "risk_from_data",
    "scenario_from_data",
]


def _what_it_is(data: Any) -> str:
    if data is None:
        return "the input is empty"
    if isinstance(data, list):
        return "it is a list"
    return f"it is {type(data).__name__} {str(data)[:40]!r}"


def scenario_from_data(
    data: Any, source: str = "<scenario>", lines: dict[Path_, int] | None = None
) -> Scenario:
    """Validate plain data (a parsed file or an HTTP body) into a Scenario."""
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    source,
                    (),
                    f"a scenario must be a mapping of fields (name, calendar, ...); {_what_it_is(data)}",
                )
            ]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, lines)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML or JSON); raise ScenarioError naming every problem.

    A file with ``extends: OTHER.yaml`` (a path beside it) is that scenario with the file's own
    top-level sections in place of the other's: a variant (more teams, other dates) written as what
    it changes.
    """
    data, lines = read_data(path)
    data = extended(path, data)
    if file_kind(data) != "scenario":
        raise ScenarioError([Problem(str(path), (), _not_a_scenario(file_kind(data)))])
    return scenario_from_data(data, str(path), lines)


def one_team(scenario: Scenario, source: str, command: str) -> Scenario:
    """The scenario, refused (naming `teams` or `forming`) for a command that plans one team only."""
    if scenario.teams or scenario.forming:
        message = f"`planner {command}` plans one team; a scenario with teams is planned with `planner plan`"
        raise ScenarioError([Problem(source, ("teams" if scenario.teams else "forming",), message)])
    return scenario


def extended(path: str | Path, data: Any) -> Any:
    """A scenario file's data with what it ``extends`` filled in (other data as it is)."""
    if isinstance(data, dict) and "extends" in data:
        return _extended(Path(path), data, [])
    return data


def _extended(path: Path, data: dict[str, Any], seen: list[Path]) -> dict[str, Any]:
    """The data of a scenario file that extends another: the other's sections, then its own."""
    base = data["extends"]
    if not isinstance(base, str) or not base:
        raise ScenarioError(
            [Problem(str(path), ("extends",), "give the path of the scenario file it extends")]
        )
    base_path = (path.parent / base).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ScenarioError([Problem(str(path), ("extends",), f"{base} extends itself in the end")])
    if not base_path.is_file():
        raise ScenarioError([Problem(str(path), ("extends",), f"no scenario file {base} beside this one")])
    base_data, _ = read_data(base_path)
    if not isinstance(base_data, dict):
        raise ScenarioError([Problem(str(path), ("extends",), f"{base} is not a scenario file")])
    if "extends" in base_data:
        base_data = _extended(base_path, base_data, [*seen, path.resolve()])
    return {**base_data, **{key: value for key, value in data.items() if key != "extends"}}


def _not_a_scenario(kind: FileKind) -> str:
    what = (
        "an event file (it has `events`)" if kind == "events" else "a plan file (it has `format` or `legs`)"
    )
    return f"this is {what}, not a scenario; give the scenario file here"


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as JSON text that load_scenario reads back to an equal scenario."""
    return json.dumps(scenario.model_dump(mode="json", exclude_defaults=True), indent=2)


def load_events(path: str | Path, scenario: Scenario) -> EventTimeline:
    """Read an event file (YAML or JSON) and check every id it names against the scenario."""
    data, lines = read_data(path)
    return events_from_data(data, scenario, str(path), lines)


def load_risk(path: str | Path, scenario: Scenario) -> RiskModel:
    """Read a risk file (YAML or JSON) and check every id it names against the scenario."""
    data, lines = read_data(path)
    return risk_from_data(data, str(path), lines, scenario)


def risk_from_data(data: Any, source: str, lines: dict[Path_, int], scenario: Scenario) -> RiskModel:
    """A risk file's parsed data as a risk model, every id it names checked against the scenario."""
    from planner.risk.model import RiskModel, risk_problems

    if not isinstance(data, dict) or "hazards" not in data:
        raise ScenarioError(
            [Problem(source, (), f"a risk file is a mapping with a `hazards` list; {_what_it_is(data)}")]
            if not isinstance(data, dict)
            else [Problem(source, ("hazards",), "a risk file has a `hazards` list; this one has none")]
        )
    try:
        risk = RiskModel.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(
            [_untagged(problem, lines) for problem in problems_from_validation(exc, source, lines)]
        ) from None
    problems = [
        Problem(source, where, message, nearest_line(lines, where))
        for where, message in risk_problems(scenario, risk)
    ]
    if problems:
        raise ScenarioError(problems)
    return risk


def _untagged(problem: Problem, lines: dict[Path_, int]) -> Problem:
    """A hazard's path as the file writes it: without the kind pydantic puts in (hazards.0.storm.id)."""
    from planner.risk.model import HazardKind

    path = problem.path
    kinds = ", ".join(kind.value for kind in HazardKind)
    if len(path) == 2 and path[0] == "hazards" and "tag" in problem.message:
        given = re.search(r"Input tag '(.*?)'", problem.message)
        message = f"unknown kind {given[1]!r}" if given else "missing: every hazard has a kind"
        where = (*path, "kind")
        return Problem(
            problem.source, where, f"{message} (one of {kinds})", nearest_line(lines, where) or problem.line
        )
    if len(path) > 2 and path[0] == "hazards" and path[2] in set(HazardKind):
        path = (*path[:2], *path[3:])
        return Problem(problem.source, path, problem.message, nearest_line(lines, path) or problem.line)
    return problem


def events_from_data(
    data: Any, scenario: Scenario, source: str = "<events>", lines: dict[Path_, int] | None = None
) -> EventTimeline:
    """Validate an event timeline (a parsed file or an HTTP body) against a scenario."""
    if isinstance(data, list):
        if not data:
            # A replan with nothing new ("we are stuck here, re-optimise") reports no event;
            # a what-if file still needs at least one.
            return EventTimeline.model_construct(name=source, description="", scenario=None, events=())
        data = {"name": source, "events": data}
    if not isinstance(data, dict):
        raise ScenarioError(
            [
                Problem(
                    source, (), f"an event file must be a mapping with an `events` list; {_what_it_is(data)}"
                )
            ]
        )
    if "events" not in data:
        looks = {"plan": " (it looks like a plan file)", "scenario": ""}.get(file_kind(data), "")
        if {"calendar", "cities", "delegation"} & data.keys():
            looks = " (it looks like a scenario)"
        raise ScenarioError(
            [Problem(source, ("events",), f"an event file has an `events` list; this one has none{looks}")]
        )
    try:
        timeline = EventTimeline.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, lines)) from None
    problems = [
        Problem(source, path, message, nearest_line(lines or {}, path))
        for path, message in disruption_problems(scenario, timeline.events, ("events",))
    ]
    if problems:
        raise ScenarioError(problems)
    return timeline


def read_input(path: str | Path) -> tuple[FileKind, Any, dict[Path_, int]]:
    """Read any input file and tell its kind: scenario, event file or plan (strict JSON)."""
    source = str(path)
    text = read_text(path)
    try:
        data, lines = parse_text(text, source)
    except ScenarioError:
        # A plan is JSON: when YAML cannot follow it, judge it as the JSON it claims to be.
        if text.lstrip().startswith("{") and PLAN_FORMAT in text:
            data, lines = parse_json_text(text, source)
            if file_kind(data) == "plan":
                return "plan", data, lines
        raise
    kind = file_kind(data)
    if kind == "plan":
        data, lines = parse_json_text(text, source)
        if not isinstance(data, dict):
            raise ScenarioError([Problem(source, (), "a plan file is a JSON object", 1)])
    return kind, data, lines


def load_plan(path: str | Path) -> tuple[dict[str, Any], dict[Path_, int]]:
    """Read a plan file (strict JSON, the format `planner plan --out` writes)."""
    data, lines = read_plan(path)
    problems = _format_problems(data, str(path), lines)
    if problems:
        raise ScenarioError(problems)
    return data, lines


def _format_problems(data: dict[str, Any], source: str, lines: dict[Path_, int]) -> list[Problem]:
    if data.get("format") not in (PLAN_FORMAT, TEAM_PLAN_FORMAT):
        given = data.get("format")
        message = (
            "missing: a plan file states `format: delegation-plan/1`"
            if given is None
            else f"{str(given)[:40]!r} is not a plan format this planner reads ({PLAN_FORMAT})"
        )
        return [Problem(source, ("format",), message, nearest_line(lines, ("format",)))]
    return []


def plan_problems(
    scenario: Scenario,
    data: dict[str, Any],
    source: str,
    lines: dict[Path_, int] | None = None,
    *,
    rules: bool = True,
) -> list[Problem]:
    """What is wrong with a plan file for this scenario: its format, the scenario it names,
    its events in force and, with ``rules``, every rule the independent checker finds broken
    (without ``rules``, only a plan shaped unlike the format)."""
    from planner.check import check_plan

    lines = lines or {}
    problems = _format_problems(data, source, lines)
    if problems:
        return problems
    if data.get("scenario") != scenario.name:
        problems.append(
            Problem(
                source,
                ("scenario",),
                f"the plan is for {str(data.get('scenario'))[:60]!r}, not for {scenario.name!r}",
                nearest_line(lines, ("scenario",)),
            )
        )
        return problems
    raw_events = data.get("events", [])
    if not isinstance(raw_events, list):
        return [Problem(source, ("events",), "should be a list of events", nearest_line(lines, ("events",)))]
    try:
        events = events_from_data(raw_events, scenario, source, lines).events
    except ScenarioError as error:
        return error.problems
    for violation in check_plan(scenario, data, events=events):
        if not rules and violation.rule not in ("plan_format", "local_times"):
            continue
        path = tuple(int(p) if p.isdigit() else p for p in violation.where.split(".") if p)
        message = f"[{violation.rule}] {violation.message}"
        problems.append(Problem(source, path, message, nearest_line(lines, path)))
    return problems
