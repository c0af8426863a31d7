"""An unexpected exception in one job's thread (here: a state write that fails) fails that job only:
it is recorded, its allocation released, and the jobs waiting for room in the pool go on.

Real local provider subprocess, real SQLite state; the failure is injected into the recorder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchhub.host.executor.allocator import TAG_RUN
from benchhub.host.executor.events import Event
from benchhub.host.executor.recording import StateRecorder
from benchhub.host.executor.runner import Executor
from benchhub.host.planning.planner import make_plan
from benchhub.host.planning.providers import ProviderSession
from benchhub.host.state import State
from benchhub.proto.job.v1 import job_pb2

# Each job takes the whole local pool: the others wait for its allocation to be released.
JOBS = """
provider "local" {
  cpu_share = 1
}
%s
"""
JOB = 'job "%s" {\n  command = ["true"]\n  resources {\n    cpu = %d\n  }\n}\n'


class BrokenRecorder(StateRecorder):
    """A StateRecorder whose `method` raises for the job `victim` (the injected bug)."""

    def __init__(self, state: State, run_id: int, method: str, victim: str) -> None:
        super().__init__(state, run_id)
        self.method, self.victim = method, victim

    def allocation_intended(self, provider: str, offer_id: str, token: str, tags: dict[str, str]) -> int:
        if self.method == "allocation_intended" and tags["benchhub:job"] == self.victim:
            raise RuntimeError("injected")
        return super().allocation_intended(provider, offer_id, token, tags)

    def job_started(self, job: job_pb2.Job, *args: Any, **kwargs: Any) -> int:
        if self.method == "job_started" and job.id == self.victim:
            raise RuntimeError("injected")
        return super().job_started(job, *args, **kwargs)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["allocation_intended", "job_started"])  # before / after Allocate
def test_an_exception_in_one_job_fails_it_and_the_waiting_jobs_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.chdir(tmp_path)
    cpus = os.cpu_count() or 1
    names = ["a", "boom", "c", "d"]
    (tmp_path / "job.hcl").write_text(JOBS % "".join(JOB % (name, cpus) for name in names))
    events: list[Event] = []
    with ProviderSession(tmp_path) as session, State(tmp_path / "state.db") as state:
        plan = make_plan(tmp_path / "job.hcl", session, ref=None)
        run_id = state.create_run("job.hcl", plan.job_file_digest)
        recorder = BrokenRecorder(state, run_id, method, "boom")
        executor = Executor(plan, str(run_id), session.clients(), recorder, events.append, tmp_path / "run",
                            parallelism=4, extra_tags={})
        result = executor.run()
        assert session.clients()["local"].list_allocations({TAG_RUN: str(run_id)}) == []
        jobs = {job.job_id: job for job in state.jobs(run_id)}
        allocations = state.allocations(run_id=run_id)
    assert (result.passed, result.failed, result.status) == (3, 1, "failed")
    assert jobs["boom"].status == "error"
    assert "internal error: RuntimeError: injected" in (jobs["boom"].error or "")
    assert {jobs[n].status for n in names if n != "boom"} == {"passed"}
    assert {a.state for a in allocations} == {"released"}
    finished = {e.fields["job"]: e.fields["status"] for e in events if e.type == "job.finished"}
    assert finished == {"a": "passed", "boom": "failed", "c": "passed", "d": "passed"}
