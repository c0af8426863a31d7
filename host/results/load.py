"""Reading a run's results out of the state in a few queries (SQLAlchemy Core)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from benchhub.frameworks import Direction, Sample
from benchhub.host.results.model import Environment
from benchhub.host.state import State
from benchhub.host.state import schema as t


@dataclass(frozen=True)
class Usage:
    """The resources a job used, as the provider measured them."""

    wall_seconds: float | None
    cpu_seconds: float | None
    peak_memory_bytes: int | None


@dataclass
class JobResults:
    """One job row of a run with everything needed to show or compare its results."""

    row: int
    job_id: str
    name: str
    status: str
    params: dict[str, str]
    environment: Environment | None
    snapshot: str  # "branch@commit", "+dirty" appended when dirty; "" without a snapshot
    usage: Usage
    samples: list[Sample] = field(default_factory=list)


def param_text(value: object) -> str:
    """A parameter value as written in a selector: `1000`, `merge`, `true`."""
    return value if isinstance(value, str) else json.dumps(value)


def _snapshot_text(branch: str | None, commit: str | None, dirty: bool | None) -> str:
    if not branch and not commit:
        return ""
    text = f"{branch or '?'}@{(commit or '?')[:12]}"
    return f"{text}+dirty" if dirty else text


def load_run(state: State, run_id: int) -> list[JobResults]:
    """Every job row of a run (in order) with its parameters, environment, snapshot and samples."""
    j, s, e, r, p = t.jobs.c, t.snapshots.c, t.environments.c, t.result_samples.c, t.params.c
    jobs_query = (
        select(j.id, j.job_id, j.name, j.status, j.wall_seconds, j.cpu_seconds, j.peak_memory_bytes,
               s.branch, s.commit, s.dirty, e.job.label("has_environment"),
               e.cpu_model, e.cores, e.kernel, e.provider, e.instance_type)
        .select_from(t.jobs.outerjoin(t.snapshots, j.snapshot_digest == s.digest)
                     .outerjoin(t.environments, e.job == j.id))
        .where(j.run_id == run_id)
        .order_by(j.id)
    )
    in_run = select(j.id).where(j.run_id == run_id)
    with state.engine.connect() as conn:
        jobs: dict[int, JobResults] = {}
        for row in conn.execute(jobs_query):
            environment = None
            if row.has_environment is not None:
                facts = (row.cpu_model, row.cores, row.kernel, row.provider, row.instance_type)
                environment = Environment(*facts)
            jobs[row.id] = JobResults(
                row.id, row.job_id, row.name, row.status, {}, environment,
                _snapshot_text(row.branch, row.commit, row.dirty),
                Usage(row.wall_seconds, row.cpu_seconds, row.peak_memory_bytes),
            )
        for job, name, value in conn.execute(select(p.job, p.name, p.value).where(p.job.in_(in_run))):
            jobs[job].params[name] = param_text(value)
        samples = select(r.job, r.benchmark, r.metric, r.unit, r.direction, r.iteration, r.value).where(
            r.job.in_(in_run)
        ).order_by(r.id)
        directions = {d.value: d for d in Direction}
        for job, benchmark, metric, unit, direction, iteration, value in conn.execute(samples):
            jobs[job].samples.append(Sample(benchmark, metric, unit, directions[direction], iteration, value))
    return list(jobs.values())
