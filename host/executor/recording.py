"""`StateRecorder`: the executor's record of one run, written through the state API."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from benchhub.host.results.environment import environment_of
from benchhub.host.state import JobStatus, Param, ResourceSample, State
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

_TARGETS = {
    job_pb2.Parameter.TARGET_ARGUMENT: "argument",
    job_pb2.Parameter.TARGET_ENV: "env",
    job_pb2.Parameter.TARGET_CONFIG_FILE: "config_file",
    job_pb2.Parameter.TARGET_SYSTEM: "system",
}


def base_name(job: job_pb2.Job) -> str:
    """The job-file name of a matrix-expanded job: `sort` for `sort[size=10]`."""
    return job.name.split("[", 1)[0]


def params_of(job: job_pb2.Job) -> list[Param]:
    params = []
    for p in job.parameters:
        kind = p.value.WhichOneof("kind")
        value = getattr(p.value, kind) if kind else ""
        params.append(Param(p.name, value, _TARGETS.get(p.target, ""), p.key))
    return params


class StateRecorder:
    """Implements `ports.Recorder` for run `run_id`; resource samples are written once per job."""

    def __init__(self, state: State, run_id: int) -> None:
        self._state = state
        self._run = run_id
        self._samples: dict[int, list[ResourceSample]] = {}
        self._lock = threading.Lock()

    def allocation_intended(self, provider: str, offer_id: str, token: str, tags: Mapping[str, str]) -> int:
        return self._state.record_allocation_intent(provider, offer_id, token, tags, run_id=self._run)

    def allocation_made(self, row: int, provider_allocation_id: str) -> None:
        self._state.record_allocated(row, provider_allocation_id)

    def allocation_failed(self, row: int, error: str) -> None:
        self._state.record_allocation_failed(row, error)

    def allocation_released(self, row: int) -> None:
        self._state.record_released(row)

    def job_started(
        self,
        job: job_pb2.Job,
        attempt: int,
        allocation_row: int,
        offer: pb.Offer,
        provider: str,
        allocation: pb.Allocation,
        estimated_cost: float,
        log_path: str,
        snapshot_digest: str,
    ) -> int:
        return self._state.add_job(
            self._run,
            job.id,
            base_name(job),
            params=params_of(job),
            status="running",
            attempt=attempt,
            snapshot_digest=snapshot_digest or None,
            estimated_cost=estimated_cost,
            environment=environment_of(provider, allocation),
            provider=provider,
            offer_id=offer.id,
            instance_type=offer.instance_type,
            region=offer.region,
            price_per_hour=offer.price_per_hour.amount,
            currency=offer.price_per_hour.currency or None,
            started=time.time(),
            log_path=log_path,
            allocation_id=allocation_row,
        )

    def job_sample(self, row: int, sample: pb.ResourceSample, node: int = 0) -> None:
        record = ResourceSample(
            t=time.time(),
            cpu_seconds=sample.cpu_seconds,
            memory_bytes=sample.memory_bytes,
            memory_peak_bytes=sample.memory_peak_bytes,
            pids=sample.pids if sample.HasField("pids") else None,
            throttled_seconds=sample.cpu_throttled_seconds
            if sample.HasField("cpu_throttled_seconds")
            else None,
            io_read_bytes=sample.io_read_bytes if sample.HasField("io_read_bytes") else None,
            io_write_bytes=sample.io_write_bytes if sample.HasField("io_write_bytes") else None,
            source=sample.source,
            node=node,
        )
        with self._lock:
            self._samples.setdefault(row, []).append(record)

    def job_finished(
        self, row: int, status: str, exit: pb.Exit | None, actual_cost: float | None, error: str | None
    ) -> None:
        with self._lock:
            samples = self._samples.pop(row, [])
        self._state.add_resource_samples(row, samples)
        fields: dict[str, object] = {
            "status": status,
            "finished": time.time(),
            "actual_cost": actual_cost,
            "error": error,
        }
        if exit is not None:
            fields.update(
                exit_code=exit.exit_code,
                wall_seconds=exit.wall_seconds,
                user_seconds=exit.user_seconds,
                sys_seconds=exit.sys_seconds,
                cpu_seconds=exit.user_seconds + exit.sys_seconds,
                peak_memory_bytes=exit.peak_memory_bytes or None,
            )
        self._state.update_job(row, **fields)

    def job_not_run(self, job: job_pb2.Job, status: str, reason: str) -> None:
        self._state.add_job(
            self._run,
            job.id,
            base_name(job),
            params=params_of(job),
            status=cast(JobStatus, status),
            error=reason,
        )

    def job_results(
        self,
        row: int,
        framework: str,
        attrs: Mapping[str, Any],
        log_path: Path,
        outputs_dir: Path,
        exit_code: int,
    ) -> None:
        from benchhub.host.results import ingest

        ingest(self._state, row, framework, attrs, log_path, outputs_dir, exit_code)
