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


def excluded_mask(table: OfferTable, excluded: Collection[OfferKey]) -> Bools:
    return np.asarray(
        [o.key in excluded for o in table.offers] if excluded else [False] * table.size, dtype=np.bool_
    )


def constraint_codes(table: OfferTable, signature: Signature, excluded: Bools) -> Codes:
    """Per offer the first failing non-size check for jobs of `signature` (0 = none fails);
    `excluded` marks the offers left out after failures."""
    c = signature.constraints
    false = np.zeros(table.size, dtype=np.bool_)
    checks = {
        RejectReason.EXCLUDED: excluded,
        RejectReason.PROVIDER_NOT_ALLOWED: ~np.isin(table.provider, c.providers) if c.providers else false,
        RejectReason.WRONG_REGION: ~np.isin(table.region, c.regions) if c.regions else false,
        RejectReason.SPOT_NOT_ALLOWED: table.spot if c.spot is False else false,
        RejectReason.SPOT_REQUIRED: ~table.spot if c.spot is True else false,
        RejectReason.OVER_MAX_PRICE: (
            table.price > c.max_price * (1 + 1e-12) if c.max_price is not None else false
        ),
        RejectReason.ARCH_MISMATCH: (
            (table.arch != "") & (table.arch != signature.arch) if signature.arch else false
        ),
        RejectReason.NO_CAPACITY: ((table.capacity >= 0) & (table.capacity < signature.nodes))
        | (table.partly_used if signature.exclusive else false),
    }
    codes: Codes = np.select(
        [checks[r] for r in REASONS if r in checks],
        [np.int8(REASONS.index(r) + 1) for r in REASONS if r in checks],
        np.int8(0),
    ).astype(np.int8)
    return codes


def fits(table: OfferTable, needs: Floats, nodes: Floats, exclusive: Bools) -> Bools:
    """(jobs x offers): each job's per-node `needs` (jobs x 4) fit one allocation of each offer.

    Per job `nodes` and `exclusive`: on a shareable offer all nodes of a multi-node job reserve
    from one pool, and an exclusive job reserves the whole pool (so it can have only one node).
    """
    ok = _fits(needs, table.cpu, table.memory, table.gpu, table.disk)
    shareable = np.flatnonzero(table.shareable)
    if len(shareable) and (nodes > 1).any():
        pooled = needs * nodes[:, None]
        ok[:, shareable] = (
            _fits(
                pooled,
                table.cpu[shareable],
                table.memory[shareable],
                table.gpu[shareable],
                table.disk[shareable],
            )
            & ~(exclusive & (nodes > 1))[:, None]
        )
    return ok


def _fits(needs: Floats, cpu: Floats, memory: Floats, gpu: Floats, disk: Floats) -> Bools:
    ok: Bools = needs[:, 0:1] <= cpu
    ok &= needs[:, 1:2] <= memory
    if needs[:, 2].any():
        ok &= needs[:, 2:3] <= gpu
    if needs[:, 3].any():
        ok &= needs[:, 3:4] <= disk
    return ok
