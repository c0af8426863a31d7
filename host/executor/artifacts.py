"""Outputs collected from one job, kept on the host, and handed to the next job as inputs."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from benchhub.host.errors import BenchHubError
from benchhub.host.planning.model import InputRef
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb


class ArtifactError(BenchHubError):
    """A collected file is corrupt, or an input refers to an output that was never collected."""


def safe_name(job_id: str) -> str:
    """A job id (which may hold matrix brackets and `=`) as one file-name component."""
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", job_id)


class ArtifactStore:
    """Files under `root/<job>/<output>/<path>`, checked against the sha256 each chunk stream ends with."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def receive(self, job_id: str, chunks: Iterable[pb.CollectChunk]) -> int:
        """Store a Collect stream; returns the number of files."""
        files = 0
        path: Path | None = None
        digest = hashlib.sha256()
        for chunk in chunks:
            target = self._path(job_id, chunk.output, chunk.path)
            if path != target:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(b"")
                path, digest = target, hashlib.sha256()
            with target.open("ab") as out:
                out.write(chunk.data)
            digest.update(chunk.data)
            if chunk.last:
                if chunk.sha256 and digest.hexdigest() != chunk.sha256:
                    raise ArtifactError(f"{job_id}: output {chunk.path} arrived corrupt (sha256 mismatch)")
                if chunk.mode:
                    target.chmod(chunk.mode & 0o777)
                files += 1
                path = None
        return files

    def _path(self, job_id: str, output: str, rel: str) -> Path:
        base = (self.root / safe_name(job_id) / safe_name(output)).resolve()
        target = (base / rel).resolve()
        if not target.is_relative_to(base):
            raise ArtifactError(f"{job_id}: output path {rel!r} escapes the job's directory")
        return target

    def inputs(self, refs: Iterable[InputRef]) -> list[job_pb2.Artifact]:
        """Artifacts for `refs`: every file collected for the referenced output, one Artifact each.

        An output of one file is placed at the input's `path`; several files (or a `path` ending in
        "/") go under it as a directory; without a `path` files keep the producer's relative paths.
        """
        artifacts: list[job_pb2.Artifact] = []
        for ref in refs:
            base = self.root / safe_name(ref.job) / safe_name(ref.output)
            files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else []
            if not files:
                raise ArtifactError(f"input {ref.job}.outputs.{ref.output}: that job produced no such files")
            for file in files:
                rel = file.relative_to(base).as_posix()
                data = file.read_bytes()
                artifacts.append(
                    job_pb2.Artifact(
                        name=ref.output,
                        kind=job_pb2.Artifact.KIND_FILE,
                        uri=file.resolve().as_uri(),
                        digest="sha256:" + hashlib.sha256(data).hexdigest(),
                        path=_placement(ref.path, rel, single=len(files) == 1),
                        size_bytes=len(data),
                    )
                )
        return artifacts


def _placement(path: str, rel: str, *, single: bool) -> str:
    if not path:
        return rel
    if single and not path.endswith("/"):
        return path
    return f"{path.rstrip('/')}/{rel}"
