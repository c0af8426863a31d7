"""Our own share of pooled offers (local, docker: one machine that many allocations split).

Before asking a provider for part of a pool, the executor checks that its own allocations leave
room; if not it waits for one of them to be released instead of asking (and failing) in a loop.
"""

from __future__ import annotations

from benchhub.proto.job.v1 import job_pb2

OfferKey = tuple[str, str]
_DIMENSIONS = ("cpu", "memory_bytes", "gpu")


class OwnShares:
    """Not thread-safe: the allocator calls it under its lock."""

    def __init__(self) -> None:
        self._held: dict[OfferKey, list[job_pb2.Resources]] = {}

    def take(self, key: OfferKey, pool: job_pb2.Resources, want: job_pb2.Resources) -> bool:
        """Count `want` as ours when it fits next to what we hold (always when we hold nothing)."""
        held = self._held.setdefault(key, [])
        for dim in _DIMENSIONS:
            total = getattr(pool, dim)
            if held and total and sum(getattr(r, dim) for r in held) + getattr(want, dim) > total + 1e-9:
                return False
        held.append(want)
        return True

    def give_back(self, key: OfferKey, want: job_pb2.Resources) -> None:
        held = self._held.get(key, [])
        if want in held:
            held.remove(want)

    def holding(self, key: OfferKey) -> bool:
        return bool(self._held.get(key))
