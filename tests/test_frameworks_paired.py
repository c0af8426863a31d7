"""Paired A/B jobs: a real `go test -bench` run alternately in two source trees."""

from __future__ import annotations

import shutil
import statistics
from pathlib import Path

import pytest
from test_frameworks_support import run_job

from benchhub.frameworks import FrameworkError
from benchhub.frameworks.paired import expand_paired, parse_paired, rounds_of

STRSTR = Path(__file__).parent.parent / "examples" / "local" / "strstr"


def test_gobench_pairs_two_trees_and_tags_each_sample_with_its_side(tmp_path: Path) -> None:
    for side in ("a", "b"):
        shutil.copytree(STRSTR, tmp_path / side, ignore=shutil.ignore_patterns("*.hcl", "*.md"))
    slower = tmp_path / "b" / "strstr.go"  # side B's "stdlib" is the naive search
    naive = '"stdlib": func(h, n string) int { _ = strings.Index; return Naive(h, n) },'
    slower.write_text(slower.read_text().replace('"stdlib":   strings.Index,', naive))
    attrs = {"bench": "Index/text=64k", "count": 9, "benchtime": "50x"}
    job = expand_paired("gobench", attrs, rounds=4, warmup=0)
    stdout, _, code = run_job(job, tmp_path)
    assert code == 0, stdout
    samples = parse_paired("gobench", attrs, tmp_path / ".bh-out" / "pair")
    times = {side: [s.value for s in samples if s.side == side and s.metric == "time"] for side in "AB"}
    assert len(times["A"]) == len(times["B"]) == 4
    assert sorted({s.iteration for s in samples if s.side == "B"}) == [0, 1, 2, 3]
    # the naive search is about ten times slower on 64 KiB; medians keep a busy machine's spikes out
    assert statistics.median(times["B"]) > 3 * statistics.median(times["A"])
    assert {s.benchmark for s in samples} == {"Index/text=64k"}


def test_rounds_default_to_the_block_repetitions() -> None:
    assert rounds_of("command", {"count": 7}) == 7
    assert rounds_of("hyperfine", {"runs": 12}) == 12
    assert rounds_of("pytest", {}) == 10
    assert expand_paired("gobench", {"count": 3}).display.startswith("paired A/B x3: go test")


def test_missing_rounds_and_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(FrameworkError, match="no recorded round for side A"):
        parse_paired("command", {"command": "true"}, tmp_path)
    with pytest.raises(FrameworkError, match="need rounds >= 1"):
        expand_paired("command", {"command": "true"}, rounds=0)
