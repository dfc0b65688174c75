"""YAML errors in the coordinator's words, at the line and field where the mistake is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from planner.inputs.problems import MAX_DEPTH, Path_, Problem
from planner.inputs.yaml_loader import BudgetError, EventLoader

_YAML_WORDS: tuple[tuple[str, str], ...] = (
    ("cannot start any token", "{char} cannot start a value (put the value in quotes)"),
    (
        "mapping values are not allowed",
        "a ': ' inside a value, or a key at the wrong indentation (put a value holding ': ' in quotes)",
    ),
    (
        "could not find expected ':'",
        "a line that is neither 'key: value' nor a list item '- value' (a missing ':'?)",
    ),
    (
        "did not find expected key",
        "a line at the wrong indentation, or something after a value (a missing ':' or an extra quote?)",
    ),
    ("did not find expected '-' indicator", "a list item at the wrong indentation"),
    ("expected <block end>", "a line at the wrong indentation"),
    ("expected ',' or ']'", "a ',' is missing before this, or a '[' is not closed with ']'"),
    ("expected ',' or '}'", "a ',' is missing before this, or a '{' is not closed with '}'"),
    ("maximum nesting depth", f"nested more than {MAX_DEPTH} levels deep"),
    ("did not find expected node content", "a value is missing"),
    ("expected the node content", "a value is missing"),
    ("found undefined alias", "an alias (*name) that no anchor (&name) defines"),
    (
        "unknown escape",
        "an unknown escape (a backslash) in double-quoted text: use single quotes, "
        "or write \\\\ for a backslash",
    ),
    ("found unexpected end of stream", "the file ends inside quoted text: a quote is not closed"),
    ("expected a single document", "more than one document (a '---' line): a file holds one"),
    ("but found another document", "more than one document (a '---' line): a file holds one"),
    ("found a tab character", "a tab where indentation or a separator is expected: use spaces"),
    ("found unhashable key", "a key must be text, not a list or a mapping"),
    ("found duplicate anchor", "an anchor (&name) defined twice"),
    ("could not determine a constructor for the tag", "a tag (!name) that plain data does not have"),
    ("tag handle", "an unknown tag (!name)"),
    ("unknown directive", "an unknown directive (a line starting with %)"),
    ("while scanning an anchor", "an anchor (&name) without a name: quote a value starting with &"),
    ("while scanning an alias", "an alias (*name) without a name: quote a value starting with *"),
    ("found character", "{char} is not allowed here (put the value in quotes)"),
    ("too many digits", "a number with too many digits"),
)


def _char_at(text: str, mark: Any) -> str:
    if mark is None:
        return "this character"
    lines = text.splitlines()
    if mark.line < len(lines) and mark.column < len(lines[mark.line]):
        char = lines[mark.line][mark.column]
        return "a tab (indent with spaces)" if char == "\t" else f"the character {char!r}"
    return "this character"


def _plain_yaml_message(exc: yaml.YAMLError, text: str) -> str:
    if isinstance(exc, BudgetError):
        return str(exc.problem)
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    for said in (problem, context):
        for words, plain in _YAML_WORDS:
            if words in said:
                return plain.replace("{char}", _char_at(text, getattr(exc, "problem_mark", None)))
    return "the file is not valid YAML or JSON here"


def yaml_problem(exc: yaml.YAMLError, text: str, source: str) -> Problem:
    """A parser error as one located problem, at the line where the mistake is."""
    problem_mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    context = str(getattr(exc, "context", "") or "")
    message = _plain_yaml_message(exc, text)
    mark = problem_mark or context_mark
    problem = str(getattr(exc, "problem", "") or "")
    if "quoted scalar" in context and "end of stream" in problem and context_mark is not None:
        # The quote that never closes, not where the file ends.
        line = context_mark.line + 1
        return Problem(
            source,
            path_at(text, line),
            f"a quote is not closed: the quote at column {context_mark.column + 1} runs to the end of "
            "the file",
            line,
        )
    if (
        any(opened in context for opened in ("flow sequence", "flow mapping"))
        and context_mark is not None
        and problem_mark is not None
    ):
        bracket = "[" if "sequence" in context else "{"
        opened = f"line {context_mark.line + 1}, column {context_mark.column + 1}"
        message = message.replace(
            f"a '{bracket}' is not closed", f"the '{bracket}' opened at {opened} is not closed"
        )
    elif problem_mark is not None and not isinstance(exc, BudgetError):
        unclosed = _unclosed_quote(text, problem_mark.line + 1)
        if unclosed is not None:
            line, column = unclosed
            return Problem(
                source,
                path_at(text, line),
                f"a quote is not closed: the quote at column {column} has no closing quote on its line "
                "(the file cannot be read past it)",
                line,
            )
    if mark is None:
        return Problem(source, (), message)
    line, column = mark.line + 1, mark.column + 1
    what = "over the limits of an input file" if isinstance(exc, BudgetError) else "not valid YAML/JSON"
    return Problem(source, path_at(text, line), f"{what} at line {line}, column {column}: {message}", line)


def path_at(text: str, line: int) -> Path_:
    """The field path the parser had reached at ``line`` (the last key or item starting there or before).

    The parser reads a broken file correctly up to the mistake, so its events give the
    field the mistake is in.
    """
    found: Path_ = ()
    frames: list[list[Any]] = []  # [kind, key or index, expecting a key]

    def here() -> Path_:
        return tuple(frame[1] for frame in frames if frame[1] is not None)

    try:
        for event in yaml.parse(text, Loader=EventLoader):
            if event.start_mark is not None and event.start_mark.line + 1 > line:
                break
            is_node = isinstance(event, yaml.NodeEvent)  # a scalar, an alias, a list or mapping start
            top = frames[-1] if frames else None
            if is_node and top is not None and top[0] == "map" and top[2]:
                top[1] = event.value if isinstance(event, yaml.ScalarEvent) else None
                top[2] = False
                found = here()
                if isinstance(event, yaml.CollectionStartEvent):  # a complex key: not a field
                    frames.append(
                        ["seq" if isinstance(event, yaml.SequenceStartEvent) else "map", None, True]
                    )
                continue
            if is_node and top is not None and top[0] == "seq":
                top[1] += 1
                found = here()
            if isinstance(event, yaml.MappingStartEvent):
                frames.append(["map", None, True])
            elif isinstance(event, yaml.SequenceStartEvent):
                frames.append(["seq", -1, False])
            elif (
                isinstance(event, yaml.ScalarEvent | yaml.AliasEvent) and top is not None and top[0] == "map"
            ):
                top[2] = True
            elif isinstance(event, yaml.CollectionEndEvent) and frames:
                frames.pop()
                if frames and frames[-1][0] == "map":
                    frames[-1][2] = True
    except yaml.YAMLError:
        pass
    return found


def _unclosed_quote(text: str, upto: int) -> tuple[int, int] | None:
    """(line, column) of the first quoted value, up to line ``upto``, that does not close on its line.

    Quoted text may run over several lines in YAML, but a scenario never needs it; when
    the parser fails after such a quote, the quote is almost always the mistake.
    """
    for number, line in enumerate(text.splitlines()[:upto], 1):
        for column in _quote_starts(line):
            quote = line[column]
            end = _closing_quote(line, column + 1, quote)
            if end is None:
                return number, column + 1
    return None


def _quote_starts(line: str) -> Iterator[int]:
    """Columns where a quoted value starts on one line (not an apostrophe inside plain text)."""
    at_value = True  # at the start of a line, after '- ', ': ', '[', '{' or ',' (in a flow)
    flow = 0
    index = 0
    while index < len(line):
        char = line[index]
        following = line[index + 1] if index + 1 < len(line) else " "
        if char in " \t":
            index += 1
            continue
        if char == "#" and (index == 0 or line[index - 1] in " \t"):
            return
        if at_value and char in "\"'":
            yield index
            end = _closing_quote(line, index + 1, char)
            if end is None:
                return
            index = end + 1
            at_value = False
            continue
        if at_value and char in "-?" and following in " \t":
            index += 1
            continue
        if at_value and char in "[{":
            flow += 1
            index += 1
            continue
        if flow and char in "]}":
            flow -= 1
            at_value = False
        elif (flow and char == ",") or (char == ":" and following in " \t"):
            at_value = True
        else:
            at_value = False
        index += 1


def _closing_quote(line: str, start: int, quote: str) -> int | None:
    index = start
    while index < len(line):
        char = line[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and line[index + 1 : index + 2] == "'":
                index += 2
                continue
            return index
        index += 1
    return None
