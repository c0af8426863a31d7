"""Each job alone: its feasible offers ranked by expected cost, the cheapest, and the runner-up.

Vectorised over offers with numpy, one block of jobs of the same `Signature` at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from benchhub.host.scheduler.cost import allocation_cost, shares
from benchhub.host.scheduler.feasibility import (
    TOO_SMALL,
    Codes,
    Signature,
    constraint_codes,
    excluded_mask,
    fits,
    needs_of,
)
from benchhub.host.scheduler.model import JobDemand, OfferKey, Policy
from benchhub.host.scheduler.offer_table import Bools, Floats, Ints, OfferTable

BLOCK_ROWS = 1024
PREFER_PENALTY = 1e18
"""Added to the rank key of on-demand offers of a spot="prefer" job that has a feasible spot offer."""


@dataclass(frozen=True)
class Ranking:
    """Per job (rows in input order) the solo choice, failover list and runner-up, as offer indices.

    -1 marks "none". `alternatives` excludes `best`. `runner_up_code` is 0 for a feasible runner-up.
    `pack_mask` is (masks x offers): the offers the job may share, by `pack_mask_id` per job.
    """

    needs: Floats
    best: Ints
    best_cost: Floats
    alternatives: Ints
    alternative_cost: Floats
    runner_up: Ints
    runner_up_cost: Floats
    runner_up_code: Ints
    signature_id: Ints
    base_codes: tuple[Codes, ...]
    """Per signature the non-size reject code of every offer."""
    pack_mask: Bools
    pack_mask_id: Ints


def rank(
    jobs: Sequence[JobDemand],
    durations: Floats,
    table: OfferTable,
    policy: Policy,
    excluded: Collection[OfferKey],
) -> Ranking:
    n = len(jobs)
    needs = np.asarray([needs_of(j) for j in jobs], dtype=np.float64).reshape(n, 4)
    signature_index: dict[Signature, int] = {}
    signature_id = np.asarray(
        [signature_index.setdefault(Signature.of(j), len(signature_index)) for j in jobs], dtype=np.int64
    )
    signatures = tuple(signature_index)
    left_out = excluded_mask(table, excluded)
    base_codes = tuple(constraint_codes(table, s, left_out) for s in signatures)
    codes = np.asarray(base_codes, dtype=np.int8).reshape(len(signatures), table.size)
    nodes = np.asarray([s.nodes for s in signatures], dtype=np.float64)[signature_id]
    exclusive = np.asarray([s.exclusive for s in signatures], dtype=np.bool_)[signature_id]
    prefer = np.asarray([s.constraints.spot == "prefer" for s in signatures], dtype=np.bool_)[signature_id]
    r = _Columns(n, policy.max_alternatives)
    spot_only = np.zeros(n, dtype=np.bool_)
    tie = 1.0 + 1e-9 * table.startup_rank
    tie_floor = 1e-12 * table.startup_rank
    shareable = np.flatnonzero(table.shareable)
    for start in range(0, n, BLOCK_ROWS):
        block = np.arange(start, min(n, start + BLOCK_ROWS))
        cost = allocation_cost(table, durations[block, None], policy.spot_risk) * nodes[block, None]
        if len(shareable):
            cost[:, shareable] *= shares(table.capacities()[shareable], needs[block], exclusive[block])
        base = codes[signature_id[block]]
        feasible = fits(table, needs[block], nodes[block], exclusive[block]) & (base == 0)
        key = np.where(feasible, cost * tie + tie_floor, np.inf)
        if prefer[block].any():
            has_spot = prefer[block] & (feasible & table.spot).any(axis=1)
            key += np.where(has_spot[:, None] & ~table.spot, PREFER_PENALTY, 0.0)
            spot_only[block] = has_spot
        _choose(r, block, key, cost, feasible, base)
    masks = [
        m for c in codes for m in (~table.shareable & (c == 0), ~table.shareable & (c == 0) & table.spot)
    ]
    return Ranking(
        needs=needs,
        best=r.best,
        best_cost=r.best_cost,
        alternatives=r.alternatives,
        alternative_cost=r.alternative_cost,
        runner_up=r.runner_up,
        runner_up_cost=r.runner_up_cost,
        runner_up_code=r.runner_up_code,
        signature_id=signature_id,
        base_codes=base_codes,
        pack_mask=np.asarray(masks, dtype=np.bool_).reshape(len(masks), table.size),
        pack_mask_id=2 * signature_id + spot_only,
    )


class _Columns:
    """The output arrays of `rank`, filled block by block."""

    def __init__(self, n: int, k: int) -> None:
        self.best = np.full(n, -1, dtype=np.int64)
        self.best_cost = np.full(n, np.inf)
        self.alternatives = np.full((n, k), -1, dtype=np.int64)
        self.alternative_cost = np.full((n, k), np.inf)
        self.runner_up = np.full(n, -1, dtype=np.int64)
        self.runner_up_cost = np.full(n, np.inf)
        self.runner_up_code = np.zeros(n, dtype=np.int64)


def _choose(r: _Columns, block: Ints, key: Floats, cost: Floats, feasible: Bools, base: Codes) -> None:
    """Fill `r` for the jobs `block`; `base` is their (jobs x offers) non-size reject codes."""
    if not key.shape[1]:
        return
    rows = np.arange(len(block))
    top = top_k(key, r.alternatives.shape[1] + 1)
    best = top[:, 0]
    best_cost = np.where(best >= 0, cost[rows, np.maximum(best, 0)], np.inf)
    r.best[block], r.best_cost[block] = best, best_cost
    alternatives = top[:, 1:]
    width = alternatives.shape[1]
    r.alternatives[block, :width] = alternatives
    r.alternative_cost[block, :width] = np.where(
        alternatives >= 0, np.take_along_axis(cost, np.maximum(alternatives, 0), axis=1), np.inf
    )
    cheaper = np.where(cost < best_cost[:, None] * (1 - 1e-9), cost, np.inf)
    cheaper[rows, np.maximum(best, 0)] = np.inf
    runner = cheaper.argmin(axis=1)
    has_cheaper = np.isfinite(cheaper[rows, runner])
    runner_up = np.where(has_cheaper, runner, alternatives[:, 0] if width else -1)
    r.runner_up[block] = runner_up
    r.runner_up_cost[block] = np.where(runner_up >= 0, cost[rows, np.maximum(runner_up, 0)], np.inf)
    chosen_ok = feasible[rows, np.maximum(runner_up, 0)]
    runner_base = base[rows, np.maximum(runner_up, 0)]
    code = np.where(runner_base > 0, runner_base, TOO_SMALL)
    r.runner_up_code[block] = np.where((runner_up >= 0) & ~chosen_ok, code, 0)


def top_k(key: Floats, k: int) -> Ints:
    """Per row the columns of the `k` smallest finite keys, smallest first, padded with -1."""
    if k < key.shape[1]:
        top = np.argpartition(key, k - 1, axis=1)[:, :k]
    else:
        top = np.tile(np.arange(key.shape[1]), (key.shape[0], 1))
    values = np.take_along_axis(key, top, axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    top = np.take_along_axis(top, order, axis=1)
    found: Ints = np.where(np.isfinite(np.take_along_axis(values, order, axis=1)), top, -1)
    return found
