"""How fast the aws provider answers Offer for one job: cold caches vs warm, in the same run.

`bh-provider-aws` runs as a real plugin subprocess against moto's EC2 server on 127.0.0.1 (started here,
fake credentials) and offers every catalog instance type in 3 regions, on-demand and spot. Cold: the
first Offer of a freshly configured provider (DescribeInstanceTypeOfferings, DescribeInstanceTypes and
DescribeSpotPriceHistory in each region, concurrently). Warm: the same Offer again, answered from the
caches (instance types for the provider's life, spot prices for `spot_price_ttl_seconds`).
Target: warm under 50 ms. The cold time (and the cold/warm ratio) is printed; moto is local, so a real
cold Offer against AWS is slower by the network round trips.

    python bench/cloud_offers.py [--repeat 5] [--warm 50]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator

from benchhub.host.plugin import ProviderClient, launch_executable
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "MOTO_EC2_ENABLE_INSTANCE_TYPE_VALIDATION": "true",
}
ONE_JOB = pb.OfferRequest(
    min_resources=job_pb2.Resources(cpu=1, memory_bytes=1 << 30), spot=pb.SPOT_POLICY_ALLOW
)


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if time.monotonic() > deadline:
                raise SystemExit("moto server did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


def configured_provider(endpoint: str, key_dir: str) -> ProviderClient:
    executable = shutil.which("bh-provider-aws")
    if executable is None:
        raise SystemExit("bh-provider-aws is not installed (pip install -e .)")
    client = launch_executable(executable, "aws")
    config = {"regions": REGIONS, "endpoint_url": endpoint, "ssh_cidr": "127.0.0.1/32", "key_dir": key_dir}
    problems = client.configure(config)
    if problems:
        raise SystemExit(f"configure failed: {problems}")
    return client


def timed_offer(client: ProviderClient) -> tuple[float, int]:
    started = time.perf_counter()
    offers = client.offer(ONE_JOB).offers
    return time.perf_counter() - started, len(offers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="cold measurements (a new provider each)")
    parser.add_argument("--warm", type=int, default=50, help="warm Offers per provider")
    args = parser.parse_args()
    os.environ.update(FAKE_AWS)
    cold: list[float] = []
    warm: list[float] = []
    with moto_server() as endpoint, tempfile.TemporaryDirectory() as keys:
        for _ in range(args.repeat):
            with configured_provider(endpoint, keys) as client:
                seconds, count = timed_offer(client)
                cold.append(seconds)
                warm += [timed_offer(client)[0] for _ in range(args.warm)]
    cold_median, warm_median = statistics.median(cold), statistics.median(warm)
    warm_p95 = statistics.quantiles(warm, n=20)[18]
    print(f"offers per answer: {count} ({len(REGIONS)} regions x catalog types, on-demand + spot)")
    print(f"cold Offer: median {cold_median * 1000:8.1f} ms  (min {min(cold) * 1000:.1f}, n={len(cold)})")
    print(f"warm Offer: median {warm_median * 1000:8.1f} ms  (p95 {warm_p95 * 1000:.1f}, n={len(warm)})")
    print(f"cold / warm: {cold_median / warm_median:.1f}x")
    verdict = "OK" if warm_median < 0.050 else "MISSED"
    print(f"target warm < 50 ms: {verdict}")


if __name__ == "__main__":
    main()
