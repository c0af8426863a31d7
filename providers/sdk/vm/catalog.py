"""The price catalog: a bundled, dated CSV snapshot of one cloud's instance types and prices.

File format (UTF-8 CSV; `#` lines before the header are metadata, `key: value`):

    # source: <where the figures come from>
    # as_of: 2024-12-01
    # currency: USD
    region,instance_type,vcpus,memory_mib,gpus,arch,on_demand_per_hour,spot_per_hour
    us-east-1,m5.large,2,8192,0,x86_64,0.096,0.0350

`spot_per_hour` is a typical spot price (empty when unknown); live spot prices come from the cloud at offer
time. A catalog older than its provider's threshold makes `Offer` return a warning Diagnostic.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from benchhub.proto.provider.v1 import provider_pb2 as pb

COLUMNS = (
    "region",
    "instance_type",
    "vcpus",
    "memory_mib",
    "gpus",
    "arch",
    "on_demand_per_hour",
    "spot_per_hour",
)


class CatalogError(Exception):
    """A catalog file that cannot be read."""


@dataclass(frozen=True)
class CatalogEntry:
    region: str
    instance_type: str
    vcpus: int
    memory_mib: int
    gpus: int
    arch: str
    on_demand_per_hour: float
    spot_per_hour: float | None

    def row(self) -> list[str]:
        spot = "" if self.spot_per_hour is None else f"{self.spot_per_hour:.6g}"
        return [
            self.region,
            self.instance_type,
            str(self.vcpus),
            str(self.memory_mib),
            str(self.gpus),
            self.arch,
            f"{self.on_demand_per_hour:.6g}",
            spot,
        ]


@dataclass(frozen=True)
class PriceCatalog:
    source: str
    as_of: dt.date
    currency: str
    entries: tuple[CatalogEntry, ...]
    _index: dict[tuple[str, str], CatalogEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {(e.region, e.instance_type): e for e in self.entries})

    def get(self, region: str, instance_type: str) -> CatalogEntry | None:
        return self._index.get((region, instance_type))

    def in_region(self, region: str) -> list[CatalogEntry]:
        return [e for e in self.entries if e.region == region]

    def regions(self) -> list[str]:
        return sorted({e.region for e in self.entries})

    def age(self, today: dt.date) -> dt.timedelta:
        return today - self.as_of

    def staleness(self, max_age: dt.timedelta, today: dt.date, refresh_hint: str) -> pb.Diagnostic | None:
        """A warning when the catalog is older than `max_age`, else None."""
        age = self.age(today)
        if age <= max_age:
            return None
        return pb.Diagnostic(
            severity=pb.Diagnostic.SEVERITY_WARNING,
            summary=f"price catalog is {age.days} days old (as of {self.as_of.isoformat()})",
            detail=(
                f"On-demand prices come from a snapshot older than {max_age.days} days ({self.source}); "
                f"estimates may be wrong. Rebuild it with `{refresh_hint}`."
            ),
            attribute_path=["catalog"],
        )

    def dumps(self) -> str:
        out = io.StringIO()
        meta = {"source": self.source, "as_of": self.as_of.isoformat(), "currency": self.currency}
        out.writelines(f"# {key}: {value}\n" for key, value in meta.items())
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for entry in sorted(self.entries, key=lambda e: (e.region, e.instance_type)):
            writer.writerow(entry.row())
        return out.getvalue()

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.dumps(), encoding="utf-8")
        tmp.replace(path)


def loads(text: str, origin: str = "<catalog>") -> PriceCatalog:
    lines = text.splitlines()
    body_start = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    pairs = (line[1:].partition(":") for line in lines[:body_start])
    meta = {key.strip(): value.strip() for key, _, value in pairs}
    try:
        as_of = dt.date.fromisoformat(meta["as_of"])
        rows = csv.DictReader(lines[body_start:])
        if tuple(rows.fieldnames or ()) != COLUMNS:
            raise CatalogError(f"{origin}: header must be {','.join(COLUMNS)}")
        entries = tuple(_entry(row) for row in rows)
    except KeyError as missing:
        raise CatalogError(f"{origin}: missing '# {missing.args[0]}:' line") from None
    except ValueError as bad:
        raise CatalogError(f"{origin}: {bad}") from None
    return PriceCatalog(meta.get("source", "unknown"), as_of, meta.get("currency", "USD"), entries)


def load(path: Path) -> PriceCatalog:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise CatalogError(f"cannot read price catalog {path}: {err.strerror}") from None
    return loads(text, str(path))


def _entry(row: dict[str, str]) -> CatalogEntry:
    spot = row["spot_per_hour"]
    return CatalogEntry(
        region=row["region"],
        instance_type=row["instance_type"],
        vcpus=int(row["vcpus"]),
        memory_mib=int(row["memory_mib"]),
        gpus=int(row["gpus"]),
        arch=row["arch"],
        on_demand_per_hour=float(row["on_demand_per_hour"]),
        spot_per_hour=float(spot) if spot else None,
    )
