"""The two sides of `bh compare`: selector syntax, and loading a side's series from the state.

A side is `[SOURCE][:k=v[,k=v...]]`:

  SOURCE   12            run 12
           latest        the newest run; latest~1 the one before it
           ref:main      the newest run of branch/commit/ref `main` (`ref:` may be left out for a
                         name that is not a number)
           (empty)       the other side's run, or the newest run
  k=v      keep jobs whose parameter k is v; the compared series then match on the other parameters

Examples: `bh compare 3 4`, `bh compare main feature`, `bh compare size=1000 size=2000`,
`bh compare 7:algo=merge 7:algo=quick`, `bh compare 9` (a paired run: pair=A against pair=B).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from benchhub.host.errors import UsageError
from benchhub.host.results.load import JobResults, load_run
from benchhub.host.results.model import Series, SeriesKey, Side
from benchhub.host.state import State
from benchhub.host.state import schema as t
from benchhub.host.state.records import PAIR_PARAM

_LATEST = re.compile(r"^latest(?:~(\d+))?$")


class SelectorError(UsageError):
    """A compare side names no run, or its filters match no job."""


@dataclass(frozen=True)
class SideSpec:
    source: str
    filters: tuple[tuple[str, str], ...]


def parse_side(text: str) -> SideSpec:
    """`ref:main:size=1000` -> source `ref:main`, filters size=1000."""
    text = text.strip()
    equals = text.find("=")
    if equals < 0:
        return SideSpec(text, ())
    colon = text.rfind(":", 0, equals)
    source, filter_text = (text[:colon], text[colon + 1 :]) if colon >= 0 else ("", text)
    filters = []
    for item in filter_text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SelectorError(f"compare side {text!r}: expected k=v filters, got {item!r}")
        filters.append((key.strip(), value.strip()))
    return SideSpec(source, tuple(filters))


def _run_of_ref(state: State, ref: str) -> int | None:
    j, s, r = t.jobs.c, t.snapshots.c, t.runs.c
    with_ref = (
        select(j.run_id)
        .select_from(t.jobs.join(t.snapshots, j.snapshot_digest == s.digest))
        .where(or_(s.branch == ref, s.commit.startswith(ref)))
    )
    query = select(func.max(r.id)).where(or_(r.ref == ref, r.id.in_(with_ref)))
    with state.engine.connect() as conn:
        found = conn.execute(query).scalar()
    return int(found) if found is not None else None


def resolve_run(state: State, source: str) -> int:
    """The run id a side's SOURCE names (empty: the newest run)."""
    source = source or "latest"
    if source.isdigit():
        state.run(int(source))  # raises when there is no such run
        return int(source)
    if latest := _LATEST.match(source):
        back = int(latest[1] or 0)
        runs = state.runs(limit=back + 1)
        if len(runs) <= back:
            raise SelectorError(f"compare side {source!r}: there are only {len(runs)} runs")
        return runs[back].id
    ref = source.removeprefix("ref:")
    found = _run_of_ref(state, ref)
    if found is None:
        hint = f"run `bh apply --ref {ref}` first"
        raise SelectorError(f"compare side {source!r}: no run of ref {ref!r} ({hint})")
    return found


def has_paired_job(jobs: list[JobResults]) -> bool:
    """Whether a run holds the two halves of a paired A/B job."""
    return any(PAIR_PARAM in job.params for job in jobs)


def _matches(job: JobResults, filters: Mapping[str, str]) -> bool:
    return all(job.params.get(k) == v for k, v in filters.items())


def build_side(label: str, run_id: int, jobs: list[JobResults], filters: Mapping[str, str],
               ignored: frozenset[str]) -> Side:
    """The series of `jobs` passing `filters`, keyed without the `ignored` parameters."""
    series: dict[SeriesKey, Series] = {}
    environments, snapshots = set(), set()
    for job in jobs:
        if not job.samples or not _matches(job, filters):
            continue
        params = tuple(sorted((k, v) for k, v in job.params.items() if k not in ignored))
        if job.environment is not None:
            environments.add(job.environment)
        if job.snapshot:
            snapshots.add(job.snapshot)
        for s in job.samples:
            key = SeriesKey(job.name, params, s.benchmark, s.metric)
            found = series.get(key)
            if found is None:
                found = series[key] = Series(key, s.unit, s.direction)
            found.values.append(s.value)
    if not series:
        where = f" with {','.join(f'{k}={v}' for k, v in filters.items())}" if filters else ""
        raise SelectorError(f"compare side {label!r}: run {run_id} has no results{where}")
    return Side(label, (run_id,), series, frozenset(environments), tuple(sorted(snapshots)))


def _label(spec: SideSpec, run_id: int) -> str:
    filters = ",".join(f"{k}={v}" for k, v in spec.filters)
    source = f"run {run_id}" if spec.source.isdigit() or not spec.source else f"{spec.source} (run {run_id})"
    return f"{source} {filters}" if filters else source


def load_sides(state: State, a: str, b: str | None) -> tuple[Side, Side, bool]:
    """Both sides of a comparison and whether they are the two halves of a paired run.

    With `b` None, `a` must be a run holding a paired job: its pair=A and pair=B halves are compared.
    """
    spec_a = parse_side(a)
    if b is None:
        spec_a, spec_b = (SideSpec(spec_a.source, (*spec_a.filters, (PAIR_PARAM, side))) for side in "AB")
    else:
        spec_b = parse_side(b)
    run_a = resolve_run(state, spec_a.source or spec_b.source)
    run_b = resolve_run(state, spec_b.source) if spec_b.source else run_a
    ignored = frozenset(k for k, _ in (*spec_a.filters, *spec_b.filters))
    jobs_a = load_run(state, run_a)
    jobs_b = jobs_a if run_b == run_a else load_run(state, run_b)
    if b is None and not has_paired_job(jobs_a):
        raise SelectorError(f"run {run_a} holds no paired job: give two sides to compare (bh compare A B)")
    side_a = build_side(_label(spec_a, run_a), run_a, jobs_a, dict(spec_a.filters), ignored)
    side_b = build_side(_label(spec_b, run_b), run_b, jobs_b, dict(spec_b.filters), ignored)
    paired = run_a == run_b and PAIR_PARAM in ignored
    return side_a, side_b, paired
