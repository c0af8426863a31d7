"""Human lines for rejected offers, runner-ups and unplaceable jobs."""

from __future__ import annotations

from benchhub.host.scheduler.model import JobDemand, Offer, RejectReason

GIB = 1024**3


def _amount(value: float, unit: str) -> str:
    return f"{value / GIB:g} GiB {unit}" if unit in ("memory", "disk") else f"{value:g} {unit}"


def shortfall(job: JobDemand, offer: Offer) -> str:
    """What the job needs that the offer lacks, e.g. "needs 4 cpu, has 2"."""
    nodes = job.nodes if offer.shareable else 1
    need, has = job.resources, offer.resources
    for unit, wanted, offered in (
        ("cpu", need.cpu, has.cpu),
        ("memory", need.memory_bytes, has.memory_bytes),
        ("gpu", need.gpu, has.gpu),
        ("disk", need.disk_bytes, has.disk_bytes or float("inf")),
    ):
        if wanted * nodes > offered:
            return f"needs {_amount(wanted * nodes, unit)}, has {_amount(offered, unit)}"
    return "no room left"


def _capacity(job: JobDemand, offer: Offer) -> str:
    if offer.capacity == 0:
        return "none available"
    if 0 < offer.capacity < job.nodes:
        return f"{offer.capacity} available, needs {job.nodes}"
    return "used by other jobs of this plan"


def rejection(reason: RejectReason, job: JobDemand, offer: Offer) -> str:
    """Why `offer` cannot host `job`, in one line."""
    c = job.constraints
    detail = {
        RejectReason.PROVIDER_NOT_ALLOWED: f"provider {offer.provider} not in {', '.join(c.providers)}",
        RejectReason.WRONG_REGION: f"region {offer.region} not in {', '.join(c.regions)}",
        RejectReason.OVER_MAX_PRICE: f"{offer.price_per_hour:g}/h over max_price {c.max_price:g}/h"
        if c.max_price is not None
        else "",
        RejectReason.ARCH_MISMATCH: f"{offer.resources.arch}, job needs {job.resources.arch}",
        RejectReason.NO_CAPACITY: _capacity(job, offer),
        RejectReason.TOO_SMALL: shortfall(job, offer),
    }.get(reason, "")
    return f"{reason.value}: {detail}" if detail else reason.value


def runner_up_why(
    job: JobDemand, offer: Offer, reason: RejectReason | None, extra: float, currency: str
) -> str:
    """Why the runner-up lost: rejected although cheaper, or simply dearer (`extra` cost)."""
    if reason is not None:
        return f"cheaper but {rejection(reason, job, offer)}"
    if extra < 0:
        return "cheaper on-demand, but spot is preferred"
    if extra <= 1e-12:
        return f"same cost, starts in {offer.startup_seconds:g}s"
    return f"{extra:.4g} {currency} more"


def unplaceable(counts: dict[RejectReason, int], job: JobDemand, example: dict[RejectReason, Offer]) -> str:
    """Why no offer can host `job`: the count of offers per reason, with the size gap if any."""
    if not counts:
        return "no offers"
    parts = []
    for reason in sorted(counts, key=lambda r: -counts[r]):
        detail = f" ({shortfall(job, example[reason])})" if reason is RejectReason.TOO_SMALL else ""
        parts.append(f"{counts[reason]} {reason.value}{detail}")
    return f"no feasible offer: {'; '.join(parts)}"
