"""`place()`: the cheapest feasible placement of ready jobs onto priced offers. Pure: no I/O, no state.

1. rank: every job alone on every feasible offer (cost model in `cost`), cheapest first;
2. pack: non-exclusive single-node jobs share an allocation where that is cheaper (`packing`);
3. capacity: allocations beyond an offer's capacity (or a shareable offer's resources) are undone
   and their jobs placed again on what is left, until everything fits.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from benchhub.host.scheduler.cost import allocation_cost, expected_duration
from benchhub.host.scheduler.explain import runner_up_why, unplaceable
from benchhub.host.scheduler.feasibility import TOO_SMALL, fits, reason_of
from benchhub.host.scheduler.model import (
    Allocation,
    Alternative,
    JobDemand,
    JobPlacement,
    Offer,
    OfferKey,
    Placement,
    PlacementError,
    Policy,
    RejectReason,
    Resources,
    RunnerUp,
    Unplaced,
)
from benchhub.host.scheduler.offer_table import OfferTable, offer_table
from benchhub.host.scheduler.packing import Bin, Jobs, pack
from benchhub.host.scheduler.ranking import BLOCK_ROWS, rank, top_k


def place(
    jobs: Sequence[JobDemand],
    offers: Sequence[Offer],
    policy: Policy = Policy(),  # noqa: B008 - frozen, so a safe default
    *,
    history: Mapping[str, float] | None = None,
    excluded: Collection[OfferKey] = frozenset(),
) -> Placement:
    """Place `jobs` on `offers` at the least expected cost.

    `history` maps a job id to the median duration (seconds) of its past runs; `excluded` holds
    offer keys to leave out (the executor re-places a failed allocation's jobs that way).
    """
    _check(jobs)
    history = history or {}
    durations = {j.id: expected_duration(j, history, policy) for j in jobs}
    originals = {o.key: o for o in offers}
    table = offer_table(offers, policy.currency)
    allocations: list[Allocation] = []
    placed: dict[str, JobPlacement] = {}
    unplaced: list[Unplaced] = []
    ever_feasible: set[str] | None = None
    pending = list(jobs)
    while pending:
        result = _Round(pending, durations, table, policy, excluded, originals)
        if ever_feasible is None:
            ever_feasible = {j.id for j, best in zip(pending, result.ranking.best, strict=True) if best >= 0}
        unplaced += [dataclasses.replace(u, capacity_only=u.job_id in ever_feasible) for u in result.unplaced]
        kept, displaced, remaining = _within_capacity(result.allocations, table.offers)
        assert kept or not displaced, "the first allocation of each offer always fits"
        for allocation in kept:
            for job_id in allocation.job_ids:
                job = result.placements[job_id]
                moved = job.allocation != len(allocations)
                placed[job_id] = dataclasses.replace(job, allocation=len(allocations)) if moved else job
            allocations.append(allocation)
        pending = [j for j in pending if j.id in displaced]
        if pending:
            partly_used = {o.key for o in remaining if o.resources != originals[o.key].resources}
            table = offer_table(remaining, table.currency, partly_used)
    order = {j.id: i for i, j in enumerate(jobs)}
    return Placement(
        currency=table.currency,
        allocations=tuple(allocations),
        jobs={job_id: placed[job_id] for job_id in sorted(placed, key=order.__getitem__)},
        unplaced=tuple(sorted(unplaced, key=lambda u: order[u.job_id])),
        total_cost=float(sum(a.estimated_cost for a in allocations)),
    )


def _check(jobs: Sequence[JobDemand]) -> None:
    ids = Counter(j.id for j in jobs)
    twice = sorted(i for i, n in ids.items() if n > 1)
    if twice:
        raise PlacementError(f"job ids must be unique: {', '.join(twice)}")
    negative = sorted(j.id for j in jobs if (j.expected_duration or 0) < 0)
    if negative:
        raise PlacementError(f"negative expected duration: {', '.join(negative)}")


@dataclass
class _Round:
    """One pass of rank + pack over `jobs` against the offers left in `table`."""

    jobs: list[JobDemand]
    durations: Mapping[str, float]
    table: OfferTable
    policy: Policy
    excluded: Collection[OfferKey]
    originals: Mapping[OfferKey, Offer]

    def __post_init__(self) -> None:
        self.d = np.asarray([self.durations[j.id] for j in self.jobs], dtype=np.float64)
        self.ranking = rank(self.jobs, self.d, self.table, self.policy, self.excluded)
        self.original = [self.originals[o.key] for o in self.table.offers]
        self.allocations: list[Allocation] = []
        self.placements: dict[str, JobPlacement] = {}
        self.unplaced = [self._unplaced(i) for i in np.flatnonzero(self.ranking.best < 0).tolist()]
        bins = self._pack()
        in_bins = {i for b in bins for i in b.rows}
        solo = [[i] for i in np.flatnonzero(self.ranking.best >= 0).tolist() if i not in in_bins]
        bin_alternatives = dict(zip((b.rows[0] for b in bins), self._bin_alternatives(bins), strict=True))
        by_first = {b.rows[0]: b for b in bins}
        for rows in sorted([*(b.rows for b in bins), *solo]):
            if len(rows) == 1:
                self._allocate_solo(rows[0])
            else:
                self._allocate_bin(by_first[rows[0]], bin_alternatives[rows[0]])

    def _pack(self) -> list[Bin]:
        """The bins of two or more jobs, with `rows` renumbered to this round's jobs."""
        r = self.ranking
        if not self.policy.packing:
            return []
        rows = np.flatnonzero(
            (r.best >= 0) & np.asarray([not j.exclusive and j.nodes == 1 for j in self.jobs], dtype=np.bool_)
        )
        candidates = Jobs(r.needs[rows], self.d[rows], r.best_cost[rows], r.pack_mask_id[rows], r.pack_mask)
        bins = pack(self.table, self.policy.spot_risk, candidates)
        for b in bins:
            b.rows = sorted(int(rows[i]) for i in b.rows)
        return bins

    def _alternatives(
        self, columns: Sequence[int], costs: Sequence[float], skip: int
    ) -> tuple[Alternative, ...]:
        found = [
            Alternative(self.original[c], cost)
            for c, cost in zip(columns, costs, strict=True)
            if c >= 0 and c != skip
        ]
        return tuple(found[: self.policy.max_alternatives])

    def _job_alternatives(self, i: int, skip: int) -> tuple[Alternative, ...]:
        r = self.ranking
        columns = [int(r.best[i]), *r.alternatives[i].tolist()]
        costs = [float(r.best_cost[i]), *r.alternative_cost[i].tolist()]
        return self._alternatives(columns, costs, skip)

    def _allocate_solo(self, i: int) -> None:
        r, job = self.ranking, self.jobs[i]
        column, duration, cost = int(r.best[i]), float(self.d[i]), float(r.best_cost[i])
        offer = self.original[column]
        reserve = job.resources if offer.shareable and not job.exclusive else offer.resources
        alternatives = self._job_alternatives(i, column)
        index = len(self.allocations)
        self.allocations.append(
            Allocation(offer, (job.id,), reserve, job.nodes, duration, cost, alternatives)
        )
        runner_up = self._runner_up(i, cost)
        self.placements[job.id] = JobPlacement(job.id, index, duration, cost, cost, alternatives, runner_up)

    def _allocate_bin(self, b: Bin, alternatives: tuple[Alternative, ...]) -> None:
        r, rows = self.ranking, b.rows
        offer, index = self.original[b.offer], len(self.allocations)
        job_ids = tuple(self.jobs[i].id for i in rows)
        self.allocations.append(
            Allocation(offer, job_ids, offer.resources, 1, b.duration, b.cost, alternatives)
        )
        solo = r.best_cost[rows]
        share = b.cost * solo / solo.sum() if solo.sum() > 0 else np.full(len(rows), b.cost / len(rows))
        for i, job_share in zip(rows, share.tolist(), strict=True):
            alone = float(r.best_cost[i])
            why = f"alone {alone - job_share:.4g} {self.table.currency} more than its share here"
            self.placements[self.jobs[i].id] = JobPlacement(
                self.jobs[i].id,
                index,
                float(self.d[i]),
                job_share,
                alone,
                self._job_alternatives(i, b.offer),
                RunnerUp(self.original[int(r.best[i])], alone, why),
            )

    def _bin_alternatives(self, bins: list[Bin]) -> list[tuple[Alternative, ...]]:
        """Per bin the offers able to hold all its jobs, cheapest first, less the chosen one."""
        r, found = self.ranking, []
        for start in range(0, len(bins), BLOCK_ROWS):
            block = bins[start : start + BLOCK_ROWS]
            masks = [r.pack_mask[r.pack_mask_id[b.rows]] for b in block]
            allowed = np.stack([np.logical_and.reduce(m, axis=0) for m in masks])
            contents = np.stack([r.needs[b.rows].sum(axis=0) for b in block])
            durations = np.asarray([b.duration for b in block])
            cost = allocation_cost(self.table, durations[:, None], self.policy.spot_risk)
            room = fits(self.table, contents, np.ones(len(block)), np.zeros(len(block), dtype=np.bool_))
            top = top_k(np.where(allowed & room, cost, np.inf), self.policy.max_alternatives + 1)
            found += [
                self._alternatives(columns, np.take(c, np.maximum(columns, 0)).tolist(), b.offer)
                for b, columns, c in zip(block, top.tolist(), cost, strict=True)
            ]
        return found

    def _runner_up(self, i: int, chosen_cost: float) -> RunnerUp | None:
        r = self.ranking
        column = int(r.runner_up[i])
        if column < 0:
            return None
        offer, cost = self.original[column], float(r.runner_up_cost[i])
        reason = reason_of(int(r.runner_up_code[i]))
        why = runner_up_why(self.jobs[i], offer, reason, cost - chosen_cost, self.table.currency)
        return RunnerUp(offer, cost, why, reason)

    def _unplaced(self, i: int) -> Unplaced:
        r, job = self.ranking, self.jobs[i]
        base = r.base_codes[int(r.signature_id[i])]
        room = fits(
            self.table, r.needs[i : i + 1], np.asarray([float(job.nodes)]), np.asarray([job.exclusive])
        )[0]
        codes = np.where(base > 0, base, np.where(room, 0, TOO_SMALL))
        counts: dict[RejectReason, int] = {}
        examples: dict[RejectReason, Offer] = {}
        for code in np.unique(codes[codes > 0]).tolist():
            reason = reason_of(code)
            assert reason is not None
            members = np.flatnonzero(codes == code)
            counts[reason] = len(members)
            examples[reason] = self.original[int(members[np.argmax(self.table.cpu[members])])]
        return Unplaced(job.id, unplaceable(counts, job, examples))


def _within_capacity(
    allocations: list[Allocation], offers: Sequence[Offer]
) -> tuple[list[Allocation], set[str], list[Offer]]:
    """Keep allocations in order while their offers have capacity (and shareable pool) left.

    Returns the kept ones, the job ids of the others, and the offers with what is left of them.
    """
    left = {o.key: o for o in offers}
    kept: list[Allocation] = []
    displaced: set[str] = set()
    for a in allocations:
        offer = left[a.offer.key]
        if not _has_room(offer, a):
            displaced.update(a.job_ids)
            continue
        kept.append(a)
        if offer.capacity < 0 and not offer.shareable:
            continue
        capacity = offer.capacity - a.nodes if offer.capacity >= 0 else -1
        resources = _minus(offer.resources, a.reserve, a.nodes) if offer.shareable else offer.resources
        left[a.offer.key] = dataclasses.replace(offer, capacity=capacity, resources=resources)
    return kept, displaced, list(left.values())


def _has_room(offer: Offer, a: Allocation) -> bool:
    if 0 <= offer.capacity < a.nodes:
        return False
    if not offer.shareable:
        return True
    have, need = offer.resources, a.reserve
    return (
        need.cpu * a.nodes <= have.cpu + 1e-9
        and need.memory_bytes * a.nodes <= have.memory_bytes
        and need.gpu * a.nodes <= have.gpu
        and (have.disk_bytes == 0 or need.disk_bytes * a.nodes <= have.disk_bytes)
    )


def _minus(have: Resources, used: Resources, times: int) -> Resources:
    return dataclasses.replace(
        have,
        cpu=max(0.0, have.cpu - used.cpu * times),
        memory_bytes=max(0, have.memory_bytes - used.memory_bytes * times),
        gpu=max(0, have.gpu - used.gpu * times),
        disk_bytes=max(1, have.disk_bytes - used.disk_bytes * times) if have.disk_bytes else 0,
    )
