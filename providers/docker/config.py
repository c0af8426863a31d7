"""The docker provider's configuration: daemon address, default base image, default job limits."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb

STANDARD_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_BASE_IMAGE = "benchhub/busybox:latest"
DEFAULT_PIDS_LIMIT = 4096
MiB = 1 << 20


@dataclass(frozen=True)
class DockerConfig:
    host: str
    base_image: str = DEFAULT_BASE_IMAGE
    cpu: float = 0.0  # per job when the job sets none; 0 = the allocation's share
    memory_bytes: int = 0  # idem
    pids_limit: int = DEFAULT_PIDS_LIMIT
    network: str = "bridge"  # docker network for jobs with `network = true`


def default_config() -> DockerConfig:
    return DockerConfig(host=os.environ.get("DOCKER_HOST") or STANDARD_SOCKET)


def _attribute(name: str, kind: pb.Attribute.Type.ValueType, description: str, default: Any) -> pb.Attribute:
    attribute = pb.Attribute(name=name, type=kind, description=description)
    attribute.default.CopyFrom(struct_pb2.Value())
    if isinstance(default, str):
        attribute.default.string_value = default
    else:
        attribute.default.number_value = default
    return attribute


STRING, NUMBER = pb.Attribute.TYPE_STRING, pb.Attribute.TYPE_NUMBER
SCHEMA = [
    _attribute("host", STRING, "docker daemon address (default: DOCKER_HOST, else the standard socket)", ""),
    _attribute(
        "base_image", STRING,
        "image a job's source is copied onto when the job names none and its source has no Dockerfile",
        DEFAULT_BASE_IMAGE,
    ),
    _attribute("cpu", NUMBER, "cores per job when the job sets none (0: the allocation's)", 0),
    _attribute("memory_mb", NUMBER, "MiB per job when the job sets none (0: the allocation's)", 0),
    _attribute("pids_limit", NUMBER, "most processes a job's container may hold", DEFAULT_PIDS_LIMIT),
    _attribute("network", STRING, "docker network of jobs that ask for network (others get none)", "bridge"),
]
_TYPES = {a.name: a.type for a in SCHEMA}


def _diagnostic(name: str, summary: str) -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.SEVERITY_ERROR, summary=summary, attribute_path=[name])


def parse(config: struct_pb2.Struct) -> tuple[DockerConfig, list[pb.Diagnostic]]:
    """The config, or the defaults plus one diagnostic per bad attribute."""
    base = default_config()
    values: dict[str, Any] = {}
    problems = []
    for name, value in config.fields.items():
        kind = _TYPES.get(name)
        if kind is None:
            problems.append(_diagnostic(name, f"unknown attribute {name!r}"))
        elif kind == STRING and value.WhichOneof("kind") != "string_value":
            problems.append(_diagnostic(name, f"{name} must be a string"))
        elif kind == NUMBER and (value.WhichOneof("kind") != "number_value" or value.number_value < 0):
            problems.append(_diagnostic(name, f"{name} must be a number >= 0"))
        else:
            values[name] = value.string_value if kind == STRING else value.number_value
    if problems:
        return base, problems
    return DockerConfig(
        host=values.get("host") or base.host,
        base_image=values.get("base_image") or base.base_image,
        cpu=float(values.get("cpu", 0.0)),
        memory_bytes=int(values.get("memory_mb", 0) * MiB),
        pids_limit=int(values.get("pids_limit", DEFAULT_PIDS_LIMIT)),
        network=values.get("network") or base.network,
    ), []
