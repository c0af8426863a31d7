"""The statistics of a comparison: median with a distribution-free confidence interval, Mann-Whitney U,
modified z-score outliers and the geometric mean."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import stats

#: Iglewicz and Hoaglin's cut-off for the modified z-score.
OUTLIER_Z = 3.5
_MAD_SCALE = 0.6745  # the 0.75 quantile of the standard normal: makes MAD comparable to a standard deviation
_MEAN_AD_SCALE = 1.253314  # sqrt(pi/2), used when the MAD is zero


@dataclass(frozen=True)
class Summary:
    """A sample's median with its confidence interval; `low`/`high` are infinite when `n` is too small
    for the interval to reach the asked confidence (fewer than 6 samples at 95%)."""

    n: int
    median: float
    low: float
    high: float

    @property
    def spread_pct(self) -> float:
        """The wider half of the interval relative to the median, in percent (benchstat's `±`)."""
        if math.isinf(self.low) or math.isinf(self.high):
            return math.inf
        if self.median == 0:
            return 0.0 if self.low == self.high == 0 else math.inf
        return max(self.median - self.low, self.high - self.median) / abs(self.median) * 100


@lru_cache(maxsize=256)
def median_ci_ranks(n: int, confidence: float = 0.95) -> tuple[int, int] | None:
    """0-based ranks (lo, hi) of the order statistics bounding the median with at least `confidence`.

    The interval [x(k), x(n-k+1)] (1-based) covers the median with probability 1 - 2 * B(k-1; n, 1/2),
    B the binomial CDF; the narrowest interval reaching `confidence` is chosen. None when even
    [min, max] falls short.
    """
    cdf = stats.binom.cdf(np.arange(n), n, 0.5)
    fits = np.nonzero(cdf <= (1 - confidence) / 2)[0]
    if n == 0 or fits.size == 0:
        return None
    k = int(fits[-1])  # 0-based rank of the lower bound
    return k, n - 1 - k


def summarize(values: Sequence[float], confidence: float = 0.95) -> Summary:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("summarize: no values")
    median = float(statistics.median(ordered))
    ranks = median_ci_ranks(n, confidence)
    if ranks is None:
        return Summary(n, median, -math.inf, math.inf)
    return Summary(n, median, float(ordered[ranks[0]]), float(ordered[ranks[1]]))


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value; 1.0 when every value on both sides is the same."""
    return mann_whitney_many([(a, b)])[0]


def _method(a: Sequence[float], b: Sequence[float]) -> str:
    """scipy's own `auto` choice for one pair: exact for small samples without ties."""
    if len(a) > 8 and len(b) > 8:
        return "asymptotic"
    return "exact" if len(set(a) | set(b)) == len(a) + len(b) else "asymptotic"


def mann_whitney_many(pairs: Sequence[tuple[Sequence[float], Sequence[float]]]) -> list[float]:
    """`mann_whitney_p` of many pairs, vectorised: one scipy call per group of equal sizes and method
    (scipy's `auto` would decide once for a whole batch)."""
    p_values = [1.0] * len(pairs)
    groups: dict[tuple[int, int, str], list[int]] = defaultdict(list)
    for i, (a, b) in enumerate(pairs):
        if not a or not b:
            raise ValueError("mann_whitney_p: a side has no values")
        if not min(a) == max(a) == min(b) == max(b):
            groups[len(a), len(b), _method(a, b)].append(i)
    for (_, _, method), members in groups.items():
        xs = np.array([pairs[i][0] for i in members], dtype=float)
        ys = np.array([pairs[i][1] for i in members], dtype=float)
        found = stats.mannwhitneyu(xs, ys, alternative="two-sided", method=method, axis=1).pvalue
        for i, p in zip(members, np.atleast_1d(found), strict=True):
            p_values[i] = float(p)
    return p_values


def outliers(values: Sequence[float]) -> int:
    """How many values have a modified z-score above OUTLIER_Z (Iglewicz and Hoaglin)."""
    if len(values) < 3:
        return 0
    center = statistics.median(values)
    deviation = [abs(v - center) for v in values]
    mad = statistics.median(deviation)
    if mad > 0:
        limit = OUTLIER_Z * mad / _MAD_SCALE
    else:
        mean_ad = statistics.fmean(deviation)
        if mean_ad == 0:
            return 0
        limit = OUTLIER_Z * _MEAN_AD_SCALE * mean_ad
    return sum(1 for d in deviation if d > limit)


def geomean(values: Sequence[float]) -> float | None:
    """Geometric mean of the positive values; None when there are none."""
    positive = [v for v in values if v > 0]
    return float(stats.gmean(positive)) if positive else None


def delta_pct(a: float, b: float) -> float | None:
    """Change from a to b in percent of a; None when a is zero."""
    return None if a == 0 else (b - a) / abs(a) * 100
