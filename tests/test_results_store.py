"""Ingest real framework jobs into a real SQLite state, then list, compare and report them."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from test_frameworks_support import run_job

from benchhub import frameworks
from benchhub.frameworks import FrameworkError, FrameworkJob
from benchhub.frameworks.paired import expand_paired
from benchhub.host.executor.artifacts import ArtifactStore, safe_name
from benchhub.host.results import (
    compare_exit_code,
    compare_sides,
    format_comparison,
    format_results,
    ingest,
    ingest_paired,
    load_results,
    write_report,
)
from benchhub.host.results.sides import SelectorError
from benchhub.host.state import Environment, Param, Snapshot, State
from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.sdk.collector import collect_outputs

SLEEPER = "import sys, time; time.sleep(float(sys.argv[1]))"
LOCAL = Environment("Test CPU", 2, "6.1", "local", "local", "this-machine", 0.0, "USD")


class Executor:
    """Plays the executor's part: run a job in a work dir, keep its log, collect its outputs, ingest."""

    def __init__(self, root: Path, state: State) -> None:
        self.root, self.state = root, state
        self.artifacts = ArtifactStore(root / "artifacts")

    def snapshot(self, branch: str, commit: str) -> str:
        digest = f"sha256:{commit}"
        self.state.record_snapshot(Snapshot(digest, commit, branch, False, str(self.root), 1, 1, time.time()))
        return digest

    def run(self, run_id: int, job_id: str, name: str, job: FrameworkJob, params: dict[str, object],
            snapshot: str | None = None, workdir: Path | None = None) -> tuple[int, Path, Path, int]:
        row = self.state.add_job(run_id, job_id, name, params=[Param(k, v) for k, v in params.items()],
                                 snapshot_digest=snapshot)
        workdir = workdir or self.root / "work" / safe_name(job_id)
        workdir.mkdir(parents=True, exist_ok=True)
        stdout, _, code = run_job(job, workdir)
        log = self.root / "logs" / f"{safe_name(job_id)}.log"
        log.parent.mkdir(exist_ok=True)
        log.write_text(stdout)
        outputs = [job_pb2.Output(name=n, glob=g) for n, g in job.outputs.items()]
        self.artifacts.receive(job_id, collect_outputs(workdir, outputs))
        self.state.update_job(row, status="passed" if code == 0 else "failed", exit_code=code)
        self.state.set_environment(row, LOCAL)
        return row, log, self.artifacts.root / safe_name(job_id), code

    def sleeper_run(self, branch: str, commit: str, delays: dict[int, float], count: int = 6) -> int:
        run_id = self.state.create_run("examples/sleep.hcl", "sha256:0", ref=branch)
        snapshot = self.snapshot(branch, commit)
        for size, delay in delays.items():
            attrs = {"command": [sys.executable, "-c", SLEEPER, str(delay)], "count": count}
            job_id = f"sleep[size={size}]"
            row, log, outputs, code = self.run(run_id, job_id, "sleep", frameworks.expand("command", attrs),
                                               {"size": size}, snapshot)
            assert ingest(self.state, row, "command", attrs, log, outputs, code) == 4 * count
        self.state.finish_run(run_id, "passed")
        return run_id


@pytest.fixture
def executor(tmp_path: Path) -> Executor:
    with State(tmp_path / ".bh" / "state.db") as state:
        yield Executor(tmp_path, state)


def test_store_list_and_compare_runs_refs_and_parameter_sets(executor: Executor) -> None:
    # gaps far above the noise of a busy 2-core machine
    main = executor.sleeper_run("main", "a1b2c3d4e5f6", {100: 0.005, 200: 0.25})
    feature = executor.sleeper_run("feature", "0f9e8d7c6b5a", {100: 0.25, 200: 0.25})
    state = executor.state

    listed = load_results(state, str(main))
    assert [j.job_id for j in listed.jobs] == ["sleep[size=100]", "sleep[size=200]"]
    assert listed.jobs[0].samples[0].benchmark == "sleep"  # the command framework names it after the job
    table = format_results(listed, "table")
    assert "sleep[size=100]" in table and "main@a1b2c3d4e5f6" in table and "wall" in table
    document = json.loads(format_results(listed, "json"))
    assert document["jobs"][0]["params"] == {"size": "100"}
    assert document["jobs"][0]["environment"]["cpu_model"] == "Test CPU"
    assert len(document["jobs"][0]["samples"]) == 24
    assert len(format_results(listed, "csv").splitlines()) == 1 + 48

    by_ref = compare_sides(state, "main", "ref:feature")
    assert (by_ref.a.runs, by_ref.b.runs, by_ref.paired) == ((main,), (feature,), False)
    walls = {r.key.label: r for r in by_ref.rows if r.key.metric == "wall"}
    assert walls["sleep[size=100]"].regression  # 5 ms -> 250 ms
    assert compare_exit_code(by_ref, 50.0) == 1
    assert compare_exit_code(by_ref, 100_000.0) == 0
    assert compare_exit_code(by_ref, None) == 0

    by_param = compare_sides(state, f"{main}:size=100", "size=200")
    assert by_param.b.runs == (main,)
    (wall,) = [r for r in by_param.rows if r.key.metric == "wall"]
    assert (wall.key.label, wall.significant) == ("sleep", True)
    assert wall.delta_pct is not None and wall.delta_pct > 50
    assert "run 1 size=100" in format_comparison(by_param, "markdown")

    assert compare_sides(state, "latest~1", "latest").b.runs == (feature,)
    with pytest.raises(SelectorError, match="no run of ref 'nope'"):
        compare_sides(state, "nope", "main")
    with pytest.raises(SelectorError, match="run 1 holds no paired job: give two sides"):
        compare_sides(state, "1")
    with pytest.raises(SelectorError, match="run 1 has no results with size=7"):
        compare_sides(state, "1:size=7", "2")


def test_unparseable_output_names_the_job_and_keeps_the_log(executor: Executor) -> None:
    run_id = executor.state.create_run("x.hcl", "sha256:0")
    attrs = {"bench": "."}
    job = FrameworkJob(command=["echo", "PASS"], display="echo")
    row, log, outputs, code = executor.run(run_id, "bench", "bench", job, {})
    with pytest.raises(FrameworkError) as caught:
        ingest(executor.state, row, "gobench", attrs, log, outputs, code)
    assert str(caught.value) == (
        f"job bench: no Go benchmark results in the output (did -bench match any benchmark?) "
        f"(raw output kept in {log})"
    )
    assert log.read_text() == "PASS\n"
    assert executor.state.result_samples(row) == []


def test_paired_job_runs_both_sides_interleaved_and_compares_them(executor: Executor) -> None:
    run_id = executor.state.create_run("sleep.hcl", "sha256:0")
    workdir = executor.root / "paired"
    for side, delay in (("a", 0.005), ("b", 0.2)):
        (workdir / side).mkdir(parents=True)
        (workdir / side / "work.py").write_text(f"import time\ntime.sleep({delay})\nprint('side {side}')\n")
    attrs = {"command": [sys.executable, "work.py"], "count": 99}
    job = expand_paired("command", attrs, rounds=6)
    assert job.display.startswith("paired A/B x6:")
    row, log, outputs, code = executor.run(run_id, "sleep", "sleep", job, {"size": 1}, workdir=workdir)
    assert code == 0
    order = [line for line in log.read_text().splitlines() if line.startswith("side")]
    assert order == ["side a", "side b"] * 7  # one warmup round, then six recorded rounds, interleaved
    a_row, b_row = ingest_paired(executor.state, row, "command", attrs, log, outputs,
                                 (executor.snapshot("main", "1111"), executor.snapshot("feature", "2222")))
    assert [j.job_id for j in executor.state.jobs(run_id)] == ["sleep", "sleep@A", "sleep@B"]
    assert {p.name: p.value for p in executor.state.params(b_row)} == {"size": 1, "pair": "B"}
    assert len(executor.state.result_samples(a_row)) == 6 * 4

    comparison = compare_sides(executor.state, str(run_id))
    assert comparison.paired
    assert comparison.a.snapshots == ("main@1111",) and comparison.b.snapshots == ("feature@2222",)
    (wall,) = [r for r in comparison.rows if r.key.metric == "wall"]
    assert wall.regression and wall.key.label == "sleep[size=1]"
    markdown = format_comparison(comparison, "markdown")
    assert markdown.startswith("**paired A/B (interleaved on one allocation)")

    html = write_report(executor.state, str(run_id), None, executor.root / "paired.html").read_text()
    assert '<span class="badge">paired</span>' in html and html.count("<svg") >= 4


def test_reports_are_self_contained(executor: Executor) -> None:
    first = executor.sleeper_run("main", "a1", {100: 0.01}, count=5)
    executor.sleeper_run("main", "a2", {100: 0.012}, count=5)
    last = executor.sleeper_run("main", "a3", {100: 0.011}, count=5)
    out = write_report(executor.state, str(first), str(last), executor.root / "cmp.html")
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "src=" not in html and "href=" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "Distributions: A vs B" in html and "History (last 3 runs)" in html
    assert "run 1" in html and "run 3" in html
    run_html = write_report(executor.state, str(last), None, executor.root / "run.html").read_text()
    assert "Results of run 3" in run_html and "History (last 3 runs)" in run_html
