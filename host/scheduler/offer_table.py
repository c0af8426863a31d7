"""The offers of one placement as numpy columns, so feasibility and cost vectorise over offers."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from benchhub.host.scheduler.model import MixedCurrencyError, Offer, OfferKey, PlacementError

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
Ints = npt.NDArray[np.int64]
Strings = npt.NDArray[np.str_]


@dataclass(frozen=True)
class OfferTable:
    """Column view of `offers` (same order). A disk of 0 is stored as +inf (not limiting)."""

    offers: tuple[Offer, ...]
    currency: str
    cpu: Floats
    memory: Floats
    gpu: Floats
    disk: Floats
    price: Floats
    spot: Bools
    interruption_rate: Floats
    capacity: Ints
    startup: Floats
    granularity: Floats
    minimum: Floats
    shareable: Bools
    startup_rank: Floats
    partly_used: Bools
    """Shareable offers part of which this placement already reserved (no room for exclusive jobs)."""
    provider: Strings
    region: Strings
    arch: Strings
    """0 for the fastest-starting offer .. n-1 for the slowest: the tie-break."""

    @property
    def size(self) -> int:
        return len(self.offers)

    def capacities(self) -> Floats:
        """(n, 4) matrix of cpu, memory, gpu, disk."""
        return np.stack([self.cpu, self.memory, self.gpu, self.disk], axis=1)


def offer_table(
    offers: Sequence[Offer], currency: str | None, partly_used: Collection[OfferKey] = frozenset()
) -> OfferTable:
    """Build the table; all offers must share one currency (the policy's, when given)."""
    currencies = sorted({o.currency for o in offers})
    if len(currencies) > 1 or (currency is not None and currencies and currencies != [currency]):
        expected = f" (plan currency {currency})" if currency else ""
        raise MixedCurrencyError(
            f"offers are priced in {', '.join(currencies)}{expected}; a plan uses one currency"
        )
    keys = [o.key for o in offers]
    if len(set(keys)) != len(keys):
        raise PlacementError("two offers share the same provider and offer id")

    def column(values: list[float]) -> Floats:
        return np.asarray(values, dtype=np.float64)

    startup = column([o.startup_seconds for o in offers])
    rank = np.empty(len(offers), dtype=np.float64)
    rank[np.argsort(startup, kind="stable")] = np.arange(len(offers), dtype=np.float64)
    disk = column([float(o.resources.disk_bytes) for o in offers])
    return OfferTable(
        offers=tuple(offers),
        currency=currency if currency is not None else (currencies[0] if currencies else "USD"),
        cpu=column([o.resources.cpu for o in offers]),
        memory=column([float(o.resources.memory_bytes) for o in offers]),
        gpu=column([float(o.resources.gpu) for o in offers]),
        disk=np.where(disk > 0, disk, np.inf),
        price=column([o.price_per_hour for o in offers]),
        spot=np.asarray([o.spot for o in offers], dtype=np.bool_),
        interruption_rate=column([o.interruption_rate if o.spot else 0.0 for o in offers]),
        capacity=np.asarray([o.capacity for o in offers], dtype=np.int64),
        startup=startup,
        granularity=column([max(o.billing_granularity_seconds, 1e-9) for o in offers]),
        minimum=column([o.billing_minimum_seconds for o in offers]),
        shareable=np.asarray([o.shareable for o in offers], dtype=np.bool_),
        startup_rank=rank,
        partly_used=np.asarray([o.key in partly_used for o in offers], dtype=np.bool_).reshape(len(offers)),
        provider=np.asarray([o.provider for o in offers], dtype=np.str_),
        region=np.asarray([o.region for o in offers], dtype=np.str_),
        arch=np.asarray([o.resources.arch for o in offers], dtype=np.str_),
    )
