"""`compare` on synthetic sides: known shifts are found, identical distributions mostly give `~`."""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchhub.frameworks import Direction
from benchhub.host.results.compare import compare
from benchhub.host.results.model import Environment, Series, SeriesKey, Side
from benchhub.host.results.render import format_comparison


def side(label: str, data: dict[str, list[float]], direction: Direction = Direction.LOWER,
         environment: Environment | None = None) -> Side:
    series = {}
    for name, values in data.items():
        key = SeriesKey("sort", (("size", "100"),), name, "wall")
        series[key] = Series(key, "s", direction, list(values))
    return Side(label, (1,), series, frozenset({environment}) if environment else frozenset())


def test_a_known_shift_is_detected_as_a_regression() -> None:
    rng = np.random.default_rng(42)
    a = side("A", {"merge": list(rng.normal(1.00, 0.02, 20)), "quick": list(rng.normal(2.0, 0.04, 20))})
    b = side("B", {"merge": list(rng.normal(1.10, 0.02, 20)), "quick": list(rng.normal(2.0, 0.04, 20))})
    c = compare(a, b)
    merge, quick = c.rows
    assert merge.significant and merge.regression
    assert merge.p_value is not None and merge.p_value < 1e-6
    assert merge.delta_pct == pytest.approx(10, abs=2)
    assert not quick.significant
    assert [r.key.label for r in c.regressions(5.0)] == ["sort[size=100] merge"]
    assert c.regressions(15.0) == []
    (geo,) = c.geomeans
    assert (geo.metric, geo.count) == ("wall", 2)
    assert geo.delta_pct == pytest.approx(100 * (np.sqrt(1.1) - 1), abs=1.5)


def test_direction_decides_what_a_regression_is() -> None:
    a = side("A", {"ops": [100.0 + i for i in range(10)]}, Direction.HIGHER)
    b = side("B", {"ops": [150.0 + i for i in range(10)]}, Direction.HIGHER)
    faster = compare(a, b).rows[0]
    assert faster.significant and not faster.regression
    slower = compare(b, a).rows[0]
    assert slower.regression and slower.delta_pct is not None and slower.delta_pct < 0


def test_identical_distributions_give_tilde_in_most_trials() -> None:
    rng = np.random.default_rng(1234)
    trials = 200
    tilde = 0
    for _ in range(trials):
        a = side("A", {"x": list(rng.lognormal(0, 0.1, 10))})
        b = side("B", {"x": list(rng.lognormal(0, 0.1, 10))})
        tilde += not compare(a, b).rows[0].significant
    assert tilde / trials >= 0.9  # alpha = 0.05: about 95% expected


def test_warnings_few_samples_outliers_one_sided_and_environments() -> None:
    laptop = Environment("Intel i7", 8, "6.1", "local")
    cloud = Environment("AMD EPYC", 2, "6.8", "aws", "c7a.large")
    a = side("A", {"x": [1.0, 1.1, 1.0], "only_a": [1.0] * 6}, environment=laptop)
    b = side("B", {"x": [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 9.0]}, environment=cloud)
    c = compare(a, b)
    only_a, x = c.rows
    assert only_a.b is None and "only on side A" in only_a.warnings
    assert x.warnings == ("A: only 3 samples (< 5)", "B: 1 outlier (modified z > 3.5)")
    assert c.warnings == [
        "the sides ran on different environments: A on local, Intel i7, 8 cores, 6.1, "
        "B on aws, c7a.large, AMD EPYC, 2 cores, 6.8",
        "1 series exist on one side only",
    ]


def test_renderings_carry_the_same_facts() -> None:
    a = side("run 1", {"merge": [1.0, 1.01, 0.99, 1.0, 1.02, 0.98]})
    b = side("run 2", {"merge": [2.0, 2.02, 1.98, 2.0, 2.04, 1.96]})
    c = compare(a, b)
    table = format_comparison(c, "table")
    assert "sort[size=100] merge" in table and "+100.0%" in table and "p=0.005 n=6+6" in table
    markdown = format_comparison(c, "markdown")
    assert markdown.startswith("**comparison: A = run 1, B = run 2, alpha = 0.05**")
    line = "| sort[size=100] merge | wall (s) | 1 s ± 2% | 2 s ± 2% | +100.0% | p=0.005 n=6+6 | regression |"
    assert line in markdown
    document = json.loads(format_comparison(c, "json"))
    row = document["rows"][0]
    assert (row["params"], row["name"], row["a"]["n"]) == ({"size": "100"}, "merge", 6)
    assert row["regression"] is True
    assert row["a"]["ci_low"] == 0.98 and row["b"]["ci_high"] == 2.04
    csv_text = format_comparison(c, "csv").splitlines()
    assert csv_text[0].startswith("benchmark,metric,unit,direction,a_n,a_median")
    assert csv_text[1].startswith("sort[size=100] merge,wall,s,lower,6,1.0,0.98,1.02,6,2.0,1.96,2.04,100.0,")


def test_tests_failing_on_one_side_only_are_reported() -> None:
    def tests(label: str, outcomes: dict[str, float]) -> Side:
        series = {}
        for name, outcome in outcomes.items():
            key = SeriesKey("unit", (), name, "outcome")
            series[key] = Series(key, "", Direction.HIGHER, [outcome])
        return Side(label, (1,), series)

    a = tests("A", {"TestA": 1.0, "TestB": 1.0, "TestC": 0.0, "TestD": -1.0})
    b = tests("B", {"TestA": 0.0, "TestB": 1.0, "TestC": 1.0, "TestD": 0.0})
    c = compare(a, b)
    assert c.rows == []
    assert c.warnings == [
        "2 tests fail on B only: unit TestA, unit TestD",
        "1 test fails on A only: unit TestC",
        "nothing to compare: the sides have no measured results",
    ]
