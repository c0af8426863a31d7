"""The plugin wire's constants and handshake line, shared by the host and the provider SDK.

A BenchHub plugin speaks HashiCorp go-plugin's gRPC protocol:

- The host sets ``BH_PLUGIN_MAGIC_COOKIE=MAGIC_COOKIE_VALUE`` so a plugin started by hand knows it was
  not started by the host and refuses to run.
- The host lists the app protocol versions it speaks in ``PLUGIN_PROTOCOL_VERSIONS`` ("1,2").
- The plugin answers with one stdout line ``CORE|APP|NETWORK|ADDRESS|grpc[|CERT]``: go-plugin's core
  protocol version (always 1), the negotiated app version, ``unix`` or ``tcp``, the address to dial
  and, under AutoMTLS, its DER certificate in unpadded standard base64.
"""

from __future__ import annotations

import base64
import dataclasses
import os
from collections.abc import Iterable, Mapping

MAGIC_COOKIE_KEY = "BH_PLUGIN_MAGIC_COOKIE"
MAGIC_COOKIE_VALUE = "4c3b5b0e9a7d2f61benchhub-provider-v1"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 1  # the provider protocol the host speaks: benchhub.provider.v1
PROTOCOL_VERSIONS_ENV = "PLUGIN_PROTOCOL_VERSIONS"
MIN_PORT_ENV, MAX_PORT_ENV = "PLUGIN_MIN_PORT", "PLUGIN_MAX_PORT"
CLIENT_CERT_ENV = "PLUGIN_CLIENT_CERT"  # the host's PEM certificate under AutoMTLS
NETWORK_ENV = "BH_PLUGIN_NETWORK"  # "unix" (default) or "tcp"
HEALTH_SERVICE = "plugin"  # grpc.health.v1 service name a plugin reports SERVING


class HandshakeError(ValueError):
    """The handshake line is not ``CORE|APP|NETWORK|ADDRESS|grpc[|CERT]``."""


@dataclasses.dataclass(frozen=True)
class Handshake:
    """One plugin's handshake line, parsed."""

    core_version: int
    app_version: int
    network: str
    address: str
    protocol: str = "grpc"
    cert_der: bytes | None = None

    def line(self) -> str:
        fields = [str(self.core_version), str(self.app_version), self.network, self.address, self.protocol]
        if self.cert_der is not None:
            fields.append(base64.b64encode(self.cert_der).decode().rstrip("="))
        return "|".join(fields)

    @classmethod
    def parse(cls, line: str) -> Handshake:
        fields = line.strip().split("|")
        if len(fields) not in (5, 6):
            raise HandshakeError(f"expected 5 or 6 '|'-separated fields, got {line.strip()[:120]!r}")
        core, app, network, address, protocol = fields[:5]
        if not (core.isdigit() and app.isdigit()):
            raise HandshakeError(f"protocol versions must be numbers, got {line.strip()[:120]!r}")
        if network not in ("unix", "tcp"):
            raise HandshakeError(f"unknown network {network!r}")
        if protocol != "grpc":
            raise HandshakeError(f"plugin speaks {protocol!r}, only 'grpc' is supported")
        cert = None
        if len(fields) == 6 and fields[5]:
            padded = fields[5] + "=" * (-len(fields[5]) % 4)
            try:
                cert = base64.b64decode(padded, validate=True)
            except ValueError as e:
                raise HandshakeError(f"certificate is not base64: {e}") from e
        return cls(int(core), int(app), network, address, protocol, cert)

    def target(self) -> str:
        """The address in grpc's target syntax."""
        return f"unix:{self.address}" if self.network == "unix" else self.address


def parse_versions(text: str) -> list[int]:
    """``"1,2"`` -> ``[1, 2]``; entries that are not numbers are ignored, as go-plugin does."""
    return [int(v) for v in text.split(",") if v.strip().isdigit()]


def negotiate(host_versions: Iterable[int], plugin_versions: Iterable[int]) -> int:
    """The highest version both sides speak; without one, the plugin's lowest, as go-plugin answers
    (the host then refuses it)."""
    offered = list(plugin_versions)
    common = set(host_versions) & set(offered)
    return max(common) if common else min(offered)


def host_environment(versions: Iterable[int] = (APP_PROTOCOL_VERSION,)) -> Mapping[str, str]:
    """The variables the host sets for every plugin it launches."""
    return {
        MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE,
        PROTOCOL_VERSIONS_ENV: ",".join(str(v) for v in versions),
        MIN_PORT_ENV: os.environ.get(MIN_PORT_ENV, "10000"),
        MAX_PORT_ENV: os.environ.get(MAX_PORT_ENV, "25000"),
    }
