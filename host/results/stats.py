"""The statistics of a comparison: median with a distribution-free confidence interval, Mann-Whitney U,
modified z-score outliers and the geometric mean."""

from __future__ import annotations

import math
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
    median = float(np.median(ordered))
    ranks = median_ci_ranks(n, confidence)
    if ranks is None:
        return Summary(n, median, -math.inf, math.inf)
    return Summary(n, median, float(ordered[ranks[0]]), float(ordered[ranks[1]]))


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided Mann-Whitney U p-value; 1.0 when every value on both sides is the same."""
    if not a or not b:
        raise ValueError("mann_whitney_p: a side has no values")
    if min(a) == max(a) == min(b) == max(b):
        return 1.0
    return float(stats.mannwhitneyu(a, b, alternative="two-sided").pvalue)


def outliers(values: Sequence[float]) -> int:
    """How many values have a modified z-score above OUTLIER_Z (Iglewicz and Hoaglin)."""
    x = np.asarray(values, dtype=float)
    if x.size < 3:
        return 0
    deviation = np.abs(x - np.median(x))
    mad = float(np.median(deviation))
    if mad > 0:
        z = _MAD_SCALE * deviation / mad
    else:
        mean_ad = float(np.mean(deviation))
        if mean_ad == 0:
            return 0
        z = deviation / (_MEAN_AD_SCALE * mean_ad)
    return int(np.count_nonzero(z > OUTLIER_Z))


def geomean(values: Sequence[float]) -> float | None:
    """Geometric mean of the positive values; None when there are none."""
    positive = [v for v in values if v > 0]
    return float(stats.gmean(positive)) if positive else None


def delta_pct(a: float, b: float) -> float | None:
    """Change from a to b in percent of a; None when a is zero."""
    return None if a == 0 else (b - a) / abs(a) * 100
