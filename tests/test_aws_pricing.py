"""`bh-provider-aws refresh`: rebuilding the catalog from the Price List API and the spot price history.

No network here: the Price List API answers from a CONSTRUCTED response (cloud/pricing_get_products.json, in
the API's documented shape, not recorded from AWS) through botocore's Stubber; EC2 is moto's server.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber
from cloud.helpers import ec2

from benchhub.providers.aws import pricing
from benchhub.providers.sdk.vm.catalog import load

pytest_plugins = ["cloud.fixtures"]

CONSTRUCTED = json.loads((Path(__file__).parent / "cloud" / "pricing_get_products.json").read_text())


def test_a_price_list_item_gives_resources_and_the_hourly_on_demand_price() -> None:
    product = pricing.parse_product(CONSTRUCTED["g4dn.xlarge"]["PriceList"][0])
    assert product == pricing.Product("us-east-1", "g4dn.xlarge", 4, 16384, 1, 0.526)
    assert pricing.parse_product(CONSTRUCTED["m5.large"]["PriceList"][1]) is None  # no hourly USD term


def test_typical_spot_is_the_median_of_each_zones_latest_price() -> None:
    def record(zone: str, price: str, hour: int) -> dict[str, Any]:
        return {"AvailabilityZone": zone, "SpotPrice": price, "Timestamp": dt.datetime(2026, 11, 1, hour)}

    history = [record("a", "0.9", 1), record("a", "0.03", 5), record("b", "0.04", 2), record("c", "0.05", 3)]
    assert pricing.typical_spot(history) == 0.04
    assert pricing.typical_spot([]) is None


def test_refresh_writes_a_dated_catalog(moto: str, tmp_path: Path) -> None:
    client = boto3.client("pricing", region_name=pricing.PRICING_REGION)
    with Stubber(client) as stub:
        for instance_type in ("g4dn.xlarge", "m5.large"):
            filters = pricing.product_filters("us-east-1", instance_type)
            expected = {"ServiceCode": "AmazonEC2", "Filters": filters}
            stub.add_response("get_products", CONSTRUCTED[instance_type], expected)
        catalog = pricing.refresh(
            client, {"us-east-1": ec2(moto)}, ["g4dn.xlarge", "m5.large"], dt.date(2026, 11, 26)
        )
        stub.assert_no_pending_responses()
    catalog.write(tmp_path / "prices.csv")
    written = load(tmp_path / "prices.csv")
    assert written.as_of == dt.date(2026, 11, 26)
    assert "Price List API" in written.source
    m5 = written.get("us-east-1", "m5.large")
    assert m5 is not None
    assert (m5.vcpus, m5.memory_mib, m5.gpus, m5.arch, m5.on_demand_per_hour) == (2, 8192, 0, "x86_64", 0.096)
    assert m5.spot_per_hour is not None  # moto's spot price history
    gpu = written.get("us-east-1", "g4dn.xlarge")
    assert gpu is not None and gpu.gpus == 1 and gpu.on_demand_per_hour == 0.526


def test_refresh_filters_asks_for_linux_shared_tenancy_on_demand() -> None:
    fields = {f["Field"]: f["Value"] for f in pricing.product_filters("eu-west-1", "c5.large")}
    assert fields == {
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
        "licenseModel": "No License required",
        "regionCode": "eu-west-1",
        "instanceType": "c5.large",
    }
