"""Inputs and outputs of `place()`: plain frozen dataclasses, no protobuf, no I/O.

Money is a float in `Placement.currency` per hour (prices) or in total (costs); durations are seconds.
An offer is identified by `Offer.key` = (provider, offer id).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from benchhub.host.errors import BenchHubError

OfferKey = tuple[str, str]
"""(provider, offer id): unique across all offers given to one `place()` call."""

SpotChoice = bool | Literal["prefer"] | None
"""A job's spot constraint: True = spot only, False = on-demand only, "prefer" = spot offers
ranked before on-demand ones (on-demand stays a failover), None = whichever is cheaper."""


class PlacementError(BenchHubError):
    """The inputs of a placement are inconsistent (e.g. two job ids alike)."""


class MixedCurrencyError(PlacementError):
    """Offers priced in more than one currency (or not in the policy's currency)."""


@dataclass(frozen=True, slots=True)
class Resources:
    """What a job needs per node, or what an offer provides per allocation.

    For offers `disk_bytes == 0` means "not limited/unspecified" and `arch == ""` means "any";
    for jobs `arch == ""` means "any". `nodes` matters for jobs only (0 and 1 both mean one node).
    """

    cpu: float = 0.0
    memory_bytes: int = 0
    gpu: int = 0
    disk_bytes: int = 0
    nodes: int = 1
    arch: str = ""


@dataclass(frozen=True, slots=True)
class Constraints:
    """A job's `placement { providers, regions, spot, max_price }` block; empty tuple = any."""

    providers: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    spot: SpotChoice = None
    max_price: float | None = None
    """Highest price per hour of the offer the job runs on (per node), in the plan currency."""


@dataclass(frozen=True, slots=True)
class JobDemand:
    """One ready job to place. `expected_duration` (seconds) overrides history and the default."""

    id: str
    resources: Resources
    expected_duration: float | None = None
    exclusive: bool = False
    """True = never share an allocation (database-style benchmarks); on a shareable offer the
    job then reserves the whole offer."""
    constraints: Constraints = field(default_factory=Constraints)

    @property
    def nodes(self) -> int:
        return max(1, self.resources.nodes)


@dataclass(frozen=True, slots=True)
class Offer:
    """A priced offer from one provider (the host maps provider_pb2.Offer onto this).

    Billing: the billed time of an allocation running `t` seconds (startup included) is
    `max(billing_minimum_seconds, ceil(t / billing_granularity_seconds) * billing_granularity_seconds)`.
    A shareable offer (local/docker) is a pool: each allocation reserves part of `resources`, the
    reservations of one placement never exceed it, and an allocation costs `price_per_hour` times
    the largest fraction it reserves of any resource.
    """

    provider: str
    id: str
    region: str
    zone: str
    instance_type: str
    resources: Resources
    price_per_hour: float
    currency: str
    spot: bool = False
    interruption_rate: float = 0.0
    """Spot: expected interruptions per hour."""
    capacity: int = -1
    """Allocations of this offer available now; -1 = unknown (unlimited for planning)."""
    startup_seconds: float = 0.0
    billing_granularity_seconds: float = 1.0
    billing_minimum_seconds: float = 0.0
    shareable: bool = False

    @property
    def key(self) -> OfferKey:
        return (self.provider, self.id)


class SpotRisk(enum.Enum):
    """How the cost of a spot offer accounts for interruptions."""

    NONE = "none"
    """Price only."""
    ONE_RETRY = "one-retry"
    """Expected cost including one retry: cost x (1 + P(interrupted during the run)), with
    P = 1 - exp(-interruption_rate x hours billed)."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Plan-wide settings of a placement."""

    currency: str | None = None
    """Every offer must be priced in it; None = the offers' single currency."""
    default_duration: float = 600.0
    """Seconds, for jobs with neither an expected duration nor a history median."""
    spot_risk: SpotRisk = SpotRisk.ONE_RETRY
    packing: bool = True
    """Allow several non-exclusive jobs on one allocation when that is cheaper."""
    max_alternatives: int = 5
    """Length of each failover list."""


# ---- outputs -------------------------------------------------------------------------------


class RejectReason(enum.Enum):
    """Why an offer cannot host a job (first failing check, in this order)."""

    EXCLUDED = "excluded after a failure"
    PROVIDER_NOT_ALLOWED = "provider not allowed"
    WRONG_REGION = "wrong region"
    SPOT_NOT_ALLOWED = "spot not allowed"
    SPOT_REQUIRED = "on-demand but spot required"
    OVER_MAX_PRICE = "over max_price"
    ARCH_MISMATCH = "arch mismatch"
    NO_CAPACITY = "no capacity"
    TOO_SMALL = "too small"


@dataclass(frozen=True, slots=True)
class Alternative:
    """A feasible offer for a job or an allocation, with its estimated cost there."""

    offer: Offer
    cost: float


@dataclass(frozen=True, slots=True)
class RunnerUp:
    """The offer that came closest to being chosen, and why it was not.

    Either an offer that would have cost less but was rejected (`reason` set, e.g. TOO_SMALL),
    or - when no cheaper offer was rejected - the next best feasible one (`reason` None).
    `why` is one human line, e.g. "cheaper but too small: needs 4 cpu, has 2" or
    "0.012 USD more".
    """

    offer: Offer
    cost: float
    why: str
    reason: RejectReason | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """One allocation to make: `nodes` Allocate calls on `offer`, each reserving `reserve`.

    `reserve` is the whole offer's resources unless the offer is shareable. The jobs in
    `job_ids` run concurrently in it (a multi-node job has exactly one job id).
    `alternatives` are other offers able to hold the same jobs, best first (failover).
    """

    offer: Offer
    job_ids: tuple[str, ...]
    reserve: Resources
    nodes: int
    duration: float
    """Expected wall time in seconds, startup excluded: its longest job."""
    estimated_cost: float
    alternatives: tuple[Alternative, ...] = ()


@dataclass(frozen=True, slots=True)
class JobPlacement:
    """Where one job goes and why."""

    job_id: str
    allocation: int
    """Index into `Placement.allocations`."""
    duration: float
    """The expected duration used (job's own, else history median, else policy default)."""
    cost: float
    """This job's share of its allocation's cost (shares are proportional to `solo_cost`)."""
    solo_cost: float
    """Cost of the job alone on its cheapest feasible offer."""
    alternatives: tuple[Alternative, ...]
    """Feasible offers for the job alone, best first, excluding the chosen one (failover)."""
    runner_up: RunnerUp | None


@dataclass(frozen=True, slots=True)
class Unplaced:
    """A job no offer can host. `capacity_only` = some offer would fit once others free up."""

    job_id: str
    reason: str
    capacity_only: bool = False


@dataclass(frozen=True)
class Placement:
    """The result of `place()`."""

    currency: str
    allocations: tuple[Allocation, ...]
    jobs: Mapping[str, JobPlacement]
    unplaced: tuple[Unplaced, ...]
    total_cost: float
