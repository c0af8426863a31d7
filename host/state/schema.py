"""The state database's tables (SQLAlchemy Core), at the newest schema version.

Times are Unix epoch seconds (float, UTC). Money is an amount plus an ISO 4217 currency.
Enumerated columns hold the lower-case names listed in the `*_STATUSES` / `*_STATES` tuples, which
are the values of the matching `Literal` types in `records`.
"""

from __future__ import annotations

from typing import get_args

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from benchhub.host.state.records import AllocationState, Direction, JobStatus, RunStatus

RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)
ALLOCATION_STATES: tuple[AllocationState, ...] = get_args(AllocationState)
DIRECTIONS: tuple[Direction, ...] = get_args(Direction)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied", Float, nullable=False),
    Column("description", Text, nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Float, nullable=False),
    Column("finished", Float),
    Column("status", String(16), nullable=False, default="running"),
    Column("job_file", Text, nullable=False),
    Column("config_digest", String(80), nullable=False),
    Column("ref", Text),
    Column("jobs_total", Integer, nullable=False, default=0),
    Column("jobs_passed", Integer, nullable=False, default=0),
    Column("jobs_failed", Integer, nullable=False, default=0),
    Column("jobs_skipped", Integer, nullable=False, default=0),
    Column("estimated_cost", Float),
    Column("actual_cost", Float),
    Column("currency", String(8)),
)

snapshots = Table(
    "snapshots",
    metadata,
    Column("digest", String(80), primary_key=True),
    Column("commit", String(64)),
    Column("branch", Text),
    Column("dirty", Boolean, nullable=False, default=False),
    Column("path", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("files", Integer, nullable=False),
    Column("created", Float, nullable=False),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="SET NULL")),
    Column("provider", Text, nullable=False),
    Column("offer_id", Text, nullable=False),
    Column("token", Text, nullable=False, unique=True),
    Column("tags", JSON, nullable=False),
    Column("state", String(16), nullable=False, default="intended"),
    Column("provider_allocation_id", Text),
    Column("error", Text),
    Column("created", Float, nullable=False),
    Column("allocated", Float),
    Column("released", Float),
    Index("ix_allocations_state", "state"),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("job_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("attempt", Integer, nullable=False, default=1),
    Column("status", String(16), nullable=False, default="pending"),
    Column("exit_code", Integer),
    Column("provider", Text),
    Column("offer_id", Text),
    Column("instance_type", Text),
    Column("region", Text),
    Column("price_per_hour", Float),
    Column("currency", String(8)),
    Column("estimated_cost", Float),
    Column("actual_cost", Float),
    Column("started", Float),
    Column("finished", Float),
    Column("wall_seconds", Float),
    Column("user_seconds", Float),
    Column("sys_seconds", Float),
    Column("cpu_seconds", Float),
    Column("peak_memory_bytes", Integer),
    Column("log_path", Text),
    Column("error", Text),
    Column("snapshot_digest", String(80), ForeignKey("snapshots.digest")),
    Column("allocation_id", Integer, ForeignKey("allocations.id", ondelete="SET NULL")),
    UniqueConstraint("run_id", "job_id", "attempt"),
    Index("ix_jobs_job_id_status", "job_id", "status"),
)

params = Table(
    "params",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("value", JSON, nullable=False),
    Column("target", String(16), nullable=False, default=""),
    Column("key", Text, nullable=False, default=""),
    UniqueConstraint("job", "name"),
)

resource_samples = Table(
    "resource_samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("t", Float, nullable=False),
    Column("cpu_seconds", Float, nullable=False),
    Column("memory_bytes", Integer, nullable=False),
    Column("memory_peak_bytes", Integer, nullable=False),
    Column("pids", Integer),
    Column("throttled_seconds", Float),
    Column("io_read_bytes", Integer),
    Column("io_write_bytes", Integer),
    Column("source", Text, nullable=False, default=""),
    Column("node", Integer, nullable=False, default=0, server_default="0"),  # of a multi-node job
    Index("ix_resource_samples_job", "job"),
)

result_samples = Table(
    "result_samples",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), nullable=False),
    Column("benchmark", Text, nullable=False),
    Column("metric", Text, nullable=False),
    Column("unit", Text, nullable=False, default=""),
    Column("direction", String(8), nullable=False, default="lower"),
    Column("iteration", Integer, nullable=False, default=0),
    Column("value", Float, nullable=False),
    Index("ix_result_samples_job", "job"),
)

environments = Table(
    "environments",
    metadata,
    Column("job", Integer, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("cpu_model", Text),
    Column("cores", Integer),
    Column("kernel", Text),
    Column("provider", Text),
    Column("offer_id", Text),
    Column("instance_type", Text),
    Column("price_per_hour", Float),
    Column("currency", String(8)),
)
