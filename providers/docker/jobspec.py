"""How a Job becomes `containers.create` arguments: command, env, parameters, limits, network."""

from __future__ import annotations

import posixpath
from typing import Any

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.docker.config import DockerConfig
from benchhub.providers.docker.images import WORKDIR
from benchhub.providers.sdk.errors import InvalidError
from benchhub.providers.sdk.parameters import AppliedParameters


def inside(root: str, relative: str, what: str) -> str:
    """`relative` below the container path `root`, refusing one that leaves it."""
    path = posixpath.normpath(posixpath.join(root, relative))
    if not (path + "/").startswith(root.rstrip("/") + "/"):
        raise InvalidError(f"{what} {relative!r} leaves {root}")
    return path


def working_dir(job: job_pb2.Job) -> str:
    return inside(WORKDIR, job.workdir, f"job {job.name}: workdir")


def limits(job: job_pb2.Job, config: DockerConfig, share: job_pb2.Resources) -> job_pb2.Resources:
    """The job's own resources, else the configured per-job defaults, else the allocation's share."""
    return job_pb2.Resources(
        cpu=job.resources.cpu or config.cpu or share.cpu,
        memory_bytes=job.resources.memory_bytes or config.memory_bytes or share.memory_bytes,
    )


def create_arguments(
    job: job_pb2.Job,
    applied: AppliedParameters,
    image: str,
    config: DockerConfig,
    limit: job_pb2.Resources,
    container_labels: dict[str, str],
) -> dict[str, Any]:
    """The container of `job` with its parameters `applied` (config files are written once it exists)."""
    arguments: dict[str, Any] = {
        "image": image,
        "command": applied.argv or None,
        "environment": applied.env,
        "working_dir": working_dir(job),
        "labels": container_labels,
        "network_mode": config.network if job.network else "none",
        "pids_limit": config.pids_limit,
        "detach": True,
    }
    if applied.system:
        arguments["sysctls"] = applied.system  # namespaced sysctls, set inside the container only
    if limit.cpu:
        arguments["nano_cpus"] = int(limit.cpu * 1e9)
    if limit.memory_bytes:
        arguments["mem_limit"] = limit.memory_bytes
        arguments["memswap_limit"] = limit.memory_bytes  # no swap: memory use is what it says
    return arguments
