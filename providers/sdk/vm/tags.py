"""Tagging conventions: every cloud object BenchHub makes carries these tags.

`benchhub:managed=true` marks the object as BenchHub's; `benchhub:allocation` and `benchhub:token` tie it to
one allocation and its idempotency token; the host's own tags (run, job, ...) are stored under
`benchhub:<key>`. Listing by tag (ListAllocations, `bh gc`) relies on nothing else.
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
RESERVED = frozenset({MANAGED, ALLOCATION, TOKEN, OFFER, PRICE})


def allocation_name(token: str) -> str:
    """A short, cloud-safe name derived from an idempotency token (same token, same name)."""
    return "bh-" + hashlib.sha256(token.encode()).hexdigest()[:20]


def cloud_tags(
    allocation: str, token: str, offer: str, price_per_hour: float, host_tags: Mapping[str, str]
) -> dict[str, str]:
    """The tags to put on every object of one allocation."""
    tags = {PREFIX + key: value for key, value in host_tags.items()}
    tags.update(
        {MANAGED: "true", ALLOCATION: allocation, TOKEN: token, OFFER: offer, PRICE: f"{price_per_hour:.6g}"}
    )
    return tags


def host_tags(tags: Mapping[str, str]) -> dict[str, str]:
    """The host's tags back out of a cloud object's tags (BenchHub's own bookkeeping tags left out)."""
    return {
        key.removeprefix(PREFIX): value
        for key, value in tags.items()
        if key.startswith(PREFIX) and key not in RESERVED
    }


def tag_filter(host_tags: Mapping[str, str]) -> dict[str, str]:
    """The cloud tags an object must carry to match a ListAllocations request."""
    return {MANAGED: "true", **{PREFIX + key: value for key, value in host_tags.items()}}
