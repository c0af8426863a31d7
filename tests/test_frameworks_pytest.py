from __future__ import annotations

import sys
from pathlib import Path

import pytest
from test_frameworks_support import run_job, stored

from benchhub import frameworks
from benchhub.frameworks import FrameworkError, Outcome

TESTS = """
import pytest

def test_ok():
    assert True

def test_fails():
    assert 1 == 2

@pytest.mark.skip(reason="later")
def test_skipped():
    pass

@pytest.mark.parametrize("n", [10, 1000])
def test_sort(benchmark, n):
    data = list(range(n, 0, -1))
    benchmark.pedantic(sorted, args=(data,), rounds=4, iterations=2)
"""


def test_real_pytest_with_junit_and_benchmark_json(tmp_path: Path) -> None:
    pytest.importorskip("pytest_benchmark", reason="pytest-benchmark is a test dependency")
    (tmp_path / "test_demo.py").write_text(TESTS)
    attrs = {"benchmark": True, "python": sys.executable, "args": ["-q"]}
    assert frameworks.validate("pytest", attrs) == []
    job = frameworks.expand("pytest", attrs)
    stdout, files, code = run_job(job, tmp_path)
    assert code == 1, stdout  # test_fails
    samples = frameworks.parse("pytest", attrs, stdout, files, exit_code=code)
    outcomes = {s.benchmark: s.value for s in samples if s.metric == "outcome"}
    assert outcomes == {
        "test_demo.test_ok": Outcome.PASSED,
        "test_demo.test_fails": Outcome.FAILED,
        "test_demo.test_skipped": Outcome.SKIPPED,
        "test_demo.test_sort[10]": Outcome.PASSED,
        "test_demo.test_sort[1000]": Outcome.PASSED,
    }
    times = [s for s in samples if s.metric == "time"]
    assert {s.benchmark for s in times} == {"test_demo.py::test_sort[10]", "test_demo.py::test_sort[1000]"}
    assert sorted(s.iteration for s in times if s.benchmark.endswith("[10]")) == [0, 1, 2, 3]
    assert all(0 < s.value < 1 and s.unit == "s" for s in times)


def test_pytest_not_installed_for_the_interpreter(tmp_path: Path) -> None:
    attrs = {"python": "/bin/false"}
    stdout, files, code = run_job(frameworks.expand("pytest", attrs), tmp_path)
    with pytest.raises(FrameworkError, match=r"pytest wrote no \.bh-out/junit\.xml"):
        frameworks.parse("pytest", attrs, stdout, files, exit_code=code)


def test_junit_errors_skips_and_reruns(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(stored("junit_error_and_rerun.xml"))
    samples = frameworks.parse("pytest", {}, "", {"junit": junit})
    outcomes = [(s.benchmark, s.iteration, s.value) for s in samples if s.metric == "outcome"]
    assert outcomes == [
        ("tests.test_db.test_connect", 0, Outcome.FAILED),
        ("tests.test_db.test_slow", 0, Outcome.SKIPPED),
        ("tests.test_db.test_flaky", 0, Outcome.FAILED),
        ("tests.test_db.test_flaky", 1, Outcome.PASSED),
        ("test_top", 0, Outcome.PASSED),
    ]
    durations = [s.value for s in samples if s.metric == "duration"]
    assert durations == [0.12, 0.0, 0.05, 0.04, 0.001]


def test_truncated_junit_and_missing_benchmark_json(tmp_path: Path) -> None:
    junit = tmp_path / "junit.xml"
    junit.write_text(stored("junit_truncated.xml"))
    with pytest.raises(FrameworkError, match=r"junit\.xml is not valid XML"):
        frameworks.parse("pytest", {}, "", {"junit": junit})
    junit.write_text("<testsuites/>")
    with pytest.raises(FrameworkError, match="is pytest-benchmark installed"):
        frameworks.parse("pytest", {"benchmark": True}, "", {"junit": junit})
    bench = tmp_path / "benchmark.json"
    bench.write_text('{"benchmarks": [{"fullname": "x"}]}')
    with pytest.raises(FrameworkError, match="is not pytest-benchmark JSON: KeyError"):
        frameworks.parse("pytest", {"benchmark": True}, "", {"junit": junit, "benchmark": bench})
