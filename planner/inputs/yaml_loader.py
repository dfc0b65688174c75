"""A safe YAML loader with budgets: plain data only, aliases and nesting counted, odd keys and tags found."""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

from planner.inputs.problems import MAX_ALIAS_VALUES, MAX_ALIASES, MAX_DEPTH, Path_, Problem

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


class BudgetError(yaml.MarkedYAMLError):
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
                    raise BudgetError(
                        problem=f"the alias *{event.anchor} is inside its own anchor "
                        f"&{event.anchor} (a loop)",
                        problem_mark=event.start_mark,
                    )
                self._aliases += 1
                self._alias_values += self._sizes.get(id(node), 1)
                if self._aliases > MAX_ALIASES or self._alias_values > MAX_ALIAS_VALUES:
                    raise BudgetError(
                        problem=f"too many aliases (*name): a file may use {MAX_ALIASES} standing for "
                        f"{MAX_ALIAS_VALUES:,} values in all; write the values out",
                        problem_mark=event.start_mark,
                    )
            return super().compose_node(parent, index)
        if self.check_event(SequenceStartEvent, MappingStartEvent):
            self._depth += 1
            if self._depth > MAX_DEPTH:
                raise BudgetError(
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


class Loader(_Composer, *_PARSER_BASES, _Constructor, _Resolver):  # type: ignore[misc]
    def __init__(self, text: str) -> None:
        _init_parser(self, text)
        _Composer.__init__(self)
        _Constructor.__init__(self)
        _Resolver.__init__(self)


class EventLoader(*_PARSER_BASES):  # type: ignore[misc]
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


def walk(node: Node, path: Path_, lines: dict[Path_, int], source: str) -> list[Problem]:
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
                    source, where, f"the tag {short_tag(current.tag)} is not allowed: plain data only", line
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


def short_tag(tag: str) -> str:
    """A tag as a file writes it (``!!binary``), not as YAML resolves it."""
    return tag.replace("tag:yaml.org,2002:", "!!")
