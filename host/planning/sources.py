"""The source snapshots of a plan's jobs (content-addressed, under `.bh/snapshots/`)."""

from __future__ import annotations

from pathlib import Path

from benchhub.host.config.model import JobSpec
from benchhub.host.errors import UsageError
from benchhub.host.state import Snapshot
from benchhub.proto.job.v1 import job_pb2


class Sources:
    """Takes each distinct source once; `digests()` maps source directory -> snapshot digest."""

    def __init__(self, project: Path, ref: str | None) -> None:
        self.project = project
        self.ref = ref
        self._taken: dict[str, Snapshot] = {}

    def snapshot_of(self, job_file: Path, spec: JobSpec) -> Snapshot | None:
        if spec.source is None:
            return None
        raise UsageError(f"{spec.position}: job {spec.id}: source snapshots are not available in this build")

    def digests(self) -> dict[str, str]:
        return {path: snapshot.digest for path, snapshot in self._taken.items()}

    def artifact(self, snapshot: Snapshot) -> job_pb2.Artifact:
        return job_pb2.Artifact(
            name="source",
            kind=job_pb2.Artifact.KIND_SOURCE_SNAPSHOT,
            uri=Path(snapshot.path).resolve().as_uri(),
            digest=snapshot.digest,
            size_bytes=snapshot.size,
            metadata={
                k: str(v)
                for k, v in (
                    ("commit", snapshot.commit),
                    ("branch", snapshot.branch),
                    ("dirty", snapshot.dirty),
                )
                if v is not None
            },
        )
