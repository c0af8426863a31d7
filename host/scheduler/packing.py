"""Variable-size bin packing: share one allocation between non-exclusive jobs when that is cheaper.

Jobs are taken longest first (a bin then lasts as long as its first job); each joins the open bin
where it adds the least cost - the bin moving up to the cheapest offer type holding its new
content - when that is less than the job costs alone, else it opens a bin of its own. Only the
most recently opened bins (the ones of similar duration) are searched, which keeps the pass
linear. A local improvement then repeatedly merges bins and ejects jobs while either saves.
Bin types are the non-shareable offers, after dropping those another offer beats in every respect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchhub.host.scheduler.cost import allocation_cost
from benchhub.host.scheduler.model import SpotRisk
from benchhub.host.scheduler.offer_table import Bools, Floats, Ints, OfferTable

WINDOW = 16
"""Open bins searched per job."""
IMPROVE_LIMIT = 400
"""Bins up to which the quadratic merge improvement runs."""
EPS = 1e-12


@dataclass(frozen=True)
class Jobs:
    """The jobs to pack, as rows: per-node needs (n x 4), expected seconds, cost alone, and the
    offers each may share (`masks[mask_id]`, columns of the offer table)."""

    needs: Floats
    durations: Floats
    solo_cost: Floats
    mask_id: Ints
    masks: Bools


@dataclass
class Bin:
    """Jobs sharing one allocation of `offer` (a table column; -1 while the bin holds one job
    that stays on its solo choice)."""

    rows: list[int]
    content: Floats
    duration: float
    allowed: Bools
    type_cost: Floats = field(repr=False)
    """Cost of each bin type for `duration`."""
    offer: int = -1
    cost: float = 0.0


def pack(table: OfferTable, risk: SpotRisk, jobs: Jobs) -> list[Bin]:
    """The bins holding two or more jobs; every other job stays on its solo choice."""
    types = _bin_types(table, jobs.masks[np.unique(jobs.mask_id)])
    if not len(types) or len(jobs.durations) < 2:
        return []
    packer = _Packer(table, types, risk, jobs)
    order = np.lexsort((-jobs.needs.max(axis=1), -jobs.durations))
    bins = packer.first_fit(order)
    bins = packer.improve(bins)
    for b in bins:
        b.offer = int(types[b.offer]) if b.offer >= 0 else -1
    return [b for b in bins if len(b.rows) > 1]


def _bin_types(table: OfferTable, masks: Bools) -> Ints:
    """Columns usable as bins by some mask, minus those dominated by another such column."""
    columns = np.flatnonzero(masks.any(axis=0) & ~table.shareable & (table.capacity != 0))
    if len(columns) < 2:
        return columns
    caps = table.capacities()[columns]
    at_least = (caps[:, None, :] >= caps[None, :, :]).all(axis=2)  # [a, b]: a holds what b holds
    no_worse = at_least.copy()
    for column in (table.price, table.startup, table.interruption_rate, table.minimum):
        values = column[columns]
        no_worse &= values[:, None] <= values[None, :]
    no_worse &= table.granularity[columns][:, None] == table.granularity[columns][None, :]
    capacity = table.capacity[columns]
    no_worse &= (capacity[:, None] < 0) | ((capacity[None, :] >= 0) & (capacity[:, None] >= capacity[None, :]))
    m = masks[:, columns].astype(np.float64)
    no_worse &= (m.T @ (1.0 - m)) == 0  # a allowed wherever b is
    ties = no_worse & no_worse.T
    index = np.arange(len(columns))
    beaten = no_worse & (~ties | (index[:, None] < index[None, :]))
    np.fill_diagonal(beaten, False)
    return columns[~beaten.any(axis=0)]


class _Packer:
    def __init__(self, table: OfferTable, types: Ints, risk: SpotRisk, jobs: Jobs) -> None:
        self.sub = _subtable(table, types)
        self.caps = self.sub.capacities()
        self.dims = [d for d in range(4) if jobs.needs[:, d].any()] or [0]
        self.masks = jobs.masks[:, types]
        self.risk = risk
        self.jobs = jobs

    def _type_cost(self, duration: float) -> Floats:
        return allocation_cost(self.sub, duration, self.risk)

    def _cheapest(self, contents: Floats, allowed: Bools, type_cost: Floats) -> tuple[Ints, Floats]:
        """Per row of `contents`, the cheapest allowed type holding it (and its cost)."""
        ok = allowed.copy()
        for d in self.dims:
            ok &= contents[:, d : d + 1] <= self.caps[:, d]
        cost = np.where(ok, type_cost, np.inf)
        best = cost.argmin(axis=1)
        return best, cost[np.arange(len(best)), best]

    def first_fit(self, order: Ints) -> list[Bin]:
        j = self.jobs
        n_types = len(self.caps)
        content = np.zeros((WINDOW, 4))
        allowed = np.zeros((WINDOW, n_types), dtype=np.bool_)
        type_cost = np.zeros((WINDOW, n_types))
        cost = np.zeros(WINDOW)
        window: list[Bin] = []
        bins: list[Bin] = []
        for row in order.tolist():
            need, mask, solo = j.needs[row], self.masks[j.mask_id[row]], float(j.solo_cost[row])
            w = len(window)
            if w and solo > EPS:
                best, new_cost = self._cheapest(content[:w] + need, allowed[:w] & mask, type_cost[:w])
                delta = new_cost - cost[:w]
                slot = int(delta.argmin())
                if delta[slot] < solo - EPS * (1 + solo):
                    b = window[slot]
                    b.rows.append(row)
                    content[slot] += need
                    allowed[slot] &= mask
                    b.offer, b.cost = int(best[slot]), float(new_cost[slot])
                    cost[slot] = b.cost
                    continue
            slot = len(bins) % WINDOW
            b = Bin([row], need.copy(), float(j.durations[row]), mask.copy(), self._type_cost(float(j.durations[row])))
            b.cost = solo
            bins.append(b)
            if w < WINDOW:
                window.append(b)
            else:
                window[slot] = b
            content[slot], allowed[slot], type_cost[slot], cost[slot] = need, mask, b.type_cost, solo
        for b in bins:  # the window's arrays were working copies
            b.content = j.needs[b.rows].sum(axis=0)
            b.allowed = np.logical_and.reduce(self.masks[j.mask_id[b.rows]], axis=0)
        return bins

    def improve(self, bins: list[Bin]) -> list[Bin]:
        """Eject jobs that cost less alone, then merge pairs of bins while a merge saves."""
        bins = [piece for b in bins for piece in self._eject(b)]
        if len(bins) > IMPROVE_LIMIT:
            return bins
        while True:
            merge = self._best_merge(bins)
            if merge is None:
                return bins
            a, b, merged = merge
            bins = [x for i, x in enumerate(bins) if i not in (a, b)] + [merged]

    def _eject(self, b: Bin) -> list[Bin]:
        """Split off single jobs while the rest plus the job alone costs less than the bin."""
        j = self.jobs
        pieces: list[Bin] = []
        while len(b.rows) > 1:
            rest = [[r for r in b.rows if r != out] for out in b.rows]
            trials = [self._bin_of(rows) for rows in rest]
            savings = [b.cost - (t.cost + float(j.solo_cost[out])) for t, out in zip(trials, b.rows, strict=True)]
            i = int(np.argmax(savings))
            if savings[i] <= EPS * (1 + b.cost):
                break
            pieces.append(self._bin_of([b.rows[i]]))
            b = trials[i]
        return [b, *pieces]

    def _best_merge(self, bins: list[Bin]) -> tuple[int, int, Bin] | None:
        best: tuple[float, int, int, Bin] | None = None
        for a in range(len(bins)):
            for b in range(a + 1, len(bins)):
                x, y = bins[a], bins[b]
                allowed = x.allowed & y.allowed
                if not allowed.any():
                    continue
                long = x if x.duration >= y.duration else y
                offer, cost = self._cheapest((x.content + y.content)[None, :], allowed[None, :], long.type_cost[None, :])
                saving = x.cost + y.cost - float(cost[0])
                if saving > EPS * (1 + x.cost + y.cost) and (best is None or saving > best[0]):
                    merged = Bin(x.rows + y.rows, x.content + y.content, long.duration, allowed, long.type_cost)
                    merged.offer, merged.cost = int(offer[0]), float(cost[0])
                    best = (saving, a, b, merged)
        return None if best is None else best[1:]

    def _bin_of(self, rows: list[int]) -> Bin:
        j = self.jobs
        duration = float(j.durations[rows].max())
        content = j.needs[rows].sum(axis=0)
        allowed = np.logical_and.reduce(self.masks[j.mask_id[rows]], axis=0)
        type_cost = self._type_cost(duration)
        b = Bin(list(rows), content, duration, allowed, type_cost)
        if len(rows) == 1:
            b.cost = float(j.solo_cost[rows[0]])
        else:
            offer, cost = self._cheapest(content[None, :], allowed[None, :], type_cost[None, :])
            b.offer, b.cost = int(offer[0]), float(cost[0])
        return b


def _subtable(table: OfferTable, columns: Ints) -> OfferTable:
    return OfferTable(
        offers=tuple(table.offers[c] for c in columns.tolist()),
        currency=table.currency,
        cpu=table.cpu[columns],
        memory=table.memory[columns],
        gpu=table.gpu[columns],
        disk=table.disk[columns],
        price=table.price[columns],
        spot=table.spot[columns],
        interruption_rate=table.interruption_rate[columns],
        capacity=table.capacity[columns],
        startup=table.startup[columns],
        granularity=table.granularity[columns],
        minimum=table.minimum[columns],
        shareable=table.shareable[columns],
        startup_rank=table.startup_rank[columns],
    )
