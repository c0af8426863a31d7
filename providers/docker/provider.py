"""The Provider service over a docker daemon."""

from __future__ import annotations

import contextlib
import socket
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import docker
import docker.errors
import grpc
from docker.models.containers import Container
from google.protobuf import duration_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.docker import config as docker_config
from benchhub.providers.docker import jobspec, labels
from benchhub.providers.docker.daemon_errors import translated
from benchhub.providers.docker.images import BuildFailed, ImageBuilder
from benchhub.providers.docker.runner import (
    ContainerRun,
    event,
    log_event,
    stage_inputs,
    status_event,
    write_config_files,
)
from benchhub.providers.sdk import AllocationLedger, CapacityPool, collect_outputs, wire
from benchhub.providers.sdk.errors import InvalidError, NotFoundError, TransientError
from benchhub.providers.sdk.parameters import apply_parameters

VERSION = version("benchhub")
JOB_SLOT_WAIT_SECONDS = 3600.0  # a packed job waits this long for room in its allocation
_ARCH_NAMES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass
class DockerAllocation:
    """What one allocation holds: its share of the daemon, pooled among the jobs packed into it."""

    pool: CapacityPool
    runs: dict[str, ContainerRun]


class DockerProvider(provider_pb2_grpc.ProviderServicer):
    def __init__(self) -> None:
        self.config = docker_config.default_config()
        self._client: docker.DockerClient | None = None
        self._ledger: AllocationLedger[DockerAllocation] | None = None
        self._lock = threading.Lock()

    # ---- the daemon ------------------------------------------------------------------------

    def client(self) -> docker.DockerClient:
        with self._lock, translated(self.config.host):
            if self._client is None:
                self._client = docker.DockerClient(base_url=self.config.host)
            return self._client

    def _info(self) -> dict[str, Any]:
        with translated(self.config.host):
            info: dict[str, Any] = self.client().info()
        return info

    def ledger(self) -> AllocationLedger[DockerAllocation]:
        if self._ledger is None:
            info = self._info()
            capacity = job_pb2.Resources(cpu=float(info["NCPU"]), memory_bytes=int(info["MemTotal"]))
            with self._lock:
                self._ledger = self._ledger or AllocationLedger(capacity, id_prefix="docker-")
        return self._ledger

    @staticmethod
    def _offer_id(info: dict[str, Any]) -> str:
        return f"docker:{info.get('Name') or socket.gethostname()}"

    # ---- schema and configuration ------------------------------------------------------------

    def GetSchema(self, request: pb.GetSchemaRequest, context: grpc.ServicerContext) -> pb.GetSchemaResponse:
        return pb.GetSchemaResponse(
            name="docker",
            version=VERSION,
            protocol_version=wire.APP_PROTOCOL_VERSION,
            config=docker_config.SCHEMA,
            capabilities=pb.Capabilities(runtimes=[pb.Capabilities.RUNTIME_CONTAINER], packing=True),
        )

    def Configure(self, request: pb.ConfigureRequest, context: grpc.ServicerContext) -> pb.ConfigureResponse:
        config, problems = docker_config.parse(request.config)
        if problems:
            return pb.ConfigureResponse(diagnostics=problems)
        with self._lock:
            if config.host != self.config.host:  # another daemon: its own capacity
                self._client, self._ledger = None, None
            self.config = config
        try:
            with translated(config.host):
                self.client().ping()
        except TransientError as e:
            return pb.ConfigureResponse(diagnostics=[pb.Diagnostic(
                severity=pb.Diagnostic.SEVERITY_ERROR, summary=f"docker daemon at {config.host} unreachable",
                detail=str(e), attribute_path=["host"],
            )])
        return pb.ConfigureResponse()

    # ---- offers and allocations --------------------------------------------------------------

    def Offer(self, request: pb.OfferRequest, context: grpc.ServicerContext) -> pb.OfferResponse:
        ledger = self.ledger()
        assert ledger.capacity is not None
        total, free = ledger.capacity.total, ledger.capacity.free()
        want = request.min_resources
        info = self._info()
        arch = _ARCH_NAMES.get(info.get("Architecture", ""), "")
        if want.gpu or (want.arch and _ARCH_NAMES.get(want.arch, want.arch) != arch) or want.nodes > 1:
            return pb.OfferResponse()
        if want.cpu > total.cpu or want.memory_bytes > total.memory_bytes:
            return pb.OfferResponse()
        fits = want.cpu <= free.cpu and want.memory_bytes <= free.memory_bytes
        offer = pb.Offer(
            id=self._offer_id(info),
            region="local",
            instance_type="docker",
            resources=job_pb2.Resources(cpu=free.cpu, memory_bytes=free.memory_bytes, arch=arch),
            price_per_hour=pb.Money(amount=0.0, currency="USD"),
            capacity=1 if fits else 0,
            startup_estimate=duration_pb2.Duration(seconds=1),
            shareable=True,
        )
        return pb.OfferResponse(offers=[offer])

    def Allocate(
        self, request: pb.AllocateRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.AllocateEvent]:
        info = self._info()
        if request.offer_id != self._offer_id(info):
            raise InvalidError(f"unknown offer {request.offer_id!r}")
        ledger = self.ledger()
        assert ledger.capacity is not None
        resources = job_pb2.Resources()
        resources.CopyFrom(request.resources if request.HasField("resources") else ledger.capacity.free())
        with ledger.claim(request, resources) as claim:
            if claim.existing:
                yield pb.AllocateEvent(allocation=claim.existing.allocation)
                return
            claim.allocation.region, claim.allocation.instance_type = "local", "docker"
            claim.allocation.price_per_hour.CopyFrom(pb.Money(amount=0.0, currency="USD"))
            claim.allocation.metadata.update({
                "docker_host": self.config.host,
                "server_version": str(info.get("ServerVersion", "")),
                "cgroup_version": str(info.get("CgroupVersion", "")),
            })
            held = claim.commit(DockerAllocation(CapacityPool(resources), {}))
        yield pb.AllocateEvent(allocation=held.allocation)

    def Release(self, request: pb.ReleaseRequest, context: grpc.ServicerContext) -> pb.ReleaseResponse:
        return pb.ReleaseResponse(released=self._release(request.allocation_id))

    def _release(self, allocation_id: str) -> bool:
        """Stop the allocation's jobs, remove its containers (also those of an earlier provider
        process) and free its capacity; False when there was nothing to release."""
        held = self.ledger().release(allocation_id)
        if held is not None:
            for run in list(held.handle.runs.values()):
                run.cancel()
        with translated(self.config.host):
            removed = self._remove_containers(allocation_id)
        return held is not None or removed > 0

    def _remove_containers(self, allocation_id: str, job_id: str | None = None) -> int:
        """Remove the allocation's containers (only job `job_id`'s when given); how many there were."""
        wanted = labels.filters(allocation_id, job_id)
        containers = self.client().containers.list(all=True, filters=wanted)
        for container in containers:
            with contextlib.suppress(docker.errors.NotFound):
                container.remove(force=True, v=True)  # v: its anonymous (temporary) volumes too
        return len(containers)

    def ListAllocations(
        self, request: pb.ListAllocationsRequest, context: grpc.ServicerContext
    ) -> pb.ListAllocationsResponse:
        """Live allocations of this process, plus allocations whose containers outlived an earlier
        provider process (found by label) so the host can release them."""
        found = {a.id: a for a in self.ledger().list_by_tags(request.tags)}
        with translated(self.config.host):
            containers = self.client().containers.list(all=True, filters=labels.filters())
        for container in containers:
            container_labels = container.labels
            allocation_id = container_labels[labels.ALLOCATION]
            tags = labels.tags_of(container_labels)
            if allocation_id in found or any(tags.get(k) != v for k, v in request.tags.items()):
                continue
            found[allocation_id] = pb.Allocation(
                id=allocation_id, tags=tags, state=pb.Allocation.STATE_READY, instance_type="docker",
                metadata={"orphan": "true", "docker_host": self.config.host},
            )
        return pb.ListAllocationsResponse(allocations=list(found.values()))

    # ---- running -----------------------------------------------------------------------------

    def Run(self, request: pb.RunRequest, context: grpc.ServicerContext) -> Iterator[pb.RunEvent]:
        with translated(self.config.host):
            yield from self._run(request, context)

    def _run(self, request: pb.RunRequest, context: grpc.ServicerContext) -> Iterator[pb.RunEvent]:
        held = self.ledger().get(request.allocation_id)
        job = request.job
        applied = apply_parameters(job, "docker")
        builder = ImageBuilder(self.client())
        plan = builder.plan(job, self.config.base_image)
        if not plan.ready:
            yield status_event(pb.JOB_STATUS_PREPARING, f"building {plan.reference}")
            try:
                for line in builder.build(plan):
                    yield log_event(pb.LogChunk.STREAM_STDERR, line.encode())
            except BuildFailed as e:
                yield event(exit=pb.Exit(status=pb.EXIT_STATUS_ERROR, message=str(e)))
                return
            builder.prune(self.config.keep_images)
        how = "built" if not plan.ready else "reusing" if plan.snapshot else "using"
        yield status_event(pb.JOB_STATUS_PREPARING, f"{how} {plan.reference}")
        share = held.allocation.resources
        limit = jobspec.limits(job, self.config, share)
        slot = job_pb2.Resources(cpu=job.resources.cpu, memory_bytes=job.resources.memory_bytes)
        held.handle.pool.acquire(slot, JOB_SLOT_WAIT_SECONDS)
        try:
            container_labels = labels.container_labels(
                held.allocation.id, job.id, held.allocation.created_at.ToJsonString(), held.allocation.tags
            )
            arguments = jobspec.create_arguments(
                job, applied, plan.reference, self.config, limit, container_labels
            )
            self._remove_containers(held.allocation.id, job.id)  # a rerun of the same job replaces it
            container = self.client().containers.create(**arguments)
            stage_inputs(container, job, arguments["working_dir"])
            write_config_files(container, applied.config_files, arguments["working_dir"])
            run = ContainerRun(container, job.timeout.ToTimedelta().total_seconds(), limit.memory_bytes)
            held.handle.runs[job.id] = run
            context.add_callback(run.cancel)  # the host went away or cancelled: stop the container
            yield from run.events()
        finally:
            held.handle.runs.pop(job.id, None)
            held.handle.pool.release(slot)

    def _job_container(self, allocation_id: str, job_id: str) -> Container:
        found = self.client().containers.list(all=True, filters=labels.filters(allocation_id, job_id))
        if not found:
            raise NotFoundError(f"no container of job {job_id!r} in allocation {allocation_id!r}")
        container: Container = found[0]
        return container

    def Collect(self, request: pb.CollectRequest, context: grpc.ServicerContext) -> Iterator[pb.CollectChunk]:
        self.ledger().get(request.allocation_id)
        with tempfile.TemporaryDirectory(prefix="bh-docker-collect-") as scratch:
            with translated(self.config.host):
                container = self._job_container(request.allocation_id, request.job_id)
                workdir = _copy_workdir(container, Path(scratch))
            yield from collect_outputs(workdir, request.outputs)

    def close(self) -> None:
        """On shutdown: stop running jobs and remove every container of this process's allocations."""
        if self._ledger is None:
            return
        for held in self._ledger.everything():
            self._release(held.allocation.id)


def _copy_workdir(container: Container, scratch: Path) -> Path:
    """The container's working directory copied into `scratch` (get_archive, unpacked safely)."""
    workdir = container.attrs["Config"]["WorkingDir"] or "/"
    archive_path = scratch / "workdir.tar"
    bits, _ = container.get_archive(workdir)
    with archive_path.open("wb") as archive:
        for chunk in bits:
            archive.write(chunk)
    with tarfile.open(archive_path) as archive:
        archive.extractall(scratch / "out", filter="data")
    return scratch / "out" / Path(workdir).name
