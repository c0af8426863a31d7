"""One job on its allocation: stage inputs, stream Run into the log file, collect outputs.

A job of n nodes runs once on each of its n allocations, at the same time, with `BH_NODE_INDEX`
(0 .. n-1), `BH_NODES` (n) and `BH_PEERS` (the nodes' hosts, comma-separated, in node order: the
allocation's `host` or `hostname` metadata, else "localhost") in its environment. It passes when
every node exits 0; every node's resource samples are recorded (with its index); node 0 writes the
job's log and results, and its outputs are collected; node i's log is `<job>.node<i>.log` beside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
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
        self._streams: dict[str, RunStream] = {}  # "<job>#<attempt>#<node>" -> its Run
        self._stopped: set[str] = set()  # "<job>#<attempt>#" of multi-node attempts whose nodes were stopped
        self._lock = threading.Lock()

    def log_path(self, job_id: str, node: int = 0) -> Path:
        return node_log(self._logs / f"{safe_name(job_id)}.log", node)

    def run(self, job: PlannedJob, leases: Sequence[Lease], attempt: int, row: int) -> Attempt:
        """Run `job` on `leases`, one per node (its state row is `row`); never raises for the job's
        own failures."""
        started = time.monotonic()
        lease = leases[0]
        client = self._clients[lease.provider]
        try:
            message = job_pb2.Job()
            message.CopyFrom(job.job)
            message.inputs.extend(self._artifacts.inputs(job.inputs))
            exits = self._run_nodes(leases, message, row, attempt)
            ended = _combined(exits)
            if ended is None:
                status, text = (
                    ("cancelled", "interrupted")
                    if self._cancelled.is_set()
                    else ("error", "the provider ended Run without an exit status")
                )
                return Attempt(status, None, time.monotonic() - started, text)
            status, exit_ = ended
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

    def _run_nodes(
        self, leases: Sequence[Lease], message: job_pb2.Job, row: int, attempt: int
    ) -> list[pb.Exit | None]:
        """Each node's exit (None when its Run ended without one); node 0 runs in this thread. When
        one node fails, the others are stopped (their exit is then None)."""
        if len(leases) == 1:
            return [self._stream(leases[0], message, row, attempt, 0)]
        peers = ",".join(_host_of(lease.allocation) for lease in leases)
        nodes = []
        for node in range(len(leases)):
            one = job_pb2.Job()
            one.CopyFrom(message)
            one.env.update(BH_NODE_INDEX=str(node), BH_NODES=str(len(leases)), BH_PEERS=peers)
            nodes.append(one)
        with ThreadPoolExecutor(len(leases) - 1, thread_name_prefix=f"bh-node-{message.id}") as pool:
            others = [
                pool.submit(self._node, lease, nodes[node], row, attempt, node)
                for node, lease in enumerate(leases[1:], 1)
            ]
            first = self._node(leases[0], nodes[0], row, attempt, 0)
            return [first, *(future.result() for future in others)]

    def _node(self, lease: Lease, message: job_pb2.Job, row: int, attempt: int, node: int) -> pb.Exit | None:
        """`_stream` of one node of several; when it fails, the other nodes are stopped."""
        try:
            exit_ = self._stream(lease, message, row, attempt, node)
        except BaseException:
            self._stop_nodes(message.id, attempt)
            raise
        if exit_ is not None and exit_.status != pb.EXIT_STATUS_SUCCEEDED:
            self._stop_nodes(message.id, attempt)
        return exit_

    def _stop_nodes(self, job_id: str, attempt: int) -> None:
        prefix = f"{job_id}#{attempt}#"
        with self._lock:
            streams = [s for key, s in self._streams.items() if key.startswith(prefix)]
            self._stopped.add(prefix)
        for stream in streams:
            stream.cancel()

    def _stream(
        self, lease: Lease, message: job_pb2.Job, row: int, attempt: int, node: int
    ) -> pb.Exit | None:
        """Run `message` on `lease` into node `node`'s log, recording its samples; node 0's status
        changes are also the job's."""
        key = f"{message.id}#{attempt}#{node}"
        stream = self._clients[lease.provider].run(lease.allocation.id, message)
        with self._lock:
            self._streams[key] = stream
        if self._cancelled.is_set():
            stream.cancel()
        exit_: pb.Exit | None = None
        try:
            with self.log_path(message.id, node).open("ab") as log:
                for event in stream:
                    kind = event.WhichOneof("event")
                    if kind == "log":
                        log.write(event.log.data)
                        log.flush()
                    elif kind == "status":
                        log.write(self._status(message.id, event.status, node).encode())
                        log.flush()
                    elif kind == "sample":
                        self._recorder.job_sample(row, event.sample, node)
                    elif kind == "exit":
                        exit_ = event.exit
        except BenchHubError:
            with self._lock:
                stopped = key.rsplit("#", 1)[0] + "#" in self._stopped
            if not (self._cancelled.is_set() or stopped):
                raise
        finally:
            with self._lock:
                self._streams.pop(key, None)
        return exit_

    def _status(self, job_id: str, change: pb.StatusChange, node: int) -> str:
        """Tell what the provider says about the job (node 0's as a `job.status` event); its log line."""
        status = pb.JobStatus.Name(change.status).removeprefix("JOB_STATUS_").lower()
        if node == 0:
            fields = {"run": self._run_id, "job": job_id, "status": status, "message": change.message}
            self._emit(Event("job.status", fields))
        return f"[bh] {status}: {change.message}\n"

    def cancel_all(self) -> None:
        with self._lock:
            streams = list(self._streams.values())
        for stream in streams:
            stream.cancel()


def node_log(log: Path, node: int) -> Path:
    """Node `node`'s log of the job whose log (node 0's) is `log`."""
    return log.with_suffix(f".node{node}.log") if node else log


def _host_of(allocation: pb.Allocation) -> str:
    return allocation.metadata.get("host") or allocation.metadata.get("hostname") or "localhost"


def _combined(exits: Sequence[pb.Exit | None]) -> tuple[str, pb.Exit] | None:
    """The job's status and exit from its nodes': the first node's that did not pass (its message
    saying which node when there are several), else passed; None when a node has no exit and none
    failed."""
    for node, exit_ in enumerate(exits):
        status = STATUS_OF_EXIT.get(exit_.status, "error") if exit_ is not None else "passed"
        if exit_ is not None and status != "passed":
            if len(exits) > 1:
                told = pb.Exit()
                told.CopyFrom(exit_)
                told.message = f"node {node}: {exit_.message or status}"
                return status, told
            return status, exit_
    first = exits[0]
    return None if first is None or None in exits else ("passed", first)
