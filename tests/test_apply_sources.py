"""Jobs run on source snapshots: the working tree by default, a git ref with `--ref` (the working
tree untouched), and a saved plan is refused when its source changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project, finished

JOB = """
job "show" {
  source {
    path = "."
  }
  command = ["cat", "version.txt"]
}
"""


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    project = Project(tmp_path)
    project.write(JOB)
    (tmp_path / ".gitignore").write_text(".bh/\n*.bhplan\n")
    (tmp_path / "version.txt").write_text("main\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "main")
    git(tmp_path, "checkout", "-qb", "feature")
    (tmp_path / "version.txt").write_text("feature\n")
    git(tmp_path, "commit", "-qam", "feature")
    git(tmp_path, "checkout", "-q", "main")
    return project


def test_working_tree_and_ref_snapshots(project: Project) -> None:
    (project.root / "version.txt").write_text("dirty\n")
    code, events = project.apply_json()
    assert code == 0 and finished(events) == {"show": "passed"}
    assert project.output("show") == "dirty\n"
    code, events = project.apply_json("--ref", "feature")
    assert code == 0
    assert project.output("show", "--run", "2") == "feature\n"
    assert (project.root / "version.txt").read_text() == "dirty\n"  # the working tree is untouched
    runs = json.loads(project.bh("status", "--json").stdout)
    assert [r["ref"] for r in runs] == ["feature", None]
    jobs = [json.loads(project.bh("status", str(n), "--json").stdout)["jobs"][0] for n in (1, 2)]
    assert jobs[0]["snapshot_digest"] != jobs[1]["snapshot_digest"]


def test_unchanged_source_reuses_its_snapshot(project: Project) -> None:
    project.apply_json()
    project.apply_json()
    digests = {json.loads(project.bh("status", str(n), "--json").stdout)["jobs"][0]["snapshot_digest"]
               for n in (1, 2)}
    assert len(digests) == 1 and len(list((project.root / ".bh" / "snapshots").glob("*.tar"))) == 1


def test_saved_plan_runs_while_its_source_is_unchanged_and_is_refused_after(project: Project) -> None:
    assert project.bh("plan", "-out", "p.bhplan").returncode == 0
    code, events = project.apply_json("p.bhplan")
    assert code == 0 and finished(events) == {"show": "passed"}
    (project.root / "version.txt").write_text("changed\n")
    done = project.bh("apply", "--auto-approve", "p.bhplan")
    assert done.returncode == 2 and "changed since this plan was made" in done.stderr
