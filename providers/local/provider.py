"""The local provider: jobs as process groups on this machine, at price 0, within a share of it."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import grpc
from google.protobuf import duration_pb2, timestamp_pb2

import benchhub
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.local import config, machine
from benchhub.providers.local.sandbox import Sandbox
from benchhub.providers.local.sysctl import SystemSettings
from benchhub.providers.sdk import wire
from benchhub.providers.sdk.capacity import describe
from benchhub.providers.sdk.collector import collect_outputs
from benchhub.providers.sdk.errors import InvalidError, ProviderError
from benchhub.providers.sdk.ledger import AllocationLedger

OFFER_ID = "local"
REGION = "local"
OFFER_LIFETIME = timedelta(hours=1)


def _status(status: pb.JobStatus.ValueType, message: str) -> pb.RunEvent:
    return pb.RunEvent(time=_now(), status=pb.StatusChange(status=status, message=message))


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def _fits(want: job_pb2.Resources, have: job_pb2.Resources) -> bool:
    return want.cpu <= have.cpu and want.memory_bytes <= have.memory_bytes and want.gpu <= have.gpu


class LocalProvider(provider_pb2_grpc.ProviderServicer):
    def __init__(self) -> None:
        self.system = SystemSettings()
        self._configure(config.LocalConfig())

    def _configure(self, settings: config.LocalConfig) -> None:
        self.settings = settings
        self.share = machine.share(settings.cpu_share, settings.memory_share)
        self.ledger: AllocationLedger[Sandbox] = AllocationLedger(self.share, id_prefix="local-")

    def GetSchema(self, request: pb.GetSchemaRequest, context: grpc.ServicerContext) -> pb.GetSchemaResponse:
        return pb.GetSchemaResponse(
            name="local",
            version=benchhub.__version__,
            protocol_version=wire.APP_PROTOCOL_VERSION,
            config=config.SCHEMA,
            capabilities=pb.Capabilities(
                runtimes=[pb.Capabilities.RUNTIME_PROCESS], regions=[REGION], packing=True
            ),
        )

    def Configure(self, request: pb.ConfigureRequest, context: grpc.ServicerContext) -> pb.ConfigureResponse:
        settings, diagnostics = config.parse(request.config)
        if self.ledger.everything():
            diagnostics.append(pb.Diagnostic(
                severity=pb.Diagnostic.SEVERITY_WARNING,
                summary="configuration ignored: allocations are live",
            ))
        else:
            self._configure(settings)
        return pb.ConfigureResponse(diagnostics=diagnostics)

    def Offer(self, request: pb.OfferRequest, context: grpc.ServicerContext) -> pb.OfferResponse:
        wanted = request.min_resources
        if (request.regions and REGION not in request.regions) or request.spot == pb.SPOT_POLICY_ONLY:
            return pb.OfferResponse()
        if not _fits(wanted, self.share) or wanted.gpu or wanted.nodes > 1:
            return pb.OfferResponse(diagnostics=[pb.Diagnostic(
                severity=pb.Diagnostic.SEVERITY_WARNING,
                summary=f"the local share ({describe(self.share)}) is smaller than {describe(wanted)}",
                detail="raise cpu_share / memory_share in the local provider block, or use a remote provider",
            )])
        assert self.ledger.capacity is not None
        free = self.ledger.capacity.free()
        expires = _now()
        expires.FromDatetime(expires.ToDatetime() + OFFER_LIFETIME)
        return pb.OfferResponse(offers=[pb.Offer(
            id=OFFER_ID,
            region=REGION,
            zone=REGION,
            instance_type=f"local-{self.share.cpu:g}cpu",
            resources=self.share,
            price_per_hour=pb.Money(amount=0.0, currency="USD"),
            capacity=_how_many(wanted, free),
            startup_estimate=duration_pb2.Duration(),
            expires_at=expires,
            shareable=True,
        )])

    def Allocate(
        self, request: pb.AllocateRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.AllocateEvent]:
        if request.offer_id != OFFER_ID:
            raise InvalidError(f"unknown offer {request.offer_id!r} (the local provider offers {OFFER_ID!r})")
        wanted = request.resources if request.HasField("resources") else self.share
        with self.ledger.claim(request, wanted, wait_seconds=self.settings.wait_seconds) as claim:
            held = claim.existing or claim.commit(self._sandbox(claim.allocation))
        yield pb.AllocateEvent(allocation=held.allocation)

    def _sandbox(self, allocation: pb.Allocation) -> Sandbox:
        """A temp dir for a new allocation, whose facts go into the allocation."""
        root = Path(tempfile.mkdtemp(prefix="bh-local-", dir=self.settings.workdir_root or None))
        allocation.region = allocation.zone = REGION
        allocation.instance_type = f"local-{allocation.resources.cpu:g}cpu"
        allocation.price_per_hour.CopyFrom(pb.Money(amount=0.0, currency="USD"))
        allocation.metadata.update({**machine.facts(), "workdir": str(root)})
        return Sandbox(root, allocation.resources)

    def Run(self, request: pb.RunRequest, context: grpc.ServicerContext) -> Iterator[pb.RunEvent]:
        sandbox = self.ledger.get(request.allocation_id).handle
        job = request.job
        if not job.command:
            raise InvalidError(f"job {job.id!r} has no command (the local provider runs no images)")
        sandbox.jobs.acquire(job.resources, self.settings.wait_seconds)
        try:
            yield _status(pb.JOB_STATUS_PREPARING, "staging inputs")
            try:
                workdir = sandbox.prepare(job)
                execution = sandbox.start(job, workdir, self.settings.cgroups, self.system)
            except (ProviderError, OSError) as e:
                message = e.message if isinstance(e, ProviderError) else f"cannot start {job.command[0]}: {e}"
                yield pb.RunEvent(time=_now(), exit=pb.Exit(status=pb.EXIT_STATUS_ERROR, message=message))
                return
            context.add_callback(lambda: execution.kill(pb.EXIT_STATUS_CANCELLED))
            metrics = f"resource metrics: {execution.metering.description}"
            yield _status(pb.JOB_STATUS_RUNNING, f"pid {execution.pgid} in {workdir}; {metrics}")
            yield from execution.events()
        finally:
            sandbox.finished(job)
            sandbox.jobs.release(job.resources)

    def Collect(self, request: pb.CollectRequest, context: grpc.ServicerContext) -> Iterator[pb.CollectChunk]:
        sandbox = self.ledger.get(request.allocation_id).handle
        yield from collect_outputs(sandbox.workdir(request.job_id), request.outputs)

    def Release(self, request: pb.ReleaseRequest, context: grpc.ServicerContext) -> pb.ReleaseResponse:
        held = self.ledger.release(request.allocation_id)
        if held is not None:
            held.handle.destroy()
        return pb.ReleaseResponse(released=held is not None)

    def ListAllocations(
        self, request: pb.ListAllocationsRequest, context: grpc.ServicerContext
    ) -> pb.ListAllocationsResponse:
        return pb.ListAllocationsResponse(allocations=self.ledger.list_by_tags(request.tags))

    def close(self) -> None:
        """Release everything: no job outlives the provider."""
        for held in self.ledger.everything():
            if self.ledger.release(held.allocation.id) is not None:
                held.handle.destroy()


def _how_many(wanted: job_pb2.Resources, free: job_pb2.Resources) -> int:
    counts = [
        math.floor(have / want)
        for want, have in ((wanted.cpu, free.cpu), (wanted.memory_bytes, free.memory_bytes))
        if want > 0
    ]
    return max(0, min(counts)) if counts else 1
