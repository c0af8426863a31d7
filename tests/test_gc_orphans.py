"""`bh gc` after a `bh apply` killed with SIGKILL: the allocation it left is found by its tags and
released, and the state is reconciled."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project

JOB = """
provider "fakecheap" {
  ledger = "%(ledger)s"
}
job "long" {
  command = ["sleep", "3"]
  placement {
    providers = ["fakecheap"]
  }
}
"""


@pytest.mark.timeout(120)
def test_gc_releases_what_a_killed_apply_left_behind(tmp_path: Path) -> None:
    project = Project(tmp_path)
    ledger = tmp_path / "ledger.json"
    project.write(JOB % {"ledger": ledger})
    assert project.bh("gc", "--auto-approve").stdout.strip().endswith("No orphaned allocations.")
    bh = project.start("apply", "--auto-approve", "--json")
    assert bh.stdout is not None
    for line in bh.stdout:
        if json.loads(line)["event"] == "job.started":
            break
    bh.send_signal(signal.SIGKILL)
    bh.wait(timeout=10)
    (left,) = json.loads(ledger.read_text())
    assert left["tags"]["benchhub:job"] == "long"
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert [a["state"] for a in status["allocations"]] == ["allocated"]

    refused = project.bh("gc")  # not a terminal, no --auto-approve: nothing is released
    assert refused.returncode == 2 and left["id"] in refused.stdout
    assert len(json.loads(ledger.read_text())) == 1

    done = project.bh("gc", "--auto-approve")
    assert done.returncode == 0, done.stderr
    assert "Released 1 orphaned allocation(s)." in done.stdout
    assert json.loads(ledger.read_text()) == []
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert [a["state"] for a in status["allocations"]] == ["released"]
    assert project.bh("gc", "--auto-approve").stdout.strip().endswith("No orphaned allocations.")
