"""A provider's config attributes, declared once: GetSchema's Attributes and Configure's checks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb

Type = pb.Attribute.Type

_PYTHON_TYPES: dict[int, tuple[type, ...]] = {
    Type.TYPE_STRING: (str,),
    Type.TYPE_NUMBER: (int, float),
    Type.TYPE_BOOL: (bool,),
    Type.TYPE_LIST: (list,),
    Type.TYPE_MAP: (dict,),
}


@dataclass(frozen=True)
class Setting:
    name: str
    type: pb.Attribute.Type.ValueType
    description: str
    default: Any = None
    required: bool = False
    sensitive: bool = False

    def attribute(self) -> pb.Attribute:
        attribute = pb.Attribute(
            name=self.name,
            type=self.type,
            description=self.description,
            required=self.required,
            sensitive=self.sensitive,
        )
        if self.default is not None:
            json_format.ParseDict(self.default, attribute.default)
        return attribute

    def problem(self, value: Any) -> str | None:
        if isinstance(value, bool) and self.type != Type.TYPE_BOOL:
            return f"must be a {Type.Name(self.type)[5:].lower()}"
        if not isinstance(value, _PYTHON_TYPES[self.type]):
            return f"must be a {Type.Name(self.type)[5:].lower()}"
        if isinstance(value, list) and not all(isinstance(item, str) for item in value):
            return "must be a list of strings"
        if isinstance(value, dict) and not all(isinstance(item, str) for item in value.values()):
            return "must map strings to strings"
        return None


def error(summary: str, *path: str, detail: str = "") -> pb.Diagnostic:
    return pb.Diagnostic(
        severity=pb.Diagnostic.SEVERITY_ERROR, summary=summary, detail=detail, attribute_path=list(path)
    )


def parse(
    config: struct_pb2.Struct | Mapping[str, Any], settings: Sequence[Setting]
) -> tuple[dict[str, Any], list[pb.Diagnostic]]:
    """Values for every setting (defaults filled in) and the diagnostics of what was wrong.

    `config` is a Configure request's Struct or the dict it decodes to; an unknown attribute's
    diagnostic lists the known ones in its detail."""
    given = json_format.MessageToDict(config) if isinstance(config, struct_pb2.Struct) else dict(config)
    known = {setting.name: setting for setting in settings}
    listed = f"known: {', '.join(known)}"
    diagnostics = [
        error(f"unknown attribute {name!r}", name, detail=listed) for name in given if name not in known
    ]
    values: dict[str, Any] = {}
    for setting in settings:
        value = given.get(setting.name)
        if value is None:
            if setting.required:
                diagnostics.append(error(f"missing required attribute {setting.name!r}", setting.name))
            values[setting.name] = setting.default
            continue
        problem = setting.problem(value)
        if problem:
            diagnostics.append(error(f"{setting.name} {problem}", setting.name))
            value = setting.default
        values[setting.name] = value
    return values, diagnostics
