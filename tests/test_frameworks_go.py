from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from test_frameworks_support import run_job, stored

from benchhub import frameworks
from benchhub.frameworks import Direction, FrameworkError, Outcome
from benchhub.frameworks.gobench import parse_text

GO_MOD = "module example.com/gob\n\ngo 1.19\n"
CODE = """package gob

import (
\t"fmt"
\t"testing"
)

func BenchmarkSum(b *testing.B) {
\tfor _, n := range []int{10, 100} {
\t\tb.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
\t\t\ts := make([]int, n)
\t\t\tb.SetBytes(int64(n * 8))
\t\t\tfor i := 0; i < b.N; i++ {
\t\t\t\tt := 0
\t\t\t\tfor _, v := range s {
\t\t\t\t\tt += v
\t\t\t\t}
\t\t\t\t_ = t
\t\t\t}
\t\t\tb.ReportMetric(float64(n), "items/op")
\t\t})
\t}
}

func BenchmarkAlloc(b *testing.B) {
\tfmt.Println("allocating")
\tfor i := 0; i < b.N; i++ {
\t\t_ = make([]byte, 64+i%2)
\t}
}

func TestOK(t *testing.T)   {}
func TestSkip(t *testing.T) { t.Skip("not here") }
func TestFail(t *testing.T) { t.Run("sub", func(t *testing.T) { t.Fatal("broken") }) }
"""


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("gomod")
    (root / "go.mod").write_text(GO_MOD)
    (root / "x_test.go").write_text(CODE)
    return root


def test_real_go_test_bench(module: Path) -> None:
    attrs = {"count": 3, "args": ["-benchtime", "200x"]}
    assert frameworks.validate("gobench", attrs) == []
    job = frameworks.expand("gobench", attrs)
    assert job.command[:6] == ["go", "test", "-run", "^$", "-bench", "."]
    stdout, files, code = run_job(job, module)
    assert code == 0, stdout
    samples = frameworks.parse("gobench", attrs, stdout, files)
    keys = {(s.benchmark, s.metric, s.unit) for s in samples}
    assert {
        ("Sum/n=10", "time", "ns/op"),
        ("Sum/n=100", "throughput", "MB/s"),
        ("Sum/n=100", "items/op", "items/op"),
        ("Sum/n=10", "alloc_bytes", "B/op"),
        ("Alloc", "allocs", "allocs/op"),
        ("Alloc", "time", "ns/op"),
    } <= keys
    per_key: dict[tuple[str, str], list[int]] = {}
    for s in samples:
        per_key.setdefault((s.benchmark, s.metric), []).append(s.iteration)
    assert all(iterations == [0, 1, 2] for iterations in per_key.values())
    throughput = next(s for s in samples if s.metric == "throughput")
    assert throughput.direction is Direction.HIGHER
    assert all(s.value >= 1 for s in samples if (s.benchmark, s.metric) == ("Alloc", "allocs"))


def test_real_go_test_json(module: Path) -> None:
    job = frameworks.expand("gotest", {})
    assert job.command == ["go", "test", "-json", "-count", "1", "./..."]
    stdout, files, code = run_job(job, module)
    assert code == 1  # TestFail fails
    samples = frameworks.parse("gotest", {}, stdout, files, exit_code=code)
    outcomes = {s.benchmark: s.value for s in samples if s.metric == "outcome"}
    assert outcomes == {
        "example.com/gob.TestOK": Outcome.PASSED,
        "example.com/gob.TestSkip": Outcome.SKIPPED,
        "example.com/gob.TestFail": Outcome.FAILED,
        "example.com/gob.TestFail/sub": Outcome.FAILED,
    }
    assert {s.metric for s in samples} == {"outcome", "duration"}


def test_go_build_failure_is_a_failed_package() -> None:
    samples = frameworks.parse("gotest", {}, stored("gotest_build_failed.jsonl"), {}, exit_code=1)
    assert [(s.benchmark, s.metric, s.value) for s in samples] == [
        ("example.com/broken", "outcome", Outcome.FAILED),
        ("example.com/broken", "duration", 0.0),
    ]


def test_gotest_without_events_and_missing_go() -> None:
    with pytest.raises(FrameworkError, match="no go test -json events"):
        frameworks.parse("gotest", {}, "sh: 1: go: not found\n", {}, exit_code=1)
    with pytest.raises(FrameworkError, match="go not found on the machine that ran the job"):
        frameworks.parse("gotest", {}, "sh: 1: go: not found\n", {}, exit_code=127)
    with pytest.raises(FrameworkError, match="line 1: not a go test -json event"):
        frameworks.parse("gotest", {}, '{"Action": \n', {})


def test_benchmark_output_between_name_and_figures() -> None:
    samples = parse_text(stored("gobench_logging.txt"))
    log = [s.value for s in samples if (s.benchmark, s.metric) == ("Log", "time")]
    assert len(log) == 2
    assert {s.benchmark for s in samples} == {"Sum/n=10", "Sum/n=100", "Log"}


def test_two_packages_qualify_names() -> None:
    samples = parse_text(stored("gobench_two_packages.txt"))
    times = {(s.benchmark, s.iteration): s.value for s in samples if s.metric == "time"}
    assert times == {
        ("example.com/strstr/naive.Index/short", 0): 231.5,
        ("example.com/strstr/naive.Index/short", 1): 229.0,
        ("example.com/strstr/kmp.Index/short", 0): 402.1,
        ("example.com/strstr/kmp.Index/short", 1): 398.7,
    }


def test_gobench_failures() -> None:
    with pytest.raises(FrameworkError, match=r"no Go benchmark results in the output: # example.com/strstr"):
        frameworks.parse("gobench", {}, stored("gobench_build_failed.txt"), {})
    with pytest.raises(FrameworkError, match="did -bench match any benchmark"):
        frameworks.parse("gobench", {}, "PASS\nok  \texample.com/x\t0.1s\n", {})
    with pytest.raises(FrameworkError, match="line 2: 'abc' is not a number"):
        frameworks.parse("gobench", {}, stored("gobench_bad_value.txt"), {})


def test_gobench_command_flags() -> None:
    attrs = {"bench": "Index", "count": 10, "benchtime": "2s", "cpu": "1,2", "benchmem": False}
    expected = shlex.split("go test -run ^$ -bench Index -count 10 -benchtime 2s -cpu 1,2 ./x")
    assert frameworks.expand("gobench", {**attrs, "packages": ["./x"]}).command == expected
