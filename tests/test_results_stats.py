from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from benchhub.host.results import stats


@pytest.mark.parametrize(("n", "ranks"), [(6, (0, 5)), (10, (1, 8)), (20, (5, 14)), (50, (17, 32))])
def test_median_ci_ranks_match_the_order_statistic_table(n: int, ranks: tuple[int, int]) -> None:
    assert stats.median_ci_ranks(n) == ranks
    k = ranks[0]
    coverage = 1 - 2 * scipy_stats.binom.cdf(k, n, 0.5)  # [x(k+1), x(n-k)] 1-based
    narrower = 1 - 2 * scipy_stats.binom.cdf(k + 1, n, 0.5)
    assert coverage >= 0.95 > narrower


def test_too_few_samples_for_a_95_percent_interval() -> None:
    assert stats.median_ci_ranks(5) is None
    s = stats.summarize([3.0, 1.0, 2.0, 5.0, 4.0])
    assert (s.n, s.median, s.low, s.high) == (5, 3.0, -math.inf, math.inf)
    assert math.isinf(s.spread_pct)
    assert stats.median_ci_ranks(5, confidence=0.9) == (0, 4)


def test_summary_of_known_values() -> None:
    values = [float(v) for v in range(20, 0, -1)]  # 1..20 reversed
    s = stats.summarize(values)
    assert (s.median, s.low, s.high) == (10.5, 6.0, 15.0)
    assert s.spread_pct == pytest.approx(4.5 / 10.5 * 100)
    even = stats.summarize([4.0, 1.0, 3.0, 2.0, 10.0, 6.0])
    assert (even.median, even.low, even.high) == (3.5, 1.0, 10.0)


def test_mann_whitney_against_hand_computed_and_scipy_values() -> None:
    # fully separated samples of 5: exact two-sided p = 2 / C(10, 5)
    assert stats.mann_whitney_p([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]) == pytest.approx(2 / 252)
    rng = np.random.default_rng(7)
    a, b = list(rng.normal(10, 1, 30)), list(rng.normal(10.5, 1, 30))
    assert stats.mann_whitney_p(a, b) == pytest.approx(scipy_stats.mannwhitneyu(a, b).pvalue)
    assert stats.mann_whitney_p([2.0] * 5, [2.0] * 7) == 1.0


def test_outliers_by_modified_z_score() -> None:
    assert stats.outliers([10, 10.1, 9.9, 10.2, 9.8, 30]) == 1
    assert stats.outliers([10, 10.1, 9.9, 10.2, 9.8, 10.3]) == 0
    assert stats.outliers([5, 5, 5, 5, 9]) == 1  # MAD is 0: the mean absolute deviation is used
    assert stats.outliers([5, 5, 5]) == 0
    assert stats.outliers([1, 100]) == 0


def test_geomean_and_delta() -> None:
    assert stats.geomean([1.0, 4.0, 16.0]) == pytest.approx(4.0)
    assert stats.geomean([0.0, -1.0]) is None
    assert stats.delta_pct(200.0, 150.0) == -25.0
    assert stats.delta_pct(0.0, 1.0) is None


def test_vectorised_mann_whitney_equals_one_call_per_pair() -> None:
    rng = np.random.default_rng(3)
    pairs: list[tuple[list[float], list[float]]] = []
    for n_a, n_b in ((5, 5), (5, 5), (6, 4), (20, 20), (20, 12)):
        pairs.append((list(rng.normal(0, 1, n_a)), list(rng.normal(0.5, 1, n_b))))
    pairs.append(([1.0, 1.0, 2.0, 3.0, 4.0], [2.0, 5.0, 6.0, 7.0, 8.0]))  # ties: asymptotic, as scipy's auto
    pairs.append(([3.0] * 5, [3.0] * 5))
    expected = [scipy_stats.mannwhitneyu(a, b).pvalue for a, b in pairs[:-1]] + [1.0]
    assert stats.mann_whitney_many(pairs) == pytest.approx(expected)


@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=6, max_size=60))
def test_interval_brackets_the_median_and_is_made_of_samples(values: list[float]) -> None:
    s = stats.summarize(values)
    assert s.low <= s.median <= s.high
    assert s.low in values and s.high in values
    assert stats.outliers(values) <= len(values)
