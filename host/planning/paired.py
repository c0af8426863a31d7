"""Paired A/B plans (`bh compare --ref A --ref B job.hcl`): each benchmark job of a job file becomes one
job that runs its framework's command alternately on snapshot A and snapshot B of its source
(A, B, A, B, ... on one allocation), so machine noise hits both sides alike.

A job takes part when it has a `framework` block and a `source` and takes no inputs from other jobs;
others are left out with a plan warning. The two snapshots are the job's input artifacts at `a/` and `b/` (see
`benchhub.frameworks.paired`); its framework is `PAIRED`, whose attributes carry the job file's block
and both snapshot digests, so that ingesting its results stores the two sides as `<job>@A` and `<job>@B`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from benchhub.frameworks.paired import PAIRED, SIDES, PairedBlock, expand_paired
from benchhub.host.config import JobSpec
from benchhub.host.config.model import Framework
from benchhub.host.errors import UsageError
from benchhub.host.planning.jobfile import load_workflow
from benchhub.host.planning.model import Plan, PlannedJob
from benchhub.host.planning.planner import plan_config
from benchhub.host.planning.providers import ProviderSession
from benchhub.host.planning.sources import Sources
from benchhub.host.snapshot import Snapshot

WORK_TREE = "working tree"


class NothingToPairError(UsageError):
    """No job of the job file can be run as a paired A/B job."""


def side_label(ref: str | None) -> str:
    return ref if ref is not None else WORK_TREE


def make_paired_plan(job_file: Path, session: ProviderSession, refs: tuple[str | None, str | None]) -> Plan:
    """A plan of paired jobs comparing ref A with ref B (None: the working tree)."""
    config = load_workflow(job_file)
    left_out = {spec.id: why for spec in config.jobs if (why := _not_pairable(spec))}
    pairable = [spec for spec in config.jobs if spec.id not in left_out]
    if not pairable:
        raise NothingToPairError(
            f"{job_file}: no job has a framework block and a source without inputs from other jobs, "
            "so there is nothing to pair"
        )
    kept = {spec.id for spec in pairable}
    warnings = [f"job {job_id} left out of the paired run: {why}" for job_id, why in left_out.items()]
    sides = [Sources(Path.cwd(), ref) for ref in refs]
    snapshots = {spec.id: _snapshots(sides, job_file, spec) for spec in pairable}
    paired = replace(config, jobs=tuple(_paired_spec(spec, snapshots[spec.id], kept) for spec in pairable))
    plan = plan_config(paired, job_file, session, ref=None)
    a, b = (side_label(ref) for ref in refs)
    return replace(
        plan,
        jobs=[_with_sources(job, snapshots[job.id]) for job in plan.jobs],
        ref=f"{a} vs {b}",
        sources=_digests(sides),
        warnings=[*warnings, *plan.warnings],
    )


def _not_pairable(spec: JobSpec) -> str:
    """Why `spec` cannot run as a paired job; empty when it can."""
    if spec.framework is None or spec.source is None:
        return "it needs a framework block and a source"
    if spec.inputs:
        return "it takes inputs from other jobs"
    return ""


def _digests(sides: list[Sources]) -> dict[str, str]:
    """Every captured source of both sides, as `A:dir@ref` -> digest."""
    return {
        f"{label}:{key}": digest
        for (label, _), side in zip(SIDES, sides, strict=True)
        for key, digest in side.digests().items()
    }


def _snapshots(sides: list[Sources], job_file: Path, spec: JobSpec) -> tuple[Snapshot, Snapshot]:
    a, b = (side.snapshot_of(job_file, spec) for side in sides)
    assert a is not None and b is not None  # the spec has a source
    return a, b


def _paired_spec(spec: JobSpec, snapshots: tuple[Snapshot, Snapshot], kept: set[str]) -> JobSpec:
    """The job running `spec`'s framework block on both sides, interleaved."""
    framework = spec.framework
    assert framework is not None
    job = expand_paired(framework.kind, framework.attributes, workdir=spec.workdir)
    block = PairedBlock(framework.kind, framework.attributes, (snapshots[0].digest, snapshots[1].digest))
    twice = 2.0  # every round runs both sides
    return replace(
        spec,
        command=tuple(job.command),
        outputs=job.outputs,
        workdir="",
        source=None,  # both snapshots are staged by `_with_sources`
        depends_on=tuple(d for d in spec.depends_on if d in kept),
        timeout=spec.timeout * twice if spec.timeout else spec.timeout,
        expected_duration=spec.expected_duration * twice if spec.expected_duration else None,
        framework=Framework(PAIRED, block.to_attrs(), framework.position),
    )


def _with_sources(job: PlannedJob, snapshots: tuple[Snapshot, Snapshot]) -> PlannedJob:
    """`job` with snapshot A staged at `a/` and snapshot B at `b/` of its working directory."""
    message = type(job.job)()
    message.CopyFrom(job.job)
    for (_, directory), snapshot in zip(SIDES, snapshots, strict=True):
        artifact = Sources.artifact(snapshot)
        artifact.name, artifact.path = f"source-{directory}", directory
        message.inputs.append(artifact)
    return replace(job, job=message)

