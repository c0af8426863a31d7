"""Scheduler benchmark: placement quality against the MILP optimum, and placement speed.

    python bench/scheduler.py [--instances 100] [--seed 1] [--skip-speed] [--skip-quality]

Quality: random instances of 20-40 jobs on 10-30 offer types shaped like cloud price lists
(families priced linearly in vCPU with 2/4/8 GiB per vCPU, x86 and cheaper arm, regional price
factors, spot at 30-70 % with interruption rates, per-second billing with a one-minute minimum,
startup times). `place()` is compared with the same problem solved exactly as a MILP
(scipy.optimize.milp / HiGHS); the naive placement (each job alone on its cheapest offer) is the
baseline. Speed: 10k and 20k jobs on 1k offers.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from benchhub.host.scheduler.cost import allocation_cost
from benchhub.host.scheduler.feasibility import Signature, constraint_codes, fits, needs_of
from benchhub.host.scheduler.model import Constraints, JobDemand, Offer, Policy, Resources
from benchhub.host.scheduler.offer_table import offer_table
from benchhub.host.scheduler.placement import place

GIB = 1024**3
FAMILIES = (  # name, GiB per vCPU, USD per vCPU-hour, arch
    ("c", 2, 0.0425, "x86_64"),
    ("m", 4, 0.048, "x86_64"),
    ("r", 8, 0.063, "x86_64"),
    ("c-arm", 2, 0.034, "arm64"),
    ("m-arm", 4, 0.0385, "arm64"),
    ("r-arm", 8, 0.0504, "arm64"),
)
SIZES = (2, 4, 8, 16, 32, 64)
REGIONS = (
    ("us-east-1", 1.0),
    ("us-west-2", 1.0),
    ("eu-west-1", 1.11),
    ("ap-south-1", 1.07),
    ("sa-east-1", 1.5),
)


def price_list(rng: np.random.Generator, n: int) -> list[Offer]:
    """`n` offers drawn from families x sizes x regions x (on-demand, spot)."""
    catalog = [(f, s, r, spot) for f in FAMILIES for s in SIZES for r in REGIONS for spot in (False, True)]
    offers = []
    for i in rng.choice(len(catalog), size=min(n, len(catalog)), replace=False).tolist():
        (family, gib, per_cpu, arch), size, (region, factor), spot = catalog[i]
        price = per_cpu * size * factor * (rng.uniform(0.3, 0.7) if spot else 1.0)
        offers.append(
            Offer(
                provider="aws" if i % 3 else "gcp",
                id=f"o{i}",
                region=region,
                zone=f"{region}a",
                instance_type=f"{family}.{size}",
                resources=Resources(cpu=size, memory_bytes=size * gib * GIB, arch=arch),
                price_per_hour=round(price, 4),
                currency="USD",
                spot=spot,
                interruption_rate=float(rng.uniform(0.02, 0.2)) if spot else 0.0,
                startup_seconds=float(rng.uniform(30, 120)),
                billing_minimum_seconds=60.0,
            )
        )
    return offers


def job_list(rng: np.random.Generator, n: int, offers: list[Offer]) -> list[JobDemand]:
    regions = sorted({o.region for o in offers})
    jobs = []
    for i in range(n):
        cpu = float(rng.choice([0.5, 1, 2, 4, 8, 16], p=[0.15, 0.3, 0.25, 0.15, 0.1, 0.05]))
        memory = int(cpu * float(rng.choice([1, 2, 4, 7])) * GIB)
        roll = rng.random(6)
        constraints = Constraints(
            regions=tuple(rng.choice(regions, size=2, replace=False).tolist()) if roll[0] < 0.2 else (),
            spot=False
            if roll[1] < 0.15
            else (True if roll[1] > 0.9 else ("prefer" if roll[1] > 0.85 else None)),
            max_price=float(cpu * 0.1) if roll[2] < 0.1 else None,
        )
        jobs.append(
            JobDemand(
                id=f"j{i}",
                resources=Resources(
                    cpu=cpu,
                    memory_bytes=memory,
                    nodes=int(rng.integers(2, 4)) if roll[3] < 0.05 else 1,
                    arch="arm64" if roll[4] < 0.1 else "",
                ),
                expected_duration=float(np.exp(rng.uniform(math.log(60), math.log(3600)))),
                exclusive=bool(roll[5] < 0.1),
                constraints=constraints,
            )
        )
    return jobs


@dataclass(frozen=True)
class Optimum:
    cost: float
    optimal: bool


def milp_optimum(jobs: list[JobDemand], offers: list[Offer], policy: Policy, time_limit: float) -> Optimum:
    """The least cost of the same problem, solved as a MILP.

    Jobs are ordered longest first. A bin is identified by its offer o and its leader i (its
    first job in that order, so it lasts d_i): u_oi = 1 opens it at cost f_o(d_i), x_joi puts a
    later job j in it, x_ioi = u_oi, and the bin's content fits o. Non-packable jobs (exclusive,
    multi-node) only lead bins of their own. A "prefer" job with a feasible spot offer is limited
    to spot offers. Offers beaten by another on every cost and size are left out (exact).
    """
    table = offer_table(offers, policy.currency)
    order = sorted(
        range(len(jobs)), key=lambda i: (-(jobs[i].expected_duration or policy.default_duration), i)
    )
    jobs = [jobs[i] for i in order]
    d = np.asarray([j.expected_duration or policy.default_duration for j in jobs])
    needs = np.asarray([needs_of(j) for j in jobs])
    nodes = np.asarray([j.nodes for j in jobs], dtype=float)
    feasible = np.zeros((len(jobs), len(offers)), dtype=bool)
    for i, j in enumerate(jobs):
        allowed = constraint_codes(table, Signature.of(j), np.zeros(len(offers), dtype=bool)) == 0
        feasible[i] = allowed & fits(table, needs[i : i + 1], nodes[i : i + 1], np.asarray([j.exclusive]))[0]
        if j.constraints.spot == "prefer" and (feasible[i] & table.spot).any():
            feasible[i] &= table.spot
    cost = allocation_cost(table, d[:, None], policy.spot_risk) * nodes[:, None]
    packable = np.asarray([not j.exclusive and j.nodes == 1 for j in jobs])
    useful = _undominated(feasible, cost, table.capacities())
    costs: list[float] = []
    entries: list[tuple[int, int, float]] = []
    lower: list[float] = []
    upper: list[float] = []
    assign: list[list[int]] = [[] for _ in jobs]

    def row(terms: list[tuple[int, float]], lo: float, hi: float) -> None:
        entries.extend((len(lower), c, v) for c, v in terms)
        lower.append(lo)
        upper.append(hi)

    def column(c: float) -> int:
        costs.append(c)
        return len(costs) - 1

    for o in np.flatnonzero(useful).tolist():
        members = np.flatnonzero(feasible[:, o]).tolist()
        for a, leader in enumerate(members):
            u = column(float(cost[leader, o]))
            assign[leader].append(u)
            if not packable[leader]:
                continue
            cpu = [(u, needs[leader, 0] - table.cpu[o])]  # content <= capacity x u
            memory = [(u, (needs[leader, 1] - table.memory[o]) / GIB)]
            for j in members[a + 1 :]:
                if packable[j]:
                    x = column(0.0)
                    assign[j].append(x)
                    row([(x, 1.0), (u, -1.0)], -np.inf, 0.0)
                    cpu.append((x, needs[j, 0]))
                    memory.append((x, needs[j, 1] / GIB))
            row(cpu, -np.inf, 1e-9)
            row(memory, -np.inf, 1e-9)
    for i in range(len(jobs)):
        row([(x, 1.0) for x in assign[i]], 1.0, 1.0)
    matrix = sp.csr_array(
        ([v for _, _, v in entries], ([r for r, _, _ in entries], [c for _, c, _ in entries])),
        shape=(len(lower), len(costs)),
    )
    result = milp(
        np.asarray(costs),
        constraints=LinearConstraint(matrix, lower, upper),
        integrality=np.ones(len(costs)),
        bounds=Bounds(0, 1),
        options={"time_limit": time_limit, "mip_rel_gap": 1e-6},
    )
    if result.x is None:
        raise RuntimeError(f"MILP failed: {result.message}")
    return Optimum(float(result.fun), result.status == 0)


def _undominated(feasible: np.ndarray, cost: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Offers no other offer beats: as large, allowed for the same jobs, never dearer."""
    n = feasible.shape[1]
    keep = np.ones(n, dtype=bool)
    for b in range(n):
        for a in range(n):
            if a == b or not keep[a]:
                continue
            if (
                (caps[a] >= caps[b]).all()
                and (feasible[:, a] >= feasible[:, b]).all()
                and (np.where(feasible[:, b], cost[:, a] <= cost[:, b], True)).all()
            ):
                keep[b] = False
                break
    return keep


def naive_cost(jobs: list[JobDemand], offers: list[Offer], policy: Policy) -> float:
    return place(jobs, offers, Policy(currency=policy.currency, packing=False)).total_cost


def quality(instances: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    policy = Policy()
    ratios, naive_ratios, not_optimal, seconds = [], [], 0, 0.0
    for _ in range(instances):
        offers = price_list(rng, int(rng.integers(10, 31)))
        jobs = job_list(rng, int(rng.integers(20, 41)), offers)
        started = time.perf_counter()
        placement = place(jobs, offers, policy)
        seconds += time.perf_counter() - started
        placed = [j for j in jobs if j.id in placement.jobs]
        optimum = milp_optimum(placed, offers, policy, time_limit=30)
        not_optimal += not optimum.optimal
        ratios.append(placement.total_cost / optimum.cost)
        naive_ratios.append(naive_cost(placed, offers, policy) / optimum.cost)
    print(f"quality over {instances} instances (20-40 jobs, 10-30 offer types)")
    print(f"  MILPs stopped by the time limit: {not_optimal} (target 0)")
    mean, worst = statistics.mean(ratios), max(ratios)
    print(f"  place / optimum: mean {mean:.4f} (target <= 1.03), worst {worst:.4f} (target <= 1.10)")
    mean, worst = statistics.mean(naive_ratios), max(naive_ratios)
    print(f"  naive / optimum: mean {mean:.4f}, worst {worst:.4f} (baseline: each job alone, cheapest)")
    print(f"  place mean time {seconds / instances * 1000:.1f} ms per instance")


def timed(jobs: list[JobDemand], offers: list[Offer], policy: Policy, runs: int = 3) -> tuple[float, float]:
    """Best wall and CPU seconds of `place` over `runs` runs (CPU time is what the 2 cores shared
    with other work cannot inflate)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        place(jobs, offers, policy)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(wall), min(cpu)


def speed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    offers = _thousand_offers(rng)
    jobs = job_list(rng, 20_000, offers)
    timed(jobs[:1000], offers, Policy(), runs=1)  # warm up
    wall10, cpu10 = timed(jobs[:10_000], offers, Policy())
    wall20, cpu20 = timed(jobs, offers, Policy())
    base_wall, base_cpu = timed(jobs[:10_000], offers, Policy(packing=False))
    print(f"speed on {len(offers)} offers (best of 3 runs)")
    print(f"  10k jobs: wall {wall10:.2f} s, cpu {cpu10:.2f} s (target < 2 s)")
    print(f"  20k jobs: wall {wall20:.2f} s, cpu {cpu20:.2f} s")
    print(f"  time(20k)/time(10k): wall {wall20 / wall10:.2f}, cpu {cpu20 / cpu10:.2f} (target <= 2.3)")
    print(
        f"  10k jobs without packing: wall {base_wall:.2f} s, cpu {base_cpu:.2f} s "
        f"(baseline; packing costs x{cpu10 / base_cpu:.2f} cpu)"
    )


def _thousand_offers(rng: np.random.Generator) -> list[Offer]:
    """1,000 offers: the catalog (360 types) in three zones, each with its own spot prices."""
    offers = [
        dataclasses.replace(o, id=f"{o.id}{zone}", zone=f"{o.region}{zone}")
        for zone in "abc"
        for o in price_list(rng, 360)
    ]
    return offers[:1000]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    args = parser.parse_args()
    if not args.skip_quality:
        quality(args.instances, args.seed)
    if not args.skip_speed:
        speed(args.seed)


if __name__ == "__main__":
    main()
