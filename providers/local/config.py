"""The local provider's configuration: its schema and validation into diagnostics."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import settings
from benchhub.providers.sdk.settings import Setting, Type, error


@dataclasses.dataclass(frozen=True)
class LocalConfig:
    cpu_share: float = 0.5  # of this machine's cores: a benchmark never eats the whole laptop
    memory_share: float = 0.5
    wait_seconds: float = 0.0  # Allocate waits this long for capacity, then refuses
    workdir_root: str = ""  # where per-allocation temp dirs go; empty = the system temp dir
    cgroups: bool = True  # each job in its own cgroup (limits, exact metrics) when this provider may make one


DEFAULTS = LocalConfig()
SHARES = ("cpu_share", "memory_share")
SETTINGS = (
    Setting(
        "cpu_share", Type.TYPE_NUMBER, "Share of this machine's cores offered (0 < share <= 1).",
        default=DEFAULTS.cpu_share,
    ),
    Setting(
        "memory_share", Type.TYPE_NUMBER, "Share of this machine's memory offered (0 < share <= 1).",
        default=DEFAULTS.memory_share,
    ),
    Setting(
        "wait_seconds", Type.TYPE_NUMBER, "How long Allocate waits for capacity before refusing.",
        default=DEFAULTS.wait_seconds,
    ),
    Setting(
        "workdir_root", Type.TYPE_STRING, "Directory for the jobs' temp dirs (default: system temp).",
        default=DEFAULTS.workdir_root,
    ),
    Setting(
        "cgroups",
        Type.TYPE_BOOL,
        "Run each job in its own cgroup, with its cpu/memory limits and exact metrics sampled at 10 Hz, "
        "when the provider runs as root with writable cgroups; false (or no writable cgroup) measures "
        "with rusage and /proc instead, and says so in the job's RUNNING status.",
        default=DEFAULTS.cgroups,
    ),
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
