"""From the job model and providers' offers to ranked choices, through the scheduler's `place()`.

Jobs are placed level by level of the DAG (jobs of one level never depend on each other), in
batches of `parallelism` (the jobs that run at once, so the ones that may share an allocation).
A job that did not fit only because the batch used the capacity is placed again on its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from benchhub.host.config.model import JobSpec
from benchhub.host.errors import BenchHubError
from benchhub.host.planning.model import Billing, Choice
from benchhub.host.scheduler import model as sched
from benchhub.host.scheduler.placement import place
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb


class UnplaceableError(BenchHubError):
    """No offer of any provider can run a job."""


def named_providers(spec: JobSpec) -> tuple[str, ...]:
    """The providers `spec` is restricted to (`placement { providers }`, else `provider`); () = any."""
    return spec.placement.providers or ((spec.provider,) if spec.provider else ())


def to_demand(spec: JobSpec, multi_node: frozenset[str] | None = None) -> sched.JobDemand:
    """The scheduler's view of `spec`. A job of several nodes may only go to the `multi_node` providers
    (those declaring the capability; None = no restriction)."""
    r = spec.resources
    placement = spec.placement
    providers = named_providers(spec)
    if r.nodes > 1 and multi_node is not None:
        providers = _multi_node(spec, providers, multi_node)
    return sched.JobDemand(
        id=spec.id,
        resources=sched.Resources(r.cpu, r.memory_bytes, r.gpu, r.disk_bytes, r.nodes, r.arch),
        expected_duration=spec.expected_duration,
        exclusive=spec.exclusive,
        constraints=sched.Constraints(providers, placement.regions, placement.spot, placement.max_price),
    )


def _multi_node(spec: JobSpec, allowed: tuple[str, ...], multi_node: frozenset[str]) -> tuple[str, ...]:
    capable = tuple(sorted(multi_node.intersection(allowed) if allowed else multi_node))
    if not capable:
        which = f"of {', '.join(allowed)} " if allowed else ""
        raise UnplaceableError(
            f"{spec.position}: job {spec.id}: needs {spec.resources.nodes} nodes, but no provider {which}"
            "runs multi-node jobs (none declares the multi_node capability)"
        )
    return capable


def to_offer(provider: str, offer: pb.Offer, billing: Billing) -> sched.Offer:
    r = offer.resources
    startup = (
        offer.startup_estimate.ToTimedelta().total_seconds() if offer.HasField("startup_estimate") else 0.0
    )
    return sched.Offer(
        provider=provider,
        id=offer.id,
        region=offer.region,
        zone=offer.zone,
        instance_type=offer.instance_type,
        resources=sched.Resources(r.cpu, r.memory_bytes, r.gpu, r.disk_bytes, max(1, r.nodes), r.arch),
        price_per_hour=offer.price_per_hour.amount,
        currency=offer.price_per_hour.currency or "USD",
        spot=offer.spot,
        interruption_rate=offer.interruption_rate,
        capacity=offer.capacity,
        startup_seconds=startup,
        billing_granularity_seconds=billing.granularity_s,
        billing_minimum_seconds=billing.minimum_s,
        shareable=offer.shareable,
    )


@dataclass
class Placed:
    """Per job: ranked choices, the runner-up, and its packing group ("" = alone)."""

    currency: str = ""
    choices: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    runner_up: dict[str, Choice | None] = field(default_factory=dict)
    group: dict[str, str] = field(default_factory=dict)


def place_levels(
    levels: Sequence[Sequence[JobSpec]],
    offers: Mapping[str, list[pb.Offer]],
    billing: Mapping[str, Billing],
    *,
    batch: int,
    currency: str | None,
    history: Mapping[str, float],
    multi_node: frozenset[str] | None = None,
) -> Placed:
    """Place every level's jobs in batches; `multi_node` as in `to_demand`."""
    specs = {s.id: s for level in levels for s in level}
    placer = _Placer(offers, billing, currency, history, specs, multi_node)
    for number, level in enumerate(levels):
        for start in range(0, len(level), batch):
            placer.place(level[start : start + batch], f"{number}.{start}")
    return placer.placed


class _Placer:
    def __init__(
        self,
        offers: Mapping[str, list[pb.Offer]],
        billing: Mapping[str, Billing],
        currency: str | None,
        history: Mapping[str, float],
        specs: Mapping[str, JobSpec],
        multi_node: frozenset[str] | None,
    ) -> None:
        self.protos = {(name, o.id): o for name, found in offers.items() for o in found}
        self.offers = [
            to_offer(name, o, billing.get(name, Billing())) for (name, _), o in self.protos.items()
        ]
        self.policy = sched.Policy(currency=currency)
        self.history = history
        self.specs = specs
        self.multi_node = multi_node
        self.placed = Placed()

    def place(self, batch: Sequence[JobSpec], group_prefix: str) -> None:
        demands = [to_demand(s, self.multi_node) for s in batch]
        placement = place(demands, self.offers, self.policy, history=self.history)
        self.placed.currency = placement.currency
        for unplaced in placement.unplaced:
            if not unplaced.capacity_only or len(batch) == 1:  # alone it has all the capacity there is
                spec = self.specs[unplaced.job_id]
                raise UnplaceableError(f"{spec.position}: job {spec.id}: {unplaced.reason}")
        for job_id, where in placement.jobs.items():
            self._record(job_id, where, placement.allocations[where.allocation], group_prefix)
        for unplaced in placement.unplaced:  # fits alone; at run time it waits for the capacity
            self.place([self.specs[unplaced.job_id]], f"{group_prefix}.{unplaced.job_id}")

    def _record(
        self, job_id: str, where: sched.JobPlacement, allocation: sched.Allocation, group: str
    ) -> None:
        own = self.specs[job_id].resources.to_proto()
        shared = len(allocation.job_ids) > 1
        chosen = self._choice(allocation.offer, where.cost, _reserve(allocation.reserve) if shared else own)
        alternatives = [self._choice(a.offer, a.cost, own) for a in where.alternatives]
        self.placed.choices[job_id] = (chosen, *alternatives)
        runner_up = where.runner_up
        self.placed.runner_up[job_id] = (
            self._choice(runner_up.offer, runner_up.cost, own, runner_up.why) if runner_up else None
        )
        self.placed.group[job_id] = f"{group}.{where.allocation}" if shared else ""

    def _choice(self, offer: sched.Offer, cost: float, reserve: job_pb2.Resources, why: str = "") -> Choice:
        """A Choice on `offer`; only a shareable offer is reserved in part, others whole."""
        return Choice(
            offer.provider,
            self.protos[offer.key],
            cost,
            reserve if offer.shareable else job_pb2.Resources(),
            why,
        )


def _reserve(r: sched.Resources) -> job_pb2.Resources:
    return job_pb2.Resources(
        cpu=r.cpu, memory_bytes=r.memory_bytes, gpu=r.gpu, disk_bytes=r.disk_bytes, arch=r.arch
    )
