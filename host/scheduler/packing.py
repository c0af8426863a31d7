"""Variable-size bin packing: share one allocation between non-exclusive jobs when that is cheaper.

A bin lasts as long as its longest job and costs what the cheapest offer type holding its content
costs for that long; a job left alone costs its solo cost (its cheapest feasible offer).

- `first_fit` (linear, any size): jobs longest first; each joins the recently opened bin where
  it adds the least cost (the bin may move up to a larger type) if that is below its solo cost.
- `best_bins` (when jobs^2 x types is small): repeatedly one of the longest jobs left leads a bin (the bin may
  take only jobs not longer); for each type able to hold the leader the bin is filled with the jobs
  worth most per share of that type, or else worth most; the leader, type and fill saving most over
  solo costs win.
- `improve` (up to IMPROVE_LIMIT jobs): moves single jobs between bins (or out alone) and merges bins
  while that saves.

Bin types are the non-shareable offers, less those another offer beats in every respect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchhub.host.scheduler.cost import allocation_cost
from benchhub.host.scheduler.model import SpotRisk
from benchhub.host.scheduler.offer_table import Bools, Floats, Ints, OfferTable

WINDOW = 16
"""Open bins searched per job by `first_fit`."""
IMPROVE_LIMIT = 120
"""Jobs up to which `improve` runs."""
BEST_BINS_WORK = 100_000
"""Largest jobs^2 x bin types for which `best_bins` runs too."""
MAX_SWEEPS = 50
LEADERS = 6
"""`best_bins` tries each of the longest jobs left as the next bin's leader."""
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
    n = len(jobs.durations)
    used = np.flatnonzero(np.bincount(jobs.mask_id))  # np.unique of the ids, without loading numpy.ma
    types = _bin_types(table, jobs.masks[used], prune=n <= IMPROVE_LIMIT)
    if not len(types) or n < 2:
        return []
    packer = _Packer(table, types, risk, jobs)
    order = np.lexsort((-jobs.needs.max(axis=1), -jobs.durations))
    tries = [packer.first_fit(order)]
    if n * n * len(types) <= BEST_BINS_WORK:
        tries.append(packer.best_bins(order))
    if n <= IMPROVE_LIMIT:
        tries = [packer.improve(bins) for bins in tries]
    bins = min(tries, key=lambda found: sum(b.cost for b in found))
    for b in bins:
        b.offer = int(types[b.offer]) if b.offer >= 0 else -1
    return [b for b in bins if len(b.rows) > 1]


def _bin_types(table: OfferTable, masks: Bools, prune: bool) -> Ints:
    """Columns usable as bins by some mask, if `prune` minus those another such column beats
    (quadratic in the columns, so for small problems only)."""
    columns = np.flatnonzero(masks.any(axis=0) & ~table.shareable & (table.capacity != 0))
    if len(columns) < 2 or not prune:
        return columns
    caps = table.capacities()[columns]
    at_least = (caps[:, None, :] >= caps[None, :, :]).all(axis=2)  # [a, b]: a holds what b holds
    no_worse = at_least.copy()
    for column in (table.price, table.startup, table.interruption_rate, table.minimum):
        values = column[columns]
        no_worse &= values[:, None] <= values[None, :]
    no_worse &= table.granularity[columns][:, None] == table.granularity[columns][None, :]
    capacity = table.capacity[columns]
    no_worse &= (capacity[:, None] < 0) | (
        (capacity[None, :] >= 0) & (capacity[:, None] >= capacity[None, :])
    )
    m = masks[:, columns].astype(np.float64)
    no_worse &= (m.T @ (1.0 - m)) == 0  # a allowed wherever b is
    ties = no_worse & no_worse.T
    index = np.arange(len(columns))
    beaten = no_worse & (~ties | (index[:, None] < index[None, :]))
    np.fill_diagonal(beaten, False)
    kept: Ints = columns[~beaten.any(axis=0)]
    return kept


class _Packer:
    def __init__(self, table: OfferTable, types: Ints, risk: SpotRisk, jobs: Jobs) -> None:
        self.sub = _subtable(table, types)
        self.caps = self.sub.capacities()
        self.dims = [d for d in range(4) if jobs.needs[:, d].any()] or [0]
        self.masks = jobs.masks[:, types]
        self.risk = risk
        self.jobs = jobs
        self.shape_caps, shape = np.unique(self.caps, axis=0, return_inverse=True)
        shape = shape.reshape(-1)
        by_shape = np.argsort(shape, kind="stable")
        counts = np.bincount(shape, minlength=len(self.shape_caps))
        self.shape_members = np.full((len(counts), counts.max()), len(types), dtype=np.int64)
        """Per shape its types, padded with len(types) (an always-infinite cost)."""
        position = np.arange(len(by_shape)) - np.repeat(np.cumsum(counts) - counts, counts)
        self.shape_members[shape[by_shape], position] = by_shape

    def _type_cost(self, duration: float) -> Floats:
        return allocation_cost(self.sub, duration, self.risk)

    def _holds(self, contents: Floats, allowed: Bools) -> Bools:
        """(rows x types): allowed types with room for each row of `contents`."""
        ok = allowed.copy()
        for d in self.dims:
            ok &= contents[:, d : d + 1] <= self.caps[:, d]
        return ok

    def _cheapest(self, contents: Floats, allowed: Bools, type_cost: Floats) -> tuple[Ints, Floats]:
        """Per row of `contents`, the cheapest allowed type holding it (and its cost)."""
        cost = np.where(self._holds(contents, allowed), type_cost, np.inf)
        best = cost.argmin(axis=1)
        return best, cost[np.arange(len(best)), best]

    def first_fit(self, order: Ints) -> list[Bin]:
        """One pass, longest job first; see the module docstring.

        The window works per shape (offers of equal size): a bin keeps per shape its cheapest
        allowed offer, and a job is tried against those - never against a dearer offer of the same
        shape that only the job's own constraints would leave - so the pass is linear.
        """
        j = self.jobs
        content = np.zeros((WINDOW, 4))
        shape_cost = np.zeros((WINDOW, len(self.shape_caps)))
        shape_offer = np.zeros((WINDOW, len(self.shape_caps)), dtype=np.int64)
        cost = np.zeros(WINDOW)
        window: list[Bin] = []
        bins: list[Bin] = []
        for row in order.tolist():
            need, mask, solo = j.needs[row], self.masks[j.mask_id[row]], float(j.solo_cost[row])
            w = len(window)
            if w and solo > EPS:
                ok = self._shape_holds(content[:w] + need) & mask[shape_offer[:w]]
                new_cost = np.where(ok, shape_cost[:w], np.inf).min(axis=1)
                delta = new_cost - cost[:w]
                slot = int(delta.argmin())
                if delta[slot] < solo - EPS * (1 + solo):
                    b = window[slot]
                    b.rows.append(row)
                    b.content = b.content + need
                    b.allowed = b.allowed & mask
                    content[slot], shape_cost[slot], shape_offer[slot] = self._refresh(b)
                    cost[slot] = b.cost
                    continue
            slot = len(bins) % WINDOW
            duration = float(j.durations[row])
            b = Bin([row], need.copy(), duration, mask.copy(), self._type_cost(duration))
            bins.append(b)
            if w < WINDOW:
                window.append(b)
            else:
                window[slot] = b
            content[slot], shape_cost[slot], shape_offer[slot] = self._refresh(b)
            b.offer, b.cost = -1, solo
            cost[slot] = solo
        return bins

    def _shape_holds(self, contents: Floats) -> Bools:
        ok: Bools = contents[:, self.dims[0], None] <= self.shape_caps[:, self.dims[0]]
        for d in self.dims[1:]:
            ok &= contents[:, d, None] <= self.shape_caps[:, d]
        return ok

    def _refresh(self, b: Bin) -> tuple[Floats, Floats, Ints]:
        """Set the bin's offer and cost; return its content and per shape cheapest cost and offer."""
        allowed_cost = np.append(np.where(b.allowed, b.type_cost, np.inf), np.inf)[self.shape_members]
        pick = allowed_cost.argmin(axis=1)
        shape_offer = self.shape_members[np.arange(len(pick)), pick]
        shape_cost = allowed_cost[np.arange(len(pick)), pick]
        holding = np.where(self._shape_holds(b.content[None, :])[0], shape_cost, np.inf)
        best = int(holding.argmin())
        b.offer, b.cost = int(shape_offer[best]), float(holding[best])
        return b.content, shape_cost, np.minimum(shape_offer, len(self.caps) - 1)

    def best_bins(self, order: Ints) -> list[Bin]:
        left = order.tolist()
        bins: list[Bin] = []
        while left:
            best: tuple[float, list[int]] = (0.0, [left[0]])
            for k, leader in enumerate(left[:LEADERS]):
                found = self._fullest(leader, np.asarray(left[k + 1 :], dtype=np.int64))
                if found[0] > best[0] + EPS:
                    best = found
            bins.append(self._bin_of(best[1]))
            taken = set(best[1])
            left = [r for r in left if r not in taken]
        return bins

    def _fullest(self, leader: int, rest: Ints) -> tuple[float, list[int]]:
        """The bin `leader` leads that saves most over its members' solo costs: saving, members."""
        j = self.jobs
        if not len(rest) or j.solo_cost[leader] <= EPS:
            return 0.0, [leader]
        type_cost = self._type_cost(float(j.durations[leader]))
        holds = self._holds(j.needs[leader][None, :], self.masks[j.mask_id[leader]][None, :])[0]
        best: tuple[float, list[int]] = (0.0, [leader])
        value = j.solo_cost[rest]
        for t in np.flatnonzero(holds).tolist():
            ok = np.flatnonzero(self.masks[j.mask_id[rest], t] & (value > EPS))
            caps = self.caps[t, self.dims]
            needs = j.needs[rest[ok]][:, self.dims]
            fraction = np.divide(needs, caps, out=np.zeros_like(needs, dtype=float), where=caps > 0)
            share = np.maximum(fraction.max(axis=1), EPS)  # a dimension the type lacks is one no member needs
            for order in (
                np.argsort(-value[ok] / share, kind="stable"),
                np.argsort(-value[ok], kind="stable"),
            ):
                members = self._fill(leader, rest[ok[order]], self.caps[t])
                saving = float(j.solo_cost[members].sum() - type_cost[t])
                if len(members) > 1 and saving > best[0] + EPS:
                    best = (saving, members)
        return best

    def _fill(self, leader: int, candidates: Ints, capacity: Floats) -> list[int]:
        """The leader, then each candidate in turn that still fits `capacity`."""
        needs = self.jobs.needs
        room = capacity - needs[leader]
        members = [leader]
        for row in candidates.tolist():
            if (needs[row] <= room).all():
                room = room - needs[row]
                members.append(row)
        return members

    def improve(self, bins: list[Bin]) -> list[Bin]:
        """Move jobs between bins (or out alone) and merge bins while either saves."""
        for _ in range(MAX_SWEEPS):
            moved = self._relocate(bins)
            merged = self._merge(bins)
            if not (moved or merged):
                break
        return bins

    def _relocate(self, bins: list[Bin]) -> bool:
        """Move single jobs to where they cost least; True if any moved. Changes `bins` in place."""
        j = self.jobs
        changed = False
        for row in [r for b in bins for r in b.rows]:
            a = next(i for i, b in enumerate(bins) if row in b.rows)
            source = bins[a]
            rest = [r for r in source.rows if r != row]
            without = self._bin_of(rest) if rest else None
            freed = source.cost - (without.cost if without else 0.0)
            others = [i for i in range(len(bins)) if i != a]
            extra = self._join_costs([bins[i] for i in others], row)
            target = int(extra.argmin()) if len(others) else -1
            alone = float(j.solo_cost[row]) if rest else np.inf
            if target >= 0 and extra[target] < min(alone, freed) - EPS * (1 + freed):
                b = others[target]
                bins[b] = self._bin_of([*bins[b].rows, row])
            elif alone < freed - EPS * (1 + freed):
                bins.append(self._bin_of([row]))
            else:
                continue
            changed = True
            if without is None:
                del bins[a]
            else:
                bins[a] = without
        return changed

    def _join_costs(self, targets: list[Bin], row: int) -> Floats:
        """Extra cost of adding job `row` to each of `targets`."""
        if not targets:
            return np.zeros(0)
        j = self.jobs
        duration = float(j.durations[row])
        longer = np.asarray([b.duration < duration for b in targets])
        type_cost = np.stack([b.type_cost for b in targets])
        if longer.any():
            type_cost[longer] = self._type_cost(duration)
        contents = np.stack([b.content for b in targets]) + j.needs[row]
        allowed = np.stack([b.allowed for b in targets]) & self.masks[j.mask_id[row]]
        _, cost = self._cheapest(contents, allowed, type_cost)
        extra: Floats = cost - np.asarray([b.cost for b in targets])
        return extra

    def _merge(self, bins: list[Bin]) -> bool:
        """Merge the pair of bins saving most, repeatedly; True if any merged."""
        changed = False
        while len(bins) > 1:
            best: tuple[float, int, int] | None = None
            for a in range(len(bins) - 1):
                x, others = bins[a], bins[a + 1 :]
                long = np.asarray([b.duration > x.duration for b in others])
                type_cost = np.where(long[:, None], np.stack([b.type_cost for b in others]), x.type_cost)
                contents = np.stack([b.content for b in others]) + x.content
                allowed = np.stack([b.allowed for b in others]) & x.allowed
                _, cost = self._cheapest(contents, allowed, type_cost)
                saving = x.cost + np.asarray([b.cost for b in others]) - cost
                k = int(saving.argmax())
                if saving[k] > EPS * (1 + x.cost) and (best is None or saving[k] > best[0]):
                    best = (float(saving[k]), a, a + 1 + k)
            if best is None:
                break
            _, a, b = best
            merged = self._bin_of(bins[a].rows + bins[b].rows)
            bins[:] = [x for i, x in enumerate(bins) if i not in (a, b)] + [merged]
            changed = True
        return changed

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
        partly_used=table.partly_used[columns],
        provider=table.provider[columns],
        region=table.region[columns],
        arch=table.arch[columns],
    )
