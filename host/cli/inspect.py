"""`bh status` and `bh logs`: reading the project's state and log files."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape

from benchhub.host.cli.console import PipeConsole, table
from benchhub.host.errors import BenchHubError
from benchhub.host.state import Job, Run, State, default_state_path

if TYPE_CHECKING:
    from benchhub.host.results.listing import ResultsFormat, RunResults

FOLLOW_POLL_SECONDS = 0.2


def open_state() -> State:
    path = default_state_path(Path.cwd())
    if not path.exists():
        raise BenchHubError("no BenchHub state here (.bh/state.db); run `bh apply` first")
    return State(path)


def print_results(results: RunResults, fmt: ResultsFormat) -> None:
    """`bh results`: on a terminal a table keeps its colours; anything else is plain text."""
    from benchhub.host.results.listing import format_results, results_table

    if fmt == "table" and sys.stdout.isatty():
        PipeConsole().print(results_table(results))
        return
    text = format_results(results, fmt)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def show_status(run_id: int | None, *, as_json: bool) -> None:
    with open_state() as state:
        if run_id is None:
            runs = state.runs(limit=20)
            if as_json:
                print(json.dumps([asdict(r) for r in runs]))
            else:
                _runs_table(runs)
            return
        run = state.run(run_id)
        jobs = state.jobs(run_id)
        allocations = state.allocations(run_id=run_id)
    if as_json:
        print(
            json.dumps(
                {
                    "run": asdict(run),
                    "jobs": [asdict(j) for j in jobs],
                    "allocations": [asdict(a) for a in allocations],
                }
            )
        )
        return
    console = PipeConsole()
    _runs_table([run], console)
    jobs_table = table(
        "Jobs",
        ("job", "attempt", "status", "exit", "provider", "offer", "wall s", "cost", "error"),
        right=("attempt", "exit", "wall s", "cost"),
    )
    for job in jobs:
        jobs_table.add_row(
            escape(job.job_id),
            str(job.attempt),
            job.status,
            _show(job.exit_code),
            _show(job.provider),
            _show(job.instance_type or job.offer_id),
            _show(job.wall_seconds, "{:.2f}"),
            _show(job.actual_cost, "{:.6f}"),
            _show(job.error),
        )
    console.print(jobs_table)
    allocations_table = table(
        "Allocations", ("id", "provider", "offer", "state", "provider id", "error"), right=("id",)
    )
    for a in allocations:
        allocations_table.add_row(
            str(a.id), a.provider, a.offer_id, a.state, _show(a.provider_allocation_id), _show(a.error)
        )
    console.print(allocations_table)


def _runs_table(runs: list[Run], console: Console | None = None) -> None:
    columns = ("run", "started", "status", "passed", "failed", "skipped", "job file", "ref", "cost")
    shown = table("Runs", columns, right=("run", "passed", "failed", "skipped", "cost"))
    for r in runs:
        cost = f"{r.actual_cost:.6f} {r.currency or ''}" if r.actual_cost is not None else "-"
        shown.add_row(
            str(r.id),
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.created)),
            r.status,
            str(r.jobs_passed),
            str(r.jobs_failed),
            str(r.jobs_skipped),
            r.job_file,
            r.ref or "-",
            cost,
        )
    (console or PipeConsole()).print(shown)


def _show(value: object, fmt: str = "{}") -> str:
    return "-" if value is None else escape(fmt.format(value))


def show_logs(job_id: str, *, run: int | None, follow: bool, node: int = 0) -> None:
    """Print the job's log (node `node`'s of a multi-node job); with `follow`, keep printing until
    the job has finished."""
    from benchhub.host.executor.jobrun import node_log

    with open_state() as state:
        job = _find_job(state, job_id, run)
        path = node_log(Path(job.log_path), node) if job.log_path else None
        if path is None or not path.exists():
            which = f"node {node} of " if node else ""
            raise BenchHubError(f"{which}job {job_id} of run {job.run_id} has no log ({job.status})")
        out = sys.stdout.buffer
        with path.open("rb") as log:
            while True:
                out.write(log.read())
                out.flush()
                if not follow or state.job(job.id).status != "running":
                    break
                time.sleep(FOLLOW_POLL_SECONDS)
            out.write(log.read())
            out.flush()


def _find_job(state: State, job_id: str, run: int | None) -> Job:
    runs = [state.run(run)] if run is not None else state.runs(limit=50)
    for candidate in runs:
        attempts = [j for j in state.jobs(candidate.id) if j.job_id == job_id and j.log_path]
        if attempts:
            return attempts[-1]
    where = f"run {run}" if run is not None else "the recent runs"
    raise BenchHubError(f"no job {job_id!r} with a log in {where}; see `bh status`")
