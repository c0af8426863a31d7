"""Property tests of `place()` on random small problems (hypothesis).

Every placed job fits its allocation, no constraint or capacity is violated, the costs add up, an
unplaced job really has no offer, and the total never exceeds the naive placement (each job alone
on its cheapest feasible offer, computed here independently).
"""

from __future__ import annotations

import math
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from benchhub.host.scheduler.model import Constraints, JobDemand, Offer, Placement, Policy, Resources
from benchhub.host.scheduler.placement import place

GIB = 1024**3
PROVIDERS = ("aws", "gcp", "local")
REGIONS = ("r1", "r2")
ARCHES = ("", "x86_64", "arm64")


@st.composite
def offers(draw: st.DrawFn, shareable: bool = True, limited: bool = True) -> list[Offer]:
    found = []
    for i in range(draw(st.integers(0, 8))):
        spot = draw(st.booleans())
        found.append(
            Offer(
                provider=draw(st.sampled_from(PROVIDERS)),
                id=f"o{i}",
                region=draw(st.sampled_from(REGIONS)),
                zone="z",
                instance_type=f"t{i}",
                resources=Resources(
                    cpu=draw(st.sampled_from([1, 2, 4, 8])),
                    memory_bytes=draw(st.sampled_from([2, 4, 8, 16])) * GIB,
                    gpu=draw(st.sampled_from([0, 0, 1, 2])),
                    disk_bytes=draw(st.sampled_from([0, 50, 200])) * GIB,
                    arch=draw(st.sampled_from(ARCHES)),
                ),
                price_per_hour=draw(st.floats(0.0, 2.0)),
                currency="USD",
                spot=spot,
                interruption_rate=draw(st.floats(0.0, 2.0)) if spot else 0.0,
                capacity=draw(st.sampled_from([-1, -1, 0, 1, 2, 3])) if limited else -1,
                startup_seconds=draw(st.sampled_from([0.0, 30.0, 120.0])),
                billing_granularity_seconds=draw(st.sampled_from([1.0, 60.0, 3600.0])),
                billing_minimum_seconds=draw(st.sampled_from([0.0, 60.0])),
                shareable=draw(st.booleans()) if shareable else False,
            )
        )
    return found


@st.composite
def jobs(draw: st.DrawFn) -> list[JobDemand]:
    found = []
    for i in range(draw(st.integers(1, 10))):
        constraints = Constraints(
            providers=tuple(draw(st.lists(st.sampled_from(PROVIDERS), max_size=2, unique=True))),
            regions=tuple(draw(st.lists(st.sampled_from(REGIONS), max_size=1))),
            spot=draw(st.sampled_from([None, None, True, False, "prefer"])),
            max_price=draw(st.one_of(st.none(), st.floats(0.0, 2.0))),
        )
        found.append(
            JobDemand(
                id=f"j{i}",
                resources=Resources(
                    cpu=draw(st.sampled_from([0.5, 1, 2, 4])),
                    memory_bytes=draw(st.sampled_from([1, 2, 4])) * GIB,
                    gpu=draw(st.sampled_from([0, 0, 0, 1])),
                    disk_bytes=draw(st.sampled_from([0, 0, 20])) * GIB,
                    nodes=draw(st.sampled_from([1, 1, 1, 2])),
                    arch=draw(st.sampled_from(ARCHES)),
                ),
                expected_duration=draw(st.one_of(st.none(), st.floats(1.0, 7200.0))),
                exclusive=draw(st.booleans()),
                constraints=constraints,
            )
        )
    return found


def allowed(job: JobDemand, offer: Offer) -> bool:
    """The job's constraints, checked independently of the scheduler's code."""
    c, arch = job.constraints, job.resources.arch
    return (
        (not c.providers or offer.provider in c.providers)
        and (not c.regions or offer.region in c.regions)
        and not (c.spot is True and not offer.spot)
        and not (c.spot is False and offer.spot)
        and (c.max_price is None or offer.price_per_hour <= c.max_price)
        and (not arch or offer.resources.arch in ("", arch))
    )


def holds(offer: Offer, need: Resources, times: int = 1) -> bool:
    has = offer.resources
    return (
        need.cpu * times <= has.cpu + 1e-9
        and need.memory_bytes * times <= has.memory_bytes
        and need.gpu * times <= has.gpu
        and (has.disk_bytes == 0 or need.disk_bytes * times <= has.disk_bytes)
    )


def feasible(job: JobDemand, offer: Offer) -> bool:
    nodes = max(1, job.resources.nodes)
    enough = offer.capacity < 0 or offer.capacity >= nodes
    if offer.shareable and job.exclusive and nodes > 1:  # each node would reserve the whole pool
        return False
    return allowed(job, offer) and enough and holds(offer, job.resources, nodes if offer.shareable else 1)


def solo_cost(job: JobDemand, offer: Offer, policy: Policy) -> float:
    duration = job.expected_duration if job.expected_duration is not None else policy.default_duration
    run = offer.startup_seconds + duration
    granularity = offer.billing_granularity_seconds
    billed = max(offer.billing_minimum_seconds, math.ceil(run / granularity - 1e-9) * granularity)
    risk = 2 - math.exp(-offer.interruption_rate * run / 3600) if offer.spot else 1.0
    return offer.price_per_hour * billed / 3600 * risk * max(1, job.resources.nodes)


def check_valid(placement: Placement, all_jobs: list[JobDemand], all_offers: list[Offer]) -> None:
    by_id = {j.id: j for j in all_jobs}
    unplaced = {u.job_id for u in placement.unplaced}
    assert set(placement.jobs) | unplaced == set(by_id) and not set(placement.jobs) & unplaced
    used: dict[str, int] = defaultdict(int)
    pool: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0, 0.0])
    for index, a in enumerate(placement.allocations):
        assert a.offer in all_offers
        members = [by_id[i] for i in a.job_ids]
        assert members and all(placement.jobs[j.id].allocation == index for j in members)
        assert all(allowed(j, a.offer) for j in members)
        if len(members) > 1:
            assert not any(j.exclusive or j.resources.nodes > 1 for j in members)
            assert not a.offer.shareable and a.nodes == 1 and a.reserve == a.offer.resources
            total = Resources(
                cpu=sum(j.resources.cpu for j in members),
                memory_bytes=sum(j.resources.memory_bytes for j in members),
                gpu=sum(j.resources.gpu for j in members),
                disk_bytes=sum(j.resources.disk_bytes for j in members),
            )
            assert holds(a.offer, total)
            assert a.duration == max(placement.jobs[j.id].duration for j in members)
        else:
            (j,) = members
            assert a.nodes == max(1, j.resources.nodes)
            assert holds(a.offer, j.resources)
            whole = j.exclusive or not a.offer.shareable
            assert a.reserve == (a.offer.resources if whole else j.resources)
        used[a.offer.id] += a.nodes
        for k, value in enumerate(
            (a.reserve.cpu, a.reserve.memory_bytes, a.reserve.gpu, a.reserve.disk_bytes)
        ):
            pool[a.offer.id][k] += value * a.nodes
        shares = sum(placement.jobs[j.id].cost for j in members)
        assert math.isclose(shares, a.estimated_cost, rel_tol=1e-9, abs_tol=1e-12)
    for o in all_offers:
        assert o.capacity < 0 or used[o.id] <= o.capacity
        if o.shareable and used[o.id]:
            has = o.resources
            assert pool[o.id][0] <= has.cpu + 1e-9 and pool[o.id][1] <= has.memory_bytes
            assert pool[o.id][2] <= has.gpu and (not has.disk_bytes or pool[o.id][3] <= has.disk_bytes)
    total = sum(a.estimated_cost for a in placement.allocations)
    assert math.isclose(placement.total_cost, total, rel_tol=1e-9, abs_tol=1e-12)
    for u in placement.unplaced:
        assert u.capacity_only == any(feasible(by_id[u.job_id], o) for o in all_offers)


@settings(max_examples=300, deadline=None)
@given(jobs(), offers())
def test_placements_are_always_valid(all_jobs: list[JobDemand], all_offers: list[Offer]) -> None:
    check_valid(place(all_jobs, all_offers), all_jobs, all_offers)
    check_valid(place(all_jobs, all_offers, Policy(packing=False)), all_jobs, all_offers)


@settings(max_examples=300, deadline=None)
@given(jobs(), offers(shareable=False, limited=False))
def test_never_dearer_than_each_job_alone_on_its_cheapest_offer(
    all_jobs: list[JobDemand], all_offers: list[Offer]
) -> None:
    policy = Policy()
    placement = place(all_jobs, all_offers, policy)
    check_valid(placement, all_jobs, all_offers)
    naive = 0.0
    for j in all_jobs:
        options = [o for o in all_offers if feasible(j, o)]
        if j.constraints.spot == "prefer" and any(o.spot for o in options):
            options = [o for o in options if o.spot]
        if options:
            naive += min(solo_cost(j, o, policy) for o in options)
        assert (j.id in placement.jobs) == bool(options)
    assert placement.total_cost <= naive * (1 + 1e-9) + 1e-12
    unpacked = place(all_jobs, all_offers, Policy(packing=False)).total_cost
    assert math.isclose(unpacked, naive, rel_tol=1e-6, abs_tol=1e-12)
