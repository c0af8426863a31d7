"""Comparing two sides: per series median and CI, delta, Mann-Whitney p-value, warnings, geomean rows."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from benchhub.frameworks import Direction, Outcome
from benchhub.frameworks.base import OUTCOME_METRIC
from benchhub.host.results import stats
from benchhub.host.results.model import Series, SeriesKey, Side

#: Fewer samples than this on a side earns a warning.
MIN_SAMPLES = 5
_NAMED_TESTS = 5


@dataclass(frozen=True)
class Row:
    """One benchmark metric compared. `a`/`b` are None when the series exists on one side only."""

    key: SeriesKey
    unit: str
    direction: Direction
    a: stats.Summary | None
    b: stats.Summary | None
    delta_pct: float | None = None
    p_value: float | None = None
    significant: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def regression(self) -> bool:
        """Significantly worse on side B, respecting the metric's direction."""
        if not self.significant or self.delta_pct is None:
            return False
        return self.delta_pct > 0 if self.direction is Direction.LOWER else self.delta_pct < 0


@dataclass(frozen=True)
class Geomean:
    """The geometric mean of the medians of one metric over the series present on both sides."""

    metric: str
    unit: str
    a: float
    b: float
    count: int

    @property
    def delta_pct(self) -> float | None:
        return stats.delta_pct(self.a, self.b)


@dataclass
class Comparison:
    a: Side
    b: Side
    alpha: float
    paired: bool
    rows: list[Row]
    geomeans: list[Geomean]
    warnings: list[str] = field(default_factory=list)

    def regressions(self, threshold_pct: float) -> list[Row]:
        """Significant regressions worse than `threshold_pct` (for `--fail-on-regression`)."""
        return [r for r in self.rows if r.regression and abs(r.delta_pct or 0.0) > threshold_pct]


def _side_warnings(label: str, series: Series) -> list[str]:
    found = []
    if len(series.values) < MIN_SAMPLES:
        found.append(f"{label}: only {len(series.values)} samples (< {MIN_SAMPLES})")
    if outliers := stats.outliers(series.values):
        plural = "s" if outliers > 1 else ""
        found.append(f"{label}: {outliers} outlier{plural} (modified z > {stats.OUTLIER_Z})")
    return found


def _one_sided(series: Series, side: str) -> Row:
    summary = stats.summarize(series.values)
    warnings = (*_side_warnings(side, series), f"only on side {side}")
    a, b = (summary, None) if side == "A" else (None, summary)
    return Row(series.key, series.unit, series.direction, a, b, warnings=warnings)


def compare_series(a: Series, b: Series, alpha: float, p: float) -> Row:
    """One row for a series present on both sides, whose Mann-Whitney p-value is `p`."""
    sa, sb = stats.summarize(a.values), stats.summarize(b.values)
    warnings = (*_side_warnings("A", a), *_side_warnings("B", b))
    delta = stats.delta_pct(sa.median, sb.median)
    return Row(a.key, a.unit, a.direction, sa, sb, delta, p, p < alpha, warnings)


def _describe(side: Side) -> str:
    return "; ".join(sorted(e.describe() for e in side.environments))


def _geomeans(rows: list[Row]) -> list[Geomean]:
    by_metric: dict[tuple[str, str], list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        if row.a is not None and row.b is not None and row.a.median > 0 and row.b.median > 0:
            by_metric[row.key.metric, row.unit].append((row.a.median, row.b.median))
    means = []
    for (metric, unit), pairs in sorted(by_metric.items()):
        ga, gb = stats.geomean([p[0] for p in pairs]), stats.geomean([p[1] for p in pairs])
        if ga is not None and gb is not None and len(pairs) > 1:
            means.append(Geomean(metric, unit, ga, gb, len(pairs)))
    return means


def _failing(side: Side) -> set[SeriesKey]:
    return {k for k, s in side.series.items() if k.metric == OUTCOME_METRIC and Outcome.FAILED in s.values}


def _test_changes(a: Side, b: Side) -> list[str]:
    """Warnings for tests that fail on one side only."""
    tests = {k for k in a.series.keys() & b.series.keys() if k.metric == OUTCOME_METRIC}
    failing_a, failing_b = _failing(a) & tests, _failing(b) & tests
    warnings = []
    for keys, side in ((failing_b - failing_a, "B"), (failing_a - failing_b, "A")):
        if keys:
            names = ", ".join(k.label for k in sorted(keys)[:_NAMED_TESTS])
            more = f" and {len(keys) - _NAMED_TESTS} more" if len(keys) > _NAMED_TESTS else ""
            counted = f"{len(keys)} tests fail" if len(keys) > 1 else "1 test fails"
            warnings.append(f"{counted} on {side} only: {names}{more}")
    return warnings


def compare(a: Side, b: Side, *, alpha: float = 0.05, paired: bool = False) -> Comparison:
    """Compare every series of `a` with the same series of `b` (test outcomes are not compared)."""
    keys = sorted(k for k in a.series.keys() | b.series.keys() if k.metric != OUTCOME_METRIC)
    both = [k for k in keys if k in a.series and k in b.series]
    p_values = stats.mann_whitney_many([(a.series[k].values, b.series[k].values) for k in both])
    rows_by_key = {
        k: compare_series(a.series[k], b.series[k], alpha, p) for k, p in zip(both, p_values, strict=True)
    }
    for k in keys:
        if k not in rows_by_key:
            rows_by_key[k] = _one_sided(a.series[k], "A") if k in a.series else _one_sided(b.series[k], "B")
    rows = [rows_by_key[k] for k in keys]
    warnings = []
    if a.environments and b.environments and a.environments != b.environments:
        warnings.append(f"the sides ran on different environments: A on {_describe(a)}, B on {_describe(b)}")
    one_sided = sum(1 for r in rows if r.a is None or r.b is None)
    if one_sided:
        warnings.append(f"{one_sided} series exist on one side only")
    warnings += _test_changes(a, b)
    if not rows:
        warnings.append("nothing to compare: the sides have no measured results")
    return Comparison(a, b, alpha, paired, rows, _geomeans(rows), warnings)
