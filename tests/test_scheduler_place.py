"""Hand-made cases of `place()`: every constraint, the cost model, ties, packing, capacity, explanations."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from benchhub.host.errors import BenchHubError
from benchhub.host.scheduler.model import (
    Constraints,
    JobDemand,
    MixedCurrencyError,
    Offer,
    PlacementError,
    Policy,
    RejectReason,
    Resources,
    SpotRisk,
)
from benchhub.host.scheduler.placement import place

GIB = 1024**3


def offer(id: str, cpu: float = 2, memory_gib: int = 8, price: float = 0.1, **kw: Any) -> Offer:
    fields: dict[str, Any] = {
        "provider": "aws",
        "id": id,
        "region": "us-east-1",
        "zone": "us-east-1a",
        "instance_type": f"t.{id}",
        "resources": Resources(cpu=cpu, memory_bytes=memory_gib * GIB),
        "price_per_hour": price,
        "currency": "USD",
    }
    fields.update(kw)
    return Offer(**fields)


def job(id: str, cpu: float = 1, memory_gib: int = 1, duration: float | None = 3600, **kw: Any) -> JobDemand:
    resources = kw.pop("resources", Resources(cpu=cpu, memory_bytes=memory_gib * GIB))
    return JobDemand(id=id, resources=resources, expected_duration=duration, **kw)


def chosen(placement: Any, job_id: str) -> str:
    offer_id: str = placement.allocations[placement.jobs[job_id].allocation].offer.id
    return offer_id


def test_cheapest_feasible_offer_and_the_runner_up_that_is_too_small() -> None:
    offers = [
        offer("small", cpu=1, price=0.05),
        offer("mid", cpu=2, price=0.1),
        offer("big", cpu=8, price=0.4),
    ]
    p = place([job("a", cpu=2)], offers)
    assert chosen(p, "a") == "mid"
    j = p.jobs["a"]
    assert j.cost == pytest.approx(0.1) and p.total_cost == pytest.approx(0.1)
    assert j.runner_up is not None and j.runner_up.offer.id == "small"
    assert j.runner_up.reason is RejectReason.TOO_SMALL
    assert j.runner_up.why == "cheaper but too small: needs 2 cpu, has 1 cpu"
    assert [a.offer.id for a in j.alternatives] == ["big"]


@pytest.mark.parametrize(
    ("constraints", "cheap", "reason", "why"),
    [
        (
            Constraints(providers=("gcp",)),
            {"provider": "aws"},
            RejectReason.PROVIDER_NOT_ALLOWED,
            "aws not in gcp",
        ),
        (
            Constraints(regions=("eu-west-1",)),
            {"region": "us-east-1"},
            RejectReason.WRONG_REGION,
            "region us-east-1",
        ),
        (Constraints(spot=False), {"spot": True}, RejectReason.SPOT_NOT_ALLOWED, "spot not allowed"),
    ],
)
def test_each_constraint_rejects_the_cheaper_offer_and_says_why(
    constraints: Constraints, cheap: dict[str, Any], reason: RejectReason, why: str
) -> None:
    fine = offer("fine", price=1.0, provider="gcp", region="eu-west-1")
    rejected = dataclasses.replace(offer("cheap", price=0.01, provider="gcp", region="eu-west-1"), **cheap)
    p = place([job("a", constraints=constraints)], [fine, rejected])
    assert chosen(p, "a") == "fine"
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.offer.id == "cheap" and runner_up.reason is reason
    assert why in runner_up.why and runner_up.why.startswith("cheaper but")


def test_max_price_is_the_offer_price_per_hour() -> None:
    offers = [
        offer("cheap-small", cpu=1, price=0.05),
        offer("pricey", cpu=4, price=0.5),
        offer("ok", cpu=4, price=0.2),
    ]
    p = place([job("a", cpu=3, constraints=Constraints(max_price=0.3))], offers)
    assert chosen(p, "a") == "ok"
    cheaper_spot = dataclasses.replace(offers[1], id="spot", price_per_hour=0.35, spot=True)
    p = place(
        [job("a", cpu=3, constraints=Constraints(max_price=0.3))],
        [*offers, cheaper_spot],
        Policy(spot_risk=SpotRisk.NONE),
    )
    assert chosen(p, "a") == "ok"
    unplaced = place([job("a", cpu=3, constraints=Constraints(max_price=0.1))], offers).unplaced
    assert [u.job_id for u in unplaced] == ["a"]
    assert "2 over max_price" in unplaced[0].reason and "1 too small (needs 3 cpu" in unplaced[0].reason


def test_spot_required_and_arch() -> None:
    offers = [
        offer("od", price=0.01),
        offer(
            "spot-arm", price=0.02, spot=True, resources=Resources(cpu=2, memory_bytes=8 * GIB, arch="arm64")
        ),
        offer(
            "spot-x86", price=0.03, spot=True, resources=Resources(cpu=2, memory_bytes=8 * GIB, arch="x86_64")
        ),
    ]
    spot_x86 = job(
        "a", resources=Resources(cpu=1, memory_bytes=GIB, arch="x86_64"), constraints=Constraints(spot=True)
    )
    p = place([spot_x86], offers, Policy(spot_risk=SpotRisk.NONE))
    assert chosen(p, "a") == "spot-x86"
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.reason is RejectReason.SPOT_REQUIRED
    arm = job(
        "b", resources=Resources(cpu=1, memory_bytes=GIB, arch="arm64"), constraints=Constraints(spot=True)
    )
    assert chosen(place([arm], offers, Policy(spot_risk=SpotRisk.NONE)), "b") == "spot-arm"
    p = place(
        [dataclasses.replace(spot_x86, constraints=Constraints())],
        offers[1:],
        Policy(spot_risk=SpotRisk.NONE),
    )
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.reason is RejectReason.ARCH_MISMATCH
    assert runner_up.why == "cheaper but arch mismatch: arm64, job needs x86_64"


def test_spot_prefer_ranks_spot_first_and_keeps_on_demand_as_failover() -> None:
    offers = [offer("od", price=0.05), offer("spot", price=0.08, spot=True)]
    p = place([job("a", constraints=Constraints(spot="prefer"))], offers)
    assert chosen(p, "a") == "spot"
    assert [a.offer.id for a in p.jobs["a"].alternatives] == ["od"]
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.why == "cheaper on-demand, but spot is preferred"
    p = place(
        [job("a", cpu=4, constraints=Constraints(spot="prefer"))],
        [*offers, offer("od-big", cpu=4, price=0.2)],
    )
    assert chosen(p, "a") == "od-big"


def test_spot_risk_adds_an_expected_retry() -> None:
    offers = [offer("od", price=0.10), offer("spot", price=0.07, spot=True, interruption_rate=1.0)]
    long_job = job("a", duration=3600)
    p = place([long_job], offers)  # P(interrupted) = 1 - e^-1 = 0.63: 0.07 x 1.63 > 0.10
    assert chosen(p, "a") == "od"
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.reason is None
    assert runner_up.cost == pytest.approx(0.07 * (2 - 2.718281828**-1))
    assert chosen(place([long_job], offers, Policy(spot_risk=SpotRisk.NONE)), "a") == "spot"
    assert chosen(place([job("b", duration=600)], offers), "b") == "spot"  # short: small risk


def test_billing_minimum_granularity_and_startup() -> None:
    hourly = offer("hourly", price=0.06, billing_granularity_seconds=3600)
    per_second = offer("per-second", price=0.10, billing_minimum_seconds=60, startup_seconds=30)
    p = place([job("short", duration=10)], [hourly, per_second])
    assert chosen(p, "short") == "per-second"
    assert p.total_cost == pytest.approx(0.10 * 60 / 3600)  # 40 s billed as the 60 s minimum
    p = place([job("long", duration=3000)], [hourly, per_second])
    assert chosen(p, "long") == "hourly"
    assert p.total_cost == pytest.approx(0.06)
    per_second_cost = place([job("x", duration=3000)], [per_second]).total_cost
    assert per_second_cost == pytest.approx(0.10 * 3030 / 3600)


def test_equal_cost_prefers_the_faster_startup() -> None:
    offers = [
        offer("slow", startup_seconds=90, billing_minimum_seconds=3600),
        offer("fast", startup_seconds=5),
    ]
    offers[1] = dataclasses.replace(offers[1], billing_minimum_seconds=3600)
    p = place([job("a", duration=60)], offers)
    assert chosen(p, "a") == "fast"
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.why == "same cost, starts in 90s"
    twins = [offer("first"), offer("second")]
    assert chosen(place([job("a")], twins), "a") == "first"


def test_expected_duration_own_then_history_then_default() -> None:
    jobs = [job("own", duration=100), job("known", duration=None), job("new", duration=None)]
    p = place(jobs, [offer("o")], Policy(default_duration=42, packing=False), history={"known": 7, "own": 9})
    assert [p.jobs[i].duration for i in ("own", "known", "new")] == [100, 7, 42]


def test_small_jobs_are_packed_onto_one_larger_offer_when_cheaper() -> None:
    offers = [
        offer("s", cpu=2, price=0.1, startup_seconds=120, billing_minimum_seconds=60),
        offer("l", cpu=8, price=0.36, startup_seconds=120, billing_minimum_seconds=60),
    ]
    jobs = [job(f"j{i}", cpu=2, duration=300) for i in range(4)]
    p = place(jobs, offers)
    assert len(p.allocations) == 1
    a = p.allocations[0]
    assert (
        a.offer.id == "l" and set(a.job_ids) == {"j0", "j1", "j2", "j3"} and a.reserve == offers[1].resources
    )
    assert p.total_cost == pytest.approx(0.36 * 420 / 3600)
    assert sum(j.cost for j in p.jobs.values()) == pytest.approx(p.total_cost)
    assert all(j.solo_cost == pytest.approx(0.1 * 420 / 3600) for j in p.jobs.values())
    runner_up = p.jobs["j0"].runner_up
    assert runner_up is not None and runner_up.offer.id == "s"
    assert runner_up.why == "alone 0.001167 USD more than its share here"
    unpacked = place(jobs, offers, Policy(packing=False))
    assert len(unpacked.allocations) == 4 and unpacked.total_cost == pytest.approx(4 * 0.1 * 420 / 3600)
    exclusive = place([dataclasses.replace(j, exclusive=True) for j in jobs], offers)
    assert len(exclusive.allocations) == 4


def test_a_packed_allocation_lasts_as_long_as_its_longest_job() -> None:
    offers = [offer("s", cpu=1, price=0.1), offer("l", cpu=2, price=0.15)]
    p = place([job("a", duration=3600), job("b", duration=3000)], offers)
    assert len(p.allocations) == 1 and p.allocations[0].duration == 3600
    assert p.total_cost == pytest.approx(0.15)
    apart = place([job("a", duration=3600), job("b", duration=600)], offers)
    assert len(apart.allocations) == 2  # 0.1 + 0.1 / 6 alone < 0.15 together
    assert apart.total_cost == pytest.approx(0.1 + 0.1 / 6)


def test_a_packed_allocation_lists_failover_offers_holding_all_its_jobs() -> None:
    offers = [
        offer("s", cpu=1, price=0.1),
        offer("l", cpu=2, price=0.15),
        offer("l2", cpu=2, price=0.18, region="us-west-2"),
        offer("xl", cpu=4, price=0.3),
    ]
    p = place([job("a"), job("b")], offers)
    (a,) = p.allocations
    assert a.offer.id == "l" and [x.offer.id for x in a.alternatives] == ["l2", "xl"]
    assert [x.offer.id for x in p.jobs["a"].alternatives] == ["s", "l2", "xl"]


def test_multi_node_job_takes_nodes_allocations_of_one_offer() -> None:
    offers = [offer("few", price=0.1, capacity=2), offer("many", price=0.2)]
    p = place([job("mpi", resources=Resources(cpu=2, memory_bytes=GIB, nodes=3))], offers)
    (a,) = p.allocations
    assert a.offer.id == "many" and a.nodes == 3 and a.estimated_cost == pytest.approx(3 * 0.2)
    runner_up = p.jobs["mpi"].runner_up
    assert runner_up is not None and runner_up.reason is RejectReason.NO_CAPACITY
    assert runner_up.why == "cheaper but no capacity: 2 available, needs 3"


def test_capacity_is_shared_by_the_jobs_of_one_plan() -> None:
    offers = [offer("one-left", price=0.1, capacity=1), offer("plenty", price=0.2)]
    jobs = [job("a", exclusive=True), job("b", exclusive=True)]
    p = place(jobs, offers)
    assert sorted(chosen(p, i) for i in ("a", "b")) == ["one-left", "plenty"]
    second = next(j for j in p.jobs.values() if p.allocations[j.allocation].offer.id == "plenty")
    assert second.runner_up is not None
    assert second.runner_up.why == "cheaper but no capacity: used by other jobs of this plan"
    none_left = place(jobs, offers[:1])
    assert [(u.job_id, u.capacity_only) for u in none_left.unplaced] == [("b", True)]
    sold_out = place([job("a")], [dataclasses.replace(offers[0], capacity=0)])
    assert [(u.job_id, u.capacity_only) for u in sold_out.unplaced] == [("a", False)]
    assert sold_out.unplaced[0].reason == "no feasible offer: 1 no capacity"


def test_shareable_offer_is_a_pool_paid_by_share() -> None:
    local = offer("local", cpu=4, memory_gib=16, price=0.4, shareable=True, provider="local")
    cloud = offer("cloud", cpu=4, memory_gib=16, price=0.5)
    jobs = [job(f"j{i}", cpu=2, memory_gib=2) for i in range(3)]
    p = place(jobs, [local, cloud], Policy(packing=False))
    on_local = [a for a in p.allocations if a.offer.id == "local"]
    assert len(on_local) == 2 and all(a.reserve == jobs[0].resources for a in on_local)
    assert all(a.estimated_cost == pytest.approx(0.2) for a in on_local)  # half the cpu: half the price
    assert [a.offer.id for a in p.allocations if a.offer.id != "local"] == ["cloud"]
    exclusive = place([job("db", cpu=1, exclusive=True)], [local])
    assert exclusive.allocations[0].reserve == local.resources and exclusive.total_cost == pytest.approx(0.4)


def test_excluded_offers_are_skipped_for_a_failover_replacement() -> None:
    offers = [offer("cheap", price=0.1), offer("next", price=0.2)]
    p = place([job("a")], offers, excluded={("aws", "cheap")})
    assert chosen(p, "a") == "next"
    runner_up = p.jobs["a"].runner_up
    assert runner_up is not None and runner_up.reason is RejectReason.EXCLUDED
    assert runner_up.why == "cheaper but excluded after a failure"


def test_alternatives_are_ranked_and_capped() -> None:
    offers = [offer(f"o{i}", price=0.1 * (10 - i)) for i in range(10)]
    p = place([job("a")], offers, Policy(max_alternatives=3))
    assert chosen(p, "a") == "o9"
    assert [a.offer.id for a in p.jobs["a"].alternatives] == ["o8", "o7", "o6"]
    costs = [a.cost for a in p.jobs["a"].alternatives]
    assert costs == sorted(costs)


def test_unplaceable_job_says_why_and_others_are_still_placed() -> None:
    offers = [offer("a", cpu=2, region="eu-west-1"), offer("b", cpu=4, memory_gib=4)]
    p = place([job("huge", cpu=64), job("fine", cpu=1)], offers)
    assert list(p.jobs) == ["fine"]
    assert p.unplaced[0].reason == "no feasible offer: 2 too small (needs 64 cpu, has 4 cpu)"
    assert place([job("x")], []).unplaced[0].reason == "no offers"


def test_one_currency_per_plan() -> None:
    with pytest.raises(MixedCurrencyError, match="offers are priced in EUR, USD; a plan uses one currency"):
        place([job("a")], [offer("a"), offer("b", currency="EUR")])
    with pytest.raises(MixedCurrencyError, match=r"\(plan currency EUR\)"):
        place([job("a")], [offer("a")], Policy(currency="EUR"))
    assert issubclass(MixedCurrencyError, BenchHubError)
    assert place([job("a")], [offer("a", currency="EUR")]).currency == "EUR"


def test_inconsistent_inputs_are_clear_errors() -> None:
    with pytest.raises(PlacementError, match="job ids must be unique: a"):
        place([job("a"), job("a")], [offer("o")])
    with pytest.raises(PlacementError, match="same provider and offer id"):
        place([job("a")], [offer("o"), offer("o")])
    with pytest.raises(PlacementError, match="negative expected duration: a"):
        place([job("a", duration=-1)], [offer("o")])
