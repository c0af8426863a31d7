"""Starting a provider plugin (or attaching to a running one) and connecting the typed client to it.

The executable starts before the channel side (the typed client, health checks, the TLS bridge) is
even imported: `bh` launches plugins while it is still loading, so the earlier the process starts,
the more of its own start-up overlaps the host's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from benchhub.host.plugin.discovery import find
from benchhub.host.plugin.errors import PluginError, ProtocolMismatchError
from benchhub.host.plugin.output import PluginOutput
from benchhub.host.plugin.process import PluginProcess, version_problem
from benchhub.host.plugin.reattach import REATTACH_ENV, Reattached, reattached
from benchhub.host.plugin.timeouts import CALL_TIMEOUT_SECONDS, HANDSHAKE_TIMEOUT_SECONDS
from benchhub.providers.sdk import mtls, wire

if TYPE_CHECKING:
    from benchhub.host.plugin.client import ProviderClient

HOST_VERSIONS = (wire.APP_PROTOCOL_VERSION,)


def automtls_enabled() -> bool:
    """AutoMTLS is on unless the user opts out with ``BH_PLUGIN_AUTOMTLS=0``."""
    return os.environ.get(mtls.AUTOMTLS_ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def launch(
    name: str,
    project_dir: Path | None = None,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
    call_timeout: float = CALL_TIMEOUT_SECONDS,
    started: Callable[[], None] | None = None,
) -> ProviderClient:
    """A ready client for provider `name`: the running one named in ``BH_REATTACH_PROVIDERS``, or
    ``bh-provider-<name>`` found, started, handshaken and health-checked. `started` is called once
    the executable runs (before its handshake)."""
    running = reattached(name)
    if running is not None:
        return attach(running, call_timeout=call_timeout)
    found = find(name, project_dir or Path.cwd())
    return launch_executable(
        str(found.path), name, handshake_timeout=handshake_timeout, call_timeout=call_timeout, started=started
    )


def launch_executable(
    executable: str,
    name: str,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
    call_timeout: float = CALL_TIMEOUT_SECONDS,
    host_versions: tuple[int, ...] = HOST_VERSIONS,
    automtls: bool | None = None,
    identity: mtls.Identity | None = None,
    started: Callable[[], None] | None = None,
) -> ProviderClient:
    """Start `executable` as provider `name`. Under AutoMTLS (`automtls`, default: `automtls_enabled()`)
    the host presents `identity` (default: a fresh one per launch) and pins the provider's certificate."""
    if automtls is None:
        automtls = automtls_enabled()
    if not automtls:
        identity = None
    elif identity is None:
        identity = mtls.make_identity()
    output = PluginOutput(name)
    process = PluginProcess(executable, name, output)
    extra_env = {wire.CLIENT_CERT_ENV: identity.cert_pem.decode()} if identity else {}
    handshake = process.start(host_versions, extra_env, handshake_timeout, started)
    from benchhub.host.plugin.client import ProviderClient
    from benchhub.host.plugin.connection import UnhealthyError, check_health, connect

    try:
        connection = connect(handshake, identity)
    except ValueError as e:  # a certificate that does not parse
        process.fail(f"printed a bad handshake: its certificate is unreadable ({e})")
    try:
        check_health(connection.channel, handshake_timeout)
    except UnhealthyError as e:
        connection.close()
        process.fail(str(e))
    return ProviderClient(name, connection, output, process, call_timeout=call_timeout)


def attach(running: Reattached, *, call_timeout: float = CALL_TIMEOUT_SECONDS) -> ProviderClient:
    """A client for a provider someone else started; closing it only disconnects."""
    from benchhub.host.plugin.client import ProviderClient
    from benchhub.host.plugin.connection import UnhealthyError, check_health, connect

    where = f"{REATTACH_ENV}[{running.name}] at {running.handshake.address}"
    problem = version_problem(running.handshake, HOST_VERSIONS, running.name)
    if problem:
        raise ProtocolMismatchError(where, problem)
    connection = connect(running.handshake, running.identity)
    try:
        check_health(connection.channel)
    except UnhealthyError as e:
        connection.close()
        raise PluginError(where, str(e)) from e
    return ProviderClient(running.name, connection, PluginOutput(running.name), call_timeout=call_timeout)
