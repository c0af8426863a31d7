"""Helpers of the cloud tests: boto3 clients on moto, a provider on a real gRPC server, injected errors.

`inject_error`: errors moto cannot produce (capacity, quota, price, auth) are injected at the botocore
level, by a `before-call` event hook on the provider's boto3 session. Tests using it say so.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import grpc
from botocore.awsrequest import AWSResponse
from google.protobuf import struct_pb2

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.proto.provider.v1 import provider_pb2_grpc
from benchhub.providers.aws.provider import AwsProvider
from benchhub.providers.sdk.interceptor import ErrorInterceptor

REGIONS = ("us-east-1", "us-west-2", "eu-west-1")

def ec2(endpoint: str, region: str = "us-east-1") -> Any:
    """A boto3 EC2 client on moto for the tests' own checks (and for playing AWS: a spot interruption)."""
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint)


def benchhub_instances(
    endpoint: str, states: tuple[str, ...] = ("pending", "running")
) -> list[dict[str, Any]]:
    found = []
    for region in REGIONS:
        reservations = ec2(endpoint, region).describe_instances(
            Filters=[
                {"Name": "tag:benchhub:managed", "Values": ["true"]},
                {"Name": "instance-state-name", "Values": list(states)},
            ]
        )["Reservations"]
        found += [instance for r in reservations for instance in r["Instances"]]
    return found


@dataclass(frozen=True)
class Sshd:
    host: str
    port: int
    user: str


def struct(values: dict[str, Any]) -> struct_pb2.Struct:
    built = struct_pb2.Struct()
    built.update(values)
    return built


@contextlib.contextmanager
def serving(provider: provider_pb2_grpc.ProviderServicer, socket_dir: Path) -> Iterator[Any]:
    """`provider` on a real gRPC server (the SDK's error interceptor) over a unix socket; yields a stub."""
    server = grpc.server(futures.ThreadPoolExecutor(16), interceptors=[ErrorInterceptor()])
    provider_pb2_grpc.add_ProviderServicer_to_server(provider, server)
    address = f"unix:{socket_dir / 'provider.sock'}"
    server.add_insecure_port(address)
    server.start()
    channel = grpc.insecure_channel(address)
    try:
        yield provider_pb2_grpc.ProviderStub(channel)
    finally:
        channel.close()
        server.stop(None)


@contextlib.contextmanager
def configured(session: boto3.session.Session, config: dict[str, Any], socket_dir: Path) -> Iterator[Any]:
    """The aws provider, making its AWS calls through `session`, `serving` and configured with `config`
    (which must draw no diagnostics); yields its stub."""
    with serving(AwsProvider(lambda _profile: session), socket_dir) as stub:
        assert list(stub.Configure(pb.ConfigureRequest(config=struct(config))).diagnostics) == []
        yield stub


ErrorWhen = Callable[[dict[str, Any]], bool]


def inject_error(
    session: boto3.session.Session,
    operation: str,
    code: str,
    message: str = "injected by the test",
    when: ErrorWhen = lambda _: True,
    status: int = 400,
) -> list[dict[str, Any]]:
    """INJECTED ERROR: make `operation` (e.g. "RunInstances") fail with AWS error `code` whenever `when(body)`
    holds for the request's parameters. Returns the list of requests that were failed."""
    failed: list[dict[str, Any]] = []

    def fail(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = params.get("body", {})
        if not when(body):
            return None
        failed.append(body)
        response = AWSResponse("https://injected.invalid/", status, {}, None)
        return response, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {}}

    session.events.register(f"before-call.ec2.{operation}", fail)
    return failed
