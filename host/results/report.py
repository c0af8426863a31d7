"""`bh report`: one self-contained HTML file (inline CSS and SVG, no script, nothing fetched)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from html import escape

from sqlalchemy import select

from benchhub.frameworks.base import OUTCOME_METRIC
from benchhub.host.results import stats, svg
from benchhub.host.results.compare import Comparison, compare
from benchhub.host.results.listing import RunResults, summary_rows
from benchhub.host.results.load import JobResults, load_run
from benchhub.host.results.model import SeriesKey, Side
from benchhub.host.results.render import HEADER, geomean_cells, row_cells, title
from benchhub.host.results.sides import has_paired_job, load_sides, resolve_run
from benchhub.host.state import State
from benchhub.host.state import schema as t
from benchhub.host.state.records import PAIR_PARAM

#: Limits that keep a report of a huge run readable and small.
MAX_DISTRIBUTIONS = 60
MAX_HISTORIES = 12
HISTORY_RUNS = 20
_PREFERRED_METRICS = ("time", "wall", "duration")

_CSS = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1em; margin: 1.2em 0 .2em; }
table { border-collapse: collapse; margin: .5em 0; }
td, th { padding: .25em .6em; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.regression td { background: #fde8e8; } tr.improvement td { background: #e6f6e6; }
tr.geomean td { font-weight: bold; }
.meta { color: #666; } .badge { background: #2d6a4f; color: #fff; border-radius: 3px; padding: 0 .4em; }
.warn { color: #8a5a00; } svg { display: block; }
"""


def _table(header: Sequence[str], rows: Iterable[tuple[str, Sequence[str]]]) -> str:
    """An HTML table; each row comes with its CSS class."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    numeric = {i for i, h in enumerate(header) if h in ("A", "B", "delta", "n", "median", "min", "max")}
    body = []
    for css, cells in rows:
        tds = "".join(f'<td class="num">{escape(c)}</td>' if i in numeric else f"<td>{escape(c)}</td>"
                      for i, c in enumerate(cells))
        body.append(f'<tr class="{css}">{tds}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _side_rows(c: Comparison) -> str:
    def row(name: str, side: Side) -> tuple[str, Sequence[str]]:
        environments = "; ".join(sorted(e.describe() for e in side.environments)) or "unknown"
        return "", (name, side.label, ", ".join(side.snapshots) or "-", environments)

    return _table(("side", "what", "snapshots", "environment"), [row("A", c.a), row("B", c.b)])


def _warnings(warnings: Sequence[str]) -> str:
    if not warnings:
        return ""
    return '<ul class="warn">' + "".join(f"<li>{escape(w)}</li>" for w in warnings) + "</ul>"


def _comparison_section(c: Comparison) -> str:
    rows: list[tuple[str, Sequence[str]]] = []
    for r in c.rows:
        css = "regression" if r.regression else ("improvement" if r.significant else "")
        rows.append((css, row_cells(r)))
    rows += [("geomean", geomean_cells(g)) for g in c.geomeans]
    paired = ' <span class="badge">paired</span>' if c.paired else ""
    return (f"<h2>Comparison{paired}</h2><p>{escape(title(c))}</p>{_side_rows(c)}{_warnings(c.warnings)}"
            f"{_table(HEADER, rows)}")


def _distributions(c: Comparison) -> str:
    parts = ["<h2>Distributions: A vs B</h2>"]
    both = [r for r in c.rows if r.a is not None and r.b is not None]
    for r in both[:MAX_DISTRIBUTIONS]:
        sides = [
            (name, side.series[r.key].values, summary.median, summary.low, summary.high)
            for name, side, summary in (("A", c.a, r.a), ("B", c.b, r.b))
            if summary is not None
        ]
        chart = svg.distribution(sides, r.unit)
        parts.append(f"<h3>{escape(r.key.label)} — {escape(r.key.metric)}</h3>{chart}")
    if len(both) > MAX_DISTRIBUTIONS:
        parts.append(f"<p class=meta>{len(both) - MAX_DISTRIBUTIONS} more not drawn.</p>")
    return "".join(parts)


def _key(job: JobResults, benchmark: str, metric: str) -> SeriesKey:
    return SeriesKey(job.name, tuple(sorted(job.params.items())), benchmark, metric)


def _history_keys(jobs: list[JobResults]) -> list[SeriesKey]:
    measured = (_key(j, s.benchmark, s.metric) for j in jobs for s in j.samples if s.metric != OUTCOME_METRIC)
    keys = sorted(set(measured))
    preferred = [k for k in keys if k.metric in _PREFERRED_METRICS]
    return (preferred or keys)[:MAX_HISTORIES]


def _history(state: State, run_id: int, latest: list[JobResults]) -> str:
    """`latest`: the jobs of run `run_id`, as `load_run` gives them."""
    keys = _history_keys([j for j in latest if PAIR_PARAM not in j.params])
    if not keys:
        return ""
    j = t.jobs.c
    query = (select(j.run_id).where(j.name.in_({k.job for k in keys}), j.run_id <= run_id)
             .distinct().order_by(j.run_id.desc()).limit(HISTORY_RUNS))
    with state.engine.connect() as conn:
        run_ids = sorted(conn.execute(query).scalars())
    values: dict[SeriesKey, list[svg.Point]] = {k: [] for k in keys}
    for rid in run_ids:
        per_key: dict[SeriesKey, list[float]] = {}
        for job in latest if rid == run_id else load_run(state, rid):
            for s in job.samples:
                per_key.setdefault(_key(job, s.benchmark, s.metric), []).append(s.value)
        for key in keys:
            if key in per_key:
                summary = stats.summarize(per_key[key])
                values[key].append(svg.Point(f"run {rid}", summary.median, summary.low, summary.high))
    units = {_key(job, s.benchmark, s.metric): s.unit for job in latest for s in job.samples}
    parts = [f"<h2>History (last {len(run_ids)} runs)</h2>"]
    for key, points in values.items():
        parts.append(f"<h3>{escape(key.label)} — {escape(key.metric)}</h3>{svg.history(points, units[key])}")
    return "".join(parts)


def _results_section(results: RunResults) -> str:
    rows: list[tuple[str, Sequence[str]]] = []
    for job in results.jobs:
        rows.append(("geomean", (job.job_id, job.status, job.snapshot, "", "", "", "", "")))
        rows += [("", ("", "", *row)) for row in summary_rows(job)]
    header = ("job", "status", "benchmark", "metric", "n", "median", "min", "max")
    run = results.run
    return f"<h2>Results of run {run.id} ({escape(run.status)})</h2>{_table(header, rows)}"


def _page(heading: str, body: str) -> str:
    generated = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(heading)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{escape(heading)}</h1>"
            f'<p class="meta">BenchHub report, generated {escape(generated)}</p>{body}</body></html>\n')


def build_report(state: State, a: str, b: str | None = None, *, alpha: float = 0.05) -> str:
    """The HTML of a comparison (`a` vs `b`, or a paired run's halves) or, for one plain run, its results.

    Both kinds end with the history of the main metrics over the last runs of the same jobs.
    """
    if b is None:
        run_id = resolve_run(state, a)
        jobs = load_run(state, run_id)
        if not has_paired_job(jobs):
            results = RunResults(state.run(run_id), jobs)
            body = _results_section(results) + _history(state, run_id, jobs)
            return _page(f"Run {run_id}: {results.run.job_file}", body)
    side_a, side_b, paired = load_sides(state, a, b)
    comparison = compare(side_a, side_b, alpha=alpha, paired=paired)
    latest = max(side_b.runs)
    history = _history(state, latest, load_run(state, latest))
    body = _comparison_section(comparison) + _distributions(comparison) + history
    return _page(f"{side_a.label} vs {side_b.label}", body)
