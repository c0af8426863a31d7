"""Where a job ran, as recorded beside its results: the allocation's facts plus the machine's.

Providers describe the machine in `Allocation.metadata` with the keys `cpu_model`, `cores` and
`kernel`; for the local provider, whose machine is this one, missing facts are read here.
"""

from __future__ import annotations

import os
import platform
from functools import cache
from pathlib import Path

from benchhub.host.state import Environment
from benchhub.proto.provider.v1 import provider_pb2 as pb

LOCAL_PROVIDER = "local"


FACTS = ("cpu_model", "cores", "kernel")


@cache
def this_machine() -> dict[str, str]:
    """cpu_model, cores and kernel of the machine bh runs on."""
    facts = {"cores": str(os.cpu_count() or 0), "kernel": platform.release()}
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                facts["cpu_model"] = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    if "cpu_model" not in facts:  # platform.processor() may run `uname -p`
        facts["cpu_model"] = platform.processor() or platform.machine()
    return facts


def environment_of(provider: str, allocation: pb.Allocation) -> Environment:
    """The environment to store for a job that ran on `allocation` of `provider`."""
    facts = {k: v for k, v in allocation.metadata.items() if k in FACTS}
    if provider == LOCAL_PROVIDER and len(facts) < len(FACTS):
        facts = {**this_machine(), **facts}
    price = allocation.price_per_hour if allocation.HasField("price_per_hour") else None
    cores = facts.get("cores", "")
    return Environment(
        cpu_model=facts.get("cpu_model"),
        cores=int(cores) if cores.isdigit() else None,
        kernel=facts.get("kernel"),
        provider=provider,
        offer_id=allocation.offer_id or None,
        instance_type=allocation.instance_type or None,
        price_per_hour=price.amount if price else None,
        currency=price.currency if price else None,
    )
