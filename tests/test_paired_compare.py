"""`bh compare --ref A --ref B job.hcl`: a real git repository with two branches, the real `bh` and the
real local provider; both refs are snapshotted and run interleaved on one allocation, then compared."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project

BENCH = "import time\ntime.sleep({delay})\n"
JOB = """
job "work" {
  source = "."
  framework "command" {
    command = ["python3", "bench.py"]
    count   = 8
  }
}

job "hello" {
  command = ["true"]
}
"""
SLOW, FAST = 0.15, 0.01


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Project:
    """main sleeps SLOW seconds per run, branch `fast` sleeps FAST."""
    project = Project(tmp_path)
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "config", "user.email", "bench@example.invalid")
    _git(tmp_path, "config", "user.name", "bench")
    project.write(JOB)
    project.write(BENCH.format(delay=SLOW), "bench.py")
    _git(tmp_path, "add", "job.hcl", "bench.py")
    _git(tmp_path, "commit", "-qm", "slow")
    _git(tmp_path, "checkout", "-qb", "fast")
    project.write(BENCH.format(delay=FAST), "bench.py")
    _git(tmp_path, "commit", "-qam", "fast")
    _git(tmp_path, "checkout", "-q", "main")
    return project


def _wall(document: dict[str, Any]) -> dict[str, Any]:
    (row,) = [r for r in document["rows"] if r["metric"] == "wall"]
    return row


def test_two_refs_run_interleaved_and_the_faster_one_is_detected(repo: Project) -> None:
    done = repo.bh("compare", "--ref", "main", "--ref", "fast", "job.hcl", "--auto-approve", "--format=json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)  # stdout holds only the comparison; plan and progress go to stderr
    assert document["paired"] is True
    assert [s.split("@")[0] for s in document["a"]["snapshots"]] == ["main"]
    assert [s.split("@")[0] for s in document["b"]["snapshots"]] == ["fast"]
    wall = _wall(document)
    assert wall["significant"] and wall["delta_pct"] < -50 and not wall["regression"]
    assert (wall["a"]["n"], wall["b"]["n"]) == (8, 8)
    assert "job hello left out of the paired run" in done.stderr and "Run 1 passed" in done.stderr

    log = repo.bh("logs", "work").stdout.splitlines()
    rounds = [line.split("side ")[1] for line in log if line.startswith("bh pair runner:")]
    assert rounds[:4] == ["A round 1", "B round 1", "A round 2", "B round 2"] and len(rounds) == 18

    table = repo.bh("compare", "1")  # the stored paired run compares its halves again
    assert table.returncode == 0 and "paired A/B (interleaved on one allocation)" in table.stdout
    assert "pair=A (main@" in table.stdout and "pair=B (fast@" in table.stdout
    results = repo.bh("results", "--csv").stdout.splitlines()
    assert sum(",work@A,work,pair=A,main@" in line for line in results) == 8 * 4  # wall, user, sys, peak
    jobs = {job["job_id"]: job for job in json.loads(repo.bh("results", "--json").stdout)["jobs"]}
    assert jobs["work@B"]["params"] == {"pair": "B"} and jobs["work@B"]["status"] == "passed"
    assert repo.bh("results", "--json", "--csv").returncode == 2


def test_one_ref_against_the_working_tree_and_a_regression_fails(repo: Project) -> None:
    _git(repo.root, "checkout", "-q", "fast")
    repo.write(BENCH.format(delay=SLOW), "bench.py")  # uncommitted: the working tree is slow again
    done = repo.bh("compare", "--ref", "fast", "--auto-approve", "--fail-on-regression", "20")
    assert done.returncode == 1, done.stderr
    assert "paired A/B" in done.stdout and "regression" in done.stdout
    title = " ".join(done.stdout.split())  # the title wraps at the table's width
    assert "B = run 1 pair=B (fast@" in title and "+dirty)" in title


def test_refusals_are_one_line(repo: Project) -> None:
    no_tty = repo.bh("compare", "--ref", "main", "--ref", "fast")
    assert no_tty.returncode == 2 and "--auto-approve" in no_tty.stderr
    repo.write('job "x" {\n  command = ["true"]\n}\n', "plain.hcl")
    nothing = repo.bh("compare", "--ref", "main", "--ref", "fast", "plain.hcl", "--auto-approve")
    assert nothing.returncode == 2 and "nothing to pair" in nothing.stderr
    three = repo.bh("compare", "--ref", "a", "--ref", "b", "--ref", "c")
    assert three.returncode == 2 and "not 3 times" in three.stderr
    for done in (no_tty, nothing, three):
        assert "Traceback" not in done.stderr
