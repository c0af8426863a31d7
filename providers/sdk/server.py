"""`serve(provider)`: run a Provider servicer as a go-plugin compatible plugin until the host stops it."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile
import threading
import traceback
from collections.abc import Sequence
from concurrent import futures
from types import TracebackType
from typing import NoReturn

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from benchhub.proto.plugin import grpc_broker_pb2_grpc, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc
from benchhub.proto.plugin import grpc_stdio_pb2 as stdio_pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.sdk import wire
from benchhub.providers.sdk.controller import BrokerServicer, ControllerServicer
from benchhub.providers.sdk.interceptor import ErrorInterceptor
from benchhub.providers.sdk.listener import Endpoint, ListenError
from benchhub.providers.sdk.stdio import StdioQueue, StdioServicer, StdioWriter

NOT_A_PROGRAM = (
    "This program is a BenchHub provider plugin. It is not meant to be run directly: `bh` starts it "
    "when a job file uses the provider (see `bh providers`)."
)
PARENT_POLL_SECONDS = 0.5
STOP_GRACE_SECONDS = 2.0


def serve(
    provider: provider_pb2_grpc.ProviderServicer,
    *,
    protocol_versions: Sequence[int] = (wire.APP_PROTOCOL_VERSION,),
    max_workers: int = 64,
) -> NoReturn:
    """Serve `provider` over the plugin wire; exit when the host shuts it down, terminates it or dies.

    `protocol_versions` are the app protocol versions this provider speaks. When the provider has a
    ``close()`` method, it is called on the way out (kill running jobs, free what is held).
    """
    if os.environ.get(wire.MAGIC_COOKIE_KEY) != wire.MAGIC_COOKIE_VALUE:
        print(NOT_A_PROGRAM, file=sys.stderr)
        sys.exit(1)
    host_versions = wire.parse_versions(os.environ.get(wire.PROTOCOL_VERSIONS_ENV, ""))
    app_version = wire.negotiate(host_versions or protocol_versions, protocol_versions)

    stop = threading.Event()
    parent = os.getppid()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # The host's Ctrl-C reaches the whole terminal group; the host decides when the plugin stops.
    signal.signal(signal.SIGINT, lambda *_: None)

    sink = StdioQueue()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers), interceptors=[ErrorInterceptor()])
    health_servicer = health.HealthServicer()
    for service in (wire.HEALTH_SERVICE, ""):
        health_servicer.set(service, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(ControllerServicer(stop), server)
    grpc_broker_pb2_grpc.add_GRPCBrokerServicer_to_server(BrokerServicer(stop), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(StdioServicer(sink), server)
    provider_pb2_grpc.add_ProviderServicer_to_server(provider, server)

    socket_dir = tempfile.mkdtemp(prefix="bh-plugin-")  # mkdtemp makes it 0700
    host_cert = os.environ.get(wire.CLIENT_CERT_ENV, "").encode() or None
    try:
        endpoint = Endpoint(server, socket_dir, host_cert)
    except ListenError as e:
        shutil.rmtree(socket_dir, ignore_errors=True)
        print(e, file=sys.stderr)
        sys.exit(1)
    server.start()
    endpoint.start()

    sys.stdout.write(endpoint.handshake(app_version).line() + "\n")
    sys.stdout.flush()
    _redirect_stdio(sink)

    while not stop.wait(PARENT_POLL_SECONDS):
        if os.getppid() != parent:
            stop.set()
    health_servicer.enter_graceful_shutdown()
    close = getattr(provider, "close", None)
    try:
        if callable(close):
            close()
    except Exception:  # still stop serving and exit; the host reads the traceback from fd 2
        traceback.print_exc(file=sys.__stderr__)
    sink.close()
    server.stop(STOP_GRACE_SECONDS).wait()
    endpoint.close()
    shutil.rmtree(socket_dir, ignore_errors=True)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _redirect_stdio(sink: StdioQueue) -> None:
    """Python-level prints go to the host over GRPCStdio; a crash's traceback still reaches fd 2."""
    real_stderr = sys.__stderr__

    def report(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        traceback.print_exception(kind, value, tb, file=real_stderr)

    sys.excepthook = report
    sys.stdout = StdioWriter(sink, stdio_pb.StdioData.STDOUT)
    sys.stderr = StdioWriter(sink, stdio_pb.StdioData.STDERR)
