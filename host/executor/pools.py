"""Our own share of pooled offers (local, docker: one machine that many allocations split).

Before asking a provider for part of a pool, the executor checks that its own allocations leave
room; if not it waits for one of them to be released instead of asking (and failing) in a loop.
Each share taken is its own object, so giving one back twice (a failure path and a cleanup path)
never gives back another job's equal share.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchhub.proto.job.v1 import job_pb2

OfferKey = tuple[str, str]
_DIMENSIONS = ("cpu", "memory_bytes", "gpu")


@dataclass(eq=False)
class Share:
    """Part of a pool counted as ours; compared by identity."""

    key: OfferKey
    resources: job_pb2.Resources


class OwnShares:
    """Not thread-safe: the allocator calls it under its lock."""

    def __init__(self) -> None:
        self._held: dict[OfferKey, list[Share]] = {}

    def take(self, key: OfferKey, pool: job_pb2.Resources, want: job_pb2.Resources) -> Share | None:
        """Count `want` as ours when it fits next to what we hold (always when we hold nothing)."""
        held = self._held.setdefault(key, [])
        for dim in _DIMENSIONS:
            total = getattr(pool, dim)
            used = sum(getattr(share.resources, dim) for share in held)
            if held and total and used + getattr(want, dim) > total + 1e-9:
                return None
        share = Share(key, want)
        held.append(share)
        return share

    def give_back(self, share: Share) -> bool:
        """True when `share` was still held (it is not any more)."""
        held = self._held.get(share.key, [])
        if share in held:
            held.remove(share)
            return True
        return False

    def holding(self, key: OfferKey) -> bool:
        return bool(self._held.get(key))
