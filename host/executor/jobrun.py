"""One job on one allocation: stage inputs, stream Run into the log file, collect outputs."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

from benchhub.host.errors import BenchHubError
from benchhub.host.executor.allocator import Lease
from benchhub.host.executor.artifacts import ArtifactStore, safe_name
from benchhub.host.executor.events import Event, EventSink
from benchhub.host.executor.ports import ProviderClient, Recorder, RunStream
from benchhub.host.planning.model import PlannedJob
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

STATUS_OF_EXIT = {
    pb.EXIT_STATUS_SUCCEEDED: "passed",
    pb.EXIT_STATUS_FAILED: "failed",
    pb.EXIT_STATUS_TIMED_OUT: "timed_out",
    pb.EXIT_STATUS_OOM_KILLED: "oom_killed",
    pb.EXIT_STATUS_PREEMPTED: "preempted",
    pb.EXIT_STATUS_CANCELLED: "cancelled",
    pb.EXIT_STATUS_ERROR: "error",
}


@dataclass(frozen=True)
class Attempt:
    """How one attempt ended. `status` is a state job status ("passed", "failed", "preempted" ...)."""

    status: str
    exit: pb.Exit | None
    seconds: float
    message: str = ""


class JobRunner:
    """Runs jobs of run `run_id`; `cancel_all()` (any thread) ends every Run stream in progress."""

    def __init__(
        self,
        run_id: str,
        clients: dict[str, ProviderClient],
        recorder: Recorder,
        artifacts: ArtifactStore,
        logs: Path,
        cancelled: threading.Event,
        emit: EventSink,
    ) -> None:
        self._run_id = run_id
        self._emit = emit
        self._clients = clients
        self._recorder = recorder
        self._artifacts = artifacts
        self._logs = logs
        self._cancelled = cancelled
        self._streams: dict[str, RunStream] = {}
        self._lock = threading.Lock()

    def log_path(self, job_id: str) -> Path:
        return self._logs / f"{safe_name(job_id)}.log"

    def run(self, job: PlannedJob, lease: Lease, attempt: int, row: int) -> Attempt:
        """Run `job` on `lease` (its state row is `row`); never raises for the job's own failures."""
        started = time.monotonic()
        client = self._clients[lease.provider]
        try:
            message = job_pb2.Job()
            message.CopyFrom(job.job)
            message.inputs.extend(self._artifacts.inputs(job.inputs))
            exit_ = self._stream(client, lease, message, row, attempt)
            if exit_ is None:
                status, text = (
                    ("cancelled", "interrupted")
                    if self._cancelled.is_set()
                    else ("error", "the provider ended Run without an exit status")
                )
                return Attempt(status, None, time.monotonic() - started, text)
            status = STATUS_OF_EXIT.get(exit_.status, "error")
            if job.job.outputs and status in ("passed", "failed"):
                chunks = client.collect(lease.allocation.id, job.id, list(job.job.outputs))
                self._artifacts.receive(job.id, chunks)
            if job.framework and status in ("passed", "failed"):
                self._recorder.job_results(
                    row,
                    job.framework,
                    job.framework_attrs,
                    self.log_path(job.id),
                    self._artifacts.root / safe_name(job.id),
                    exit_.exit_code,
                )
            return Attempt(status, exit_, time.monotonic() - started, exit_.message)
        except BenchHubError as exc:
            status = "cancelled" if self._cancelled.is_set() else "error"
            return Attempt(status, None, time.monotonic() - started, str(exc))

    def _stream(
        self, client: ProviderClient, lease: Lease, message: job_pb2.Job, row: int, attempt: int
    ) -> pb.Exit | None:
        key = f"{message.id}#{attempt}"
        stream = client.run(lease.allocation.id, message)
        with self._lock:
            self._streams[key] = stream
        if self._cancelled.is_set():
            stream.cancel()
        exit_: pb.Exit | None = None
        try:
            with self.log_path(message.id).open("ab") as log:
                for event in stream:
                    kind = event.WhichOneof("event")
                    if kind == "log":
                        log.write(event.log.data)
                        log.flush()
                    elif kind == "status":
                        log.write(self._status(message.id, event.status).encode())
                        log.flush()
                    elif kind == "sample":
                        self._recorder.job_sample(row, event.sample)
                    elif kind == "exit":
                        exit_ = event.exit
        except BenchHubError:
            if not self._cancelled.is_set():
                raise
        finally:
            with self._lock:
                self._streams.pop(key, None)
        return exit_

    def _status(self, job_id: str, change: pb.StatusChange) -> str:
        """Tell what the provider says about the job (a `job.status` event); its log line."""
        status = pb.JobStatus.Name(change.status).removeprefix("JOB_STATUS_").lower()
        fields = {"run": self._run_id, "job": job_id, "status": status, "message": change.message}
        self._emit(Event("job.status", fields))
        return f"[bh] {status}: {change.message}\n"

    def cancel_all(self) -> None:
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            stream.cancel()
