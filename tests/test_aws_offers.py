"""The aws provider's schema, configuration and offers, over a real gRPC channel, against moto's server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import boto3
import grpc
import pytest
from cloud.helpers import REGIONS, configured, inject_error, serving, struct

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.aws import pricing
from benchhub.providers.aws.provider import AwsProvider
from benchhub.providers.sdk.errors import detail_of
from benchhub.providers.sdk.vm.catalog import PriceCatalog

pytest_plugins = ["cloud.fixtures"]

GIB = 1 << 30
Severity = pb.Diagnostic.Severity


def count_calls(session: boto3.session.Session) -> list[str]:
    calls: list[str] = []
    session.events.register("before-call.ec2", lambda model, **_: calls.append(model.name))
    return calls


def test_schema_declares_vm_runtime_spot_and_per_second_billing(tmp_path: Path) -> None:
    with serving(AwsProvider(), tmp_path) as provider:
        schema = provider.GetSchema(pb.GetSchemaRequest())
    assert schema.name == "aws"
    assert list(schema.capabilities.runtimes) == [pb.Capabilities.RUNTIME_VM]
    assert schema.capabilities.spot and not schema.capabilities.multi_node
    assert (schema.billing.granularity.seconds, schema.billing.minimum.seconds) == (1, 60)
    attributes = {a.name: a for a in schema.config}
    assert {"regions", "endpoint_url", "ssh_host_override", "ssh_cidr", "spot"} <= set(attributes)
    assert not any(a.sensitive for a in schema.config)  # credentials never pass through BenchHub


def test_configure_reports_problems_as_diagnostics(tmp_path: Path) -> None:
    with serving(AwsProvider(), tmp_path) as provider:
        config = struct({"regions": [], "colour": "blue", "ssh_host_override": "nohost", "spot": "yes"})
        diagnostics = provider.Configure(pb.ConfigureRequest(config=config)).diagnostics
        with pytest.raises(grpc.RpcError) as raised:
            provider.Offer(pb.OfferRequest())
    problems = {(tuple(d.attribute_path), d.summary) for d in diagnostics}
    assert problems == {
        (("colour",), "unknown attribute 'colour'"),
        (("spot",), "spot must be a bool"),
        (("ssh_host_override",), "ssh_host_override must be host:port"),
        (("regions",), "regions must name at least one region"),
        (("ssh_cidr",), "set ssh_cidr (e.g. your public IP/32) or security_group_id"),
    }
    assert all(d.severity == Severity.SEVERITY_ERROR for d in diagnostics)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "not configured" in str(raised.value.details())


def test_offers_cover_every_region_and_catalog_type_on_demand_and_spot(stub: Any) -> None:
    response = stub.Offer(pb.OfferRequest(spot=pb.SPOT_POLICY_ALLOW))
    catalog = pricing.bundled()
    assert len(response.offers) == 2 * len(catalog.entries)
    assert {o.region for o in response.offers} == set(REGIONS)
    m5 = {o.spot: o for o in response.offers if o.region == "us-east-1" and o.instance_type == "m5.large"}
    on_demand, spot = m5[False], m5[True]
    assert on_demand.price_per_hour == pb.Money(amount=0.096, currency="USD")
    assert on_demand.id == "ondemand:us-east-1::m5.large"
    assert on_demand.resources.cpu == 2 and on_demand.resources.memory_bytes == 8 * GIB
    assert on_demand.resources.disk_bytes == 30 * GIB and on_demand.resources.arch == "x86_64"
    assert spot.zone.startswith("us-east-1") and spot.id == f"spot:us-east-1:{spot.zone}:m5.large"
    assert spot.interruption_rate > 0 and spot.startup_estimate.seconds > 0
    assert spot.expires_at.ToDatetime(dt.UTC) > dt.datetime.now(dt.UTC)


def test_offers_fit_the_requirements_regions_and_spot_policy(stub: Any) -> None:
    big = job_pb2.Resources(cpu=40, memory_bytes=400 * GIB)
    request = pb.OfferRequest(min_resources=big, regions=["eu-west-1"], spot=pb.SPOT_POLICY_NEVER)
    offers = stub.Offer(request).offers
    assert {o.instance_type for o in offers} == {"r5.16xlarge", "r5.24xlarge"}
    assert {o.region for o in offers} == {"eu-west-1"} and not any(o.spot for o in offers)
    gpu = stub.Offer(pb.OfferRequest(min_resources=job_pb2.Resources(gpu=2), spot=pb.SPOT_POLICY_ONLY)).offers
    assert {o.instance_type for o in gpu} == {"g4dn.12xlarge"} and all(o.spot for o in gpu)
    assert stub.Offer(pb.OfferRequest(min_resources=job_pb2.Resources(arch="arm64"))).offers == []


def test_a_stale_catalog_is_a_warning_in_the_offer_response(stub: Any, aws_config: dict[str, Any]) -> None:
    diagnostics = stub.Offer(pb.OfferRequest()).diagnostics
    assert [d.severity for d in diagnostics] == [Severity.SEVERITY_WARNING]
    assert diagnostics[0].summary.startswith("price catalog is ")
    assert "bh-provider-aws refresh" in diagnostics[0].detail


def test_a_fresh_catalog_gives_no_warning(session: Any, aws_config: dict[str, Any], tmp_path: Path) -> None:
    bundled = pricing.bundled()
    PriceCatalog("a test", dt.date.today(), "USD", bundled.entries).write(tmp_path / "fresh.csv")
    with configured(session, {**aws_config, "catalog": str(tmp_path / "fresh.csv")}, tmp_path) as provider:
        response = provider.Offer(pb.OfferRequest())
    assert list(response.diagnostics) == [] and len(response.offers) == len(bundled.entries)


def test_instance_types_are_cached_and_spot_prices_reused_within_their_ttl(stub: Any, session: Any) -> None:
    calls = count_calls(session)
    stub.Offer(pb.OfferRequest(spot=pb.SPOT_POLICY_ALLOW))
    assert sorted(set(calls)) == [
        "DescribeInstanceTypeOfferings",
        "DescribeInstanceTypes",
        "DescribeSpotPriceHistory",
    ]
    calls.clear()
    stub.Offer(pb.OfferRequest(spot=pb.SPOT_POLICY_ALLOW))
    assert calls == []


def test_spot_prices_expire(session: Any, aws_config: dict[str, Any], tmp_path: Path) -> None:
    calls = count_calls(session)
    with configured(session, {**aws_config, "spot_price_ttl_seconds": 0}, tmp_path) as provider:
        provider.Offer(pb.OfferRequest(spot=pb.SPOT_POLICY_ALLOW))
        calls.clear()
        provider.Offer(pb.OfferRequest(spot=pb.SPOT_POLICY_ALLOW))
    assert set(calls) == {"DescribeSpotPriceHistory"}


def test_failing_spot_prices_leave_on_demand_offers_and_say_so(stub: Any, session: Any) -> None:
    # INJECTED: moto's spot price history never fails; throttle it at the botocore level.
    inject_error(session, "DescribeSpotPriceHistory", "RequestLimitExceeded", status=503)
    response = stub.Offer(pb.OfferRequest(spot=pb.SPOT_POLICY_ALLOW))
    assert response.offers and not any(o.spot for o in response.offers)
    spot_warnings = [d for d in response.diagnostics if "no spot offers" in d.summary]
    assert len(spot_warnings) == len(REGIONS)
    assert "RequestLimitExceeded" in spot_warnings[0].detail


def test_refused_credentials_fail_the_offer_with_the_auth_reason(stub: Any, session: Any) -> None:
    # INJECTED: moto accepts any credentials; refuse them at the botocore level.
    inject_error(session, "DescribeInstanceTypeOfferings", "AuthFailure", "AWS was not able to validate")
    with pytest.raises(grpc.RpcError) as raised:
        stub.Offer(pb.OfferRequest())
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED
    detail = detail_of(raised.value)
    assert detail is not None and detail.reason == pb.ErrorDetail.REASON_AUTH
    assert "AWS: AuthFailure: listing instance types: AWS was not able to validate" in detail.message
