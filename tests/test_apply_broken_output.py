"""A reader that goes away (`bh apply --json | head`): bh stops like on Ctrl-C and exits 141.

Running jobs are cancelled, every allocation released, the run marked interrupted, and no job
waiting for room in the local pool keeps the process alive.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fakes"))
from project import Project

# Each job takes the whole machine, so `later` waits for `first`'s allocation to be released.
WHOLE_MACHINE = """
settings {
  parallelism = 2
}
provider "local" {
  cpu_share = 1
}
job "first" {
  command = ["sleep", "1"]
  resources {
    cpu = %(cpus)d
  }
}
job "later" {
  command = ["sh", "-c", "echo $$ > %(root)s/later.pid; exec sleep 60"]
  resources {
    cpu = %(cpus)d
  }
}
"""


def children_of(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("lines_read", [1, 4])  # closed before the run starts; while `first` runs
def test_closed_stdout_stops_the_run_releases_everything_and_exits_141(
    tmp_path: Path, lines_read: int, wait_gone: Callable[..., bool]
) -> None:
    project = Project(tmp_path)
    project.write(WHOLE_MACHINE % {"root": tmp_path, "cpus": os.cpu_count() or 1})
    bh = project.start("apply", "--auto-approve", "--json")
    assert bh.stdout is not None and bh.stderr is not None
    events = [json.loads(bh.stdout.readline()) for _ in range(lines_read)]
    children = children_of(bh.pid)  # the provider, once planning launched it
    bh.stdout.close()
    closed = time.monotonic()
    bh.wait(timeout=30)
    took = time.monotonic() - closed
    err = bh.stderr.read()
    assert bh.returncode == 141, err
    assert took < 8, f"bh took {took:.1f}s to stop after its stdout was closed"
    assert "Traceback" not in err and "Exception ignored" not in err, err
    assert children and all(wait_gone(pid, 10) for pid in children), "the local provider is still running"
    if lines_read > 1:
        assert [e["event"] for e in events][-1] == "job.started"
    later = tmp_path / "later.pid"
    if later.is_file():
        assert wait_gone(int(later.read_text()), 10), "the job `later` is still running"
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert status["run"]["status"] == "interrupted"
    assert {a["state"] for a in status["allocations"]} <= {"released", "failed"}  # nothing allocated


HELLO = Path(__file__).resolve().parents[1] / "examples" / "local" / "hello" / "job.hcl"


@pytest.mark.timeout(120)
def test_the_hello_example_cut_after_any_line_exits_141_at_once(tmp_path: Path) -> None:
    """`bh apply examples/local/hello/job.hcl --auto-approve --json | head -N` for N = 1..10."""
    project = Project(tmp_path)
    project.write(HELLO.read_text())
    for lines_read in range(1, 11):
        bh = project.start("apply", "--auto-approve", "--json")
        assert bh.stdout is not None and bh.stderr is not None
        for _ in range(lines_read):
            bh.stdout.readline()
        bh.stdout.close()
        bh.wait(timeout=15)
        assert bh.returncode == 141, (lines_read, bh.stderr.read())
        bh.stderr.close()


@pytest.mark.timeout(60)
def test_a_reader_leaving_during_a_long_job_stops_it_at_once(
    tmp_path: Path, wait_gone: Callable[..., bool]
) -> None:
    """No event comes while the job sleeps: the pipe itself tells bh that its reader left."""
    project = Project(tmp_path)
    command = f"echo $$ > {tmp_path}/long.pid; exec sleep 60"
    project.write(f'job "long" {{\n  command = ["sh", "-c", "{command}"]\n}}\n')
    bh = project.start("apply", "--auto-approve", "--json")
    assert bh.stdout is not None and bh.stderr is not None
    while json.loads(bh.stdout.readline())["event"] != "job.started":
        pass
    while not (tmp_path / "long.pid").is_file():
        time.sleep(0.05)
    bh.stdout.close()
    closed = time.monotonic()
    bh.wait(timeout=30)
    assert bh.returncode == 141, bh.stderr.read()
    assert time.monotonic() - closed < 5
    assert wait_gone(int((tmp_path / "long.pid").read_text()), 10), "the job is still running"
    status = json.loads(project.bh("status", "1", "--json").stdout)
    assert status["run"]["status"] == "interrupted"
    assert {a["state"] for a in status["allocations"]} == {"released"}
