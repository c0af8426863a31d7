"""The local provider's configuration: its schema and validation into diagnostics."""

from __future__ import annotations

import dataclasses
from typing import Any

from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb

Type = pb.Attribute.Type


@dataclasses.dataclass(frozen=True)
class LocalConfig:
    cpu_share: float = 0.5  # of this machine's cores: a benchmark never eats the whole laptop
    memory_share: float = 0.5
    wait_seconds: float = 0.0  # Allocate waits this long for capacity, then refuses
    workdir_root: str = ""  # where per-allocation temp dirs go; empty = the system temp dir
    cgroups: bool = True  # each job in its own cgroup (limits, exact metrics) when this provider may make one


def _attribute(name: str, type_: pb.Attribute.Type.ValueType, description: str) -> pb.Attribute:
    default = struct_pb2.Value()
    value = getattr(LocalConfig(), name)
    if isinstance(value, bool):
        default.bool_value = value
    elif isinstance(value, str):
        default.string_value = value
    else:
        default.number_value = value
    return pb.Attribute(name=name, type=type_, description=description, default=default)


SCHEMA = [
    _attribute("cpu_share", Type.TYPE_NUMBER, "Share of this machine's cores offered (0 < share <= 1)."),
    _attribute("memory_share", Type.TYPE_NUMBER, "Share of this machine's memory offered (0 < share <= 1)."),
    _attribute("wait_seconds", Type.TYPE_NUMBER, "How long Allocate waits for capacity before refusing."),
    _attribute("workdir_root", Type.TYPE_STRING, "Directory for the jobs' temp dirs (default: system temp)."),
    _attribute(
        "cgroups",
        Type.TYPE_BOOL,
        "Run each job in its own cgroup, with its cpu/memory limits and exact metrics sampled at 10 Hz, "
        "when the provider runs as root with writable cgroups; false (or no writable cgroup) measures "
        "with rusage and /proc instead, and says so in the job's RUNNING status.",
    ),
]


def parse(config: dict[str, Any]) -> tuple[LocalConfig, list[pb.Diagnostic]]:
    """The config, and one diagnostic per bad attribute (the defaults stand in for bad values)."""
    diagnostics: list[pb.Diagnostic] = []
    values: dict[str, Any] = {}
    known = {a.name: a.type for a in SCHEMA}

    def error(name: str, summary: str) -> None:
        diagnostics.append(
            pb.Diagnostic(severity=pb.Diagnostic.SEVERITY_ERROR, summary=summary, attribute_path=[name])
        )

    for name, value in config.items():
        if name not in known:
            error(name, f"unknown attribute {name!r} (known: {', '.join(known)})")
        elif known[name] == Type.TYPE_STRING:
            if isinstance(value, str):
                values[name] = value
            else:
                error(name, f"{name} must be a string")
        elif known[name] == Type.TYPE_BOOL:
            if isinstance(value, bool):
                values[name] = value
            else:
                error(name, f"{name} must be true or false")
        elif not isinstance(value, int | float) or isinstance(value, bool):
            error(name, f"{name} must be a number")
        elif name.endswith("_share") and not 0 < value <= 1:
            error(name, f"{name} must be in (0, 1], got {value:g}")
        elif value < 0:
            error(name, f"{name} must not be negative")
        else:
            values[name] = float(value)
    return LocalConfig(**values), diagnostics
