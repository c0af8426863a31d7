"""Which offers can host which jobs, and if not, why (a `RejectReason` per offer)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchhub.host.scheduler.model import Constraints, JobDemand, OfferKey, RejectReason
from benchhub.host.scheduler.offer_table import Bools, Floats, OfferTable

Codes = npt.NDArray[np.int8]
REASONS = tuple(RejectReason)
"""Code 0 = feasible; code i + 1 = REASONS[i]."""
TOO_SMALL = REASONS.index(RejectReason.TOO_SMALL) + 1


def reason_of(code: int) -> RejectReason | None:
    return REASONS[code - 1] if code else None


@dataclass(frozen=True, slots=True)
class Signature:
    """What decides the offers a job may use, apart from its size: jobs alike share the checks."""

    constraints: Constraints
    arch: str
    exclusive: bool
    nodes: int

    @staticmethod
    def of(job: JobDemand) -> Signature:
        return Signature(job.constraints, job.resources.arch, job.exclusive, job.nodes)


def needs_of(job: JobDemand) -> tuple[float, float, float, float]:
    r = job.resources
    return (r.cpu, float(r.memory_bytes), float(r.gpu), float(r.disk_bytes))


def constraint_codes(table: OfferTable, signature: Signature, excluded: Collection[OfferKey]) -> Codes:
    """Per offer the first failing non-size check for jobs of `signature` (0 = none fails)."""
    c = signature.constraints
    offers = table.offers
    false = np.zeros(table.size, dtype=np.bool_)

    def each(predicate: list[bool]) -> Bools:
        return np.asarray(predicate, dtype=np.bool_).reshape(table.size)

    checks = {
        RejectReason.EXCLUDED: each([o.key in excluded for o in offers]) if excluded else false,
        RejectReason.PROVIDER_NOT_ALLOWED: (
            each([o.provider not in c.providers for o in offers]) if c.providers else false
        ),
        RejectReason.WRONG_REGION: each([o.region not in c.regions for o in offers]) if c.regions else false,
        RejectReason.SPOT_NOT_ALLOWED: table.spot if c.spot is False else false,
        RejectReason.SPOT_REQUIRED: ~table.spot if c.spot is True else false,
        RejectReason.OVER_MAX_PRICE: (
            table.price > c.max_price * (1 + 1e-12) if c.max_price is not None else false
        ),
        RejectReason.ARCH_MISMATCH: (
            each([o.resources.arch not in ("", signature.arch) for o in offers]) if signature.arch else false
        ),
        RejectReason.NO_CAPACITY: (table.capacity >= 0)
        & (table.capacity < np.where(table.shareable, 1, signature.nodes)),
    }
    codes: Codes = np.select(
        [checks[r] for r in REASONS if r in checks],
        [np.int8(REASONS.index(r) + 1) for r in REASONS if r in checks],
        np.int8(0),
    ).astype(np.int8)
    return codes


def fits(table: OfferTable, needs: Floats, nodes: int) -> Bools:
    """(jobs x offers): each job's per-node `needs` (jobs x 4) fit one allocation of each offer.

    On a shareable offer all nodes of a multi-node job reserve from the same pool.
    """
    scale = np.where(table.shareable, float(nodes), 1.0) if nodes > 1 else 1.0
    ok: Bools = needs[:, 0:1] * scale <= table.cpu
    ok &= needs[:, 1:2] * scale <= table.memory
    if needs[:, 2].any():
        ok &= needs[:, 2:3] * scale <= table.gpu
    if needs[:, 3].any():
        ok &= needs[:, 3:4] * scale <= table.disk
    return ok
