"""The typed client of one provider plugin: its RPCs as methods, errors as BenchHubError subclasses."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2, struct_pb2

from benchhub.host.errors import BenchHubError
from benchhub.host.plugin.connection import Connection
from benchhub.host.plugin.errors import CallCancelledError, PluginError, ProviderCallError
from benchhub.host.plugin.output import PluginOutput
from benchhub.host.plugin.process import PluginProcess
from benchhub.host.plugin.timeouts import ALLOCATE_TIMEOUT_SECONDS, CALL_TIMEOUT_SECONDS, GRACE_SECONDS
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.plugin import grpc_controller_pb2 as controller_pb
from benchhub.proto.plugin import grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.sdk.errors import detail_of

log = logging.getLogger("benchhub.plugin")
_Code = grpc.StatusCode
_GONE = (_Code.UNAVAILABLE, _Code.CANCELLED, _Code.UNKNOWN)  # what a call sees when the plugin dies
T = TypeVar("T")


class RunStream:
    """A Run call in progress: iterate its events; `cancel()` (from any thread) ends it quietly."""

    def __init__(self, client: ProviderClient, call: Any) -> None:
        self._client, self._call, self._cancelled = client, call, False

    def __iter__(self) -> Iterator[pb.RunEvent]:
        try:
            yield from self._call
        except grpc.RpcError as e:
            if not (self._cancelled and e.code() == grpc.StatusCode.CANCELLED):
                raise self._client.call_error("Run", e) from None
        finally:
            self._call.cancel()

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()


class AllocateCall:
    """An Allocate in progress: `result()` waits for the allocation; `cancel()` (from any thread) ends
    the call, and `result()` then raises `CallCancelledError`. The provider may have made the
    allocation before it saw the cancel: the caller finds it by its idempotency token and releases it.
    """

    def __init__(
        self,
        client: ProviderClient,
        call: Any,
        on_progress: Callable[[pb.AllocateProgress], None] | None = None,
    ) -> None:
        self._client, self._call, self._on_progress = client, call, on_progress
        self._cancelled = False

    def result(self) -> pb.Allocation:
        event: pb.AllocateEvent
        try:
            for event in self._call:
                if event.HasField("allocation"):
                    return event.allocation
                if self._on_progress is not None:
                    self._on_progress(event.progress)
        except grpc.RpcError as e:
            if self._cancelled and e.code() == grpc.StatusCode.CANCELLED:
                raise CallCancelledError(self._client.name, "Allocate") from None
            raise self._client.call_error("Allocate", e) from None
        if self._cancelled:
            raise CallCancelledError(self._client.name, "Allocate")
        raise ProviderCallError(self._client.name, "Allocate", _Code.INTERNAL, "ended without an allocation")

    def cancel(self) -> None:
        self._cancelled = True
        self._call.cancel()


class ProviderClient:
    """One connected provider. Use as a context manager, or call `close()`; both stop a launched plugin.

    `process` is None for a provider the host attached to but did not launch (never stopped by us).
    """

    def __init__(
        self,
        name: str,
        connection: Connection,
        output: PluginOutput,
        process: PluginProcess | None = None,
        *,
        call_timeout: float = CALL_TIMEOUT_SECONDS,
    ) -> None:
        self.name, self.connection, self.output, self.process = name, connection, output, process
        self.channel = connection.channel
        self.call_timeout = call_timeout
        self.stub = provider_pb2_grpc.ProviderStub(self.channel)
        self._closed = False
        self._stdio = threading.Thread(target=self._forward_stdio, name=f"{name}-stdio", daemon=True)
        self._stdio.start()

    # ---- the provider protocol ------------------------------------------------------------

    def get_schema(self) -> pb.GetSchemaResponse:
        return self._unary("GetSchema", self.stub.GetSchema, pb.GetSchemaRequest())

    def configure(self, config: Mapping[str, Any] | struct_pb2.Struct) -> list[pb.Diagnostic]:
        if not isinstance(config, struct_pb2.Struct):
            struct = struct_pb2.Struct()
            struct.update(dict(config))
            config = struct
        response = self._unary("Configure", self.stub.Configure, pb.ConfigureRequest(config=config))
        return list(response.diagnostics)

    def offer(self, request: pb.OfferRequest) -> pb.OfferResponse:
        return self._unary("Offer", self.stub.Offer, request)

    def allocate(
        self,
        offer_id: str,
        token: str,
        tags: Mapping[str, str],
        resources: job_pb2.Resources | None = None,
        *,
        on_progress: Callable[[pb.AllocateProgress], None] | None = None,
    ) -> pb.Allocation:
        """Allocate, reporting progress to `on_progress`; the same `token` gives the same allocation."""
        return self.start_allocate(offer_id, token, tags, resources, on_progress=on_progress).result()

    def start_allocate(
        self,
        offer_id: str,
        token: str,
        tags: Mapping[str, str],
        resources: job_pb2.Resources | None = None,
        *,
        on_progress: Callable[[pb.AllocateProgress], None] | None = None,
    ) -> AllocateCall:
        """`allocate` as a call that another thread can cancel."""
        request = pb.AllocateRequest(
            offer_id=offer_id, idempotency_token=token, tags=tags, resources=resources
        )
        return AllocateCall(self, self.stub.Allocate(request, timeout=ALLOCATE_TIMEOUT_SECONDS), on_progress)

    def run(self, allocation_id: str, job: job_pb2.Job) -> RunStream:
        return RunStream(self, self.stub.Run(pb.RunRequest(allocation_id=allocation_id, job=job)))

    def collect(
        self, allocation_id: str, job_id: str, outputs: Iterable[job_pb2.Output]
    ) -> Iterator[pb.CollectChunk]:
        request = pb.CollectRequest(allocation_id=allocation_id, job_id=job_id, outputs=outputs)
        try:
            yield from self.stub.Collect(request, timeout=ALLOCATE_TIMEOUT_SECONDS)
        except grpc.RpcError as e:
            raise self.call_error("Collect", e) from None

    def release(self, allocation_id: str) -> bool:
        """True when something was released; False when it was unknown or released before."""
        request = pb.ReleaseRequest(allocation_id=allocation_id)
        return self._unary("Release", self.stub.Release, request).released

    def list_allocations(self, tags: Mapping[str, str] | None = None) -> list[pb.Allocation]:
        request = pb.ListAllocationsRequest(tags=tags or {})
        return list(self._unary("ListAllocations", self.stub.ListAllocations, request).allocations)

    # ---- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Stop a launched plugin (Shutdown RPC, SIGTERM, SIGKILL); just disconnect from an attached one."""
        if self._closed:
            return
        self._closed = True
        if self.process is not None:
            self.process.stop(shutdown=self._shutdown)
            self._stdio.join(GRACE_SECONDS / 2)  # the stream ends with the plugin: forward all it sent
        self.connection.close()

    def __enter__(self) -> ProviderClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def call_error(self, method: str, error: grpc.RpcError) -> BenchHubError:
        """The BenchHubError for a failed call: a crash or hang of the plugin, or the provider's own error."""
        code, detail = error.code(), detail_of(error)
        process = self.process
        if process is not None and detail is None:
            if process.exited() or (code in _GONE and _exits_within(process, GRACE_SECONDS / 2)):
                problem = f"{process.exit_description()} during {method}"
                return PluginError(process.executable, problem, process.stderr_tail())
            if code == grpc.StatusCode.DEADLINE_EXCEEDED:
                process.stop()
                problem = f"did not answer {method} within {self.call_timeout:g}s"
                return PluginError(process.executable, problem, process.stderr_tail())
        return ProviderCallError(self.name, method, code, error.details() or code.name, detail)

    def _unary(self, method: str, call: Callable[..., T], request: Any) -> T:
        try:
            return call(request, timeout=self.call_timeout)
        except grpc.RpcError as e:
            raise self.call_error(method, e) from None

    def _shutdown(self) -> None:
        controller = grpc_controller_pb2_grpc.GRPCControllerStub(self.channel)
        try:
            controller.Shutdown(controller_pb.Empty(), timeout=GRACE_SECONDS)
        except grpc.RpcError as e:  # UNAVAILABLE: go-plugin stops its server inside the call
            if e.code() != grpc.StatusCode.UNAVAILABLE:
                log.debug("provider %s: Shutdown answered %s", self.name, e.code().name)

    def _forward_stdio(self) -> None:
        try:
            self.output.stdio(grpc_stdio_pb2_grpc.GRPCStdioStub(self.channel).StreamStdio(empty_pb2.Empty()))
        except grpc.RpcError:  # UNIMPLEMENTED (go-plugin 1.0.1) or the plugin going away
            pass
        except ValueError:  # the channel was closed
            pass


def _exits_within(process: PluginProcess, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not process.exited():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
