"""The local provider's configuration: its schema and validation into diagnostics."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import settings
from benchhub.providers.sdk.settings import Setting, Type, error

T = TypeVar("T")
_TYPES = {bool: Type.TYPE_BOOL, float: Type.TYPE_NUMBER, str: Type.TYPE_STRING}


def _attribute(default: T, description: str) -> T:
    """A config field that is also an attribute of the schema, described for `bh providers schema`."""
    return dataclasses.field(default=default, metadata={"description": description})


@dataclasses.dataclass(frozen=True)
class LocalConfig:
    # half of the machine by default: a benchmark never eats the whole laptop
    cpu_share: float = _attribute(0.5, "Share of this machine's cores offered (0 < share <= 1).")
    memory_share: float = _attribute(0.5, "Share of this machine's memory offered (0 < share <= 1).")
    wait_seconds: float = _attribute(0.0, "How long Allocate waits for capacity before refusing.")
    workdir_root: str = _attribute("", "Directory for the jobs' temp dirs (default: system temp).")
    cgroups: bool = _attribute(
        True,
        "Run each job in its own cgroup, with its cpu/memory limits and exact metrics sampled at 10 Hz, "
        "when the provider runs as root with writable cgroups; false (or no writable cgroup) measures "
        "with rusage and /proc instead, and says so in the job's RUNNING status.",
    )


DEFAULTS = LocalConfig()
SHARES = ("cpu_share", "memory_share")
SETTINGS = tuple(
    Setting(field.name, _TYPES[type(field.default)], field.metadata["description"], default=field.default)
    for field in dataclasses.fields(LocalConfig)
)
SCHEMA = [setting.attribute() for setting in SETTINGS]


def parse(config: struct_pb2.Struct | Mapping[str, Any]) -> tuple[LocalConfig, list[pb.Diagnostic]]:
    """The config, and one diagnostic per bad attribute (the defaults stand in for bad values)."""
    values, diagnostics = settings.parse(config, SETTINGS)
    for name in SHARES:
        if not 0 < values[name] <= 1:
            diagnostics.append(error(f"{name} must be in (0, 1], got {values[name]:g}", name))
            values[name] = getattr(DEFAULTS, name)
    if values["wait_seconds"] < 0:
        diagnostics.append(error("wait_seconds must not be negative", "wait_seconds"))
        values["wait_seconds"] = DEFAULTS.wait_seconds
    numbers = {name: float(values[name]) for name in (*SHARES, "wait_seconds")}
    return LocalConfig(**{**values, **numbers}), diagnostics
