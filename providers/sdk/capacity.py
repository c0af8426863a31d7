"""Capacity accounting: a pool of cores, memory and GPUs that reservations take from and give back.

Provider-neutral: the local provider pools this machine's share, the docker provider the daemon's,
and one allocation pools its own resources among the jobs that run in it at the same time.
"""

from __future__ import annotations

import threading
import time

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.sdk.errors import CapacityError, InvalidError

_DIMENSIONS = ("cpu", "memory_bytes", "gpu")


def describe(resources: job_pb2.Resources) -> str:
    """``"2 cpu, 1.0 GiB memory"``: the non-zero dimensions, for messages."""
    parts = []
    if resources.cpu:
        parts.append(f"{resources.cpu:g} cpu")
    if resources.memory_bytes:
        parts.append(f"{resources.memory_bytes / 2**30:.1f} GiB memory")
    if resources.gpu:
        parts.append(f"{resources.gpu} gpu")
    return ", ".join(parts) or "nothing"


class CapacityPool:
    """Thread-safe. A zero dimension of `total` is unlimited; a zero dimension of a request asks none."""

    def __init__(self, total: job_pb2.Resources) -> None:
        self.total = job_pb2.Resources()
        self.total.CopyFrom(total)
        self.used = job_pb2.Resources()
        self._changed = threading.Condition()

    def acquire(self, want: job_pb2.Resources, wait_seconds: float = 0.0) -> None:
        """Take `want`; wait up to `wait_seconds` for it to fit, else raise CapacityError.

        A request larger than the whole pool can never fit: InvalidError at once.
        """
        for dim in _DIMENSIONS:
            limit = getattr(self.total, dim)
            if limit and getattr(want, dim) > limit:
                raise InvalidError(
                    f"asks for {describe(want)}, more than the whole capacity ({describe(self.total)})"
                )
        deadline = time.monotonic() + wait_seconds
        with self._changed:
            while not self._fits(want):
                left = deadline - time.monotonic()
                if left <= 0:
                    free, total = describe(self.free()), describe(self.total)
                    raise CapacityError(f"no room for {describe(want)}: {free} free of {total}")
                self._changed.wait(left)
            self._add(want, 1)

    def release(self, held: job_pb2.Resources) -> None:
        with self._changed:
            self._add(held, -1)
            self._changed.notify_all()

    def free(self) -> job_pb2.Resources:
        with self._changed:
            free = job_pb2.Resources()
            for dim in _DIMENSIONS:
                setattr(free, dim, getattr(self.total, dim) - getattr(self.used, dim))
            return free

    def _fits(self, want: job_pb2.Resources) -> bool:
        def fits(dim: str) -> bool:
            limit = getattr(self.total, dim)
            return not limit or getattr(self.used, dim) + getattr(want, dim) <= limit

        return all(fits(dim) for dim in _DIMENSIONS)

    def _add(self, resources: job_pb2.Resources, sign: int) -> None:
        for dim in _DIMENSIONS:
            setattr(self.used, dim, getattr(self.used, dim) + sign * getattr(resources, dim))
