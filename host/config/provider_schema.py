"""A provider block's config against the provider's GetSchema attributes, as located errors."""

from __future__ import annotations

from typing import Any

from benchhub.host.config.errors import located
from benchhub.host.config.model import ProviderConfig
from benchhub.host.config.values import describe, suggestion
from benchhub.host.errors import ConfigError
from benchhub.proto.provider.v1 import provider_pb2 as pb

_Type = pb.Attribute.Type
_EXPECTED = {
    _Type.TYPE_STRING: "a string",
    _Type.TYPE_NUMBER: "a number",
    _Type.TYPE_BOOL: "true or false",
    _Type.TYPE_LIST: "a list of strings",
    _Type.TYPE_MAP: "an object of strings",
}


def _fits(kind: int, value: Any) -> bool:
    if kind == _Type.TYPE_STRING:
        return isinstance(value, str)
    if kind == _Type.TYPE_NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == _Type.TYPE_BOOL:
        return isinstance(value, bool)
    if kind == _Type.TYPE_LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind == _Type.TYPE_MAP:
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return True


def check_provider_config(provider: ProviderConfig, schema: pb.GetSchemaResponse) -> list[ConfigError]:
    """Unknown, mistyped and missing required attributes of `provider`, each at its position."""
    attributes = {a.name: a for a in schema.config}
    errors = []
    what = f'provider "{provider.name}"'
    for name, value in provider.config.items():
        at = provider.attribute_positions.get(name, provider.position)
        attribute = attributes.get(name)
        if attribute is None:
            known = ", ".join(sorted(attributes)) or "none"
            hint = suggestion(name, attributes)
            errors.append(located(f'{what}: unknown attribute "{name}"{hint} (known: {known})', at))
        elif not _fits(attribute.type, value):
            expected = _EXPECTED.get(attribute.type, "a value")
            errors.append(located(f"{what}: {name}: expected {expected}, got {describe(_shape(value))}", at))
    for name, attribute in attributes.items():
        if attribute.required and name not in provider.config:
            errors.append(located(f'{what}: attribute "{name}" is required', provider.position))
    return errors


def _shape(value: Any) -> Any:
    """Plain config values in the shapes `describe` knows (lists as tuples, dicts as mappings)."""
    return tuple(value) if isinstance(value, list) else value
