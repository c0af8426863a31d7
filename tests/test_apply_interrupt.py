"""Ctrl-C during `bh apply` (SIGINT to the real subprocess): running jobs are cancelled, every
allocation is released (state and the provider's ListAllocations agree), no process is left, exit 130."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project, of_type

SLEEPERS = """
settings {
  parallelism = 2
}
provider "fakecheap" {
  ledger = "%(ledger)s"
}
job "on_fake" {
  command   = ["sh", "-c", "echo $$ > %(root)s/on_fake.pid; exec sleep 60"]
  placement {
    providers = ["fakecheap"]
  }
}
job "on_local" {
  command   = ["sh", "-c", "echo $$ > %(root)s/on_local.pid; exec sleep 60"]
  provider  = "local"
}
job "later" {
  command    = ["true"]
  depends_on = ["on_fake"]
}
"""


@pytest.mark.timeout(120)
def test_sigint_cancels_jobs_releases_everything_and_exits_130(
    tmp_path: Path, wait_gone: Callable[..., bool]
) -> None:
    project = Project(tmp_path)
    ledger = tmp_path / "ledger.json"
    project.write(SLEEPERS % {"ledger": ledger, "root": tmp_path})
    bh = project.start("apply", "--auto-approve", "--json")
    assert bh.stdout is not None
    started = set()
    for line in bh.stdout:
        event = json.loads(line)
        if event["event"] == "job.started":
            started.add(event["job"])
        if started == {"on_fake", "on_local"}:
            break
    pids = {}
    for name in started:  # the jobs' own processes are up
        pid_file = tmp_path / f"{name}.pid"
        while not pid_file.is_file() or not pid_file.read_text().strip():
            time.sleep(0.05)
        pids[name] = int(pid_file.read_text())
    bh.send_signal(signal.SIGINT)
    rest, _ = bh.communicate(timeout=60)
    assert bh.returncode == 130
    events = [json.loads(line) for line in rest.splitlines()]
    finished = {e["job"]: e["status"] for e in of_type(events, "job.finished")}
    assert finished == {"on_fake": "cancelled", "on_local": "cancelled"}
    assert of_type(events, "run.finished")[0]["status"] == "interrupted"
    for name, pid in pids.items():
        assert wait_gone(pid, 10), f"job {name} (pid {pid}) is still running"
    assert wait_gone(int(Path(f"{ledger}.pid").read_text()), 10), "the fake provider is still running"
    assert json.loads(ledger.read_text()) == []  # the provider holds nothing
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert status["run"]["status"] == "interrupted"
    assert {a["state"] for a in status["allocations"]} == {"released"}
    assert {j["job_id"]: j["status"] for j in status["jobs"]}["later"] == "cancelled"


BOOTING = """
provider "fakecheap" {
  ledger       = "%(ledger)s"
  boot_seconds = 60
}
job "slow_boot" {
  command = ["true"]
  placement {
    providers = ["fakecheap"]
  }
}
"""


def ledger_entries(ledger: Path) -> list[object]:
    try:
        return list(json.loads(ledger.read_text()))
    except (OSError, ValueError):  # not written yet, or half written
        return []


@pytest.mark.timeout(60)
def test_sigint_during_allocate_cancels_it_and_releases_what_it_made(
    tmp_path: Path, wait_gone: Callable[..., bool]
) -> None:
    project = Project(tmp_path)
    ledger = tmp_path / "ledger.json"
    project.write(BOOTING % {"ledger": ledger})
    bh = project.start("apply", "--auto-approve", "--json")
    deadline = time.monotonic() + 30
    while not ledger_entries(ledger):  # the provider made the allocation and now "boots" it for 60 s
        assert bh.poll() is None and time.monotonic() < deadline, "Allocate never started"
        time.sleep(0.05)
    interrupted = time.monotonic()
    bh.send_signal(signal.SIGINT)
    rest, err = bh.communicate(timeout=30)
    took = time.monotonic() - interrupted
    assert bh.returncode == 130, err
    assert took < 3, f"bh took {took:.1f}s to stop after Ctrl-C during Allocate"
    events = [json.loads(line) for line in rest.splitlines()]
    assert {e["job"]: e["status"] for e in of_type(events, "job.finished")} == {"slow_boot": "cancelled"}
    assert of_type(events, "run.finished")[0]["status"] == "interrupted"
    assert ledger_entries(ledger) == []  # released by its token
    assert wait_gone(int(Path(f"{ledger}.pid").read_text()), 10), "the fake provider is still running"
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert [a["state"] for a in status["allocations"]] == ["released"]
