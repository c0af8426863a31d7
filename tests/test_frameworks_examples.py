"""The example job files load, their framework blocks expand, and their code runs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_frameworks_support import run_job

from benchhub import frameworks
from benchhub.host.config import load_config

EXAMPLES = Path(__file__).parent.parent / "examples" / "local"


@pytest.mark.parametrize(("example", "jobs"), [("sort", 8), ("strstr", 5), ("loc", 2)])
def test_example_job_files_load(example: str, jobs: int) -> None:
    config = load_config(EXAMPLES / example / "job.hcl")
    assert len(config.jobs) == jobs
    for spec in config.jobs:
        assert spec.framework is not None
        assert frameworks.expand(spec.framework.kind, spec.framework.attributes).command


def test_sort_example_measures_the_sort_itself(tmp_path: Path) -> None:
    config = load_config(EXAMPLES / "sort" / "job.hcl")
    wanted = {("algo", "merge"), ("size", 200)}
    spec = next(s for s in config.jobs if {(p.name, p.value) for p in s.params} == wanted)
    framework = spec.framework
    assert framework is not None
    shutil.copy(EXAMPLES / "sort" / "sort.py", tmp_path)
    attrs = {**framework.attributes, "count": 2, "warmup": 0}
    stdout, files, code = run_job(frameworks.expand("command", attrs), tmp_path)
    assert code == 0, stdout
    sort_times = [s.value for s in frameworks.parse("command", attrs, stdout, files) if s.metric == "sort"]
    assert len(sort_times) == 2 and all(0 < t < 1 for t in sort_times)


def test_strstr_example_tests_pass_and_benchmarks_parse(tmp_path: Path) -> None:
    for name in ("go.mod", "strstr.go", "strstr_test.go"):
        shutil.copy(EXAMPLES / "strstr" / name, tmp_path)
    stdout, files, code = run_job(frameworks.expand("gotest", {}), tmp_path)
    assert code == 0, stdout
    outcomes = [s.value for s in frameworks.parse("gotest", {}, stdout, files) if s.metric == "outcome"]
    assert outcomes == [1.0]
    attrs = {"bench": "Index", "count": 1, "benchtime": "10x"}
    job = frameworks.expand("gobench", attrs)
    with_impl = frameworks.FrameworkJob(job.command, job.display, {"STRSTR_IMPL": "kmp"})
    stdout, files, code = run_job(with_impl, tmp_path)
    assert code == 0, stdout
    names = {s.benchmark for s in frameworks.parse("gobench", attrs, stdout, files)}
    assert names == {"Index/text=1k", "Index/text=64k"}
