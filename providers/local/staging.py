"""Placing a job's input artifacts into its working directory."""

from __future__ import annotations

import hashlib
import shutil
import tarfile
from pathlib import Path
from urllib.parse import unquote, urlparse

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.sdk.errors import InvalidError

Kind = job_pb2.Artifact.Kind


def local_path(uri: str) -> Path:
    parsed = urlparse(uri)
    if parsed.scheme not in ("file", ""):
        raise InvalidError(f"the local provider reads only file:// artifacts, not {uri!r}")
    return Path(unquote(parsed.path))


def inside(root: Path, relative: str) -> Path:
    """`root / relative`, refusing a path that leaves `root`."""
    target = (root / relative).resolve()
    if not target.is_relative_to(root.resolve()):
        raise InvalidError(f"path {relative!r} leaves the job's working directory")
    return target


def check_digest(artifact: job_pb2.Artifact, source: Path) -> None:
    if not artifact.digest:
        return
    algorithm, _, expected = artifact.digest.partition(":")
    if algorithm != "sha256":
        raise InvalidError(f"artifact {artifact.name!r}: unsupported digest {artifact.digest!r}")
    with source.open("rb") as f:
        actual = hashlib.file_digest(f, "sha256").hexdigest()
    if actual != expected:
        raise InvalidError(f"artifact {artifact.name!r}: {source} has sha256 {actual}, expected {expected}")


def stage(artifact: job_pb2.Artifact, workdir: Path) -> None:
    """Snapshots and directories (tars) are extracted, files copied to `path` (default: their name)."""
    source = local_path(artifact.uri)
    if artifact.kind == Kind.KIND_CONTAINER_IMAGE:
        raise InvalidError(f"artifact {artifact.name!r}: the local provider runs processes, not images")
    if not source.is_file():
        raise InvalidError(f"artifact {artifact.name!r}: {source} does not exist")
    check_digest(artifact, source)
    if artifact.kind in (Kind.KIND_SOURCE_SNAPSHOT, Kind.KIND_DIRECTORY):
        target = inside(workdir, artifact.path or ".")
        target.mkdir(parents=True, exist_ok=True)
        try:
            with tarfile.open(source) as archive:
                archive.extractall(target, filter="data")
        except (tarfile.TarError, OSError) as e:
            raise InvalidError(f"artifact {artifact.name!r}: cannot extract {source}: {e}") from e
        return
    target = inside(workdir, artifact.path or source.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
