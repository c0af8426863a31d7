"""Allocate failures the scheduler acts on, and that nothing leaks when Allocate fails or is cancelled.

moto cannot run out of capacity, hit a quota, refuse a spot price or credentials: those errors are
INJECTED at the botocore level (a before-call hook on the provider's boto3 session, see cloud.helpers).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from cloud.helpers import benchhub_instances, configured, ec2, inject_error

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk.errors import detail_of

pytest_plugins = ["cloud.fixtures"]

Reason = pb.ErrorDetail.Reason


def allocate(stub: Any, offer_id: str, token: str) -> pb.Allocation:
    events = list(stub.Allocate(pb.AllocateRequest(offer_id=offer_id, idempotency_token=token)))
    return events[-1].allocation


def failure(stub: Any, offer_id: str, token: str = "token-x") -> tuple[grpc.StatusCode, pb.ErrorDetail]:
    with pytest.raises(grpc.RpcError) as raised:
        allocate(stub, offer_id, token)
    detail = detail_of(raised.value)
    assert detail is not None
    return raised.value.code(), detail


def nothing_left(moto: str, key_dir: str) -> None:
    assert benchhub_instances(moto) == []
    assert ec2(moto).describe_key_pairs()["KeyPairs"] == []
    assert list(Path(key_dir).glob("*.pem")) == []


def launched_types(failed: list[dict[str, Any]]) -> list[str]:
    return [body["InstanceType"] for body in failed]


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("InsufficientInstanceCapacity", Reason.REASON_CAPACITY),
        ("VcpuLimitExceeded", Reason.REASON_QUOTA),
        ("InstanceLimitExceeded", Reason.REASON_QUOTA),
    ],
)
def test_capacity_and_quota_are_distinct_and_the_next_offer_still_works(
    stub: Any, session: Any, moto: str, aws_config: dict[str, Any], code: str, reason: int
) -> None:
    # INJECTED: RunInstances of m5.large fails with `code`; other types launch normally.
    failed = inject_error(session, "RunInstances", code, when=lambda body: body["InstanceType"] == "m5.large")
    status, detail = failure(stub, "ondemand:us-east-1::m5.large")
    assert status == grpc.StatusCode.RESOURCE_EXHAUSTED and detail.reason == reason and detail.retryable
    assert detail.metadata["cloud_error"] == code and detail.metadata["instance_type"] == "m5.large"
    assert launched_types(failed) == ["m5.large"]
    nothing_left(moto, aws_config["key_dir"])
    allocation = allocate(stub, "ondemand:us-east-1::c5.large", "token-next")
    assert allocation.instance_type == "c5.large" and len(benchhub_instances(moto)) == 1


def test_a_spot_price_refusal_is_the_price_reason(
    stub: Any, session: Any, moto: str, aws_config: Any
) -> None:
    # INJECTED: the spot market is above what the request allows.
    inject_error(session, "RunInstances", "SpotMaxPriceTooLow", "Your Spot request price is too low")
    offers = stub.Offer(pb.OfferRequest(regions=["us-west-2"], spot=pb.SPOT_POLICY_ONLY)).offers
    spot = next(o for o in offers if o.instance_type == "r5.large")
    status, detail = failure(stub, spot.id)
    assert (status, detail.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, Reason.REASON_PRICE)
    nothing_left(moto, aws_config["key_dir"])


def test_refused_credentials_are_fatal_with_a_clear_message(stub: Any, session: Any, moto: str) -> None:
    # INJECTED: the credentials are refused.
    inject_error(session, "DescribeInstances", "UnauthorizedOperation", "You are not authorized")
    status, detail = failure(stub, "ondemand:us-east-1::t3.micro")
    assert status == grpc.StatusCode.UNAUTHENTICATED and detail.reason == Reason.REASON_AUTH
    assert not detail.retryable and "You are not authorized" in detail.message


def test_an_unknown_offer_is_invalid(stub: Any) -> None:
    status, detail = failure(stub, "ondemand:ap-south-1::m5.large")
    assert (status, detail.reason) == (grpc.StatusCode.INVALID_ARGUMENT, Reason.REASON_INVALID)
    status, detail = failure(stub, "local")
    assert "not an aws offer id" in detail.message


def test_a_cancelled_allocate_releases_what_it_made(
    session: Any, moto: str, aws_config: dict[str, Any], tmp_path: Path
) -> None:
    # The instance never answers SSH (nothing listens on port 9), as when the host gives up early.
    config = {**aws_config, "ssh_host_override": "127.0.0.1:9"}
    with configured(session, config, tmp_path) as stub:
        request = pb.AllocateRequest(offer_id="ondemand:us-east-1::t3.micro", idempotency_token="t")
        call = stub.Allocate(request)
        for event in call:
            if event.progress.message.startswith("waiting for SSH"):
                assert len(benchhub_instances(moto)) == 1
                call.cancel()  # what Ctrl-C in `bh` does to the call
                break
        deadline = time.monotonic() + 15
        while benchhub_instances(moto) and time.monotonic() < deadline:
            time.sleep(0.2)
        nothing_left(moto, aws_config["key_dir"])
