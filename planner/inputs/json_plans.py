"""JSON plan files, read strictly: finite numbers, each key once, located errors in plain words."""

from __future__ import annotations

import json
import math
from typing import Any

import yaml

from planner.inputs.problems import MAX_DEPTH, Path_, Problem, ScenarioError, fail
from planner.inputs.text import check_printable, line_column
from planner.inputs.yaml_errors import path_at
from planner.inputs.yaml_loader import Loader, walk

_JSON_WORDS: tuple[tuple[str, str], ...] = (
    ("Expecting ',' delimiter", "a ',' is missing between two items"),
    ("Expecting ':' delimiter", "a ':' is missing after a key"),
    (
        "Expecting property name enclosed in double quotes",
        "a key must be in double quotes (or a ',' is one too many)",
    ),
    ("Unterminated string", "a quote is not closed"),
    ("Invalid control character", "a line break or tab inside quoted text (write \\n or \\t)"),
    ("Invalid \\escape", "an unknown escape (a backslash) in quoted text"),
    ("Invalid \\uXXXX escape", "an unknown escape (a backslash) in quoted text"),
    ("Extra data", "more text after the end of the JSON document"),
    ("Expecting value", "a value is missing here, or it is not JSON (text goes in double quotes)"),
)


class _NotFinite(ValueError):
    def __init__(self, literal: str) -> None:
        self.literal = literal
        super().__init__(literal)


class _TwiceGiven(ValueError):
    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(key)


def _finite(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _NotFinite(literal)
    return value


def _not_a_number(literal: str) -> float:
    raise _NotFinite(literal)


def _once(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _TwiceGiven(key)
        data[key] = value
    return data


def _json_depth(text: str) -> int | None:
    """Offset where brackets nest deeper than MAX_DEPTH (outside strings), or None."""
    depth = 0
    in_string = False
    escaped = False
    for offset, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return offset
        elif char in "]}":
            depth -= 1
    return None


def parse_json_text(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Strict JSON (finite numbers, each key once) and, when it can be had, each field's line."""
    check_printable(text, source)
    deep = _json_depth(text)
    if deep is not None:
        line, _ = line_column(text, deep)
        raise fail(source, f"nested more than {MAX_DEPTH} levels deep", line)
    try:
        data = json.loads(text, parse_float=_finite, parse_constant=_not_a_number, object_pairs_hook=_once)
    except json.JSONDecodeError as exc:
        plain = next((words for start, words in _JSON_WORDS if exc.msg.startswith(start)), exc.msg)
        raise fail(
            source,
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {plain}",
            exc.lineno,
            path_at(text, exc.lineno),
        ) from None
    except _NotFinite as exc:
        offset = text.find(exc.literal)
        at = line_column(text, offset)[0] if offset >= 0 else None
        raise fail(
            source,
            f"{exc.literal} is not a finite number: only finite numbers are allowed",
            at,
            path_at(text, at) if at is not None else (),
        ) from None
    except _TwiceGiven as exc:
        located = [p for p in _json_lines(text, source)[1] if p.path and p.path[-1] == exc.key]
        raise ScenarioError(
            located[:1]
            or [
                Problem(
                    source, (), f"the key {exc.key!r} is given twice in one object; only one may be given"
                )
            ]
        ) from None
    except ValueError:  # an integer of more digits than Python reads
        raise fail(source, "a number with too many digits") from None
    return data, _json_lines(text, source)[0]


def _json_lines(text: str, source: str) -> tuple[dict[Path_, int], list[Problem]]:
    """Each field's line in a JSON text (JSON is YAML's flow style), and keys given twice."""
    lines: dict[Path_, int] = {}
    try:
        loader = Loader(text)
        try:
            node = loader.get_single_node()
            problems = walk(node, (), lines, source) if node is not None else []
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return {}, []  # valid JSON that YAML cannot follow: no lines, the fields are still named
    return lines, problems
