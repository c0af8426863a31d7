"""Located syntax nodes of a job file: what `syntax` reads from HCL and the rest of config checks.

Kept apart from the HCL reader so that a job file whose nodes are cached (`parse_cache`) is
checked without loading the parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from benchhub.host.config.errors import Position

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Ref:
    """A reference such as `param.size` or `job.build.outputs.binary`."""

    path: tuple[str, ...]
    pos: Position

    def __str__(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Template:
    """A string with interpolations: literal text and `Ref` parts, in order."""

    parts: tuple[str | Ref, ...]

    @property
    def refs(self) -> tuple[Ref, ...]:
        return tuple(p for p in self.parts if isinstance(p, Ref))


@dataclass(frozen=True)
class Node:
    """A value and where it starts. `value` is a scalar, `Template`, `Ref`, a tuple of `Node`s
    (an HCL list) or a mapping of key -> `Attribute` (an HCL object)."""

    value: Scalar | Template | Ref | tuple[Node, ...] | Mapping[str, Attribute]
    pos: Position


@dataclass(frozen=True)
class Attribute:
    """`name = value`, located at its name."""

    name: str
    node: Node
    pos: Position


@dataclass(frozen=True)
class Block:
    """`type "label" ... { body }`, located at its type."""

    type: str
    labels: tuple[str, ...]
    attributes: Mapping[str, Attribute]
    blocks: tuple[Block, ...]
    pos: Position
    label_positions: tuple[Position, ...] = field(default=())
