"""The one gate every input file passes: scenario, event and plan files.

Before anything is parsed, a file must be a regular file of at most
``MAX_FILE_BYTES``, UTF-8 text (a UTF-8 byte order mark is allowed) without
control characters. YAML (and JSON, which scenario and event files may be
written in) is read by a safe loader that builds plain data only (mappings,
lists, text, numbers, true/false, null), keeps dates, datetimes and clock times
as text (so the models judge them and report a bad one with its field), and
refuses:

- anchors and aliases beyond a small budget (``MAX_ALIASES`` uses, standing for
  at most ``MAX_ALIAS_VALUES`` values in all), and an alias inside its own anchor;
- nesting deeper than ``MAX_DEPTH`` levels;
- a key given twice in one mapping (at any level), and keys that are not text;
- tags other than the plain ones.

Plan files are JSON only, read strictly: no NaN or Infinity, no number too large
for a float, no key given twice.

Every refusal is a :class:`Problem` naming the file, the line when known, the
field path and what is wrong, in words about the file rather than the parser.

The package: ``problems`` (the limits, :class:`Problem`, :class:`ScenarioError`), ``text``
(bytes to text), ``yaml_loader`` (the safe loader) and ``yaml_errors`` (its errors in plain
words), ``json_plans`` (strict JSON), ``reading`` (whole files, told apart by kind) and
``model_errors`` (the models' validation errors in plain words).
"""

from __future__ import annotations

from planner.inputs.json_plans import parse_json_text
from planner.inputs.model_errors import problems_from_validation
from planner.inputs.problems import (
    MAX_ALIAS_VALUES,
    MAX_ALIASES,
    MAX_DEPTH,
    MAX_FILE_BYTES,
    PLAN_FORMAT,
    TEAM_PLAN_FORMAT,
    FileKind,
    Path_,
    Problem,
    ScenarioError,
    nearest_line,
)
from planner.inputs.reading import file_kind, parse_text, read_data, read_plan
from planner.inputs.text import check_printable, decode_text, read_text

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "PLAN_FORMAT",
    "TEAM_PLAN_FORMAT",
    "FileKind",
    "Path_",
    "Problem",
    "ScenarioError",
    "check_printable",
    "decode_text",
    "file_kind",
    "nearest_line",
    "parse_json_text",
    "parse_text",
    "problems_from_validation",
    "read_data",
    "read_plan",
    "read_text",
]
