"""A job's parameters applied where their target says, the same way by every provider.

`apply_parameters(job, provider, accepts)` gives the job's argv, env, system settings and config
files with its parameters in; each provider then puts them where its runtime needs them. A parameter
without a target only feeds ``${param.NAME}`` in the job file (the host substitutes it) and is skipped.
A config file's path is checked here, once for every provider: relative, and inside the working dir.
"""

from __future__ import annotations

import dataclasses
import posixpath
from collections.abc import Collection

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.sdk.errors import InvalidError

Target = job_pb2.Parameter.Target

_AS = {
    Target.TARGET_ARGUMENT: "arguments",
    Target.TARGET_ENV: "env vars",
    Target.TARGET_CONFIG_FILE: "config files",
    Target.TARGET_SYSTEM: "system settings",
}


@dataclasses.dataclass(frozen=True)
class AppliedParameters:
    argv: list[str]  # the command, then each ARGUMENT parameter: `key value`, or the bare value without a key
    env: dict[str, str]  # the job's env, then each ENV parameter: `key` (or the name) = value
    system: dict[str, str]  # SYSTEM parameters: sysctl key (or the name) -> value
    config_files: dict[str, str]  # CONFIG_FILE parameters: normalised workdir path (key or name) -> text


def value_text(value: job_pb2.Value) -> str:
    """A parameter value as its text (true/false for bools), as the host writes it into commands."""
    kind = value.WhichOneof("kind")
    if kind == "bool_value":
        return "true" if value.bool_value else "false"
    if kind is None:
        return ""
    return str(getattr(value, kind))


def environment(job: job_pb2.Job) -> dict[str, str]:
    """The job's env with its ENV parameters set."""
    env = dict(job.env)
    for parameter in job.parameters:
        if parameter.target == Target.TARGET_ENV:
            env[parameter.key or parameter.name] = value_text(parameter.value)
    return env


def _refuse(
    parameter: job_pb2.Parameter, provider: str, accepts: Collection[Target.ValueType]
) -> InvalidError:
    *others, last = [_AS[target] for target in _AS if target in accepts]
    listed = f"{', '.join(others)} or {last}" if others else last
    return InvalidError(
        f"parameter {parameter.name!r}: the {provider} provider applies parameters as {listed}, "
        f"not as {_AS[parameter.target]}"
    )


def _config_file_path(parameter: job_pb2.Parameter) -> str:
    """The parameter's path (key, else name) normalised; InvalidError unless it names a file inside
    the working directory."""
    given = parameter.key or parameter.name
    path = posixpath.normpath(given)
    if posixpath.isabs(path) or path == "." or path == ".." or path.startswith("../"):
        raise InvalidError(
            f"parameter {parameter.name!r}: config file {given!r} must be a relative path inside the job's "
            "working directory"
        )
    return path


def apply_parameters(
    job: job_pb2.Job, provider: str, accepts: Collection[Target.ValueType] = tuple(_AS)
) -> AppliedParameters:
    """The job's argv, env, system settings and config files with its parameters applied; a
    parameter whose target `provider` does not accept, or a config file outside the working dir, is an
    InvalidError naming it."""
    applied = AppliedParameters(list(job.command), environment(job), {}, {})
    for parameter in job.parameters:
        if parameter.target == Target.TARGET_UNSPECIFIED:
            continue
        if parameter.target not in accepts:
            raise _refuse(parameter, provider, accepts)
        text, key = value_text(parameter.value), parameter.key or parameter.name
        if parameter.target == Target.TARGET_ARGUMENT:
            applied.argv.extend([parameter.key, text] if parameter.key else [text])
        elif parameter.target == Target.TARGET_SYSTEM:
            applied.system[key] = text
        elif parameter.target == Target.TARGET_CONFIG_FILE:
            applied.config_files[_config_file_path(parameter)] = text
    return applied
