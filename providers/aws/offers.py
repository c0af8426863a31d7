"""Offers: every configured region x instance type that fits, on-demand (catalog price) and spot (live price).

An offer id names what Allocate launches, so it needs no server-side state:
`ondemand:<region>::<type>` or `spot:<region>:<zone>:<type>` (spot in the zone that was cheapest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from google.protobuf import duration_pb2, timestamp_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.aws.config import AwsConfig
from benchhub.providers.aws.regions import InstanceType, Regions, SpotPrice
from benchhub.providers.sdk.errors import AuthError, InvalidError, ProviderError
from benchhub.providers.sdk.vm.catalog import PriceCatalog

ON_DEMAND_STARTUP = dt.timedelta(seconds=90)
SPOT_STARTUP = dt.timedelta(seconds=120)
ON_DEMAND_OFFER_LIFETIME = dt.timedelta(hours=1)
REFRESH_HINT = "bh-provider-aws refresh"


@dataclass(frozen=True)
class OfferKey:
    market: str  # "ondemand" or "spot"
    region: str
    zone: str
    instance_type: str

    @property
    def spot(self) -> bool:
        return self.market == "spot"

    def encode(self) -> str:
        return f"{self.market}:{self.region}:{self.zone}:{self.instance_type}"

    @classmethod
    def decode(cls, offer_id: str) -> OfferKey:
        parts = offer_id.split(":")
        if len(parts) != 4 or parts[0] not in ("ondemand", "spot") or not parts[1] or not parts[3]:
            raise InvalidError(f"not an aws offer id: {offer_id!r}")
        return cls(*parts)


def fits(offered: job_pb2.Resources, needed: job_pb2.Resources) -> bool:
    return (
        offered.cpu >= needed.cpu
        and offered.memory_bytes >= needed.memory_bytes
        and offered.gpu >= needed.gpu
        and offered.disk_bytes >= needed.disk_bytes
        and needed.nodes <= 1
        and (not needed.arch or needed.arch == offered.arch)
    )


def warning(summary: str, detail: str = "") -> pb.Diagnostic:
    return pb.Diagnostic(severity=pb.Diagnostic.SEVERITY_WARNING, summary=summary, detail=detail)


def _timestamp(when: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _duration(length: dt.timedelta) -> duration_pb2.Duration:
    duration = duration_pb2.Duration()
    duration.FromTimedelta(length)
    return duration


@dataclass(frozen=True)
class RegionFacts:
    region: str
    types: dict[str, InstanceType]
    spot: dict[str, SpotPrice]
    diagnostics: list[pb.Diagnostic]


class OfferBuilder:
    def __init__(self, config: AwsConfig, catalog: PriceCatalog, regions: Regions) -> None:
        self.config, self.catalog, self.regions = config, catalog, regions

    def wanted_types(self, region: str) -> list[str]:
        return list(self.config.instance_types) or [e.instance_type for e in self.catalog.in_region(region)]

    def offer(self, request: pb.OfferRequest) -> pb.OfferResponse:
        asked = [r for r in request.regions if r in self.config.regions] if request.regions else None
        regions = self.config.regions if asked is None else tuple(asked)
        want_spot = self.config.spot and request.spot in (pb.SPOT_POLICY_ALLOW, pb.SPOT_POLICY_ONLY)
        with ThreadPoolExecutor(max_workers=max(len(regions), 1)) as pool:
            facts = list(pool.map(lambda region: self._facts(region, want_spot), regions))
        response = pb.OfferResponse()
        stale = self.catalog.staleness(self.config.catalog_max_age, dt.date.today(), REFRESH_HINT)
        if stale is not None:
            response.diagnostics.append(stale)
        now = dt.datetime.now(dt.UTC)
        for region_facts in facts:
            response.diagnostics.extend(region_facts.diagnostics)
            response.offers.extend(self._region_offers(region_facts, request, now))
        return response

    def _facts(self, region: str, want_spot: bool) -> RegionFacts:
        wanted = self.wanted_types(region)
        diagnostics: list[pb.Diagnostic] = []
        try:
            types = self.regions.instance_types(region, wanted) if wanted else {}
        except AuthError:
            raise
        except ProviderError as error:
            return RegionFacts(region, {}, {}, [warning(f"no offers from {region}", error.message)])
        spot: dict[str, SpotPrice] = {}
        if want_spot and types:
            try:
                spot = self.regions.spot_prices(region, sorted(types))
            except AuthError:
                raise
            except ProviderError as error:
                diagnostics.append(
                    warning(f"no spot offers from {region}: no live spot prices", error.message)
                )
        unpriced = sorted(name for name in types if self.catalog.get(region, name) is None)
        if unpriced:
            diagnostics.append(
                warning(f"{region}: no catalog price for {', '.join(unpriced)}", f"run `{REFRESH_HINT}`")
            )
        return RegionFacts(region, types, spot, diagnostics)

    def _region_offers(
        self, facts: RegionFacts, request: pb.OfferRequest, now: dt.datetime
    ) -> Sequence[pb.Offer]:
        offers = []
        disk = self.config.root_volume_gib
        for name, instance_type in sorted(facts.types.items()):
            entry = self.catalog.get(facts.region, name)
            resources = instance_type.resources(disk)
            if entry is None or not fits(resources, request.min_resources):
                continue
            if request.spot != pb.SPOT_POLICY_ONLY:
                key = OfferKey("ondemand", facts.region, "", name)
                offers.append(
                    self._offer(
                        key,
                        resources,
                        entry.on_demand_per_hour,
                        ON_DEMAND_STARTUP,
                        now + ON_DEMAND_OFFER_LIFETIME,
                        0.0,
                    )
                )
            spot = facts.spot.get(name)
            if spot is not None:
                key = OfferKey("spot", facts.region, spot.zone, name)
                expiry = now + dt.timedelta(seconds=self.config.spot_price_ttl)
                offers.append(
                    self._offer(
                        key,
                        resources,
                        spot.price_per_hour,
                        SPOT_STARTUP,
                        expiry,
                        self.config.spot_interruption_rate,
                    )
                )
        return offers

    def _offer(
        self,
        key: OfferKey,
        resources: job_pb2.Resources,
        price: float,
        startup: dt.timedelta,
        expires: dt.datetime,
        interruption_rate: float,
    ) -> pb.Offer:
        return pb.Offer(
            id=key.encode(),
            region=key.region,
            zone=key.zone,
            instance_type=key.instance_type,
            resources=resources,
            price_per_hour=pb.Money(amount=price, currency=self.catalog.currency),
            spot=key.spot,
            capacity=-1,
            startup_estimate=_duration(startup),
            expires_at=_timestamp(expires),
            interruption_rate=interruption_rate,
            shareable=False,
        )
