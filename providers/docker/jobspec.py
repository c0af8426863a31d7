"""How a Job becomes `containers.create` arguments: command, env, parameters, limits, network."""

from __future__ import annotations

import posixpath
from typing import Any

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.docker.config import DockerConfig
from benchhub.providers.docker.images import WORKDIR
from benchhub.providers.sdk.errors import InvalidError

Target = job_pb2.Parameter.Target


def value_text(value: job_pb2.Value) -> str:
    kind = value.WhichOneof("kind")
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind is None:
        return ""
    return str(getattr(value, kind))


def apply_parameters(job: job_pb2.Job) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """argv, env and sysctls with the job's parameters applied: ARGUMENT appends `key value` (or the
    bare value when the key is empty), ENV sets `key` (or the name), SYSTEM sets a namespaced sysctl."""
    argv, env, sysctls = list(job.command), dict(job.env), {}
    for parameter in job.parameters:
        text = value_text(parameter.value)
        if parameter.target == Target.TARGET_ARGUMENT:
            argv.extend([parameter.key, text] if parameter.key else [text])
        elif parameter.target == Target.TARGET_ENV:
            env[parameter.key or parameter.name] = text
        elif parameter.target == Target.TARGET_SYSTEM:
            sysctls[parameter.key or parameter.name] = text
        else:
            raise InvalidError(
                f"parameter {parameter.name!r}: the docker provider applies parameters as arguments, "
                "env vars or system settings, not as config files"
            )
    return argv, env, sysctls


def working_dir(job: job_pb2.Job) -> str:
    workdir = posixpath.normpath(posixpath.join(WORKDIR, job.workdir))
    if not (workdir + "/").startswith(WORKDIR + "/"):
        raise InvalidError(f"job {job.name}: workdir {job.workdir!r} leaves the job's sandbox")
    return workdir


def limits(job: job_pb2.Job, config: DockerConfig, share: job_pb2.Resources) -> job_pb2.Resources:
    """The job's own resources, else the configured per-job defaults, else the allocation's share."""
    return job_pb2.Resources(
        cpu=job.resources.cpu or config.cpu or share.cpu,
        memory_bytes=job.resources.memory_bytes or config.memory_bytes or share.memory_bytes,
    )


def create_arguments(
    job: job_pb2.Job,
    image: str,
    config: DockerConfig,
    limit: job_pb2.Resources,
    container_labels: dict[str, str],
) -> dict[str, Any]:
    argv, env, sysctls = apply_parameters(job)
    arguments: dict[str, Any] = {
        "image": image,
        "command": argv or None,
        "environment": env,
        "working_dir": working_dir(job),
        "labels": container_labels,
        "network_mode": config.network if job.network else "none",
        "pids_limit": config.pids_limit,
        "detach": True,
    }
    if sysctls:
        arguments["sysctls"] = sysctls
    if limit.cpu:
        arguments["nano_cpus"] = int(limit.cpu * 1e9)
    if limit.memory_bytes:
        arguments["mem_limit"] = limit.memory_bytes
        arguments["memswap_limit"] = limit.memory_bytes  # no swap: memory use is what it says
    return arguments
