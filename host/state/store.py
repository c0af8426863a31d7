"""`State`: the typed API over the state database (SQLite in WAL mode, `.bh/state.db` by default).

Every method is one short transaction. Writes take SQLite's write lock up front (BEGIN IMMEDIATE),
so two `bh` processes on one project serialise their writes and wait for each other up to
`busy_timeout` seconds; a database that stays locked longer raises `StateLockedError`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event, func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import ConnectionPoolEntry

from benchhub.host.errors import BenchHubError
from benchhub.host.state import schema
from benchhub.host.state.migrations import migrate
from benchhub.host.state.records import (
    PAIR_PARAM,
    Allocation,
    Environment,
    Job,
    JobStatus,
    Param,
    ResourceSample,
    ResultSample,
    Run,
    RunStatus,
    Snapshot,
)

STATE_DIR = ".bh"
STATE_FILE = "state.db"
_FAILED_STATUSES = ("failed", "error", "timed_out", "oom_killed", "preempted", "cancelled")
_UNRELEASED_STATES = ("intended", "allocated")
_JOB_UPDATABLE = frozenset(c.name for c in schema.jobs.c) - {"id", "run_id", "job_id", "name"}


class StateLockedError(BenchHubError):
    """The state database stayed locked by another process for longer than the busy timeout."""


class NotFoundInStateError(BenchHubError):
    """A run, job or allocation asked for by id does not exist."""


def default_state_path(project_dir: str | Path = ".") -> Path:
    """Where a project's state lives: `<project>/.bh/state.db`."""
    return Path(project_dir) / STATE_DIR / STATE_FILE


class State:
    """The state of one project. Use as a context manager or call `close()`.

    >>> with State(".bh/state.db") as state:
    ...     run = state.create_run("job.hcl", config_digest="sha256:...")
    ...     row = state.add_job(run, "sort[size=10]", "sort", params=[Param("size", 10)])
    ...     state.update_job(row, status="passed", exit_code=0, wall_seconds=1.5)
    ...     state.finish_run(run, "passed")
    """

    def __init__(self, path: str | Path, *, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise BenchHubError(f"{self.path}: cannot create the state directory: {e.strerror}") from e
        self.engine = _sqlite_engine(self.path, busy_timeout)
        self._writer = self.engine.execution_options(bh_write=True)
        with self._write() as conn:
            self.schema_version = migrate(conn, path=str(self.path))

    # -- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- runs --------------------------------------------------------------------------------------

    def create_run(self, job_file: str, config_digest: str, *, ref: str | None = None) -> int:
        """Start a run (status `running`); returns its id."""
        with self._write() as conn:
            statement = schema.runs.insert().values(
                created=time.time(), status="running", job_file=job_file, config_digest=config_digest,
                ref=ref,
            )
            return int(conn.execute(statement.returning(schema.runs.c.id)).scalar_one())

    def finish_run(self, run_id: int, status: RunStatus) -> Run:
        """Close a run with `status`, computing its totals from its jobs (last attempt of each; the
        result rows of paired jobs' sides are not jobs of their own)."""
        _check(status, schema.RUN_STATUSES, "run status")
        with self._write() as conn:
            jobs = self._latest_attempts(conn, run_id)
            p = schema.params.c
            sides = set(conn.execute(
                select(p.job).where(p.name == PAIR_PARAM, p.job.in_([j.id for j in jobs]))
            ).scalars())
            jobs = [j for j in jobs if j.id not in sides]
            estimated = [j.estimated_cost for j in jobs if j.estimated_cost is not None]
            actual = [c for c in conn.execute(
                select(schema.jobs.c.actual_cost).where(
                    schema.jobs.c.run_id == run_id, schema.jobs.c.actual_cost.is_not(None)
                )
            ).scalars()]
            currencies = {j.currency for j in jobs if j.currency}
            conn.execute(
                update(schema.runs).where(schema.runs.c.id == run_id).values(
                    finished=time.time(),
                    status=status,
                    jobs_total=len(jobs),
                    jobs_passed=sum(j.status == "passed" for j in jobs),
                    jobs_failed=sum(j.status in _FAILED_STATUSES for j in jobs),
                    jobs_skipped=sum(j.status == "skipped" for j in jobs),
                    estimated_cost=sum(estimated) if estimated else None,
                    actual_cost=sum(actual) if actual else None,
                    currency=currencies.pop() if len(currencies) == 1 else None,
                )
            )
        return self.run(run_id)

    def run(self, run_id: int) -> Run:
        with self._read() as conn:
            row = conn.execute(select(schema.runs).where(schema.runs.c.id == run_id)).first()
        if row is None:
            raise NotFoundInStateError(f"no run {run_id} in {self.path}")
        return Run(**row._mapping)

    def runs(self, *, limit: int | None = None) -> list[Run]:
        """Runs, newest first."""
        with self._read() as conn:
            rows = conn.execute(select(schema.runs).order_by(schema.runs.c.id.desc()).limit(limit))
            return [Run(**r._mapping) for r in rows]

    def last_run(self) -> Run | None:
        runs = self.runs(limit=1)
        return runs[0] if runs else None

    # -- jobs --------------------------------------------------------------------------------------

    def add_job(
        self,
        run_id: int,
        job_id: str,
        name: str,
        *,
        params: Iterable[Param] = (),
        status: JobStatus = "pending",
        attempt: int = 1,
        snapshot_digest: str | None = None,
        estimated_cost: float | None = None,
        environment: Environment | None = None,
        **fields: Any,
    ) -> int:
        """Add one job attempt (with its parameters and where it runs) to a run in one transaction;
        returns the job's row id. `fields` sets any other column `update_job` can, e.g. `provider=,
        started=, log_path=`."""
        _check(status, schema.JOB_STATUSES, "job status")
        _check_job_fields("add_job", fields)
        with self._write() as conn:
            statement = schema.jobs.insert().values(
                run_id=run_id, job_id=job_id, name=name, status=status, attempt=attempt,
                snapshot_digest=snapshot_digest, estimated_cost=estimated_cost, **fields,
            )
            row = int(conn.execute(statement.returning(schema.jobs.c.id)).scalar_one())
            rows = [{"job": row, "name": p.name, "value": p.value, "target": p.target, "key": p.key}
                    for p in params]
            if rows:
                conn.execute(schema.params.insert(), rows)
            if environment is not None:
                conn.execute(schema.environments.insert().values(job=row, **_environment_values(environment)))
            return row

    def update_job(self, job_row: int, **fields: Any) -> None:
        """Set any of a job's columns (see `records.Job`), e.g. `status="running", started=t`."""
        _check_job_fields("update_job", fields)
        with self._write() as conn:
            result = conn.execute(update(schema.jobs).where(schema.jobs.c.id == job_row).values(**fields))
        if result.rowcount == 0:
            raise NotFoundInStateError(f"no job row {job_row} in {self.path}")

    def job(self, job_row: int) -> Job:
        with self._read() as conn:
            row = conn.execute(select(schema.jobs).where(schema.jobs.c.id == job_row)).first()
        if row is None:
            raise NotFoundInStateError(f"no job row {job_row} in {self.path}")
        return Job(**row._mapping)

    def jobs(self, run_id: int, *, latest_attempts: bool = False) -> list[Job]:
        """A run's jobs in insertion order; with `latest_attempts` only the last attempt of each."""
        with self._read() as conn:
            if latest_attempts:
                return self._latest_attempts(conn, run_id)
            rows = conn.execute(
                select(schema.jobs).where(schema.jobs.c.run_id == run_id).order_by(schema.jobs.c.id)
            )
            return [Job(**r._mapping) for r in rows]

    def job_duration_history(self, job_id: str, *, limit: int = 20) -> list[float]:
        """Wall seconds of the last `limit` passed runs of `job_id` (matrix suffix included), newest
        first. A job without a matrix has its name as job id."""
        j = schema.jobs.c
        with self._read() as conn:
            rows = conn.execute(
                select(j.wall_seconds)
                .where(j.job_id == job_id, j.status == "passed", j.wall_seconds.is_not(None))
                .order_by(j.id.desc())
                .limit(limit)
            )
            return [float(v) for v in rows.scalars()]

    def params(self, job_row: int) -> list[Param]:
        with self._read() as conn:
            return self._params_where(conn, [job_row]).get(job_row, [])

    def params_of_run(self, run_id: int) -> dict[int, list[Param]]:
        """Every job row of a run -> its parameters (jobs without parameters are absent)."""
        with self._read() as conn:
            rows = select(schema.jobs.c.id).where(schema.jobs.c.run_id == run_id)
            return self._params_where(conn, rows)

    # -- snapshots ---------------------------------------------------------------------------------

    def record_snapshot(self, snapshot: Snapshot) -> None:
        """Remember a snapshot; recording the same digest again keeps the first record."""
        values = {f: getattr(snapshot, f) for f in Snapshot.__dataclass_fields__}
        with self._write() as conn:
            conn.execute(sqlite_insert(schema.snapshots).values(**values).on_conflict_do_nothing())

    def snapshot(self, digest: str) -> Snapshot | None:
        with self._read() as conn:
            row = conn.execute(select(schema.snapshots).where(schema.snapshots.c.digest == digest)).first()
        return Snapshot(**row._mapping) if row else None

    # -- allocations -------------------------------------------------------------------------------

    def record_allocation_intent(
        self, provider: str, offer_id: str, token: str, tags: Mapping[str, str], *, run_id: int | None = None
    ) -> int:
        """Write the intent to allocate BEFORE calling Allocate; returns the allocation row id."""
        with self._write() as conn:
            statement = schema.allocations.insert().values(
                run_id=run_id, provider=provider, offer_id=offer_id, token=token, tags=dict(tags),
                state="intended", created=time.time(),
            )
            return int(conn.execute(statement.returning(schema.allocations.c.id)).scalar_one())

    def record_allocated(self, allocation_row: int, provider_allocation_id: str) -> None:
        """Allocate succeeded: remember the provider's id for the allocation."""
        self._set_allocation(
            allocation_row, state="allocated", provider_allocation_id=provider_allocation_id,
            allocated=time.time(),
        )

    def record_allocation_failed(self, allocation_row: int, error: str) -> None:
        """Allocate failed: nothing was reserved."""
        self._set_allocation(allocation_row, state="failed", error=error)

    def record_released(self, allocation_row: int) -> None:
        """Release returned: the allocation is gone."""
        self._set_allocation(allocation_row, state="released", released=time.time())

    def allocation(self, allocation_row: int) -> Allocation:
        with self._read() as conn:
            row = conn.execute(
                select(schema.allocations).where(schema.allocations.c.id == allocation_row)
            ).first()
        if row is None:
            raise NotFoundInStateError(f"no allocation {allocation_row} in {self.path}")
        return Allocation(**row._mapping)

    def allocations(self, *, run_id: int | None = None) -> list[Allocation]:
        """All allocations (of one run when given), oldest first."""
        a = schema.allocations.c
        query = select(schema.allocations).order_by(a.id)
        if run_id is not None:
            query = query.where(a.run_id == run_id)
        with self._read() as conn:
            return [Allocation(**r._mapping) for r in conn.execute(query)]

    def unreleased_allocations(self, *, provider: str | None = None) -> list[Allocation]:
        """Allocations intended or allocated and never released: candidates for `bh gc`."""
        a = schema.allocations.c
        query = select(schema.allocations).where(a.state.in_(_UNRELEASED_STATES)).order_by(a.id)
        if provider is not None:
            query = query.where(a.provider == provider)
        with self._read() as conn:
            return [Allocation(**r._mapping) for r in conn.execute(query)]

    # -- samples and environments ------------------------------------------------------------------

    def add_resource_samples(self, job_row: int, samples: Iterable[ResourceSample]) -> None:
        """Bulk-insert resource samples of a job (one transaction, one executemany)."""
        rows = [(job_row, s.t, s.cpu_seconds, s.memory_bytes, s.memory_peak_bytes, s.pids,
                 s.throttled_seconds, s.io_read_bytes, s.io_write_bytes, s.source, s.node) for s in samples]
        self._bulk_insert(schema.resource_samples.name, _RESOURCE_COLUMNS, rows)

    def add_result_samples(self, job_row: int, samples: Iterable[ResultSample]) -> None:
        """Bulk-insert benchmark/test result samples of a job (one transaction, one executemany)."""
        rows = [(job_row, s.benchmark, s.metric, s.unit, s.direction, s.iteration, s.value) for s in samples]
        for direction in {row[4] for row in rows}:
            _check(direction, schema.DIRECTIONS, "direction")
        self._bulk_insert(schema.result_samples.name, _RESULT_COLUMNS, rows)

    def resource_samples(self, job_row: int) -> list[ResourceSample]:
        r = schema.resource_samples.c
        columns = [r[name] for name in _RESOURCE_COLUMNS[1:]]
        with self._read() as conn:
            rows = conn.execute(select(*columns).where(r.job == job_row).order_by(r.node, r.t, r.id))
            return [ResourceSample(*row) for row in rows]

    def result_samples(self, job_row: int) -> list[ResultSample]:
        with self._read() as conn:
            return self._result_samples_where(conn, [job_row]).get(job_row, [])

    def result_samples_of_run(self, run_id: int) -> dict[int, list[ResultSample]]:
        """Every job row of a run -> its result samples in insertion order."""
        with self._read() as conn:
            rows = select(schema.jobs.c.id).where(schema.jobs.c.run_id == run_id)
            return self._result_samples_where(conn, rows)

    def set_environment(self, job_row: int, environment: Environment) -> None:
        """Record (or replace) where a job ran."""
        values = _environment_values(environment)
        statement = sqlite_insert(schema.environments).values(job=job_row, **values)
        with self._write() as conn:
            conn.execute(statement.on_conflict_do_update(index_elements=["job"], set_=values))

    def environment(self, job_row: int) -> Environment | None:
        e = schema.environments.c
        columns = [e[f] for f in Environment.__dataclass_fields__]
        with self._read() as conn:
            row = conn.execute(select(*columns).where(e.job == job_row)).first()
        return Environment(*row) if row else None

    # -- plumbing ----------------------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._writer.begin() as conn:
                yield conn
        except DBAPIError as e:
            raise self._translate(e) from e

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as e:
            raise self._translate(e) from e

    def _translate(self, error: DBAPIError) -> BenchHubError:
        reason = str(error.orig)
        if "locked" in reason or "busy" in reason:
            return StateLockedError(
                f"{self.path}: the state database stayed locked by another bh process for "
                f"{self.busy_timeout:g} s; try again when it has finished"
            )
        return BenchHubError(f"{self.path}: state database error: {reason}")

    def _bulk_insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        with self._write() as conn:
            conn.exec_driver_sql(sql, rows)

    def _set_allocation(self, allocation_row: int, **values: Any) -> None:
        with self._write() as conn:
            result = conn.execute(
                update(schema.allocations).where(schema.allocations.c.id == allocation_row).values(**values)
            )
        if result.rowcount == 0:
            raise NotFoundInStateError(f"no allocation {allocation_row} in {self.path}")

    @staticmethod
    def _latest_attempts(conn: Connection, run_id: int) -> list[Job]:
        j = schema.jobs.c
        last = (
            select(func.max(j.id)).where(j.run_id == run_id).group_by(j.job_id).scalar_subquery()
        )
        rows = conn.execute(select(schema.jobs).where(j.id.in_(last)).order_by(j.id))
        return [Job(**r._mapping) for r in rows]

    @staticmethod
    def _result_samples_where(conn: Connection, job_rows: Any) -> dict[int, list[ResultSample]]:
        r = schema.result_samples.c
        query = select(r.job, r.benchmark, r.metric, r.value, r.unit, r.direction, r.iteration).where(
            r.job.in_(job_rows)
        ).order_by(r.id)
        out: dict[int, list[ResultSample]] = {}
        for job, *fields in conn.execute(query):
            out.setdefault(job, []).append(ResultSample(*fields))
        return out

    @staticmethod
    def _params_where(conn: Connection, job_rows: Any) -> dict[int, list[Param]]:
        p = schema.params.c
        out: dict[int, list[Param]] = {}
        query = select(p.job, p.name, p.value, p.target, p.key).where(p.job.in_(job_rows)).order_by(p.id)
        for job, *fields in conn.execute(query):
            out.setdefault(job, []).append(Param(*fields))
        return out


_RESOURCE_COLUMNS = (
    "job", "t", "cpu_seconds", "memory_bytes", "memory_peak_bytes", "pids", "throttled_seconds",
    "io_read_bytes", "io_write_bytes", "source", "node",
)
_RESULT_COLUMNS = ("job", "benchmark", "metric", "unit", "direction", "iteration", "value")


def _check(value: str, allowed: Sequence[str], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; one of {', '.join(allowed)}")


def _environment_values(environment: Environment) -> dict[str, Any]:
    return {f: getattr(environment, f) for f in Environment.__dataclass_fields__}


def _check_job_fields(method: str, fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - _JOB_UPDATABLE
    if unknown:
        raise TypeError(f"{method}: not updatable: {', '.join(sorted(unknown))}")
    if "status" in fields:
        _check(fields["status"], schema.JOB_STATUSES, "job status")


def _sqlite_engine(path: Path, busy_timeout: float) -> Engine:
    engine = create_engine(
        f"sqlite+pysqlite:///{path}",
        connect_args={"timeout": busy_timeout, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" hook below emits BEGIN itself
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("bh_write") else "BEGIN")

    return engine
