"""The EC2 price catalog: the bundled snapshot, and `refresh` rebuilding it from AWS.

On-demand prices come from the AWS Price List API (`pricing` GetProducts: Linux, shared tenancy, no
pre-installed software, capacity status Used); vCPUs, memory and GPUs from the same products; the
architecture from EC2 DescribeInstanceTypes; the typical spot price is the median over the region's
zones of EC2 DescribeSpotPriceHistory's latest prices.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchhub.providers.sdk.vm.catalog import CatalogEntry, PriceCatalog, load

BUNDLED = Path(__file__).parent / "catalog" / "ec2-prices.csv"
PRICING_REGION = "us-east-1"  # the Price List API answers from here for every region
PRODUCT_FILTERS = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
    "licenseModel": "No License required",
}
LINUX_SPOT = "Linux/UNIX"
REFRESH_SOURCE = (
    "AWS Price List API (GetProducts: Linux, shared tenancy) for on-demand prices and resources; "
    "median of EC2 DescribeSpotPriceHistory's latest Linux/UNIX price per zone for spot"
)


def bundled() -> PriceCatalog:
    return load(BUNDLED)


@dataclass(frozen=True)
class Product:
    region: str
    instance_type: str
    vcpus: int
    memory_mib: int
    gpus: int
    on_demand_per_hour: float


def product_filters(region: str, instance_type: str | None = None) -> list[dict[str, str]]:
    wanted = {**PRODUCT_FILTERS, "regionCode": region}
    if instance_type:
        wanted["instanceType"] = instance_type
    return [{"Type": "TERM_MATCH", "Field": field, "Value": value} for field, value in wanted.items()]


def parse_product(price_item: str) -> Product | None:
    """One GetProducts `PriceList` item (a JSON document); None when it has no hourly USD on-demand price."""
    item = json.loads(price_item)
    attributes: Mapping[str, str] = item["product"]["attributes"]
    hourly = [
        float(dimension["pricePerUnit"]["USD"])
        for term in item.get("terms", {}).get("OnDemand", {}).values()
        for dimension in term["priceDimensions"].values()
        if dimension.get("unit") == "Hrs" and "USD" in dimension.get("pricePerUnit", {})
    ]
    if not hourly:
        return None
    memory, _, unit = attributes["memory"].replace(",", "").partition(" ")
    return Product(
        region=attributes["regionCode"],
        instance_type=attributes["instanceType"],
        vcpus=int(attributes["vcpu"]),
        memory_mib=round(float(memory) * (1024 if unit.strip() == "GiB" else 1)),
        gpus=int(attributes.get("gpu", "0") or 0),
        on_demand_per_hour=max(hourly),
    )


def typical_spot(history: Iterable[Mapping[str, Any]]) -> float | None:
    """Median over zones of each zone's latest spot price in a DescribeSpotPriceHistory answer."""
    latest: dict[str, Mapping[str, Any]] = {}
    for record in history:
        zone = record["AvailabilityZone"]
        if zone not in latest or record["Timestamp"] > latest[zone]["Timestamp"]:
            latest[zone] = record
    prices = [float(record["SpotPrice"]) for record in latest.values()]
    return statistics.median(prices) if prices else None


def architecture(instance_type_info: Mapping[str, Any]) -> str:
    supported = instance_type_info["ProcessorInfo"]["SupportedArchitectures"]
    return "x86_64" if "x86_64" in supported else str(supported[0])


def refresh(
    pricing: Any,
    ec2_by_region: Mapping[str, Any],
    instance_types: Sequence[str],
    today: dt.date,
) -> PriceCatalog:
    """A new catalog for `instance_types` in every region of `ec2_by_region` (boto3 clients)."""
    entries = []
    for region, ec2 in ec2_by_region.items():
        infos = ec2.describe_instance_types(InstanceTypes=list(instance_types))["InstanceTypes"]
        arch = {info["InstanceType"]: architecture(info) for info in infos}
        for instance_type in instance_types:
            pages = pricing.get_paginator("get_products").paginate(
                ServiceCode="AmazonEC2", Filters=product_filters(region, instance_type)
            )
            products = [p for page in pages for item in page["PriceList"] if (p := parse_product(item))]
            if not products or instance_type not in arch:
                continue
            product = max(products, key=lambda p: p.on_demand_per_hour)
            history = ec2.get_paginator("describe_spot_price_history").paginate(
                InstanceTypes=[instance_type],
                ProductDescriptions=[LINUX_SPOT],
                StartTime=dt.datetime.now(dt.UTC),
            )
            spot = typical_spot(record for page in history for record in page["SpotPriceHistory"])
            entries.append(
                CatalogEntry(
                    region=region,
                    instance_type=instance_type,
                    vcpus=product.vcpus,
                    memory_mib=product.memory_mib,
                    gpus=product.gpus,
                    arch=arch[instance_type],
                    on_demand_per_hour=product.on_demand_per_hour,
                    spot_per_hour=spot,
                )
            )
    return PriceCatalog(REFRESH_SOURCE, today, "USD", tuple(entries))
