"""After a job: parse its output with its framework and store every sample in the state.

The executor calls `ingest` (or `ingest_paired` for a paired A/B job) once the job has finished
and its outputs were collected into the artifact store (`<root>/<job>/<output>/<path>`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from benchhub import frameworks
from benchhub.frameworks import FrameworkError, Sample
from benchhub.frameworks.paired import PAIR_DIR, PAIR_OUTPUT, PAIRED, SIDES, PairedBlock, parse_paired
from benchhub.host.executor.artifacts import safe_name
from benchhub.host.state import Param, ResultSample, State
from benchhub.host.state.records import PAIR_PARAM


def collected_files(outputs_dir: Path, outputs: Mapping[str, str]) -> dict[str, Path]:
    """Output name -> the first collected file matching its glob under `outputs_dir/<name>/`."""
    files = {}
    for name, glob in outputs.items():
        found = sorted(p for p in (outputs_dir / safe_name(name)).glob(glob) if p.is_file())
        if found:
            files[name] = found[0]
    return files


def _rows(samples: Iterable[Sample], job_name: str) -> list[ResultSample]:
    return [
        ResultSample(s.benchmark or job_name, s.metric, s.value, s.unit, s.direction.value, s.iteration)
        for s in samples
    ]


def _read_log(log_path: Path) -> str:
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return ""


def ingest(
    state: State,
    job_row: int,
    kind: str,
    attrs: Mapping[str, Any],
    log_path: Path,
    outputs_dir: Path,
    exit_code: int = 0,
) -> int:
    """Parse a finished job's log and collected outputs, store its samples; returns how many.

    A job of kind `PAIRED` (attrs: a `PairedBlock`) is stored as its two sides (see `ingest_paired`).
    Raises FrameworkError (one line, naming the job and where its raw output is kept) when the
    framework's tool was missing or the output cannot be parsed; the caller marks the job as errored.
    """
    if kind == PAIRED:
        block = PairedBlock.from_attrs(attrs)
        sides = ingest_paired(
            state, job_row, block.kind, block.attrs, log_path, outputs_dir, block.snapshots, exit_code
        )
        return sum(len(state.result_samples(row)) for row in sides)
    job = state.job(job_row)
    try:
        files = collected_files(outputs_dir, frameworks.expand(kind, attrs).outputs)
        samples = frameworks.parse(kind, attrs, _read_log(log_path), files, exit_code)
    except FrameworkError as exc:
        raise FrameworkError(f"job {job.job_id}: {exc} (raw output kept in {log_path})") from None
    rows = _rows(samples, job.name)
    state.add_result_samples(job_row, rows)
    return len(rows)


def ingest_paired(
    state: State,
    job_row: int,
    kind: str,
    attrs: Mapping[str, Any],
    log_path: Path,
    outputs_dir: Path,
    snapshots: tuple[str | None, str | None] = (None, None),
    exit_code: int = 0,
) -> tuple[int, int]:
    """Store a paired job's samples as two job rows, `<job>@A` and `<job>@B`, returns their row ids.

    Each side's row has the job's parameters plus `pair=A` / `pair=B` and the side's snapshot, so
    `bh compare RUN:pair=A RUN:pair=B` (or just `bh compare RUN`) compares them like any two sides.
    Its status is the paired job's exit: passed with exit code 0, else failed.
    """
    job = state.job(job_row)
    try:
        samples = parse_paired(kind, attrs, outputs_dir / safe_name(PAIR_OUTPUT) / PAIR_DIR)
    except FrameworkError as exc:
        raise FrameworkError(f"job {job.job_id}: {exc} (raw output kept in {log_path})") from None
    params = state.params(job_row)
    environment = state.environment(job_row)
    side_rows = []
    for (side, _), snapshot in zip(SIDES, snapshots, strict=True):
        row = state.add_job(
            job.run_id,
            f"{job.job_id}@{side}",
            job.name,
            params=[*params, Param(PAIR_PARAM, side)],
            status="passed" if exit_code == 0 else "failed",
            snapshot_digest=snapshot,
            environment=environment,
        )
        state.add_result_samples(row, _rows((s for s in samples if s.side == side), job.name))
        side_rows.append(row)
    return side_rows[0], side_rows[1]
