"""The models' validation errors in the coordinator's words, each at its field and line."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from planner.domain import FieldProblems, shown
from planner.inputs.problems import Path_, Problem, nearest_line


def _what(value: Any) -> str:
    """What a value is, in the words of the file format."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {shown(value)}"
    if isinstance(value, str):
        return f"the text {shown(value)}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return shown(value)


def _plain_model_message(item: Any) -> str:
    kind = item["type"]
    ctx = item.get("ctx") or {}
    given = item.get("input")
    bound = next((ctx[k] for k in ("ge", "gt", "le", "lt") if k in ctx), None)
    words = {
        "missing": "is required but missing",
        "extra_forbidden": "unknown field (check the spelling; see scenarios/README.md)",
        "invalid_key": "keys must be text",
        "finite_number": "must be a finite number (not infinity or NaN)",
        "string_type": f"should be text, not {_what(given)}",
        "string_pattern_mismatch": f"{shown(given)} is not an id: 1 to 64 letters, digits, '_', '.' or '-'",
        "string_too_short": "must not be empty"
        if ctx.get("min_length") == 1
        else f"must have at least {ctx.get('min_length')} characters",
        "string_too_long": f"must have at most {ctx.get('max_length')} characters",
        "int_type": f"should be a whole number, not {_what(given)}",
        "int_parsing": f"should be a whole number, not {_what(given)}",
        "int_from_float": f"should be a whole number, not {_what(given)}",
        "float_type": f"should be a number, not {_what(given)}",
        "float_parsing": f"should be a number, not {_what(given)}",
        "bool_type": f"should be true or false, not {_what(given)}",
        "bool_parsing": f"should be true or false, not {_what(given)}",
        "tuple_type": f"should be a list, not {_what(given)}",
        "list_type": f"should be a list, not {_what(given)}",
        "model_type": f"should be a mapping of fields (key: value), not {_what(given)}",
        "model_attributes_type": f"should be a mapping of fields (key: value), not {_what(given)}",
        "dict_type": f"should be a mapping of fields (key: value), not {_what(given)}",
        "too_short": f"needs at least {ctx.get('min_length')} item(s), has {ctx.get('actual_length')}",
        "too_long": f"may have at most {ctx.get('max_length')} item(s)",
        "greater_than_equal": f"must be greater than or equal to {bound} (got {shown(given)})",
        "greater_than": f"must be greater than {bound} (got {shown(given)})",
        "less_than_equal": f"must be less than or equal to {bound} (got {shown(given)})",
        "less_than": f"must be less than {bound} (got {shown(given)})",
    }
    if kind in words:
        return words[kind]
    if kind in ("literal_error", "enum"):
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"{_what(given)} is not one of: {', '.join(choices)}"
    message = str(item["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message.replace("Input should be", "should be")


def problems_from_validation(
    error: ValidationError, source: str, lines: dict[Path_, int] | None = None
) -> list[Problem]:
    """Turn the models' errors into located problems in plain words, one per thing wrong."""
    lines = lines or {}
    problems: list[Problem] = []
    items = error.errors()
    locs = [tuple(item["loc"]) for item in items]
    for item in items:
        loc: Path_ = tuple(item["loc"])
        # A list counts only its valid items: with a bad item it may also seem too short.
        if item["type"] == "too_short" and any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs):
            continue
        cause = (item.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblems):
            for path, message in cause.problems:
                full = (*loc, *path)
                problems.append(Problem(source, full, message, nearest_line(lines, full)))
            continue
        problems.append(Problem(source, loc, _plain_model_message(item), nearest_line(lines, loc)))
    return problems
