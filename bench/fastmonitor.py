"""fastmonitor benchmark: one metrics sample of a running container straight from its cgroup vs the
docker stats API, and the CPU cost of sampling at 10 Hz.

    python bench/fastmonitor.py [--samples 2000] [--stats-calls 5] [--seconds 5]

Needs a docker daemon at DOCKER_HOST (`.ci/dockerd start; eval "$(.ci/dockerd env)"`) with the
`benchhub/busybox:latest` image (`.ci/docker-images`), and must run on the daemon's machine.
Targets: a fastmonitor sample >= 100x faster than `container.stats(stream=False)` and < 1 ms;
sampling at 10 Hz costs < 1 % of one core (measured against the same process idling, same run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import timeit
from collections.abc import Callable

import docker

from benchhub.providers.sdk.fastmonitor import Monitor, locate, open_reader

IMAGE = "benchhub/busybox:latest"


def per_call(call: Callable[[], object], times: int) -> float:
    """Median seconds per call over `times` calls."""
    return statistics.median(timeit.repeat(call, setup="gc.enable()", number=1, repeat=times))


def process_cpu_over(seconds: float) -> float:
    """CPU seconds this process (all threads) uses while the main thread sleeps `seconds`."""
    began = time.process_time()
    time.sleep(seconds)
    return time.process_time() - began


def row(what: str, figure: str, note: str) -> None:
    print(f"{what:<38} {figure:>16}  {note}")


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=2000, help="fastmonitor samples to time")
    parser.add_argument("--stats-calls", type=int, default=5, help="docker stats calls to time")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each CPU-overhead window")
    args = parser.parse_args()

    client = docker.from_env()
    container = client.containers.run(
        IMAGE, ["sh", "-c", "dd if=/dev/zero of=/dev/null bs=32M count=1; sleep 600"],
        detach=True, network_mode="none", labels={"benchhub.bench": "fastmonitor"},
    )
    try:
        container.reload()
        began = time.perf_counter()
        reader = open_reader(locate(container.attrs["State"]["Pid"]))
        opening = time.perf_counter() - began
        row("opening the cgroup files (once)", f"{opening * 1e3:.2f} ms", f"source {reader.read().source}")

        fast = per_call(reader.read, args.samples)
        stats = per_call(lambda: container.stats(stream=False), args.stats_calls)
        one_shot = per_call(lambda: container.stats(stream=False, one_shot=True), args.stats_calls)
        ratio = stats / fast
        row("fastmonitor sample", f"{fast * 1e6:.1f} us", f"target < 1000 us: {verdict(fast < 1e-3)}")
        row("container.stats(stream=False)", f"{stats * 1e6:.0f} us", "baseline")
        row("  fastmonitor speed-up", f"{ratio:.0f} x", f"target >= 100 x: {verdict(ratio >= 100)}")
        row("container.stats(..., one_shot=True)", f"{one_shot * 1e6:.0f} us", f"{one_shot / fast:.0f} x")

        idle = process_cpu_over(args.seconds)
        monitor = Monitor(reader).start()  # 10 Hz, the default rate
        sampling = process_cpu_over(args.seconds)
        monitor.stop()
        overhead = (sampling - idle) / args.seconds
        row("CPU of this process idling", f"{idle / args.seconds * 100:.3f} % core", "baseline")
        row("CPU while sampling at 10 Hz", f"{sampling / args.seconds * 100:.3f} % core", "")
        row("  sampling overhead", f"{overhead * 100:.3f} % core", f"< 1 %: {verdict(overhead < 0.01)}")
        return 0 if fast < 1e-3 and ratio >= 100 and overhead < 0.01 else 1
    finally:
        container.remove(force=True)


if __name__ == "__main__":
    sys.exit(main())
