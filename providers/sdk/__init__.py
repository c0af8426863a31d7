"""Everything a Python provider author needs: ``serve(MyProvider())``.

Providers raise `errors.*Error`; `AllocationLedger` keeps allocations (idempotency tokens, tags,
capacity); `collect_outputs` streams result files with their sha256.
"""

from benchhub.providers.sdk import errors
from benchhub.providers.sdk.capacity import CapacityPool
from benchhub.providers.sdk.collector import collect_outputs, file_chunks
from benchhub.providers.sdk.ledger import AllocationLedger, Claim, Held
from benchhub.providers.sdk.server import serve

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
