"""Gathering priced offers from every provider at once, each within its own timeout.

A provider that errors or does not answer in time is reported (a plan warning) and skipped;
only when no provider answers at all is that an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from benchhub.host.errors import BenchHubError
from benchhub.host.plugin import ProviderClient
from benchhub.proto.provider.v1 import provider_pb2 as pb

OFFER_TIMEOUT_SECONDS = 30.0


@dataclass
class Gathered:
    offers: dict[str, list[pb.Offer]] = field(default_factory=dict)  # provider -> offers
    warnings: list[str] = field(default_factory=list)


def gather_offers(
    clients: Mapping[str, ProviderClient],
    requests: Sequence[pb.OfferRequest],
    timeout: float = OFFER_TIMEOUT_SECONDS,
) -> Gathered:
    """Every provider's offers for every distinct request (deduplicated by offer id)."""
    gathered = Gathered()
    if not clients:
        return gathered
    pool = ThreadPoolExecutor(len(clients), thread_name_prefix="bh-offer")
    futures = {pool.submit(_ask, client, requests): name for name, client in clients.items()}
    done, late = wait(futures, timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)  # a hung provider's thread ends when it is closed
    for future in late:
        gathered.warnings.append(
            f"provider {futures[future]} did not answer Offer within {timeout:g}s; skipped"
        )
    for future in done:
        name = futures[future]
        try:
            offers, notes = future.result()
        except BenchHubError as exc:
            gathered.warnings.append(f"provider {name} skipped: {exc}")
            continue
        gathered.offers[name] = offers
        gathered.warnings.extend(f"provider {name}: {note}" for note in notes)
    return gathered


def _ask(client: ProviderClient, requests: Sequence[pb.OfferRequest]) -> tuple[list[pb.Offer], list[str]]:
    offers: dict[str, pb.Offer] = {}
    notes: list[str] = []
    for request in requests:
        response = client.offer(request)
        offers.update((offer.id, offer) for offer in response.offers)
        notes.extend(d.summary for d in response.diagnostics if d.summary not in notes)
    return list(offers.values()), notes
