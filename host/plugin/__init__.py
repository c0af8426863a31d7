"""The host side of the plugin wire: find, launch and talk to provider executables.

    with launch("local") as provider:
        offers = provider.offer(pb.OfferRequest(...)).offers

The names load on first use, so finding and starting a plugin does not wait for the gRPC client side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchhub.host.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from benchhub.host.plugin.client import AllocateCall, ProviderClient, RunStream
    from benchhub.host.plugin.discovery import Discovered, discover, find
    from benchhub.host.plugin.errors import (
        CallCancelledError,
        PluginError,
        ProtocolMismatchError,
        ProviderCallError,
    )
    from benchhub.host.plugin.launcher import launch, launch_executable

_HOME = {
    "AllocateCall": "client",
    "CallCancelledError": "errors",
    "Discovered": "discovery",
    "PluginError": "errors",
    "ProtocolMismatchError": "errors",
    "ProviderCallError": "errors",
    "ProviderClient": "client",
    "RunStream": "client",
    "discover": "discovery",
    "find": "discovery",
    "launch": "launcher",
    "launch_executable": "launcher",
}

__all__ = [
    "AllocateCall",
    "CallCancelledError",
    "Discovered",
    "PluginError",
    "ProtocolMismatchError",
    "ProviderCallError",
    "ProviderClient",
    "RunStream",
    "discover",
    "find",
    "launch",
    "launch_executable",
]

__getattr__ = lazy_exports(__name__, _HOME)
