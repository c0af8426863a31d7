"""The host side of the plugin wire: find, launch and talk to provider executables.

    with launch("local") as provider:
        offers = provider.offer(pb.OfferRequest(...)).offers
"""

from benchhub.host.plugin.client import AllocateCall, ProviderClient, RunStream
from benchhub.host.plugin.discovery import Discovered, discover, find
from benchhub.host.plugin.errors import (
    CallCancelledError,
    PluginError,
    ProtocolMismatchError,
    ProviderCallError,
)
from benchhub.host.plugin.launcher import launch, launch_executable

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
