"""Loading a job file into the typed model, with framework blocks turned into commands."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from benchhub.host.config.model import Config, JobSpec
from benchhub.host.errors import UsageError


def load_workflow(job_file: Path) -> Config:
    """The job file's model (ConfigError as file:line:col on any problem)."""
    if not job_file.is_file():
        raise UsageError(f"{job_file}: no such job file (`bh init` writes a starter job.hcl)")
    from benchhub.host.config import load_config

    config = load_config(job_file)
    return replace(config, jobs=tuple(_with_framework(spec) for spec in config.jobs))


def _with_framework(spec: JobSpec) -> JobSpec:
    """A `framework` block gives the job its command, env and outputs (the job's own win)."""
    if spec.framework is None or spec.command:
        return spec
    from benchhub.frameworks import registry

    expanded = registry.expand(spec.framework.kind, spec.framework.attributes)
    return replace(
        spec,
        command=tuple(expanded.command),
        env={**expanded.env, **spec.env},
        outputs={**expanded.outputs, **spec.outputs},
    )
