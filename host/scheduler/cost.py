"""The cost model: billed time, startup, spot risk, shares of shareable offers, expected durations."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from benchhub.host.scheduler.model import JobDemand, Policy, SpotRisk
from benchhub.host.scheduler.offer_table import Bools, Floats, OfferTable


def expected_duration(job: JobDemand, history: Mapping[str, float], policy: Policy) -> float:
    """The job's own expected duration, else the median of its past runs, else the policy default."""
    if job.expected_duration is not None:
        return job.expected_duration
    return history.get(job.id, policy.default_duration)


def allocation_cost(table: OfferTable, duration: Floats | float, risk: SpotRisk) -> Floats:
    """Expected cost of one whole allocation of each offer running `duration` seconds of work.

    Broadcasts `duration` against the offer columns: pass `durations[:, None]` for a
    (jobs x offers) matrix. Billed time = max(minimum, startup + duration rounded up to the
    granularity); a spot offer adds one retry at the chance of an interruption during the run.
    """
    run: Floats = np.add(table.startup, duration)
    if (table.granularity == 1.0).all():
        billed = np.ceil(run - 1e-9)
    else:
        billed = np.ceil(run / table.granularity - 1e-9)
        billed *= table.granularity
    np.maximum(billed, table.minimum, out=billed)
    billed *= table.price / 3600.0
    spot = np.flatnonzero(table.interruption_rate > 0)
    if risk is SpotRisk.ONE_RETRY and len(spot):
        billed[..., spot] *= 2.0 - np.exp(run[..., spot] * (-table.interruption_rate[spot] / 3600.0))
    return billed


def shares(capacities: Floats, needs: Floats, exclusive: Bools) -> Floats:
    """(jobs x offers) fraction of each shareable offer a job pays for: the largest fraction it
    reserves of any resource, or 1 for an exclusive job (it reserves the whole offer).

    `capacities` is (offers x 4) and `needs` (jobs x 4): cpu, memory, gpu, disk.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        fractions = needs[:, None, :] / capacities[None, :, :]
    fractions = np.where(np.isfinite(fractions), fractions, 0.0)
    share: Floats = np.where(exclusive[:, None], 1.0, np.minimum(fractions.max(axis=2), 1.0))
    return share
