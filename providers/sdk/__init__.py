"""Everything a Python provider author needs: ``serve(MyProvider())``.

Providers raise `errors.*Error`; `AllocationLedger` keeps allocations (idempotency tokens, tags,
capacity); `collect_outputs` streams result files with their sha256.

The names below load on first use, so the host, which needs only `errors`, `wire` and `mtls`, does
not import the server side (listener, controller, stdio) it never runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchhub.providers.sdk import errors
    from benchhub.providers.sdk.capacity import CapacityPool
    from benchhub.providers.sdk.collector import collect_outputs, file_chunks
    from benchhub.providers.sdk.ledger import AllocationLedger, Claim, Held
    from benchhub.providers.sdk.server import serve

_HOME = {
    "AllocationLedger": "ledger",
    "CapacityPool": "capacity",
    "Claim": "ledger",
    "Held": "ledger",
    "collect_outputs": "collector",
    "file_chunks": "collector",
    "serve": "server",
}

__all__ = [
    "AllocationLedger",
    "CapacityPool",
    "Claim",
    "Held",
    "collect_outputs",
    "errors",
    "file_chunks",
    "serve",
]


def __getattr__(name: str) -> Any:
    if name == "errors":
        return importlib.import_module(f"{__name__}.errors")
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value
