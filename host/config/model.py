"""The typed model of a job file: `Config` with its `Settings`, providers and expanded `JobSpec`s.

Everything is frozen. Sizes are bytes, durations seconds, money an amount plus an ISO 4217 code.
Every part keeps the `Position` it was written at, for errors found later (e.g. by a provider's
schema or the scheduler).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from benchhub.host.config.errors import Position
from benchhub.proto.job.v1 import job_pb2

When = Literal["on_success", "always", "on_failure"]
Spot = bool | Literal["prefer"] | None
"""True = spot only, False = on-demand only, "prefer" = spot first with on-demand as failover,
None = not said (whichever is cheaper)."""
ParamValue = str | int | float | bool
Target = Literal["", "argument", "env", "config_file", "system"]

DEFAULT_PARALLELISM = 4
DEFAULT_CPU = 1.0
LOCAL_PROVIDER = "local"

_TARGETS: dict[str, job_pb2.Parameter.Target.ValueType] = {
    "": job_pb2.Parameter.TARGET_UNSPECIFIED,
    "argument": job_pb2.Parameter.TARGET_ARGUMENT,
    "env": job_pb2.Parameter.TARGET_ENV,
    "config_file": job_pb2.Parameter.TARGET_CONFIG_FILE,
    "system": job_pb2.Parameter.TARGET_SYSTEM,
}


@dataclass(frozen=True)
class Budget:
    amount: float
    currency: str


@dataclass(frozen=True)
class Settings:
    """The `settings` block. `state_path` None = the default `.bh/state.db` of the project."""

    state_path: str | None = None
    parallelism: int = DEFAULT_PARALLELISM
    budget: Budget | None = None
    position: Position | None = None


@dataclass(frozen=True)
class ProviderConfig:
    """A `provider "name" { ... }` block: plain values for Configure, with where each was written.

    The provider's GetSchema decides what is valid: see `benchhub.host.config.check_provider_config`.
    """

    name: str
    config: Mapping[str, Any]
    position: Position
    attribute_positions: Mapping[str, Position] = field(default_factory=dict)


@dataclass(frozen=True)
class Resources:
    """What a job needs (per node). Zero / empty = no requirement; `cpu` defaults to one core."""

    cpu: float = DEFAULT_CPU
    memory_bytes: int = 0
    gpu: int = 0
    disk_bytes: int = 0
    nodes: int = 1
    arch: str = ""

    def to_proto(self) -> job_pb2.Resources:
        return job_pb2.Resources(
            cpu=self.cpu, memory_bytes=self.memory_bytes, gpu=self.gpu, disk_bytes=self.disk_bytes,
            nodes=self.nodes, arch=self.arch,
        )


@dataclass(frozen=True)
class Source:
    """The code a job runs on: a directory (relative to the job file's directory) and optionally a
    git ref to snapshot instead of the working tree."""

    path: str
    ref: str | None = None


@dataclass(frozen=True)
class Parameter:
    """One structured parameter of an expanded job (see proto benchhub.job.v1.Parameter)."""

    name: str
    value: ParamValue
    target: Target = ""
    key: str = ""

    def to_proto(self) -> job_pb2.Parameter:
        value = job_pb2.Value()
        if isinstance(self.value, bool):
            value.bool_value = self.value
        elif isinstance(self.value, int):
            value.int_value = self.value
        elif isinstance(self.value, float):
            value.double_value = self.value
        else:
            value.string_value = self.value
        return job_pb2.Parameter(name=self.name, value=value, target=_TARGETS[self.target], key=self.key)


@dataclass(frozen=True)
class Input:
    """An artifact taken from `job`'s output `output` (job = the producer's expanded id), placed at
    `path` in this job's working directory ("" = at the paths the files had in the producer)."""

    job: str
    output: str
    path: str
    position: Position


@dataclass(frozen=True)
class Placement:
    """The `placement` block; empty tuples = any provider / region."""

    providers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    spot: Spot = None
    max_price: float | None = None


@dataclass(frozen=True)
class Framework:
    """A `framework "kind" { ... }` block, parameters substituted; `benchhub.frameworks` expands it."""

    kind: str
    attributes: Mapping[str, Any]
    position: Position


@dataclass(frozen=True)
class JobSpec:
    """One job after matrix expansion. `id` is unique in the config (`name` plus the matrix values,
    e.g. ``sort[size=1000,algo=quick]``; just `name` without a matrix); `depends_on` holds ids."""

    id: str
    name: str
    position: Position
    command: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    workdir: str = ""
    timeout: float | None = None
    resources: Resources = field(default_factory=Resources)
    source: Source | None = None
    params: tuple[Parameter, ...] = ()
    depends_on: tuple[str, ...] = ()
    when: When = "on_success"
    outputs: Mapping[str, str] = field(default_factory=dict)
    inputs: tuple[Input, ...] = ()
    exclusive: bool = False
    expected_duration: float | None = None
    retries: int = 0
    placement: Placement = field(default_factory=Placement)
    provider: str | None = None
    image: str | None = None
    framework: Framework | None = None

    def param(self, name: str) -> Parameter | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Config:
    """A whole job file. `jobs` are in file order (matrix expansions in combination order); use
    `benchhub.host.config.dag.topological_order` for a run order."""

    file: str
    settings: Settings
    providers: Mapping[str, ProviderConfig]
    jobs: tuple[JobSpec, ...]

    def job(self, job_id: str) -> JobSpec:
        for job in self.jobs:
            if job.id == job_id:
                return job
        raise KeyError(job_id)

    def expansions(self, name: str) -> tuple[JobSpec, ...]:
        """Every expanded job of a job-file job name."""
        return tuple(j for j in self.jobs if j.name == name)
