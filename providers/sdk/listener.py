"""Where a plugin listens: a unix socket in its private directory (tcp on request), plaintext, grpcio
TLS, or Python-ssl TLS bridged to grpcio when the host's certificate needs it (AutoMTLS)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator

import grpc

from benchhub.providers.sdk import mtls, wire
from benchhub.providers.sdk.tls_bridge import TlsBridge

PUBLIC_SOCKET = "plugin.sock"


class ListenError(Exception):
    """No address to listen on (e.g. no free port in the range)."""


def _tcp_ports() -> Iterator[int]:
    low = int(os.environ.get(wire.MIN_PORT_ENV, "10000"))
    high = int(os.environ.get(wire.MAX_PORT_ENV, "25000"))
    yield from range(low, high + 1)


def _first(bind: Callable[[str], bool], network: str, socket_dir: str, name: str) -> tuple[str, str]:
    if network == "unix":
        path = os.path.join(socket_dir, name)
        if bind(f"unix:{path}"):
            return "unix", path
        raise ListenError(f"cannot listen on {path}")
    for port in _tcp_ports():
        if bind(f"127.0.0.1:{port}"):
            return "tcp", f"127.0.0.1:{port}"
    raise ListenError(f"no free tcp port in {wire.MIN_PORT_ENV}..{wire.MAX_PORT_ENV}")


def _grpc_binder(server: grpc.Server, credentials: grpc.ServerCredentials | None) -> Callable[[str], bool]:
    def bind(target: str) -> bool:
        try:
            if credentials is None:
                return bool(server.add_insecure_port(target))
            return bool(server.add_secure_port(target, credentials))
        except RuntimeError:
            return False

    return bind


def _socket_binder(bound: list[socket.socket]) -> Callable[[str], bool]:
    def bind(target: str) -> bool:
        if target.startswith("unix:"):
            sock, address = socket.socket(socket.AF_UNIX), target.removeprefix("unix:")
        else:
            host, port = target.rsplit(":", 1)
            sock, address = socket.socket(socket.AF_INET), (host, int(port))  # type: ignore[assignment]
        try:
            sock.bind(address)
        except OSError:
            sock.close()
            return False
        sock.listen(64)
        bound.append(sock)
        return True

    return bind


class Endpoint:
    """The plugin's public address (for the handshake) and, under AutoMTLS, its certificate."""

    def __init__(self, server: grpc.Server, socket_dir: str, host_cert_pem: bytes | None) -> None:
        network = os.environ.get(wire.NETWORK_ENV, "unix")
        self.bridge: TlsBridge | None = None
        self.identity = mtls.make_identity() if host_cert_pem else None
        public = PUBLIC_SOCKET
        if host_cert_pem is None or self.identity is None:
            self.network, self.address = _first(_grpc_binder(server, None), network, socket_dir, public)
        elif mtls.grpc_compatible(host_cert_pem):
            credentials = mtls.grpc_server_credentials(self.identity, host_cert_pem)
            secure = _grpc_binder(server, credentials)
            self.network, self.address = _first(secure, network, socket_dir, public)
        else:
            private = _first(_grpc_binder(server, None), "unix", socket_dir, "grpc.sock")
            bound: list[socket.socket] = []
            self.network, self.address = _first(_socket_binder(bound), network, socket_dir, public)
            context = mtls.ssl_server_context(self.identity, host_cert_pem)
            self.bridge = TlsBridge(bound[0], private, accept_tls=context)

    def start(self) -> None:
        if self.bridge is not None:
            self.bridge.start()

    def handshake(self, app_version: int) -> wire.Handshake:
        cert = self.identity.cert_der if self.identity else None
        core = wire.CORE_PROTOCOL_VERSION
        return wire.Handshake(core, app_version, self.network, self.address, cert_der=cert)

    def close(self) -> None:
        if self.bridge is not None:
            self.bridge.close()
