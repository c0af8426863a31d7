"""The docker provider's configuration: daemon address, default base image, default job limits."""

from __future__ import annotations

import os
from dataclasses import dataclass

from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import settings
from benchhub.providers.sdk.settings import Setting, Type, error

STANDARD_SOCKET = "unix:///var/run/docker.sock"
DEFAULT_BASE_IMAGE = "benchhub/busybox:latest"
DEFAULT_PIDS_LIMIT = 4096
DEFAULT_KEEP_IMAGES = 20
MiB = 1 << 20


@dataclass(frozen=True)
class DockerConfig:
    host: str
    base_image: str = DEFAULT_BASE_IMAGE
    cpu: float = 0.0  # per job when the job sets none; 0 = the allocation's share
    memory_bytes: int = 0  # idem
    pids_limit: int = DEFAULT_PIDS_LIMIT
    network: str = "bridge"  # docker network for jobs with `network = true`
    keep_images: int = DEFAULT_KEEP_IMAGES  # job images kept after a build; 0 keeps them all


def default_config() -> DockerConfig:
    return DockerConfig(host=os.environ.get("DOCKER_HOST") or STANDARD_SOCKET)


STRING, NUMBER = Type.TYPE_STRING, Type.TYPE_NUMBER
SETTINGS = (
    Setting(
        "host", STRING, "docker daemon address (default: DOCKER_HOST, else the standard socket)", default=""
    ),
    Setting(
        "base_image", STRING,
        "image a job's source is copied onto when the job names none and its source has no Dockerfile",
        default=DEFAULT_BASE_IMAGE,
    ),
    Setting("cpu", NUMBER, "cores per job when the job sets none (0: the allocation's)", default=0),
    Setting("memory_mb", NUMBER, "MiB per job when the job sets none (0: the allocation's)", default=0),
    Setting("pids_limit", NUMBER, "most processes a job's container may hold", default=DEFAULT_PIDS_LIMIT),
    Setting(
        "network", STRING, "docker network of jobs that ask for network (others get none)", default="bridge"
    ),
    Setting(
        "keep_images", NUMBER,
        "job images (a source built onto a base) kept on the daemon: after a build, the oldest beyond"
        " this are removed, except those a container still uses until its allocation is released"
        " (0 keeps them all)",
        default=DEFAULT_KEEP_IMAGES,
    ),
)
SCHEMA = [setting.attribute() for setting in SETTINGS]


def parse(config: struct_pb2.Struct) -> tuple[DockerConfig, list[pb.Diagnostic]]:
    """The config, or the defaults plus one diagnostic per bad attribute."""
    values, problems = settings.parse(config, SETTINGS)
    numbers = [s.name for s in SETTINGS if s.type == NUMBER]
    problems += [error(f"{name} must be a number >= 0", name) for name in numbers if values[name] < 0]
    base = default_config()
    if problems:
        return base, problems
    return DockerConfig(
        host=values["host"] or base.host,
        base_image=values["base_image"] or base.base_image,
        cpu=float(values["cpu"]),
        memory_bytes=int(values["memory_mb"] * MiB),
        pids_limit=int(values["pids_limit"]),
        network=values["network"] or base.network,
        keep_images=int(values["keep_images"]),
    ), []
