"""The source snapshots of a plan's jobs (content-addressed tars under `.bh/snapshots/`).

A job's `source { path, ref }` is resolved against the job file's directory; `bh apply --ref`
overrides every job's ref. Each distinct (directory, ref) is captured once per command and
recorded in the state.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from benchhub.host.config import JobSpec
from benchhub.host.state import State, default_state_path
from benchhub.proto.job.v1 import job_pb2

if TYPE_CHECKING:
    from benchhub.host.snapshot import Snapshot


class Sources:
    """`digests()` maps each captured source (`dir` or `dir@ref`) to its snapshot digest."""

    def __init__(self, project: Path, ref: str | None) -> None:
        self.project = project
        self.ref = ref
        self._taken: dict[str, Snapshot] = {}

    def snapshot_of(self, job_file: Path, spec: JobSpec) -> Snapshot | None:
        if spec.source is None:
            return None
        directory = (job_file.parent / spec.source.path).resolve()
        ref = self.ref or spec.source.ref
        key = f"{directory}@{ref}" if ref else str(directory)
        if key not in self._taken:
            from benchhub.host.snapshot import SNAPSHOTS_DIR, take_snapshot  # only jobs with a source

            snapshot = take_snapshot(directory, self.project / SNAPSHOTS_DIR, ref=ref)
            with State(default_state_path(self.project)) as state:
                state.record_snapshot(snapshot.record())
            self._taken[key] = snapshot
        return self._taken[key]

    def digests(self) -> dict[str, str]:
        return {key: snapshot.digest for key, snapshot in self._taken.items()}

    @staticmethod
    def artifact(snapshot: Snapshot) -> job_pb2.Artifact:
        git = (("commit", snapshot.commit), ("branch", snapshot.branch))
        return job_pb2.Artifact(
            name="source",
            kind=job_pb2.Artifact.KIND_SOURCE_SNAPSHOT,
            uri=snapshot.path.resolve().as_uri(),
            digest=snapshot.digest,
            size_bytes=snapshot.size,
            metadata={**{k: v for k, v in git if v}, "dirty": str(snapshot.dirty).lower()},
        )
