"""What `bh plan` decided and `bh apply` runs: jobs with their ranked offers.

A `Plan` is plain data. It is saved as JSON by `planfile` and walked by `benchhub.host.executor`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

When = Literal["on_success", "always", "on_failure"]
SpotMode = Literal["never", "allow", "prefer"]


@dataclass(frozen=True)
class Choice:
    """One offer a job may run on, in rank order; the first is the plan's choice."""

    provider: str
    offer: pb.Offer
    estimated_cost: float
    reserve: job_pb2.Resources = field(default_factory=job_pb2.Resources)  # empty = the whole offer
    why: str = ""  # for a runner-up: why it was not chosen


@dataclass(frozen=True)
class InputRef:
    """An input taken from another job's output, placed at `path` in this job's working dir."""

    job: str
    output: str
    path: str = ""


@dataclass(frozen=True)
class PlannedJob:
    job: job_pb2.Job  # id, name, command, env, resources, parameters, outputs, source artifact
    choices: tuple[Choice, ...]
    depends_on: tuple[str, ...] = ()
    when: When = "on_success"
    inputs: tuple[InputRef, ...] = ()
    retries: int = 0
    spot: SpotMode = "never"
    group: str = ""  # jobs with the same non-empty group share one allocation
    snapshot_digest: str = ""
    runner_up: Choice | None = None  # the offer that came closest, with `why` it lost
    framework: str = ""  # the framework block's kind, whose parser turns the job's output into results
    framework_attrs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.job.id

    @property
    def chosen(self) -> Choice | None:
        return self.choices[0] if self.choices else None


@dataclass(frozen=True)
class Billing:
    """How a provider bills: rounded up to `granularity_s`, never less than `minimum_s`."""

    granularity_s: float = 1.0
    minimum_s: float = 0.0


@dataclass
class Plan:
    job_file: str
    job_file_digest: str
    jobs: list[PlannedJob]
    currency: str = "USD"
    budget: float | None = None
    parallelism: int = 4
    ref: str | None = None
    sources: dict[str, str] = field(default_factory=dict)  # source path -> snapshot digest
    billing: dict[str, Billing] = field(default_factory=dict)  # provider -> billing rules
    warnings: list[str] = field(default_factory=list)

    @property
    def total_cost(self) -> float:
        return sum(job.chosen.estimated_cost for job in self.jobs if job.chosen)

    @property
    def providers(self) -> set[str]:
        return {choice.provider for job in self.jobs for choice in job.choices}
