"""Checking a framework block's attributes against a small declared schema."""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    """The value types a framework attribute may have."""

    STRING = "string"
    INT = "number"
    BOOL = "bool"
    STRINGS = "list of strings"
    COMMAND = "string or list of strings"  # numbers in the list (typed parameters) become strings
    MAP = "map of strings"


@dataclass(frozen=True)
class Attr:
    kind: Kind
    default: Any = None
    required: bool = False
    minimum: int | None = None


Schema = Mapping[str, Attr]


def _is_strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _type_ok(kind: Kind, value: Any) -> bool:
    match kind:
        case Kind.STRING:
            return isinstance(value, str)
        case Kind.INT:
            return isinstance(value, int) and not isinstance(value, bool)
        case Kind.BOOL:
            return isinstance(value, bool)
        case Kind.STRINGS:
            return _is_strings(value)
        case Kind.COMMAND:
            if isinstance(value, list):
                return bool(value) and all(isinstance(v, str | int | float) for v in value)
            return isinstance(value, str) and bool(value.strip())
        case Kind.MAP:
            return isinstance(value, dict) and all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            )


def check(framework: str, schema: Schema, attrs: Mapping[str, Any]) -> list[str]:
    """One message per unknown, missing or mistyped attribute."""
    errors = []
    for name in attrs:
        if name not in schema:
            known = ", ".join(sorted(schema))
            errors.append(f'framework "{framework}": unknown attribute "{name}" (known: {known})')
    for name, attr in schema.items():
        if name not in attrs:
            if attr.required:
                errors.append(f'framework "{framework}": attribute "{name}" is required')
            continue
        value = attrs[name]
        if not _type_ok(attr.kind, value):
            errors.append(f'framework "{framework}": "{name}" must be a {attr.kind.value}, got {value!r}')
        elif attr.minimum is not None and value < attr.minimum:
            errors.append(f'framework "{framework}": "{name}" must be at least {attr.minimum}, got {value}')
    return errors


def resolve(schema: Schema, attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes with defaults filled in (call after `check` found no error)."""
    return {name: attrs.get(name, attr.default) for name, attr in schema.items()}


def argv(command: str | list[str | int | float]) -> list[str]:
    """A command attribute as argv: a string runs through `sh -c`; a list is used as is, numbers (typed
    parameters) written as text."""
    if isinstance(command, str):
        return ["sh", "-c", command]
    return [v if isinstance(v, str) else json.dumps(v) for v in command]


def display(command: list[str]) -> str:
    return shlex.join(command)
