"""`bh results [RUN]`: a run's parsed results and resource usage as a table, JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Literal

from rich.markup import escape
from rich.table import Table

from benchhub.frameworks import Outcome, Sample
from benchhub.frameworks.base import OUTCOME_METRIC
from benchhub.host.results.load import JobResults, load_run
from benchhub.host.results.render import plain_text
from benchhub.host.results.sides import resolve_run
from benchhub.host.results.units import format_value
from benchhub.host.state import Run, State

ResultsFormat = Literal["table", "json", "csv"]
_SHOWN_FAILURES = 5


@dataclass
class RunResults:
    run: Run
    jobs: list[JobResults]


def load_results(state: State, run: str | None = None) -> RunResults:
    """A run's results; `run` as a compare side's source (`12`, `latest~1`, `ref:main`), default newest."""
    run_id = resolve_run(state, run or "")
    return RunResults(state.run(run_id), load_run(state, run_id))


def _usage(job: JobResults) -> str:
    u = job.usage
    parts = [
        f"wall {format_value(u.wall_seconds, 's')}" if u.wall_seconds is not None else "",
        f"cpu {format_value(u.cpu_seconds, 's')}" if u.cpu_seconds is not None else "",
        f"peak {format_value(u.peak_memory_bytes, 'B')}" if u.peak_memory_bytes is not None else "",
    ]
    return ", ".join(p for p in parts if p)


def _outcomes(samples: list[Sample]) -> str:
    counts = Counter(Outcome(s.value) for s in samples)
    failed = sorted({s.benchmark for s in samples if s.value == Outcome.FAILED})
    text = ", ".join(f"{counts[o]} {o.name.lower()}" for o in Outcome if counts[o])
    if failed:
        more = f" (+{len(failed) - _SHOWN_FAILURES})" if len(failed) > _SHOWN_FAILURES else ""
        text += f": {', '.join(failed[:_SHOWN_FAILURES])}{more}"
    return text


def summary_rows(job: JobResults) -> list[tuple[str, str, str, str, str, str]]:
    """(benchmark, metric, n, median, min, max) per measured series; test outcomes as one row."""
    series: dict[tuple[str, str, str], list[float]] = {}
    outcomes = [s for s in job.samples if s.metric == OUTCOME_METRIC]
    for s in job.samples:
        if s.metric != OUTCOME_METRIC:
            series.setdefault((s.benchmark, s.metric, s.unit), []).append(s.value)
    rows = [("tests", "outcome", str(len(outcomes)), _outcomes(outcomes), "", "")] if outcomes else []
    for (benchmark, metric, unit), values in series.items():
        median = float(statistics.median(values))
        rows.append((benchmark, metric, str(len(values)), format_value(median, unit),
                     format_value(min(values), unit), format_value(max(values), unit)))
    return rows


def results_table(results: RunResults) -> Table:
    run = results.run
    table = Table(title=escape(f"run {run.id} ({run.status}) {run.job_file}"))
    for name in ("job", "status", "benchmark", "metric", "n", "median", "min", "max"):
        table.add_column(name, justify="right" if name in ("n", "median", "min", "max") else "left")
    for job in results.jobs:
        details = " ".join(p for p in (job.snapshot, _usage(job)) if p)
        table.add_row(escape(job.job_id), job.status, escape(details), end_section=not job.samples)
        rows = summary_rows(job)
        for i, row in enumerate(rows):
            table.add_row("", "", *map(escape, row), end_section=i == len(rows) - 1)
    return table


def _sample_json(s: Sample) -> dict[str, object]:
    return {"benchmark": s.benchmark, "metric": s.metric, "unit": s.unit, "direction": s.direction.value,
            "iteration": s.iteration, "value": s.value}


def results_json(results: RunResults) -> str:
    jobs = [
        {"row": j.row, "job_id": j.job_id, "name": j.name, "status": j.status, "params": j.params,
         "snapshot": j.snapshot, "environment": asdict(j.environment) if j.environment else None,
         "usage": asdict(j.usage),
         "samples": [_sample_json(s) for s in j.samples]}
        for j in results.jobs
    ]
    return json.dumps({"run": asdict(results.run), "jobs": jobs}, indent=2)


def results_csv(results: RunResults) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["run", "job_id", "job", "params", "snapshot", "benchmark", "metric", "unit", "direction",
                     "iteration", "value"])
    for j in results.jobs:
        params = ",".join(f"{k}={v}" for k, v in j.params.items())
        for s in j.samples:
            writer.writerow([results.run.id, j.job_id, j.name, params, j.snapshot, s.benchmark, s.metric,
                             s.unit, s.direction.value, s.iteration, s.value])
    return out.getvalue()


def format_results(results: RunResults, fmt: ResultsFormat) -> str:
    match fmt:
        case "table":
            return plain_text(results_table(results))
        case "json":
            return results_json(results)
        case "csv":
            return results_csv(results)
