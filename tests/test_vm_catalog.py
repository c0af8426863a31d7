"""The VM kit's price catalog: the bundled EC2 snapshot, the file format, the staleness warning."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.aws import pricing
from benchhub.providers.sdk.vm.catalog import CatalogEntry, CatalogError, PriceCatalog, load, loads

ENTRY = CatalogEntry("us-east-1", "m5.large", 2, 8192, 0, "x86_64", 0.096, None)


def test_bundled_ec2_catalog_covers_three_regions_and_five_families() -> None:
    catalog = pricing.bundled()
    assert catalog.regions() == ["eu-west-1", "us-east-1", "us-west-2"]
    assert catalog.currency == "USD"
    assert "hand-transcribed" in catalog.source
    families = {e.instance_type.split(".")[0] for e in catalog.entries}
    assert families == {"t3", "m5", "c5", "r5", "g4dn"}
    m5 = catalog.get("us-east-1", "m5.large")
    assert m5 is not None and (m5.vcpus, m5.memory_mib, m5.gpus, m5.on_demand_per_hour) == (2, 8192, 0, 0.096)
    gpu = catalog.get("us-west-2", "g4dn.xlarge")
    assert gpu is not None and gpu.gpus == 1
    for entry in catalog.entries:
        assert entry.spot_per_hour is not None and 0 < entry.spot_per_hour < entry.on_demand_per_hour


def test_catalog_round_trips_through_its_file(tmp_path: Path) -> None:
    catalog = PriceCatalog("a test", dt.date(2026, 1, 2), "USD", (ENTRY,))
    catalog.write(tmp_path / "prices.csv")
    again = load(tmp_path / "prices.csv")
    assert again == catalog
    assert again.get("us-east-1", "m5.large") == ENTRY
    assert again.get("us-east-1", "m5.xlarge") is None


def test_staleness_is_a_warning_diagnostic_only_past_the_threshold() -> None:
    catalog = PriceCatalog("a test", dt.date(2026, 1, 1), "USD", (ENTRY,))
    limit = dt.timedelta(days=30)
    assert catalog.staleness(limit, dt.date(2026, 1, 31), "refresh-it") is None
    stale = catalog.staleness(limit, dt.date(2026, 3, 1), "refresh-it")
    assert stale is not None
    assert stale.severity == pb.Diagnostic.SEVERITY_WARNING
    assert stale.summary == "price catalog is 59 days old (as of 2026-01-01)"
    assert "refresh-it" in stale.detail


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("region,instance_type\n", "missing '# as_of:' line"),
        ("# as_of: 2026-01-01\nregion,instance_type\n", "header must be"),
        (
            "# as_of: 2026-01-01\n"
            "region,instance_type,vcpus,memory_mib,gpus,arch,on_demand_per_hour,spot_per_hour\n"
            "us-east-1,m5.large,two,8192,0,x86_64,0.096,\n",
            "invalid literal",
        ),
    ],
)
def test_a_broken_catalog_is_one_clear_error(text: str, problem: str) -> None:
    with pytest.raises(CatalogError, match=problem):
        loads(text, "prices.csv")


def test_an_unreadable_catalog_names_its_path(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"cannot read price catalog .*missing\.csv"):
        load(tmp_path / "missing.csv")
