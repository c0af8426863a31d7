"""The allocations a provider holds: idempotency tokens, tags, capacity, idempotent release.

Provider-neutral. Typical Allocate::

    with ledger.claim(request, resources, wait_seconds=60) as claim:
        if claim.existing:                       # same idempotency token as before
            yield pb.AllocateEvent(allocation=claim.existing.allocation)
            return
        yield pb.AllocateEvent(progress=pb.AllocateProgress(message="starting"))
        handle = start_the_thing(claim.allocation)   # fill claim.allocation.metadata etc. as you go
        held = claim.commit(handle)
    yield pb.AllocateEvent(allocation=held.allocation)

Leaving the ``with`` block without ``commit`` (an error) returns the capacity and forgets the token.
Release::

    held = ledger.release(request.allocation_id)  # None when unknown or already released
    if held: stop_the_thing(held.handle)
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Mapping
from types import TracebackType
from typing import Generic, TypeVar

from google.protobuf import timestamp_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk.capacity import CapacityPool
from benchhub.providers.sdk.errors import NotFoundError

H = TypeVar("H")


@dataclasses.dataclass
class Held(Generic[H]):
    """One live allocation and the provider's own handle on it (a temp dir, a container, an instance)."""

    allocation: pb.Allocation
    handle: H


class Claim(Generic[H]):
    """An Allocate in progress, holding its token's lock and (unless `existing`) its capacity."""

    def __init__(
        self,
        ledger: AllocationLedger[H],
        existing: Held[H] | None,
        allocation: pb.Allocation,
        token_lock: threading.Lock,
    ) -> None:
        self.ledger, self.existing, self.allocation = ledger, existing, allocation
        self._committed = existing is not None
        self._token_lock = token_lock

    def commit(self, handle: H) -> Held[H]:
        """Record the allocation as READY with the provider's handle."""
        self.allocation.state = pb.Allocation.STATE_READY
        held = Held(self.allocation, handle)
        self.ledger._record(held)
        self._committed = True
        return held

    def __enter__(self) -> Claim[H]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self._committed and self.ledger.capacity is not None:
            self.ledger.capacity.release(self.allocation.resources)
        self._token_lock.release()


class AllocationLedger(Generic[H]):
    """Thread-safe record of a provider's allocations.

    `capacity` (optional) is the pool Allocate reserves from; without it nothing is counted (clouds).
    """

    def __init__(self, capacity: job_pb2.Resources | None = None, id_prefix: str = "alloc-") -> None:
        self.capacity = CapacityPool(capacity) if capacity is not None else None
        self.id_prefix = id_prefix
        self._held: dict[str, Held[H]] = {}
        self._by_token: dict[str, str] = {}
        self._lock = threading.Lock()
        self._token_locks: dict[str, threading.Lock] = {}

    def claim(
        self, request: pb.AllocateRequest, resources: job_pb2.Resources, *, wait_seconds: float = 0.0
    ) -> Claim[H]:
        """Start an Allocate. Same token as a live allocation: `Claim.existing` is it, nothing reserved.

        Otherwise reserve `resources` (waiting up to `wait_seconds`, then CapacityError) and return a
        claim whose `allocation` has id, offer, token, tags, resources and created_at filled in.
        """
        token = request.idempotency_token
        with self._lock:
            token_lock = self._token_locks.setdefault(token, threading.Lock()) if token else threading.Lock()
        token_lock.acquire()
        try:
            existing = self._existing(token)
            allocation = pb.Allocation(
                id=f"{self.id_prefix}{uuid.uuid4().hex[:12]}",
                offer_id=request.offer_id,
                idempotency_token=token,
                tags=request.tags,
                resources=resources,
                state=pb.Allocation.STATE_PENDING,
                created_at=timestamp_pb2.Timestamp(),
            )
            allocation.created_at.GetCurrentTime()
            if existing is None and self.capacity is not None:
                self.capacity.acquire(resources, wait_seconds)
        except BaseException:
            token_lock.release()
            raise
        return Claim(self, existing, allocation, token_lock)

    def get(self, allocation_id: str) -> Held[H]:
        """The live allocation, or NotFoundError."""
        with self._lock:
            held = self._held.get(allocation_id)
        if held is None:
            raise NotFoundError(f"no allocation {allocation_id!r} (never made or already released)")
        return held

    def release(self, allocation_id: str) -> Held[H] | None:
        """Forget the allocation and return its capacity; None when unknown or already released."""
        with self._lock:
            held = self._held.pop(allocation_id, None)
            if held is None:
                return None
            self._by_token.pop(held.allocation.idempotency_token, None)
            self._token_locks.pop(held.allocation.idempotency_token, None)
        if self.capacity is not None:
            self.capacity.release(held.allocation.resources)
        held.allocation.state = pb.Allocation.STATE_RELEASED
        return held

    def list_by_tags(self, tags: Mapping[str, str] | None = None) -> list[pb.Allocation]:
        """Live allocations carrying all of `tags` (all of them when `tags` is empty)."""
        wanted = dict(tags or {})
        with self._lock:
            return [
                h.allocation
                for h in self._held.values()
                if all(h.allocation.tags.get(k) == v for k, v in wanted.items())
            ]

    def everything(self) -> list[Held[H]]:
        with self._lock:
            return list(self._held.values())

    def _existing(self, token: str) -> Held[H] | None:
        with self._lock:
            allocation_id = self._by_token.get(token) if token else None
            return self._held.get(allocation_id) if allocation_id else None

    def _record(self, held: Held[H]) -> None:
        with self._lock:
            self._held[held.allocation.id] = held
            if held.allocation.idempotency_token:
                self._by_token[held.allocation.idempotency_token] = held.allocation.id
