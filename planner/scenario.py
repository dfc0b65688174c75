"""Load and dump scenario files (YAML or JSON).

A bad file gives one :class:`ScenarioError` listing every problem, each naming the
file, the field path and (for YAML and JSON) the line, never a traceback.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from planner.domain import DanglingReferences, EventTimeline, Scenario, disruption_problems

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    source: str
    path: Path_
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
        field = ".".join(str(p) for p in self.path) or "(top level)"
        return f"{where}: {field}: {self.message}"


class ScenarioError(ValueError):
    """A scenario (or event) input that cannot be used; ``problems`` lists why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# libyaml's parser when the wheel has it (several times faster on the flagship).
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """SafeLoader without YAML 1.1 sexagesimal numbers, so 07:40 stays a string."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:int",)]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


def _line_map(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _line_map(value_node, (*path, key), lines)
            # A key's own line is more useful than its value's when the value is a block.
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _line_map(item, (*path, index), lines)


def parse_text(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML (JSON is YAML) into plain data and a map from field path to line."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError([Problem(source, (), f"not valid YAML/JSON: {exc}", line)]) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return data, lines


def _nearest_line(lines: dict[Path_, int], path: Path_) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def problems_from_validation(
    error: ValidationError, source: str, lines: dict[Path_, int] | None = None
) -> list[Problem]:
    """Turn pydantic's errors into located problems, one per thing wrong."""
    lines = lines or {}
    problems: list[Problem] = []
    for item in error.errors():
        loc: Path_ = tuple(item["loc"])
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, DanglingReferences):
            for path, message in cause.problems:
                full = (*loc, *path)
                problems.append(Problem(source, full, message, _nearest_line(lines, full)))
            continue
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown field (check the spelling; see scenarios/README.md)"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(Problem(source, loc, message, _nearest_line(lines, loc)))
    return problems


def scenario_from_data(
    data: Any, source: str = "<scenario>", lines: dict[Path_, int] | None = None
) -> Scenario:
    """Validate plain data (a parsed file or an HTTP body) into a Scenario."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem(source, (), "a scenario must be a mapping of fields")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, lines)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (YAML or JSON); raise ScenarioError naming every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), (), f"cannot read the file: {exc.strerror}")]) from None
    data, lines = parse_text(text, str(path))
    return scenario_from_data(data, str(path), lines)


def dump_scenario(scenario: Scenario) -> str:
    """The scenario as JSON text that load_scenario reads back to an equal scenario."""
    return json.dumps(scenario.model_dump(mode="json", exclude_defaults=True), indent=2)


def load_events(path: str | Path, scenario: Scenario) -> EventTimeline:
    """Read an event file (YAML or JSON) and check every id it names against the scenario."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), (), f"cannot read the file: {exc.strerror}")]) from None
    data, lines = parse_text(text, str(path))
    return events_from_data(data, scenario, str(path), lines)


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
        raise ScenarioError([Problem(source, (), "an event file must be a mapping with an `events` list")])
    try:
        timeline = EventTimeline.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(problems_from_validation(exc, source, lines)) from None
    problems = [
        Problem(source, path, message, _nearest_line(lines or {}, path))
        for path, message in disruption_problems(scenario, timeline.events, ("events",))
    ]
    if problems:
        raise ScenarioError(problems)
    return timeline
