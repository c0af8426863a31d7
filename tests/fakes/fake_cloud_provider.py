"""A FAKE cloud provider for tests: priced offers, scripted refusals and preemptions, real processes.

It speaks the real plugin wire (the SDK's `serve`) and runs each job as a real local process, so the
host's whole path (offers, failover, preemption, budget, cancellation, gc) is exercised end to end
with two or more providers that price differently. The executables `bin/bh-provider-fake*` start it
under their own names. Config (all optional):

    price         on-demand price per hour of the `small` offer, USD (default 1.0)
    large_factor  the `large` offer (4x the resources) costs this many times `price` (default 4)
    spot          also offer a spot `small` at 30 % of the price (default false)
    refuse        instance types whose Allocate fails with a capacity error ("small", "large")
    machines      how many allocations of each instance type may be live at once (default: no limit);
                  one more fails with a capacity error
    preempt       how many Runs on a spot allocation end preempted before one succeeds (default 0)
    boot_seconds  Allocate makes the allocation at once, then "boots" it this long before answering,
                  like a cloud VM (default 0). A cancelled Allocate leaves what it made, as a
                  provider may that saw the cancel too late: the host releases it by its token.
    ledger        a JSON file listing live allocations, so `ListAllocations` survives a host crash;
                  the provider's pid is written next to it (`<ledger>.pid`)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import grpc
from google.protobuf import json_format

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.sdk import AllocationLedger, collect_outputs, errors, serve

GiB = 2**30
SHAPES = {"small": (2.0, 4 * GiB, 1.0), "large": (8.0, 16 * GiB, 4.0)}


class FakeCloudProvider(provider_pb2_grpc.ProviderServicer):
    def __init__(self, name: str) -> None:
        self.name = name
        self.config: dict[str, Any] = {}
        self.ledger: AllocationLedger[Path] = AllocationLedger(id_prefix=f"{name}-")
        self.preempted = 0
        self.lock = threading.Lock()

    def GetSchema(self, request: pb.GetSchemaRequest, context: grpc.ServicerContext) -> pb.GetSchemaResponse:
        A = pb.Attribute
        return pb.GetSchemaResponse(
            name=self.name,
            version="0.0.1-fake",
            protocol_version=1,
            config=[
                A(name="price", type=A.TYPE_NUMBER),
                A(name="large_factor", type=A.TYPE_NUMBER),
                A(name="spot", type=A.TYPE_BOOL),
                A(name="refuse", type=A.TYPE_LIST),
                A(name="machines", type=A.TYPE_NUMBER),
                A(name="preempt", type=A.TYPE_NUMBER),
                A(name="boot_seconds", type=A.TYPE_NUMBER),
                A(name="ledger", type=A.TYPE_STRING),
            ],
            capabilities=pb.Capabilities(
                runtimes=[pb.Capabilities.RUNTIME_VM], spot=True, multi_node=True, regions=["fake-1"]
            ),
        )

    def Configure(self, request: pb.ConfigureRequest, context: grpc.ServicerContext) -> pb.ConfigureResponse:
        self.config = json_format.MessageToDict(request.config)
        if self.config.get("ledger"):  # so a test can check that this process is gone afterwards
            Path(self.config["ledger"] + ".pid").write_text(str(os.getpid()))
        return pb.ConfigureResponse()

    def Offer(self, request: pb.OfferRequest, context: grpc.ServicerContext) -> pb.OfferResponse:
        kinds = (False, True) if self.config.get("spot") else (False,)
        return pb.OfferResponse(offers=[self._offer(shape, spot) for shape in SHAPES for spot in kinds])

    def _price(self, shape: str, spot: bool) -> float:
        factor = float(self.config.get("large_factor", SHAPES[shape][2])) if shape == "large" else 1.0
        return float(self.config.get("price", 1.0)) * factor * (0.3 if spot else 1.0)

    def _offer(self, shape: str, spot: bool) -> pb.Offer:
        cpu, memory, _ = SHAPES[shape]
        return pb.Offer(
            id=f"{shape}-{'spot' if spot else 'od'}",
            region="fake-1",
            zone="fake-1a",
            instance_type=shape,
            resources=job_pb2.Resources(cpu=cpu, memory_bytes=memory),
            spot=spot,
            capacity=-1,
            price_per_hour=pb.Money(amount=self._price(shape, spot), currency="USD"),
            interruption_rate=0.1 if spot else 0.0,
        )

    def Allocate(
        self, request: pb.AllocateRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.AllocateEvent]:
        shape, kind = request.offer_id.split("-")
        if shape in self.config.get("refuse", []):
            raise errors.CapacityError(f"no {shape} capacity in fake-1a", instance_type=shape)
        with self.ledger.claim(request, job_pb2.Resources(cpu=SHAPES[shape][0])) as claim:
            if claim.existing:
                yield pb.AllocateEvent(allocation=claim.existing.allocation)
                return
            live = [h for h in self.ledger.everything() if h.allocation.instance_type == shape]
            if len(live) >= float(self.config.get("machines", float("inf"))):
                raise errors.CapacityError(f"all {len(live)} {shape} machines of fake-1a are taken")
            claim.allocation.metadata["host"] = f"{claim.allocation.id}.fake"
            claim.allocation.instance_type, claim.allocation.spot = shape, kind == "spot"
            claim.allocation.price_per_hour.CopyFrom(self._offer(shape, kind == "spot").price_per_hour)
            held = claim.commit(Path(tempfile.mkdtemp(prefix=f"{self.name}-")))
        self._save_ledger()
        if not _booted(context, float(self.config.get("boot_seconds", 0))):
            return
        yield pb.AllocateEvent(allocation=held.allocation)

    def Run(self, request: pb.RunRequest, context: grpc.ServicerContext) -> Iterator[pb.RunEvent]:
        held = self.ledger.get(request.allocation_id)
        workdir = held.handle
        _stage(request.job, workdir)
        started = time.monotonic()
        process = subprocess.Popen(
            list(request.job.command),
            cwd=workdir,
            env={**os.environ, **request.job.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        context.add_callback(lambda: _kill(process))
        yield pb.RunEvent(status=pb.StatusChange(status=pb.JOB_STATUS_RUNNING))
        with self.lock:
            preempt = held.allocation.spot and self.preempted < int(self.config.get("preempt", 0))
            self.preempted += preempt
        if preempt:
            _kill(process)
            yield pb.RunEvent(
                exit=pb.Exit(status=pb.EXIT_STATUS_PREEMPTED, message="spot instance reclaimed")
            )
            return
        assert process.stdout is not None
        for line in process.stdout:
            yield pb.RunEvent(log=pb.LogChunk(stream=pb.LogChunk.STREAM_STDOUT, data=line))
        code = process.wait()
        yield pb.RunEvent(sample=pb.ResourceSample(source="fake"))  # a fake figure, only to be recorded
        status = pb.EXIT_STATUS_SUCCEEDED if code == 0 else pb.EXIT_STATUS_FAILED
        yield pb.RunEvent(
            exit=pb.Exit(status=status, exit_code=code, wall_seconds=time.monotonic() - started)
        )

    def Collect(self, request: pb.CollectRequest, context: grpc.ServicerContext) -> Iterator[pb.CollectChunk]:
        yield from collect_outputs(self.ledger.get(request.allocation_id).handle, request.outputs)

    def Release(self, request: pb.ReleaseRequest, context: grpc.ServicerContext) -> pb.ReleaseResponse:
        held = self.ledger.release(request.allocation_id)
        if held is not None:
            shutil.rmtree(held.handle, ignore_errors=True)
        self._save_ledger()
        return pb.ReleaseResponse(released=held is not None)

    def ListAllocations(
        self, request: pb.ListAllocationsRequest, context: grpc.ServicerContext
    ) -> pb.ListAllocationsResponse:
        live = self.ledger.list_by_tags(request.tags)
        known = {a.id for a in live}
        path = self.config.get("ledger")
        if path and Path(path).exists():  # allocations an earlier, crashed process left behind
            for entry in json.loads(Path(path).read_text()):
                left = json_format.ParseDict(entry, pb.Allocation())
                if left.id not in known and all(left.tags.get(k) == v for k, v in request.tags.items()):
                    self._adopt(left)
                    live.append(left)
        return pb.ListAllocationsResponse(allocations=live)

    def _adopt(self, allocation: pb.Allocation) -> None:
        request = pb.AllocateRequest(
            offer_id=allocation.offer_id, idempotency_token=allocation.idempotency_token, tags=allocation.tags
        )
        with self.ledger.claim(request, job_pb2.Resources()) as claim:
            claim.allocation.CopyFrom(allocation)
            claim.commit(Path(tempfile.mkdtemp(prefix=f"{self.name}-")))

    def _save_ledger(self) -> None:
        path = self.config.get("ledger")
        if path:
            live = [json_format.MessageToDict(h.allocation) for h in self.ledger.everything()]
            Path(path).write_text(json.dumps(live))


def _stage(job: job_pb2.Job, workdir: Path) -> None:
    for artifact in job.inputs:
        if artifact.kind == job_pb2.Artifact.KIND_FILE:
            target = workdir / artifact.path
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(urlparse(artifact.uri).path, target)


def _booted(context: grpc.ServicerContext, seconds: float) -> bool:
    """Wait `seconds`; False as soon as the host cancels the call."""
    gone = threading.Event()
    if not context.add_callback(gone.set):  # the call has already ended
        return False
    return not gone.wait(seconds)


def _kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)


def main() -> None:
    serve(FakeCloudProvider(os.environ["BH_FAKE_PROVIDER_NAME"]))


if __name__ == "__main__":
    main()
