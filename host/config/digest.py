"""A stable digest of a parsed config: what would run, not how the file is laid out.

Positions are left out, so reformatting or moving blocks around leaves the digest unchanged while
any change to a value changes it. Used by saved plans to refuse a job file changed since.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from benchhub.host.config.errors import Position
from benchhub.host.config.model import Config


def config_digest(config: Config) -> str:
    """``sha256:<hex>`` of the config's canonical JSON (file name and positions excluded)."""
    canonical = json.dumps(_canonical(dataclasses.replace(config, file="")), sort_keys=True,
                           separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Position):
        return None
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), Position) and f.name != "attribute_positions"
        }
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return {"float": repr(value)}
    return value
