"""boto3 clients per region and the facts Offer and Allocate reuse: instance types, spot prices, AMIs.

Instance types and AMIs are cached for the provider's lifetime; spot prices for `spot_price_ttl` seconds.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from benchhub.proto.job.v1 import job_pb2
from benchhub.providers.aws.errors import translated
from benchhub.providers.aws.pricing import LINUX_SPOT, architecture

CLIENT_CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, connect_timeout=5, read_timeout=30)
MIB = 1 << 20
T = TypeVar("T")


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    gpus: int
    arch: str

    def resources(self, disk_gib: int) -> job_pb2.Resources:
        return job_pb2.Resources(
            cpu=self.vcpus,
            memory_bytes=self.memory_mib * MIB,
            gpu=self.gpus,
            disk_bytes=disk_gib << 30,
            nodes=1,
            arch=self.arch,
        )


@dataclass(frozen=True)
class SpotPrice:
    price_per_hour: float
    zone: str


@dataclass(frozen=True)
class Image:
    image_id: str
    root_device: str


def _instance_type(info: dict[str, Any]) -> InstanceType:
    gpus = sum(gpu["Count"] for gpu in info.get("GpuInfo", {}).get("Gpus", []))
    return InstanceType(
        name=info["InstanceType"],
        vcpus=info["VCpuInfo"]["DefaultVCpus"],
        memory_mib=info["MemoryInfo"]["SizeInMiB"],
        gpus=gpus,
        arch=architecture(info),
    )


class _Cache:
    """A thread-safe map from a key to a value computed once (or again after `ttl` seconds)."""

    def __init__(self, ttl: float | None = None) -> None:
        self.ttl = ttl
        self._values: dict[Any, tuple[float, Any]] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            cached = self._values.get(key)
            if cached is not None and (self.ttl is None or time.monotonic() - cached[0] < self.ttl):
                value: T = cached[1]
                return value
            fresh = compute()
            self._values[key] = (time.monotonic(), fresh)
            return fresh


class Regions:
    """The AWS side of the provider: one boto3 session, a client per region and service, cached facts."""

    def __init__(
        self, session: boto3.session.Session, endpoint_url: str | None, spot_price_ttl: float
    ) -> None:
        self.session = session
        self.endpoint_url = endpoint_url
        self._clients = _Cache()
        self._types = _Cache()
        self._spot = _Cache(ttl=spot_price_ttl)
        self._images = _Cache()

    def ec2(self, region: str) -> Any:
        def make() -> Any:
            return self.session.client(
                "ec2", region_name=region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
            )

        return self._clients.get(("ec2", region), make)

    def ssm(self, region: str) -> Any:
        def make() -> Any:
            return self.session.client(
                "ssm", region_name=region, endpoint_url=self.endpoint_url, config=CLIENT_CONFIG
            )

        return self._clients.get(("ssm", region), make)

    def instance_types(self, region: str, wanted: Sequence[str]) -> dict[str, InstanceType]:
        """The `wanted` types this region offers, with their resources (cached)."""

        def fetch() -> dict[str, InstanceType]:
            ec2 = self.ec2(region)
            with translated("listing instance types", region=region):
                offered = [
                    offering["InstanceType"]
                    for page in ec2.get_paginator("describe_instance_type_offerings").paginate(
                        LocationType="region", Filters=[{"Name": "instance-type", "Values": list(wanted)}]
                    )
                    for offering in page["InstanceTypeOfferings"]
                ]
                infos = (
                    [
                        info
                        for page in ec2.get_paginator("describe_instance_types").paginate(
                            InstanceTypes=offered
                        )
                        for info in page["InstanceTypes"]
                    ]
                    if offered
                    else []
                )
            return {info["InstanceType"]: _instance_type(info) for info in infos}

        return self._types.get((region, tuple(sorted(wanted))), fetch)

    def spot_prices(self, region: str, wanted: Sequence[str]) -> dict[str, SpotPrice]:
        """The cheapest zone's current spot price per instance type (cached for the spot price TTL)."""

        def fetch() -> dict[str, SpotPrice]:
            cheapest: dict[str, SpotPrice] = {}
            with translated("reading spot prices", region=region):
                pages = (
                    self.ec2(region)
                    .get_paginator("describe_spot_price_history")
                    .paginate(
                        InstanceTypes=list(wanted),
                        ProductDescriptions=[LINUX_SPOT],
                        StartTime=dt.datetime.now(dt.UTC),
                    )
                )
                for page in pages:
                    for record in page["SpotPriceHistory"]:
                        price = SpotPrice(float(record["SpotPrice"]), record["AvailabilityZone"])
                        known = cheapest.get(record["InstanceType"])
                        if known is None or price.price_per_hour < known.price_per_hour:
                            cheapest[record["InstanceType"]] = price
            return cheapest

        return self._spot.get((region, tuple(sorted(wanted))), fetch)

    def image(self, region: str, ami: str | None, parameter: str) -> Image:
        """The AMI to launch (given, or resolved from the SSM public parameter) and its root device."""

        def fetch() -> Image:
            image_id = ami
            if image_id is None:
                with translated(f"resolving the AMI parameter {parameter}", region=region):
                    image_id = self.ssm(region).get_parameter(Name=parameter)["Parameter"]["Value"]
            with translated(f"describing AMI {image_id}", region=region):
                images = self.ec2(region).describe_images(ImageIds=[image_id])["Images"]
            return Image(str(image_id), images[0]["RootDeviceName"])

        return self._images.get((region, ami, parameter), fetch)
