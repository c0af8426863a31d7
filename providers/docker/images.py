"""A job's image: its source snapshot copied onto a base image (or built from the snapshot's own
Dockerfile), tagged by the snapshot digest and the base image id so an unchanged source is never
rebuilt."""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

import docker
import docker.errors

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.docker import labels
from benchhub.providers.sdk.errors import InvalidError

IMAGE_REPOSITORY = "benchhub/job"
WORKDIR = "/work"
SOURCE_DIR = "src"  # where the snapshot sits in a generated build context
GENERATED_DOCKERFILE = f"FROM {{base}}\nCOPY {SOURCE_DIR}/ {WORKDIR}/\nWORKDIR {WORKDIR}\n"


@dataclass(frozen=True)
class ImagePlan:
    """The image a job runs in; `ready` when it exists (the base itself, or an earlier build of the
    same snapshot on the same base), else `build` it from `snapshot` on `base_id`."""

    reference: str
    ready: bool
    base: str = ""
    base_id: str = ""
    snapshot: Path | None = None
    snapshot_digest: str = ""


def snapshot_of(job: job_pb2.Job) -> job_pb2.Artifact | None:
    snapshots = [a for a in job.inputs if a.kind == job_pb2.Artifact.KIND_SOURCE_SNAPSHOT]
    if len(snapshots) > 1:
        raise InvalidError(f"job {job.name} has {len(snapshots)} source snapshots; docker takes one")
    return snapshots[0] if snapshots else None


def host_path(artifact: job_pb2.Artifact) -> Path:
    uri = urlparse(artifact.uri)
    if uri.scheme != "file":
        raise InvalidError(f"input {artifact.name!r}: only file:// URIs can be read, not {artifact.uri!r}")
    path = Path(unquote(uri.path))
    if not path.is_file():
        raise InvalidError(f"input {artifact.name!r}: {path} does not exist on the docker provider's host")
    return path


def _digest(artifact: job_pb2.Artifact, path: Path) -> str:
    if artifact.digest:
        return artifact.digest
    with path.open("rb") as source:
        return "sha256:" + hashlib.file_digest(source, "sha256").hexdigest()


def _has_dockerfile(snapshot: tarfile.TarFile) -> bool:
    return any(member.name.removeprefix("./") == "Dockerfile" for member in snapshot.getmembers())


def _build_context(snapshot_path: Path, base_id: str, into: IO[bytes]) -> bool:
    """Write the build context tar into `into`; True when it uses the snapshot's own Dockerfile."""
    with tarfile.open(snapshot_path, "r:*") as snapshot, tarfile.open(fileobj=into, mode="w") as context:
        own = _has_dockerfile(snapshot)
        prefix = "" if own else f"{SOURCE_DIR}/"
        for member in snapshot.getmembers():
            data = snapshot.extractfile(member) if member.isfile() else None
            member.name = prefix + member.name.removeprefix("./")
            if member.islnk():
                member.linkname = prefix + member.linkname.removeprefix("./")
            context.addfile(member, data)
        if not own:
            dockerfile = GENERATED_DOCKERFILE.format(base=base_id).encode()
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(dockerfile)
            context.addfile(info, io.BytesIO(dockerfile))
    into.seek(0)
    return own


class BuildFailed(Exception):
    """The job's image did not build (its Dockerfile failed); the build output says why."""


class ImageBuilder:
    """Builds job images on one daemon, handing the build output to `on_output` as it comes."""

    def __init__(self, client: docker.DockerClient) -> None:
        self.client = client

    def base_id(self, reference: str) -> str:
        try:
            image_id: str = self.client.images.get(reference).id
        except docker.errors.ImageNotFound:
            raise InvalidError(
                f"image {reference!r} is not on the docker daemon (no registry is used): build or load it "
                "first, e.g. .ci/docker-images"
            ) from None
        return image_id

    def plan(self, job: job_pb2.Job, default_base: str) -> ImagePlan:
        """The base image when the job has no source snapshot, else the snapshot on top of the base
        (tagged by snapshot digest and base image id, so an unchanged source reuses its image)."""
        base = job.image or default_base
        base_id = self.base_id(base)
        snapshot = snapshot_of(job)
        if snapshot is None:
            return ImagePlan(base_id, ready=True)
        path = host_path(snapshot)
        digest = _digest(snapshot, path)
        key = hashlib.sha256(f"{digest}\n{base_id}".encode()).hexdigest()[:32]
        reference = f"{IMAGE_REPOSITORY}:{key}"
        try:
            self.client.images.get(reference)
            ready = True
        except docker.errors.ImageNotFound:
            ready = False
        return ImagePlan(reference, ready, base, base_id, path, digest)

    def build(self, plan: ImagePlan) -> Iterator[str]:
        """Build the planned image, yielding the build output as it comes; BuildFailed on failure."""
        assert plan.snapshot is not None
        image_labels = {
            labels.SNAPSHOT: plan.snapshot_digest, labels.BASE: plan.base, labels.BUILT: str(time.time_ns())
        }
        with tempfile.TemporaryFile() as context:
            _build_context(plan.snapshot, plan.base_id, context)
            progress = self.client.api.build(
                fileobj=context, custom_context=True, tag=plan.reference, rm=True, forcerm=True,
                labels=image_labels, decode=True, network_mode="none",
            )
            for message in progress:
                if "error" in message:
                    raise BuildFailed(f"building the job image failed: {message['error'].strip()}")
                if "stream" in message:
                    yield message["stream"]

    def prune(self, keep: int) -> list[str]:
        """Remove the job images built before the newest `keep` (none when `keep` is 0); an image
        a container still uses stays. Returns the ids removed. Job images are a cache: a source
        built again is only slower."""
        if keep <= 0:
            return []
        built = self.client.api.images(filters={"label": labels.SNAPSHOT})
        newest_first = sorted(built, key=_build_time, reverse=True)
        removed = []
        for image in newest_first[keep:]:
            try:
                self.client.api.remove_image(image["Id"])  # not forced: refused while a container uses it
            except docker.errors.APIError:
                continue  # in use (409), or already removed by another provider
            removed.append(image["Id"])
        return removed


def _build_time(image: dict[str, Any]) -> int:
    """When a job image was built, in ns (0 for one built before images carried the label)."""
    built = (image.get("Labels") or {}).get(labels.BUILT, "")
    return int(built) if built.isdigit() else 0
