"""Typed rows of the state database, as returned and accepted by `State`.

Times are Unix epoch seconds; optional fields are None when unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: The parameter of the two result rows (`<job>@A`, `<job>@B`) a paired job adds beside its own row;
#: they record that job's results, so a run's job counts leave them out.
PAIR_PARAM = "pair"

RunStatus = Literal["running", "passed", "failed", "interrupted"]
JobStatus = Literal[
    "pending",
    "running",
    "passed",
    "failed",
    "skipped",
    "cancelled",
    "error",
    "timed_out",
    "oom_killed",
    "preempted",
]
AllocationState = Literal["intended", "allocated", "released", "failed"]
Direction = Literal["lower", "higher"]
ParamValue = str | int | float | bool


@dataclass(frozen=True)
class Run:
    id: int
    created: float
    finished: float | None
    status: RunStatus
    job_file: str
    config_digest: str
    ref: str | None
    jobs_total: int
    jobs_passed: int
    jobs_failed: int
    jobs_skipped: int
    estimated_cost: float | None
    actual_cost: float | None
    currency: str | None


@dataclass(frozen=True)
class Job:
    """One attempt of one (matrix-expanded) job in a run; `id` is the row id, `job_id` the name with
    matrix suffix (e.g. ``sort[size=1000]``), `name` the job-file name (``sort``)."""

    id: int
    run_id: int
    job_id: str
    name: str
    attempt: int
    status: JobStatus
    exit_code: int | None
    provider: str | None
    offer_id: str | None
    instance_type: str | None
    region: str | None
    price_per_hour: float | None
    currency: str | None
    estimated_cost: float | None
    actual_cost: float | None
    started: float | None
    finished: float | None
    wall_seconds: float | None
    user_seconds: float | None
    sys_seconds: float | None
    cpu_seconds: float | None
    peak_memory_bytes: int | None
    log_path: str | None
    error: str | None
    snapshot_digest: str | None
    allocation_id: int | None


@dataclass(frozen=True)
class Param:
    """A job's structured parameter; `target` is "", "argument", "env", "config_file" or "system"."""

    name: str
    value: ParamValue
    target: str = ""
    key: str = ""


@dataclass(frozen=True)
class Snapshot:
    digest: str
    commit: str | None
    branch: str | None
    dirty: bool
    path: str
    size: int
    files: int
    created: float


@dataclass(frozen=True)
class Allocation:
    """An allocation's life: `intended` (written before Allocate), `allocated`, `released`, `failed`."""

    id: int
    run_id: int | None
    provider: str
    offer_id: str
    token: str
    tags: dict[str, str]
    state: AllocationState
    provider_allocation_id: str | None
    error: str | None
    created: float
    allocated: float | None
    released: float | None


@dataclass(frozen=True)
class ResourceSample:
    t: float
    cpu_seconds: float
    memory_bytes: int
    memory_peak_bytes: int
    pids: int | None = None
    throttled_seconds: float | None = None
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None
    source: str = ""
    node: int = 0  # which node of a multi-node job it was measured on


@dataclass(frozen=True)
class ResultSample:
    benchmark: str
    metric: str
    value: float
    unit: str = ""
    direction: Direction = "lower"
    iteration: int = 0


@dataclass(frozen=True)
class Environment:
    cpu_model: str | None = None
    cores: int | None = None
    kernel: str | None = None
    provider: str | None = None
    offer_id: str | None = None
    instance_type: str | None = None
    price_per_hour: float | None = None
    currency: str | None = None

