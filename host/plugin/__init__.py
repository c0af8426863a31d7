"""The host side of the plugin wire: find, launch and talk to provider executables.

    with launch("local") as provider:
        offers = provider.offer(pb.OfferRequest(...)).offers

The names load on first use, so finding and starting a plugin does not wait for the gRPC client side.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
