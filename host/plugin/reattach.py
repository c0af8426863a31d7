"""``BH_REATTACH_PROVIDERS``: use providers that are already running (started by hand, e.g. under a
debugger) instead of launching them. The host never shuts such a provider down or kills it.

The variable is JSON mapping provider names to where they listen::

    {"gocatalog": {"network": "unix", "address": "/tmp/plugin123", "protocol_version": 1}}

A provider started with ``PLUGIN_CLIENT_CERT`` (AutoMTLS) also needs ``cert`` (the sixth field of
its handshake line) and ``client_cert`` / ``client_key``: paths of the PEM certificate given to it in
``PLUGIN_CLIENT_CERT`` and of that certificate's key, which the host then presents.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from benchhub.host.errors import BenchHubError
from benchhub.providers.sdk import mtls, wire

REATTACH_ENV = "BH_REATTACH_PROVIDERS"


class ReattachError(BenchHubError):
    """BH_REATTACH_PROVIDERS is malformed."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{REATTACH_ENV}: {problem}")


@dataclasses.dataclass(frozen=True)
class Reattached:
    name: str
    handshake: wire.Handshake
    identity: mtls.Identity | None


def reattached(name: str) -> Reattached | None:
    """Where provider `name` already runs, if ``BH_REATTACH_PROVIDERS`` says so."""
    raw = os.environ.get(REATTACH_ENV, "").strip()
    if not raw:
        return None
    try:
        config = json.loads(raw)
    except ValueError as e:
        raise ReattachError(f"not valid JSON: {e}") from e
    if not isinstance(config, dict):
        raise ReattachError("must be a JSON object of provider name -> {network, address, protocol_version}")
    entry = config.get(name)
    return None if entry is None else _parse(name, entry)


def _parse(name: str, entry: Any) -> Reattached:
    if not isinstance(entry, dict):
        raise ReattachError(f"{name}: must be an object with network, address and protocol_version")
    network, address = entry.get("network", "unix"), entry.get("address")
    version = entry.get("protocol_version")
    if network not in ("unix", "tcp") or not isinstance(address, str) or not address:
        raise ReattachError(f"{name}: needs a network ('unix' or 'tcp') and an address")
    if not isinstance(version, int):
        raise ReattachError(f"{name}: protocol_version must be a number")
    line = f"{wire.CORE_PROTOCOL_VERSION}|{version}|{network}|{address}|grpc|{entry.get('cert') or ''}"
    try:
        handshake = wire.Handshake.parse(line)
    except wire.HandshakeError as e:
        raise ReattachError(f"{name}: {e}") from e
    identity = None
    if handshake.cert_der is not None:
        client_cert, client_key = entry.get("client_cert"), entry.get("client_key")
        if not (isinstance(client_cert, str) and isinstance(client_key, str)):
            raise ReattachError(
                f"{name}: with a cert, client_cert and client_key must name the PEM files of the "
                "certificate the provider got in PLUGIN_CLIENT_CERT and of its key"
            )
        try:
            identity = mtls.Identity(Path(client_cert).read_bytes(), Path(client_key).read_bytes())
        except OSError as e:
            raise ReattachError(f"{name}: {e}") from e
    return Reattached(name, handshake, identity)
