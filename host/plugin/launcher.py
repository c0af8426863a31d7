"""Starting a provider plugin and connecting the typed client to it."""

from __future__ import annotations

from pathlib import Path

from benchhub.host.plugin.client import CALL_TIMEOUT_SECONDS, ProviderClient
from benchhub.host.plugin.connection import UnhealthyError, check_health, dial
from benchhub.host.plugin.discovery import find
from benchhub.host.plugin.output import PluginOutput
from benchhub.host.plugin.process import HANDSHAKE_TIMEOUT_SECONDS, PluginProcess
from benchhub.providers.sdk import wire


def launch(
    name: str,
    project_dir: Path | None = None,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
    call_timeout: float = CALL_TIMEOUT_SECONDS,
) -> ProviderClient:
    """Find ``bh-provider-<name>``, start it, handshake, check health: a ready client."""
    found = find(name, project_dir or Path.cwd())
    return launch_executable(
        str(found.path), name, handshake_timeout=handshake_timeout, call_timeout=call_timeout
    )


def launch_executable(
    executable: str,
    name: str,
    *,
    handshake_timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
    call_timeout: float = CALL_TIMEOUT_SECONDS,
    host_versions: tuple[int, ...] = (wire.APP_PROTOCOL_VERSION,),
) -> ProviderClient:
    output = PluginOutput(name)
    process = PluginProcess(executable, name, output)
    handshake = process.start(host_versions, {}, handshake_timeout)
    channel = dial(handshake.target())
    try:
        check_health(channel, handshake_timeout)
    except UnhealthyError as e:
        channel.close()
        process.fail(str(e))
    return ProviderClient(name, channel, output, process, call_timeout=call_timeout)
