"""Reading typed values out of located syntax nodes, adding an error for each wrong one."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from benchhub.host.config.errors import Position, Problems
from benchhub.host.config.nodes import Attribute, Block, Node, Ref, Template

T = TypeVar("T")
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
"""Job, provider and parameter names: usable in references such as job.NAME and param.NAME."""


def describe(value: object) -> str:
    """The HCL type of a node value, for messages: "a string", "a list" ..."""
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, Template):
        return "a string with ${...} (interpolation is not allowed here)"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Ref):
        return f"a reference ({value}); quote it if it is text"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return "null"


def suggestion(name: str, known: Iterable[str]) -> str:
    """'; did you mean "x"?' for a close known name, else ''."""
    import difflib  # only a job file with a mistake needs it

    close = difflib.get_close_matches(name, list(known), n=1)
    return f'; did you mean "{close[0]}"?' if close else ""


class Values:
    """Typed readers over nodes; each returns None (and records an error) for a wrong value."""

    def __init__(self, problems: Problems) -> None:
        self.problems = problems

    def wrong(self, what: str, expected: str, node: Node) -> None:
        value = node.value
        got = describe(value)
        if isinstance(value, str | int | float):
            shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
            got = f"{shown} ({got})"
        self.problems.add(f"{what}: expected {expected}, got {got}", node.pos)

    def string(self, node: Node, what: str) -> str | None:
        if isinstance(node.value, str):
            return node.value
        self.wrong(what, "a string", node)
        return None

    def integer(self, node: Node, what: str, *, minimum: int = 0) -> int | None:
        value = node.value
        if isinstance(value, int) and not isinstance(value, bool) and value >= minimum:
            return value
        self.wrong(what, f"a whole number >= {minimum}", node)
        return None

    def number(self, node: Node, what: str) -> float | None:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        self.wrong(what, "a number > 0", node)
        return None

    def boolean(self, node: Node, what: str) -> bool | None:
        if isinstance(node.value, bool):
            return node.value
        self.wrong(what, "true or false", node)
        return None

    def choice(self, node: Node, what: str, choices: tuple[str, ...]) -> str | None:
        value = self.string(node, what)
        if value is None:
            return None
        if value not in choices:
            options = ", ".join(f'"{c}"' for c in choices)
            hint = suggestion(value, choices)
            self.problems.add(f'{what}: "{value}" is not one of {options}{hint}', node.pos)
            return None
        return value

    def strings(self, node: Node, what: str) -> list[tuple[str, Position]] | None:
        if not isinstance(node.value, tuple):
            self.wrong(what, "a list of strings", node)
            return None
        out = []
        for item in node.value:
            text = self.string(item, f"{what} element")
            if text is not None:
                out.append((text, item.pos))
        return out

    def objects(self, node: Node, what: str) -> Mapping[str, Attribute] | None:
        if isinstance(node.value, Mapping):
            return node.value
        self.wrong(what, "an object { key = value }", node)
        return None

    def parsed(self, node: Node, what: str, parse: Callable[[object], T]) -> T | None:
        """A value through a units parser (size, duration, money); its ValueError becomes an error."""
        try:
            return parse(node.value)
        except ValueError as e:
            self.problems.add(f"{what}: {e}", node.pos)
            return None

    def plain(self, node: Node, what: str) -> Any:
        """A node as plain Python (str, number, bool, None, list, dict); no references allowed."""
        value = node.value
        if isinstance(value, tuple):
            return [self.plain(item, what) for item in value]
        if isinstance(value, Mapping):
            return {k: self.plain(a.node, f"{what}.{k}") for k, a in value.items()}
        if isinstance(value, Template | Ref):
            self.problems.add(f"{what}: references are not allowed here", node.pos)
            return None
        return value


class Section:
    """The attributes of a block or an object-valued attribute, checked against the known names."""

    def __init__(
        self, attributes: Mapping[str, Attribute], blocks: tuple[Block, ...], pos: Position, what: str
    ) -> None:
        self.attributes = attributes
        self.blocks = blocks
        self.pos = pos
        self.what = what

    @classmethod
    def of_block(cls, block: Block, what: str) -> Section:
        return cls(block.attributes, block.blocks, block.pos, what)

    def check_names(
        self, problems: Problems, attributes: Iterable[str], blocks: Iterable[str] = ()
    ) -> int:
        """Report unknown attributes and blocks; returns how many there were."""
        known_attributes, known_blocks = set(attributes), set(blocks)
        unknown = 0
        for name, attribute in self.attributes.items():
            if name not in known_attributes:
                hint = suggestion(name, known_attributes | known_blocks)
                problems.add(f'unknown attribute "{name}" in {self.what}{hint}', attribute.pos)
                unknown += 1
        for block in self.blocks:
            if block.type not in known_blocks:
                hint = suggestion(block.type, known_blocks | known_attributes)
                problems.add(f'unknown block "{block.type}" in {self.what}{hint}', block.pos)
                unknown += 1
        return unknown

    def get(self, name: str) -> Node | None:
        attribute = self.attributes.get(name)
        return attribute.node if attribute else None

    def blocks_of(self, type_: str) -> list[Block]:
        return [b for b in self.blocks if b.type == type_]

    def section(self, name: str, problems: Problems, values: Values) -> Section | None:
        """A nested object written either as `name { ... }` or as `name = { ... }`, at most once."""
        found: list[Section] = []
        attribute = self.attributes.get(name)
        if attribute is not None:
            items = values.objects(attribute.node, f"{self.what}: {name}")
            if items is not None:
                found.append(Section(items, (), attribute.pos, f"{name} of {self.what}"))
        for block in self.blocks_of(name):
            if block.labels:
                problems.add(f'block "{name}" takes no label', block.label_positions[0])
            found.append(Section(block.attributes, block.blocks, block.pos, f"{name} of {self.what}"))
        found.sort(key=lambda s: s.pos)
        for duplicate in found[1:]:
            problems.add(f'"{name}" is given more than once in {self.what} (first at {found[0].pos})',
                         duplicate.pos)
        return found[0] if found else None
