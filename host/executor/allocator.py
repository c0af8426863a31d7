"""Allocations: intent recorded before Allocate, failover down the ranked offers, always released.

Every Allocate carries an idempotency token and the run's tags, so an allocation whose answer was
lost (a cancelled or broken call) is still found by `ListAllocations` and released. An offer that
failed is remembered for the rest of the run; a provider that refused our credentials is skipped.

A job of n nodes gets n allocations of one offer, each with its own token and a `benchhub:node`
tag; when one of them fails, those made are released and the next offer is tried for all n.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from benchhub.host.errors import BenchHubError
from benchhub.host.executor.events import Event
from benchhub.host.executor.pools import OwnShares, Share
from benchhub.host.executor.ports import AllocateCall, ProviderClient, Recorder
from benchhub.host.planning.model import Choice, PlannedJob
from benchhub.proto.provider.v1 import provider_pb2 as pb

TAG_MANAGED = "benchhub:managed"
TAG_RUN = "benchhub:run"
TAG_JOB = "benchhub:job"
TAG_TOKEN = "benchhub:token"
TAG_PROJECT = "benchhub:project"
TAG_NODE = "benchhub:node"


WAIT_FOR_CAPACITY = "wait for capacity"


class Cancelled(BenchHubError):
    """The run was interrupted."""


class NoOfferLeft(BenchHubError):
    """Every offer of a job failed to allocate."""


def error_reason(exc: BaseException) -> str:
    """The provider's ErrorDetail reason of a failed call ("capacity", "auth" ...), else "error"."""
    reason = getattr(exc, "reason", None)
    names: dict[int, str] = {value: name for name, value in pb.ErrorDetail.Reason.items()}
    name = names.get(reason, "REASON_UNSPECIFIED") if isinstance(reason, int) else "REASON_UNSPECIFIED"
    return "error" if name == "REASON_UNSPECIFIED" else name.removeprefix("REASON_").lower()


@dataclass
class Lease:
    """An allocation held for one job, or shared by the jobs of one packing group."""

    provider: str
    choice: Choice
    allocation: pb.Allocation
    row: int
    share: Share | None = None
    since: float = field(default_factory=time.monotonic)
    users: int = 0


class Allocator:
    def __init__(
        self,
        clients: Mapping[str, ProviderClient],
        recorder: Recorder,
        tags: Mapping[str, str],
        emit: Callable[[Event], None],
        cancelled: threading.Event,
        group_sizes: Counter[str],
    ) -> None:
        self._clients = clients
        self._recorder = recorder
        self._tags = dict(tags)
        self._emit = emit
        self._cancelled = cancelled
        self._lock = threading.Lock()
        self._freed = threading.Condition()
        self._releases = 0
        self._shares = OwnShares()
        self._failed: set[tuple[str, str]] = set()
        self._dead: dict[str, str] = {}
        self._live: dict[int, Lease] = {}
        self._groups: dict[str, Lease] = {}
        self._group_left = Counter(group_sizes)
        self._group_locks: dict[str, threading.Lock] = {g: threading.Lock() for g in group_sizes}
        self._broken: set[str] = set()
        self._calls: set[AllocateCall] = set()
        self._gangs = threading.Lock()

    def acquire(self, job: PlannedJob, choices: Sequence[Choice], attempt: int) -> list[Lease]:
        """The allocations of `job`, one per node: its packing group's, else those of the first of
        `choices` that works."""
        if job.group and attempt == 1:
            with self._group_locks[job.group]:
                lease = self._groups.get(job.group)
                if lease is None and job.group not in self._broken:
                    try:
                        (lease,) = self._allocate(job, choices[:1], attempt, 1)
                        self._groups[job.group] = lease
                    except NoOfferLeft:
                        self._broken.add(job.group)
                if lease is not None:
                    lease.users += 1
                    return [lease]
            choices = choices[1:]
        nodes = max(1, job.job.resources.nodes)
        if nodes == 1:
            leases = self._allocate(job, choices, attempt, 1)
        else:
            with self._gangs:  # one multi-node job at a time: two half-made ones never wait for each other
                leases = self._allocate(job, choices, attempt, nodes)
        for lease in leases:
            lease.users = 1
        return leases

    def _allocate(self, job: PlannedJob, choices: Sequence[Choice], attempt: int, nodes: int) -> list[Lease]:
        errors: list[str] = []
        for choice in choices:
            key = (choice.provider, choice.offer.id)
            with self._lock:
                skip = key in self._failed or choice.provider in self._dead
            if skip:
                continue
            if self._cancelled.is_set():
                raise Cancelled("interrupted")
            leases = self._allocate_on(job, choice, attempt, nodes, errors)
            if leases:
                return leases
        if self._cancelled.is_set():
            raise Cancelled("interrupted")
        detail = "; ".join(errors) or "every offer had failed earlier in this run"
        raise NoOfferLeft(f"no offer could be allocated: {detail}")

    def _allocate_on(
        self, job: PlannedJob, choice: Choice, attempt: int, nodes: int, errors: list[str]
    ) -> list[Lease]:
        """`nodes` allocations of `choice`, or none (those made are released when one fails)."""
        made: list[Lease] = []
        try:
            for node in range(nodes):
                lease = self._try_pooled(job, choice, attempt, errors, node if nodes > 1 else None)
                if lease is None:
                    break
                made.append(lease)
        finally:
            if len(made) < nodes:
                for lease in made:
                    self._release(lease)
        return made if len(made) == nodes else []

    def _try_pooled(
        self, job: PlannedJob, choice: Choice, attempt: int, errors: list[str], node: int | None
    ) -> Lease | None:
        """`_try`, first waiting while our own allocations fill a pooled offer."""
        while True:
            releases = self._releases
            share = None
            if choice.offer.shareable:
                with self._lock:
                    share = self._shares.take(
                        (choice.provider, choice.offer.id), choice.offer.resources, choice.reserve
                    )
                if share is None:
                    self._wait_for_release(releases)
                    continue
            lease: Lease | str | None = None
            try:
                lease = self._try(job, choice, attempt, errors, share, node)
            finally:
                if share is not None and not isinstance(lease, Lease):  # failed, waits, or raised
                    self._give_back(share)
            if lease != WAIT_FOR_CAPACITY:
                return lease if isinstance(lease, Lease) else None
            self._wait_for_release(releases)

    def _try(
        self,
        job: PlannedJob,
        choice: Choice,
        attempt: int,
        errors: list[str],
        share: Share | None,
        node: int | None,
    ) -> Lease | str | None:
        """The lease (holding `share`) of `node` of a multi-node job or of a one-node job (None), or
        None when the offer failed, or WAIT_FOR_CAPACITY when the offer is a pool (local, docker)
        that our own running jobs fill: a release of theirs makes room. Unless a lease holds it, the
        caller gives `share` back."""
        client = self._clients[choice.provider]
        token = uuid.uuid4().hex
        tags = {**self._tags, TAG_JOB: job.id, TAG_TOKEN: token}
        if node is not None:
            tags[TAG_NODE] = str(node)
        row = self._recorder.allocation_intended(choice.provider, choice.offer.id, token, tags)
        where = {
            "run": self._tags.get(TAG_RUN),
            "job": job.id,
            "provider": choice.provider,
            "offer": choice.offer.id,
            "attempt": attempt,
        }
        self._emit(Event("job.allocating", where))
        key = (choice.provider, choice.offer.id)
        try:
            allocation = self._call(client.start_allocate(choice.offer.id, token, tags, choice.reserve))
        except BenchHubError as exc:
            reason = error_reason(exc)
            if share is not None:
                self._give_back(share)
            with self._lock:
                ours = self._shares.holding(key)  # our other jobs hold (or are getting) part of it
            interrupted = self._cancelled.is_set()
            if not self._reap(client, token, row):
                self._recorder.allocation_failed(row, "interrupted" if interrupted else str(exc))
            if interrupted:
                raise Cancelled("interrupted") from None
            if reason == "capacity" and choice.offer.shareable and ours:
                return WAIT_FOR_CAPACITY
            with self._lock:
                self._failed.add((choice.provider, choice.offer.id))
                if reason == "auth":
                    self._dead[choice.provider] = str(exc)
            errors.append(f"{choice.provider}/{choice.offer.id}: {exc}")
            self._emit(Event("allocation.failed", {**where, "reason": reason, "message": str(exc)}))
            return None
        lease = Lease(choice.provider, choice, allocation, row, share)
        with self._lock:
            self._live[row] = lease
        try:
            self._recorder.allocation_made(row, allocation.id)
        except BaseException:
            self._release(lease)
            raise
        if self._cancelled.is_set():
            self._release(lease)
            raise Cancelled("interrupted")
        return lease

    def _call(self, call: AllocateCall) -> pb.Allocation:
        """The call's allocation; `interrupt()` cancels it meanwhile."""
        with self._lock:
            self._calls.add(call)
        try:
            if self._cancelled.is_set():  # interrupted before the call was registered
                call.cancel()
            return call.result()
        finally:
            with self._lock:
                self._calls.discard(call)

    def _give_back(self, share: Share) -> None:
        """`share` of a pool is free again (once, however often called): wake who waits for room."""
        with self._lock:
            freed = self._shares.give_back(share)
        if freed:
            self._room_made()

    def _room_made(self) -> None:
        with self._freed:
            self._releases += 1
            self._freed.notify_all()

    def _wait_for_release(self, seen: int) -> None:
        """Until a release after the `seen`-th one (or an interruption)."""
        with self._freed:
            self._freed.wait_for(lambda: self._releases > seen or self._cancelled.is_set(), timeout=5.0)
        if self._cancelled.is_set():
            raise Cancelled("interrupted")

    def interrupt(self) -> None:
        """Cancel the Allocate calls in flight and wake allocations waiting for capacity: each then
        sees the interruption (what a cancelled call made is found by its token and released)."""
        with self._lock:
            calls = list(self._calls)
        for call in calls:
            call.cancel()
        with self._freed:
            self._freed.notify_all()

    def _reap(self, client: ProviderClient, token: str, row: int) -> bool:
        """Release whatever a failed or cancelled Allocate may still have made; True (and the state
        row says made and released) when there was something."""
        try:
            found = client.list_allocations({TAG_TOKEN: token})
            for allocation in found:
                client.release(allocation.id)
        except BenchHubError:
            return False  # the provider is gone; `bh gc` finds the allocation by its tags later
        for allocation in found[:1]:  # one token, one allocation
            self._recorder.allocation_made(row, allocation.id)
            self._recorder.allocation_released(row)
        return bool(found)

    def done(self, job: PlannedJob, lease: Lease) -> None:
        """`job` no longer uses `lease`; the allocation is released when nobody else will."""
        with self._lock:
            lease.users -= 1
            shared = job.group and self._groups.get(job.group) is lease
            if shared:
                self._group_left[job.group] -= 1
            keep = shared and (lease.users > 0 or self._group_left[job.group] > 0)
        if not keep:
            self._release(lease)

    def lost(self, job: PlannedJob, lease: Lease) -> None:
        """`lease` was preempted: no job of its packing group starts on it any more."""
        with self._lock:
            if job.group and self._groups.get(job.group) is lease:
                del self._groups[job.group]
                self._broken.add(job.group)

    def not_run(self, job: PlannedJob) -> None:
        """`job` will never start (skipped, cancelled); its group's allocation may go."""
        if not job.group:
            return
        with self._lock:
            self._group_left[job.group] -= 1
            lease = self._groups.get(job.group)
            idle = lease is not None and lease.users == 0 and self._group_left[job.group] <= 0
        if idle and lease is not None:
            self._release(lease)

    def _release(self, lease: Lease) -> None:
        with self._lock:
            if self._live.pop(lease.row, None) is None:
                return
            if lease.share is not None:
                self._shares.give_back(lease.share)
        try:
            self._clients[lease.provider].release(lease.allocation.id)
        except BenchHubError as exc:
            self._emit(
                Event(
                    "error",
                    {
                        "message": f"release of {lease.allocation.id} on "
                        f"{lease.provider} failed ({exc}); `bh gc` will retry"
                    },
                )
            )
            return
        finally:
            self._room_made()  # whatever happened, who waits for room looks again
        self._recorder.allocation_released(lease.row)

    def release_all(self) -> None:
        """Release every allocation still held (on interruption or at the end of a run)."""
        with self._lock:
            leases = list(self._live.values())
        for lease in leases:
            self._release(lease)
