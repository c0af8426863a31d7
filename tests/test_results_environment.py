from __future__ import annotations

import os
import platform

from benchhub.host.results.environment import environment_of, this_machine
from benchhub.proto.provider.v1 import provider_pb2 as pb


def test_local_allocation_gets_this_machine() -> None:
    allocation = pb.Allocation(id="a1", offer_id="local-2cpu", instance_type="this-machine",
                               price_per_hour=pb.Money(amount=0.0, currency="USD"))
    env = environment_of("local", allocation)
    assert (env.provider, env.offer_id, env.instance_type) == ("local", "local-2cpu", "this-machine")
    assert (env.price_per_hour, env.currency) == (0.0, "USD")
    assert env.cores == os.cpu_count() and env.kernel == platform.release()
    assert env.cpu_model == this_machine()["cpu_model"] and env.cpu_model


def test_remote_allocation_uses_the_provider_facts_only() -> None:
    allocation = pb.Allocation(
        offer_id="c7a.large/eu-west-1a/spot", instance_type="c7a.large",
        price_per_hour=pb.Money(amount=0.0387, currency="USD"),
        metadata={"cpu_model": "AMD EPYC 9R14", "cores": "2", "kernel": "6.8.0-aws", "instance_id": "i-1"},
    )
    env = environment_of("aws", allocation)
    assert (env.cpu_model, env.cores, env.kernel) == ("AMD EPYC 9R14", 2, "6.8.0-aws")
    assert (env.instance_type, env.price_per_hour) == ("c7a.large", 0.0387)
    bare = environment_of("aws", pb.Allocation(offer_id="x"))
    assert (bare.cpu_model, bare.cores, bare.price_per_hour) == (None, None, None)
