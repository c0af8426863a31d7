"""Classifying cloud errors: capacity and quota stay distinct, auth is fatal, throttling transient."""

from __future__ import annotations

import botocore.exceptions
import grpc
import pytest

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.aws.errors import EC2_ERRORS, translated
from benchhub.providers.sdk import errors
from benchhub.providers.sdk.vm.tags import allocation_name, cloud_tags, host_tags, tag_filter

Reason = pb.ErrorDetail.Reason


@pytest.mark.parametrize(
    ("code", "reason", "status"),
    [
        ("InsufficientInstanceCapacity", Reason.REASON_CAPACITY, grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("VcpuLimitExceeded", Reason.REASON_QUOTA, grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("InstanceLimitExceeded", Reason.REASON_QUOTA, grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("SpotMaxPriceTooLow", Reason.REASON_PRICE, grpc.StatusCode.RESOURCE_EXHAUSTED),
        ("AuthFailure", Reason.REASON_AUTH, grpc.StatusCode.UNAUTHENTICATED),
        ("UnauthorizedOperation", Reason.REASON_AUTH, grpc.StatusCode.UNAUTHENTICATED),
        ("RequestLimitExceeded", Reason.REASON_TRANSIENT, grpc.StatusCode.UNAVAILABLE),
        ("InvalidAMIID.NotFound", Reason.REASON_INVALID, grpc.StatusCode.INVALID_ARGUMENT),
        ("InvalidInstanceID.NotFound", Reason.REASON_NOT_FOUND, grpc.StatusCode.NOT_FOUND),
        ("SomethingNew", Reason.REASON_UNSPECIFIED, grpc.StatusCode.INTERNAL),
    ],
)
def test_ec2_codes_map_onto_protocol_reasons(code: str, reason: int, status: grpc.StatusCode) -> None:
    error = EC2_ERRORS.classify(code, "launching m5.large", region="us-east-1")
    assert (error.reason, error.code) == (reason, status)
    assert error.metadata == {"cloud_error": code, "region": "us-east-1"}
    assert error.message == f"AWS: {code}: launching m5.large"


def test_price_errors_are_their_own_reason_and_fail_over() -> None:
    error = errors.PriceError("spot above the maximum")
    assert error.detail().reason == Reason.REASON_PRICE and error.retryable
    assert error.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_botocore_exceptions_become_provider_errors() -> None:
    response = {"Error": {"Code": "VcpuLimitExceeded", "Message": "You have requested more vCPU capacity"}}
    with pytest.raises(errors.QuotaError, match="launching: You have requested more vCPU"), translated(
        "launching", region="eu-west-1"
    ):
        raise botocore.exceptions.ClientError(response, "RunInstances")  # type: ignore[arg-type]
    with pytest.raises(errors.AuthError, match=r"no usable credentials.*chain"), translated("listing"):
        raise botocore.exceptions.NoCredentialsError()
    with pytest.raises(errors.TransientError), translated("listing"):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="http://127.0.0.1:9")


def test_tags_carry_bookkeeping_and_give_back_only_the_hosts_own() -> None:
    name = allocation_name("token-1")
    assert name == allocation_name("token-1") != allocation_name("token-2")
    given = {"benchhub:run": "r1", "benchhub:job": "j1"}  # the host names its tags itself
    tags = cloud_tags(name, "token-1", "ondemand:us-east-1::m5.large", 0.096, given)
    assert tags["benchhub:managed"] == "true"
    assert tags["benchhub:allocation"] == name
    assert tags["benchhub:token"] == "token-1"
    assert tags["benchhub:run"] == "r1"
    shown = {**given, "benchhub:managed": "true", "benchhub:token": "token-1"}
    assert host_tags({**tags, "Name": name}) == shown
    assert tag_filter({"benchhub:run": "r1"}) == {"benchhub:managed": "true", "benchhub:run": "r1"}
