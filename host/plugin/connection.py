"""Dialing a plugin from its handshake (plaintext or AutoMTLS) and checking its health."""

from __future__ import annotations

import logging
import shutil
import socket
import tempfile
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchhub.providers.sdk import mtls, wire
from benchhub.providers.sdk.tls_bridge import TlsBridge

log = logging.getLogger("benchhub.plugin")
CONNECT_TIMEOUT_SECONDS = 10.0
CONNECT_ATTEMPTS = 3
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 64 << 20),
]


class UnhealthyError(Exception):
    """The plugin did not answer, or did not report ``plugin`` as SERVING."""


class Connection:
    """A channel to one plugin and whatever carries it (a TLS bridge in a private directory).

    `security` says how: "plaintext", "mtls" (grpcio's TLS) or "mtls-bridged" (Python's ssl).
    """

    def __init__(
        self, channel: grpc.Channel, security: str, bridge: TlsBridge | None = None, bridge_dir: str = ""
    ) -> None:
        self.channel, self.security, self.bridge, self.bridge_dir = channel, security, bridge, bridge_dir

    def close(self) -> None:
        self.channel.close()
        if self.bridge is not None:
            self.bridge.close()
            shutil.rmtree(self.bridge_dir, ignore_errors=True)


def connect(handshake: wire.Handshake, identity: mtls.Identity | None) -> Connection:
    """Dial the plugin: plaintext when either side has no certificate, else mTLS pinned to its certificate.

    grpcio does the TLS itself when it can verify the plugin's certificate; for go-plugin's P-521
    certificates a `TlsBridge` does it and grpcio dials the bridge in plaintext over a private socket.
    """
    if handshake.cert_der is None or identity is None:
        if identity is not None:
            log.debug("provider at %s sent no certificate (no AutoMTLS): plaintext", handshake.address)
        return Connection(grpc.insecure_channel(handshake.target(), options=CHANNEL_OPTIONS), "plaintext")
    server_pem = mtls.pem_of_der(handshake.cert_der)
    if mtls.grpc_compatible(server_pem):
        credentials = mtls.grpc_channel_credentials(identity, server_pem)
        options = [*CHANNEL_OPTIONS, ("grpc.ssl_target_name_override", mtls.SERVER_NAME)]
        return Connection(grpc.secure_channel(handshake.target(), credentials, options=options), "mtls")
    bridge_dir = tempfile.mkdtemp(prefix="bh-tls-")  # 0700: only this user reaches the plaintext side
    path = str(Path(bridge_dir) / "bridge.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(16)
    context = mtls.ssl_client_context(identity, server_pem)
    bridge = TlsBridge(listener, (handshake.network, handshake.address), connect_tls=context).start()
    channel = grpc.insecure_channel(f"unix:{path}", options=CHANNEL_OPTIONS)
    return Connection(channel, "mtls-bridged", bridge, bridge_dir)


def check_health(channel: grpc.Channel, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Require health service ``plugin`` to be SERVING. A plugin listens before it prints its handshake,
    so a refused connection (or TLS session) fails after a few quick tries, not after `timeout`."""
    check = health_pb2_grpc.HealthStub(channel).Check
    request = health_pb2.HealthCheckRequest(service=wire.HEALTH_SERVICE)
    for attempt in range(CONNECT_ATTEMPTS):
        try:
            response = check(request, timeout=timeout)
            break
        except grpc.RpcError as e:
            if e.code() != grpc.StatusCode.UNAVAILABLE or attempt == CONNECT_ATTEMPTS - 1:
                raise UnhealthyError(f"health check failed: {e.code().name}: {e.details()}") from e
            time.sleep(0.1)
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        raise UnhealthyError(f"health check says {status}")
