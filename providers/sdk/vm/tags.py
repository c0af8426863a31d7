"""Tagging conventions: every cloud object BenchHub makes carries these tags.

The host's own tags (it names them `benchhub:run`, `benchhub:job`, `benchhub:project` ...) are stored as
given. The provider adds its bookkeeping: `benchhub:managed=true` marks the object as BenchHub's,
`benchhub:token` the idempotency token, `benchhub:allocation` the allocation it belongs to, and the
offer and price it was made from. Listing by tag (ListAllocations, `bh gc`) relies on nothing else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

PREFIX = "benchhub:"
MANAGED = PREFIX + "managed"
ALLOCATION = PREFIX + "allocation"
TOKEN = PREFIX + "token"
OFFER = PREFIX + "offer"
PRICE = PREFIX + "price-per-hour"
PRIVATE = frozenset({ALLOCATION, OFFER, PRICE, "Name"})  # the provider's alone, not the host's


def allocation_name(token: str) -> str:
    """A short, cloud-safe name derived from an idempotency token (same token, same name)."""
    return "bh-" + hashlib.sha256(token.encode()).hexdigest()[:20]


def cloud_tags(
    allocation: str, token: str, offer: str, price_per_hour: float, host_tags: Mapping[str, str]
) -> dict[str, str]:
    """The tags to put on every object of one allocation."""
    tags = dict(host_tags)
    tags.update(
        {MANAGED: "true", ALLOCATION: allocation, TOKEN: token, OFFER: offer, PRICE: f"{price_per_hour:.6g}"}
    )
    return tags


def host_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """An allocation's tags as listed: the cloud object's, less the provider's private ones."""
    return {key: value for key, value in tags.items() if key not in PRIVATE}


def tag_filter(host_tags: Mapping[str, str]) -> dict[str, str]:
    """The cloud tags an object must carry to match a ListAllocations request."""
    return {**host_tags, MANAGED: "true"}
