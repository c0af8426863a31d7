"""The DAG walk's bookkeeping, with no I/O: which jobs are ready, which are skipped and why.

A job becomes decidable once every job it depends on has finished. Its `when` then decides:
`on_success` (default) runs it when all of them passed, `on_failure` when any failed, `always` in any
case. A job that will not run is skipped, and that counts as "not passed" for its own dependants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from benchhub.host.planning.model import PlannedJob

Outcome = Literal["passed", "failed", "skipped", "cancelled"]
FINAL: frozenset[str] = frozenset({"passed", "failed", "skipped", "cancelled"})


@dataclass(frozen=True)
class Skip:
    job: str
    reason: str


class Workflow:
    """Tracks each job's state; `ready()`, `start()` and `finish()` drive the walk."""

    def __init__(self, jobs: Iterable[PlannedJob]) -> None:
        self.jobs = {job.id: job for job in jobs}
        self.state: dict[str, str] = dict.fromkeys(self.jobs, "pending")
        self._order = list(self.jobs)  # the plan's order breaks ties, so runs are reproducible

    def ready(self) -> tuple[list[PlannedJob], list[Skip]]:
        """Pending jobs that may start now, and pending jobs that now will never run."""
        runnable: list[PlannedJob] = []
        skipped: list[Skip] = []
        changed = True
        while changed:
            changed = False
            for job_id in self._order:
                if self.state[job_id] != "pending":
                    continue
                deps = [self.state[d] for d in self.jobs[job_id].depends_on]
                if any(s not in FINAL for s in deps):
                    continue
                reason = self._skip_reason(self.jobs[job_id], deps)
                if reason:
                    self.state[job_id] = "skipped"
                    skipped.append(Skip(job_id, reason))
                    changed = True
                else:
                    self.state[job_id] = "ready"
                    runnable.append(self.jobs[job_id])
        return runnable, skipped

    @staticmethod
    def _skip_reason(job: PlannedJob, deps: list[str]) -> str:
        if job.when == "always" or not deps:
            return ""
        failed = any(s in ("failed", "cancelled") for s in deps)
        if job.when == "on_failure":
            return "" if failed else "when = on_failure, and no dependency failed"
        if all(s == "passed" for s in deps):
            return ""
        return "a dependency failed" if failed else "a dependency was skipped"

    def start(self, job_id: str) -> None:
        self.state[job_id] = "running"

    def finish(self, job_id: str, outcome: Outcome) -> None:
        self.state[job_id] = outcome

    def unfinished(self) -> list[str]:
        return [j for j in self._order if self.state[j] not in FINAL]

    def count(self, state: str) -> int:
        return sum(1 for s in self.state.values() if s == state)
