"""Each job alone: its feasible offers ranked by expected cost, the cheapest, and the runner-up.

Vectorised over offers with numpy, one block of jobs of the same `Signature` at a time.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from benchhub.host.scheduler.cost import allocation_cost, shares
from benchhub.host.scheduler.feasibility import TOO_SMALL, Codes, Signature, constraint_codes, fits, needs_of
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
    signatures: tuple[Signature, ...]
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
    n, k = len(jobs), policy.max_alternatives
    needs = np.asarray([needs_of(j) for j in jobs], dtype=np.float64).reshape(n, 4)
    signature_index: dict[Signature, int] = {}
    signature_id = np.asarray([signature_index.setdefault(Signature.of(j), len(signature_index)) for j in jobs])
    signatures = tuple(signature_index)
    r = _Columns(n, k)
    base_codes = tuple(constraint_codes(table, s, excluded) for s in signatures)
    masks: list[Bools] = []
    pack_mask_id = np.full(n, -1, dtype=np.int64)
    for g, signature in enumerate(signatures):
        rows = np.flatnonzero(signature_id == g)
        allowed = base_codes[g] == 0
        mask_ids = _rank_signature(r, rows, needs, durations, table, policy, signature, base_codes[g])
        masks += [allowed & ~table.shareable, allowed & ~table.shareable & table.spot]
        pack_mask_id[rows] = 2 * g + mask_ids
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
        signatures=signatures,
        base_codes=base_codes,
        pack_mask=np.asarray(masks, dtype=np.bool_).reshape(len(masks), table.size),
        pack_mask_id=pack_mask_id,
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


def _rank_signature(
    r: _Columns,
    rows: Ints,
    needs: Floats,
    durations: Floats,
    table: OfferTable,
    policy: Policy,
    signature: Signature,
    base: Codes,
) -> Ints:
    """Fill `r` for the jobs `rows` of one signature; returns per row 1 if it packs on spot only."""
    allowed = base == 0
    shareable = np.flatnonzero(table.shareable)
    tie = 1.0 + 1e-9 * table.startup_rank
    tie_floor = 1e-12 * table.startup_rank
    spot_only = np.zeros(len(rows), dtype=np.int64)
    for start in range(0, len(rows), BLOCK_ROWS):
        block = rows[start : start + BLOCK_ROWS]
        cost = allocation_cost(table, durations[block, None], policy.spot_risk) * float(signature.nodes)
        if len(shareable):
            exclusive = np.full(len(block), signature.exclusive)
            cost[:, shareable] *= shares(table.capacities()[shareable], needs[block], exclusive)
        feasible = fits(table, needs[block], signature.nodes) & allowed
        key = np.where(feasible, cost * tie + tie_floor, np.inf)
        if signature.constraints.spot == "prefer":
            has_spot = (feasible & table.spot).any(axis=1)
            key += np.where(has_spot[:, None] & ~table.spot, PREFER_PENALTY, 0.0)
            spot_only[start : start + len(block)] = has_spot
        _choose(r, block, key, cost, feasible, base)
    return spot_only


def _choose(r: _Columns, block: Ints, key: Floats, cost: Floats, feasible: Bools, base: Codes) -> None:
    rows = np.arange(len(block))
    k = r.alternatives.shape[1]
    take = min(k + 1, key.shape[1])
    top = np.argpartition(key, take - 1, axis=1)[:, :take] if take < key.shape[1] else np.tile(
        np.arange(key.shape[1]), (len(block), 1)
    )
    top = np.take_along_axis(top, np.argsort(np.take_along_axis(key, top, axis=1), axis=1, kind="stable"), axis=1)
    top_ok = np.isfinite(np.take_along_axis(key, top, axis=1))
    best = np.where(top_ok[:, 0], top[:, 0], -1)
    best_cost = np.where(best >= 0, cost[rows, np.maximum(best, 0)], np.inf)
    r.best[block], r.best_cost[block] = best, best_cost
    alternatives = np.where(top_ok[:, 1:], top[:, 1:], -1)
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
    code = np.where(base[np.maximum(runner_up, 0)] > 0, base[np.maximum(runner_up, 0)], TOO_SMALL)
    r.runner_up_code[block] = np.where((runner_up >= 0) & ~chosen_ok, code, 0)
