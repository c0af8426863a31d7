"""The DAG walk: start ready jobs up to `parallelism`, honour budget and `when`, retry preempted
work, and on interruption cancel every Run and release every allocation.

An unexpected exception in a job's thread (a bug, a state write that failed) fails that job: it is
recorded, its allocation released, and jobs waiting for room are woken; the run goes on.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from benchhub.host.errors import BenchHubError
from benchhub.host.executor.allocator import TAG_MANAGED, TAG_RUN, Allocator, Cancelled, Lease
from benchhub.host.executor.artifacts import ArtifactStore
from benchhub.host.executor.billing import Budget, billed_cost
from benchhub.host.executor.events import Event, EventSink
from benchhub.host.executor.jobrun import Attempt, JobRunner
from benchhub.host.executor.ports import ProviderClient, Recorder
from benchhub.host.executor.workflow import Outcome, Workflow
from benchhub.host.planning.model import Billing, Choice, Plan, PlannedJob
from benchhub.host.state import RunStatus

EXIT_PASSED, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


@dataclass(frozen=True)
class RunResult:
    status: RunStatus
    passed: int
    failed: int
    skipped: int
    cancelled: int
    cost: float
    seconds: float

    @property
    def exit_code(self) -> int:
        return {"passed": EXIT_PASSED, "failed": EXIT_FAILED}.get(self.status, EXIT_INTERRUPTED)


class Executor:
    def __init__(
        self,
        plan: Plan,
        run_id: str,
        clients: Mapping[str, ProviderClient],
        recorder: Recorder,
        sink: EventSink,
        workdir: Path,
        *,
        parallelism: int,
        extra_tags: Mapping[str, str],
    ) -> None:
        self.plan = plan
        self.run_id = run_id
        self._recorder = recorder
        self._emit = sink
        self._parallelism = parallelism
        self._cancelled = threading.Event()
        self._workflow = Workflow(plan.jobs)
        self._budget = Budget(plan.budget)
        self._budget_told = False
        self._costs: dict[str, float] = {}
        self._rows: dict[str, int] = {}  # job id -> the state row of its attempt in progress
        groups = Counter(job.group for job in plan.jobs if job.group)
        tags = {TAG_MANAGED: "true", TAG_RUN: run_id, **extra_tags}
        self._allocator = Allocator(clients, recorder, tags, sink, self._cancelled, groups)
        (workdir / "logs").mkdir(parents=True, exist_ok=True)
        self._jobs = JobRunner(
            run_id,
            dict(clients),
            recorder,
            ArtifactStore(workdir / "artifacts"),
            workdir / "logs",
            self._cancelled,
            sink,
        )

    def cancel(self) -> None:
        """Interrupt the run (safe from a signal handler): no new jobs, running ones cancelled."""
        self._cancelled.set()
        threading.Thread(target=self._interrupt, daemon=True).start()

    def _interrupt(self) -> None:
        self._jobs.cancel_all()
        self._allocator.interrupt()

    def run(self) -> RunResult:
        started = time.monotonic()
        self._emit(
            Event(
                "run.started",
                {"run": self.run_id, "jobs": len(self.plan.jobs), "parallelism": self._parallelism},
            )
        )
        queue: list[PlannedJob] = []
        running: dict[Future[Outcome], PlannedJob] = {}
        pool = ThreadPoolExecutor(self._parallelism, thread_name_prefix="bh-job")
        try:
            while True:
                if not self._cancelled.is_set():
                    queue.extend(self._decide())
                    while queue and len(running) < self._parallelism:
                        job = queue.pop(0)
                        if self._admit(job):
                            self._workflow.start(job.id)
                            running[pool.submit(self._execute, job)] = job
                        queue.extend(self._decide())
                if not running:
                    break
                done, _ = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:
                    job = running.pop(future)
                    self._workflow.finish(job.id, "failed" if future.exception() else future.result())
        except BaseException:  # a forced stop (a second Ctrl-C): do not wait for stuck calls
            self._cancelled.set()
            self._interrupt()  # so that the job threads end (the interpreter joins them at exit)
            pool.shutdown(wait=False, cancel_futures=True)
            self._allocator.release_all()
            raise
        pool.shutdown()
        self._allocator.release_all()
        for job_id in self._workflow.unfinished():
            self._not_run(self._workflow.jobs[job_id], "cancelled", "interrupted")
        return self._finish(time.monotonic() - started)

    def _decide(self) -> list[PlannedJob]:
        ready, skipped = self._workflow.ready()
        for skip in skipped:
            self._not_run(self._workflow.jobs[skip.job], "skipped", skip.reason)
        return ready

    def _admit(self, job: PlannedJob) -> bool:
        estimate = job.chosen.estimated_cost if job.chosen else 0.0
        refused = self._budget.try_commit(job.id, estimate)
        if refused is None:
            return True
        if not self._budget_told:
            self._budget_told = True
            self._emit(
                Event(
                    "budget.exhausted",
                    {
                        "run": self.run_id,
                        "spent": refused.spent,
                        "committed": refused.committed,
                        "budget": refused.budget,
                        "currency": self.plan.currency,
                    },
                )
            )
        self._not_run(
            job, "skipped", f"budget: {estimate:.4f} more would exceed {refused.budget} {self.plan.currency}"
        )
        return False

    def _not_run(self, job: PlannedJob, status: str, reason: str) -> None:
        self._workflow.finish(job.id, "cancelled" if status == "cancelled" else "skipped")
        self._allocator.not_run(job)
        self._recorder.job_not_run(job.job, status, reason)
        self._emit(Event("job.skipped", {"run": self.run_id, "job": job.id, "reason": reason}))

    def _execute(self, job: PlannedJob) -> Outcome:
        """Worker thread: allocate, run, retry on preemption, release. Returns the job's outcome."""
        try:
            return self._attempts(job)
        except Exception as exc:  # whatever broke, this job fails and the run goes on
            return self._crashed(job, exc)

    def _attempts(self, job: PlannedJob) -> Outcome:
        choices = list(job.choices)
        attempt = 1
        while True:
            try:
                leases = self._allocator.acquire(job, choices, attempt)
            except BenchHubError as exc:
                status = "cancelled" if isinstance(exc, Cancelled) else "error"
                self._recorder.job_not_run(job.job, status, str(exc))
                return self._finished(job, Attempt(status, None, 0.0, str(exc)))
            result = self._attempt(job, leases, attempt)
            if result.status != "preempted" or attempt > job.retries or self._cancelled.is_set():
                return self._finished(job, result)
            self._emit(
                Event(
                    "job.retrying",
                    {"run": self.run_id, "job": job.id, "reason": "preempted", "attempt": attempt + 1},
                )
            )
            choices = _after_preemption(choices, leases[0].choice, job.spot == "prefer")
            attempt += 1

    def _attempt(self, job: PlannedJob, leases: list[Lease], attempt: int) -> Attempt:
        """Run `job` on its allocations (one per node; node 0's is the job's in state)."""
        lease = leases[0]
        choice = lease.choice
        try:
            row = self._recorder.job_started(
                job.job,
                attempt,
                lease.row,
                choice.offer,
                choice.provider,
                lease.allocation,
                choice.estimated_cost,
                str(self._jobs.log_path(job.id)),
                job.snapshot_digest,
            )
            self._rows[job.id] = row
            self._emit(
                Event(
                    "job.started",
                    {
                        "run": self.run_id,
                        "job": job.id,
                        "provider": choice.provider,
                        "offer": choice.offer.id,
                        "allocation": lease.allocation.id,
                    },
                )
            )
            result = self._jobs.run(job, leases, attempt, row)
            if result.status == "preempted":
                self._allocator.lost(job, lease)
        finally:
            for node_lease in leases:
                self._allocator.done(job, node_lease)
        cost = sum(self._cost(job, node_lease, result) for node_lease in leases)  # each node is billed
        self._costs[job.id] = self._costs.get(job.id, 0.0) + cost
        self._recorder.job_finished(row, result.status, result.exit, cost, result.message or None)
        del self._rows[job.id]
        return result

    def _crashed(self, job: PlannedJob, exc: Exception) -> Outcome:
        """`job` failed on an unexpected exception: record it (its allocation was released already)."""
        message = f"internal error: {type(exc).__name__}: {exc}"
        row = self._rows.pop(job.id, None)
        if row is None:
            self._recorder.job_not_run(job.job, "error", message)
        else:
            self._recorder.job_finished(row, "error", None, self._costs.get(job.id), message)
        return self._finished(job, Attempt("error", None, 0.0, message))

    def _cost(self, job: PlannedJob, lease: Lease, result: Attempt) -> float:
        billing = self.plan.billing.get(lease.provider, Billing())
        price = lease.allocation.price_per_hour.amount or lease.choice.offer.price_per_hour.amount
        if job.group and lease.users:
            return billed_cost(result.seconds, price, billing) / max(1, lease.users)
        return billed_cost(time.monotonic() - lease.since, price, billing)

    def _finished(self, job: PlannedJob, result: Attempt) -> Outcome:
        cost = self._costs.get(job.id, 0.0)
        self._budget.settle(job.id, cost)
        outcome: Outcome = (
            "passed"
            if result.status == "passed"
            else "cancelled"
            if result.status == "cancelled"
            else "failed"
        )
        self._emit(
            Event(
                "job.finished",
                {
                    "run": self.run_id,
                    "job": job.id,
                    "status": outcome,
                    "exit_code": result.exit.exit_code if result.exit else None,
                    "duration_s": round(result.seconds, 3),
                    "cost": round(cost, 6),
                    "currency": self.plan.currency,
                    "message": result.message or (result.status if result.status != outcome else None),
                },
            )
        )
        return outcome

    def _finish(self, seconds: float) -> RunResult:
        count = self._workflow.count
        failed = count("failed")
        status: RunStatus = "interrupted" if self._cancelled.is_set() else ("failed" if failed else "passed")
        result = RunResult(
            status,
            count("passed"),
            failed,
            count("skipped"),
            count("cancelled"),
            sum(self._costs.values()),
            seconds,
        )
        self._emit(
            Event(
                "run.finished",
                {
                    "run": self.run_id,
                    "status": status,
                    "passed": result.passed,
                    "failed": failed,
                    "skipped": result.skipped,
                    "cancelled": result.cancelled,
                    "duration_s": round(seconds, 3),
                    "cost": round(result.cost, 6),
                    "currency": self.plan.currency,
                    "exit_code": result.exit_code,
                },
            )
        )
        return result


def _after_preemption(choices: list[Choice], lost: Choice, prefer_on_demand: bool) -> list[Choice]:
    """The remaining offers after `lost` was preempted; on-demand first when spot was only preferred."""
    rest = [c for c in choices if c is not lost]
    if prefer_on_demand:
        rest.sort(key=lambda c: c.offer.spot)  # stable: keeps rank order within each kind
    return rest
