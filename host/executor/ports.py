"""What the executor needs from a provider client and from the state store (typed protocols)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb


class RunStream(Protocol):
    """A Run call in progress: iterate its events; `cancel()` from another thread ends it."""

    def __iter__(self) -> Iterator[pb.RunEvent]: ...

    def cancel(self) -> None: ...


class AllocateCall(Protocol):
    """An Allocate in progress: `result()` waits for it; `cancel()` from another thread ends it
    (`result()` then raises a BenchHubError)."""

    def result(self) -> pb.Allocation: ...

    def cancel(self) -> None: ...


class ProviderClient(Protocol):
    def start_allocate(
        self, offer_id: str, token: str, tags: Mapping[str, str], resources: job_pb2.Resources
    ) -> AllocateCall: ...

    def run(self, allocation_id: str, job: job_pb2.Job) -> RunStream: ...

    def collect(
        self, allocation_id: str, job_id: str, outputs: Iterable[job_pb2.Output]
    ) -> Iterable[pb.CollectChunk]: ...

    def release(self, allocation_id: str) -> bool: ...

    def list_allocations(self, tags: Mapping[str, str]) -> list[pb.Allocation]: ...


class Recorder(Protocol):
    """The run's record in state. Allocation rows follow intent -> allocated|failed -> released."""

    def allocation_intended(
        self, provider: str, offer_id: str, token: str, tags: Mapping[str, str]
    ) -> int: ...

    def allocation_made(self, row: int, provider_allocation_id: str) -> None: ...

    def allocation_failed(self, row: int, error: str) -> None: ...

    def allocation_released(self, row: int) -> None: ...

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
        """The job's row, with where it runs (the allocation's facts, kept beside its results)."""

    def job_sample(self, row: int, sample: pb.ResourceSample, node: int = 0) -> None: ...

    def job_finished(
        self, row: int, status: str, exit: pb.Exit | None, actual_cost: float | None, error: str | None
    ) -> None: ...

    def job_not_run(self, job: job_pb2.Job, status: str, reason: str) -> None: ...

    def job_results(
        self,
        row: int,
        framework: str,
        attrs: Mapping[str, Any],
        log_path: Path,
        outputs_dir: Path,
        exit_code: int,
    ) -> None:
        """Parse and store the job's results (BenchHubError when its output is unusable)."""
