"""Input files read whole: scenario and event files (YAML or JSON) and plan files, told apart."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from planner.inputs.json_plans import parse_json_text
from planner.inputs.problems import FileKind, Path_, ScenarioError, fail
from planner.inputs.text import check_printable, read_text
from planner.inputs.yaml_errors import yaml_problem
from planner.inputs.yaml_loader import Loader, walk


def parse_text(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML (JSON is YAML) into plain data and a map from field path to line."""
    check_printable(text, source)
    loader = Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if node is not None:
            problems = walk(node, (), lines, source)
            if problems:
                raise ScenarioError(problems)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError([yaml_problem(exc, text, source)]) from None
    finally:
        loader.dispose()
    return data, lines


def file_kind(data: Any) -> FileKind:
    """Scenario, event, risk or plan file, told apart by the top-level keys."""
    if isinstance(data, list):
        return "events"
    if isinstance(data, dict):
        fmt = data.get("format")
        team_plan = isinstance(fmt, str) and fmt.startswith("delegation-team-plan")
        if (
            (isinstance(fmt, str) and fmt.startswith("delegation-plan"))
            or team_plan
            or {"legs", "status"} <= data.keys()
        ):
            return "plan"
        # `hazards` is a risk file's key; `events` and `scenario` are an event file's; a
        # scenario has none of them.
        if "hazards" in data and not _SCENARIO_KEYS & data.keys():
            return "risk"
        if ({"events", "scenario"} & data.keys()) and not _SCENARIO_KEYS & data.keys():
            return "events"
    return "scenario"


_SCENARIO_KEYS = {"calendar", "regions", "cities", "seminars", "delegation", "services", "roads"}


def read_data(path: str | Path) -> tuple[Any, dict[Path_, int]]:
    """Read and parse a scenario or event file (YAML or JSON): plain data and each field's line."""
    text = read_text(path)
    return parse_text(text, str(path))


def read_plan(path: str | Path) -> tuple[dict[str, Any], dict[Path_, int]]:
    """A plan JSON file (``planner plan --out``): strict JSON, an object."""
    source = str(path)
    data, lines = parse_json_text(read_text(path), source)
    if not isinstance(data, dict):
        raise fail(source, "a plan file is a JSON object (as `planner plan --out` writes it)", 1)
    return data, lines
