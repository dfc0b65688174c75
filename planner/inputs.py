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
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from planner.domain import FieldProblems, shown

Path_ = tuple[str | int, ...]

MAX_FILE_BYTES = 2_000_000
MAX_ALIASES = 100
MAX_ALIAS_VALUES = 10_000
MAX_DEPTH = 32

PLAN_FORMAT = "delegation-plan/1"
FileKind = Literal["scenario", "events", "plan"]


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
    """A scenario, event or plan input that cannot be used; ``problems`` lists why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _fail(source: str, message: str, line: int | None = None, path: Path_ = ()) -> ScenarioError:
    return ScenarioError([Problem(source, path, message, line)])


# --- Bytes to text -------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# What YAML allows in a file (its printable set); JSON plans are held to the same.
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_text(path: str | Path) -> str:
    """The text of an input file: a regular file, not too large, UTF-8, no control characters."""
    path = Path(path)
    source = str(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise _fail(source, "cannot read the file: not a regular file")
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _fail(source, f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise _fail(
            source,
            f"the file is larger than {MAX_FILE_BYTES:,} bytes, the limit for an input file "
            "(is it the right file?)",
        )
    return decode_text(raw, source)


def decode_text(raw: bytes, source: str) -> str:
    """Bytes as UTF-8 text (without a leading UTF-8 byte order mark), or a located problem."""
    if raw.startswith(_UTF8_BOM):
        raw = raw[len(_UTF8_BOM) :]
    elif raw.startswith(_UTF16_BOMS):
        raise _fail(
            source,
            "the file is UTF-16 text (it starts with a UTF-16 byte order mark); save it as UTF-8",
            1,
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        hint = " (it looks like a binary file)" if b"\x00" in raw[:4096] else ""
        raise _fail(
            source,
            f"the file is not UTF-8 text{hint}: byte 0x{raw[exc.start]:02x} at line {line}, column "
            f"{column} is not UTF-8; save the file as UTF-8",
            line,
        ) from None
    check_printable(text, source)
    return text


def check_printable(text: str, source: str) -> None:
    """Refuse control characters (a NUL, an escape...): a text file does not hold them."""
    found = _NOT_PRINTABLE.search(text)
    if found is not None:
        line, column = _line_column(text, found.start())
        hint = " (is it a binary file?)" if found.group() == "\x00" else ""
        raise _fail(
            source,
            f"character U+{ord(found.group()):04X} at line {line}, column {column} is a control "
            f"character, not text{hint}",
            line,
        )


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


# --- YAML: a safe loader with budgets ------------------------------------------------------------

try:  # libyaml's parser when the wheel has it (several times faster on the flagship)
    from yaml._yaml import CParser as _Parser

    def _init_parser(loader: Any, text: str) -> None:
        _Parser.__init__(loader, text)

    _PARSER_BASES: tuple[type, ...] = (_Parser,)
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml.parser import Parser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    def _init_parser(loader: Any, text: str) -> None:
        Reader.__init__(loader, text)
        Scanner.__init__(loader)
        Parser.__init__(loader)

    _PARSER_BASES = (Reader, Scanner, Parser)


class _BudgetError(yaml.MarkedYAMLError):
    """A file over the loader's budgets (aliases, nesting); its message is already plain."""


class _Composer(Composer):
    """PyYAML's composer, counting nesting and what aliases stand for as it goes."""

    # Provided by the parser and the resolver the loader is built with.
    check_event: Any
    peek_event: Any
    get_event: Any
    resolve: Any

    def __init__(self) -> None:
        super().__init__()
        self._depth = 0
        self._aliases = 0
        self._alias_values = 0
        self._sizes: dict[int, int] = {}
        self._open: set[int] = set()

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            node = self.anchors.get(event.anchor)
            if node is not None:
                if id(node) in self._open:
                    raise _BudgetError(
                        problem=f"the alias *{event.anchor} is inside its own anchor "
                        f"&{event.anchor} (a loop)",
                        problem_mark=event.start_mark,
                    )
                self._aliases += 1
                self._alias_values += self._sizes.get(id(node), 1)
                if self._aliases > MAX_ALIASES or self._alias_values > MAX_ALIAS_VALUES:
                    raise _BudgetError(
                        problem=f"too many aliases (*name): a file may use {MAX_ALIASES} standing for "
                        f"{MAX_ALIAS_VALUES:,} values in all; write the values out",
                        problem_mark=event.start_mark,
                    )
            return super().compose_node(parent, index)
        if self.check_event(SequenceStartEvent, MappingStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise _BudgetError(
                    problem=f"nested more than {MAX_DEPTH} levels deep",
                    problem_mark=self.peek_event().start_mark,
                )
            try:
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
        node = super().compose_node(parent, index)
        self._sizes[id(node)] = 1
        return node

    def compose_sequence_node(self, anchor: Any) -> SequenceNode:
        start_event = self.get_event()
        tag = start_event.tag
        if tag is None or tag == "!":
            tag = self.resolve(SequenceNode, None, start_event.implicit)
        node = SequenceNode(tag, [], start_event.start_mark, None, flow_style=start_event.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        self._open.add(id(node))
        size = 1
        index = 0
        while not self.check_event(yaml.events.SequenceEndEvent):
            child = self.compose_node(node, index)
            node.value.append(child)
            size += self._sizes.get(id(child), 1)
            index += 1
        end_event = self.get_event()
        node.end_mark = end_event.end_mark
        self._open.discard(id(node))
        self._sizes[id(node)] = size
        return node

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        start_event = self.get_event()
        tag = start_event.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start_event.implicit)
        node = MappingNode(tag, [], start_event.start_mark, None, flow_style=start_event.flow_style)
        if anchor is not None:
            self.anchors[anchor] = node
        self._open.add(id(node))
        size = 1
        while not self.check_event(yaml.events.MappingEndEvent):
            key = self.compose_node(node, None)
            value = self.compose_node(node, key)
            node.value.append((key, value))
            size += self._sizes.get(id(key), 1) + self._sizes.get(id(value), 1)
        end_event = self.get_event()
        node.end_mark = end_event.end_mark
        self._open.discard(id(node))
        self._sizes[id(node)] = size
        return node


class _Constructor(SafeConstructor):
    """Plain data: dates and datetimes stay text (the models read them and name a bad one)."""

    def construct_text(self, node: Node) -> Any:
        return self.construct_scalar(node)  # type: ignore[arg-type]

    def construct_whole(self, node: Node) -> Any:
        try:
            return self.construct_yaml_int(node)  # type: ignore[arg-type]
        except ValueError:
            raise ConstructorError(None, None, "a number with too many digits", node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_text)  # type: ignore[type-var]
_Constructor.add_constructor("tag:yaml.org,2002:int", _Constructor.construct_whole)  # type: ignore[type-var]

_INT = "tag:yaml.org,2002:int"


class _Resolver(Resolver):
    """YAML 1.1 without sexagesimal numbers, so an unquoted 07:40 stays a time, not 460."""


_Resolver.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != _INT]
    for key, resolvers in Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    _INT,
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)


class _Loader(_Composer, *_PARSER_BASES, _Constructor, _Resolver):  # type: ignore[misc]
    def __init__(self, text: str) -> None:
        _init_parser(self, text)
        _Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


class _EventLoader(*_PARSER_BASES):  # type: ignore[misc]
    """The parser alone: events with their lines, nothing built."""

    def __init__(self, text: str) -> None:
        _init_parser(self, text)


_PLAIN_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("null", "bool", "int", "float", "str", "seq", "map", "timestamp", "merge")
}
_KEY_TYPES = {
    "tag:yaml.org,2002:null": "null",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
}


def parse_text(text: str, source: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML (JSON is YAML) into plain data and a map from field path to line."""
    check_printable(text, source)
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if node is not None:
            problems = _walk(node, (), lines, source)
            if problems:
                raise ScenarioError(problems)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc, text, source)]) from None
    finally:
        loader.dispose()
    return data, lines


def _walk(node: Node, path: Path_, lines: dict[Path_, int], source: str) -> list[Problem]:
    """Record each field's line; return keys given twice, keys that are not text, odd tags."""
    problems: list[Problem] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[Node, Path_]] = [(node, path)]
    while stack:
        current, where = stack.pop()
        line = current.start_mark.line + 1
        lines.setdefault(where, line)
        if current.tag not in _PLAIN_TAGS:
            problems.append(
                Problem(
                    source, where, f"the tag {_short_tag(current.tag)} is not allowed: plain data only", line
                )
            )
            continue
        if id(current) in seen_nodes:  # an alias: checked where its anchor is
            continue
        seen_nodes.add(id(current))
        if isinstance(current, MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key_node, value_node in current.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, ScalarNode):
                    problems.append(
                        Problem(source, where, "a key must be text, not a list or a mapping", key_line)
                    )
                    continue
                if key_node.tag == "tag:yaml.org,2002:merge":
                    stack.append((value_node, where))
                    continue
                key = key_node.value
                if key_node.tag != "tag:yaml.org,2002:str":
                    what = _KEY_TYPES.get(key_node.tag, "not text")
                    problems.append(
                        Problem(
                            source,
                            (*where, key),
                            f"the key {key!r} is read as {what}; keys are text (quote it)",
                            key_line,
                        )
                    )
                    continue
                marker = (key_node.tag, key)
                if marker in first_line:
                    problems.append(
                        Problem(
                            source,
                            (*where, key),
                            f"the key {key!r} is given twice in this mapping (also on line "
                            f"{first_line[marker]}); only one may be given",
                            key_line,
                        )
                    )
                    continue
                first_line[marker] = key_line
                # A key's own line is more useful than its value's when the value is a block.
                lines[(*where, key)] = key_line
                stack.append((value_node, (*where, key)))
        elif isinstance(current, SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*where, index)))
    problems.sort(key=lambda p: p.line or 0)
    return problems


# --- YAML errors in the coordinator's words ------------------------------------------------------

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
    if isinstance(exc, _BudgetError):
        return str(exc.problem)
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    for said in (problem, context):
        for words, plain in _YAML_WORDS:
            if words in said:
                return plain.replace("{char}", _char_at(text, getattr(exc, "problem_mark", None)))
    return "the file is not valid YAML or JSON here"


def _yaml_problem(exc: yaml.YAMLError, text: str, source: str) -> Problem:
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
            _path_at(text, line),
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
    elif problem_mark is not None and not isinstance(exc, _BudgetError):
        unclosed = _unclosed_quote(text, problem_mark.line + 1)
        if unclosed is not None:
            line, column = unclosed
            return Problem(
                source,
                _path_at(text, line),
                f"a quote is not closed: the quote at column {column} has no closing quote on its line "
                "(the file cannot be read past it)",
                line,
            )
    if mark is None:
        return Problem(source, (), message)
    line, column = mark.line + 1, mark.column + 1
    what = "over the limits of an input file" if isinstance(exc, _BudgetError) else "not valid YAML/JSON"
    return Problem(source, _path_at(text, line), f"{what} at line {line}, column {column}: {message}", line)


def _path_at(text: str, line: int) -> Path_:
    """The field path the parser had reached at ``line`` (the last key or item starting there or before).

    The parser reads a broken file correctly up to the mistake, so its events give the
    field the mistake is in.
    """
    found: Path_ = ()
    frames: list[list[Any]] = []  # [kind, key or index, expecting a key]

    def here() -> Path_:
        return tuple(frame[1] for frame in frames if frame[1] is not None)

    try:
        for event in yaml.parse(text, Loader=_EventLoader):
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


# --- JSON plan files -----------------------------------------------------------------------------

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
        line, _ = _line_column(text, deep)
        raise _fail(source, f"nested more than {MAX_DEPTH} levels deep", line)
    try:
        data = json.loads(text, parse_float=_finite, parse_constant=_not_a_number, object_pairs_hook=_once)
    except json.JSONDecodeError as exc:
        plain = next((words for start, words in _JSON_WORDS if exc.msg.startswith(start)), exc.msg)
        raise _fail(
            source,
            f"not valid JSON at line {exc.lineno}, column {exc.colno}: {plain}",
            exc.lineno,
            _path_at(text, exc.lineno),
        ) from None
    except _NotFinite as exc:
        offset = text.find(exc.literal)
        at = _line_column(text, offset)[0] if offset >= 0 else None
        raise _fail(
            source,
            f"{exc.literal} is not a finite number: only finite numbers are allowed",
            at,
            _path_at(text, at) if at is not None else (),
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
        raise _fail(source, "a number with too many digits") from None
    return data, _json_lines(text, source)[0]


def _json_lines(text: str, source: str) -> tuple[dict[Path_, int], list[Problem]]:
    """Each field's line in a JSON text (JSON is YAML's flow style), and keys given twice."""
    lines: dict[Path_, int] = {}
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            problems = _walk(node, (), lines, source) if node is not None else []
        finally:
            loader.dispose()
    except yaml.YAMLError:
        return {}, []  # valid JSON that YAML cannot follow: no lines, the fields are still named
    return lines, problems


# --- What kind of file ---------------------------------------------------------------------------


def file_kind(data: Any) -> FileKind:
    """Scenario, event or plan file, told apart by the top-level keys."""
    if isinstance(data, list):
        return "events"
    if isinstance(data, dict):
        fmt = data.get("format")
        if (isinstance(fmt, str) and fmt.startswith("delegation-plan")) or {"legs", "status"} <= data.keys():
            return "plan"
        # `events` and `scenario` are an event file's keys; a scenario has neither.
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
        raise _fail(source, "a plan file is a JSON object (as `planner plan --out` writes it)", 1)
    return data, lines


def nearest_line(lines: dict[Path_, int], path: Path_) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


# --- Model errors in the coordinator's words -----------------------------------------------------


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


def _short_tag(tag: str) -> str:
    """A tag as a file writes it (``!!binary``), not as YAML resolves it."""
    return tag.replace("tag:yaml.org,2002:", "!!")
