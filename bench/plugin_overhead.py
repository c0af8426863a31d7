"""Plugin runtime overhead: each figure printed beside its baseline measured in the same run.

    python bench/plugin_overhead.py [--quick]

- ready: launch -> handshake -> health OK of bh-provider-local vs running `python -c "import grpc"`
  (target ratio <= 2.0); idle RSS of the plugin (target < 60 MiB) beside the RSS of that python.
- Offer round trip vs a bare unary gRPC call (health Check) over the same unix socket (target <= 1.5).
- Run log streaming: a job writing 256 MiB to stdout, through the host, vs `cat` of the same bytes
  into a pipe (target >= 100 MB/s through the host).
- AutoMTLS vs plaintext: ready time and Offer round trip (target: mTLS adds at most 30% to the round
  trip); also with a P-521 host certificate, which makes the plugin terminate TLS with Python's ssl
  (the path go-plugin hosts take).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchhub.host.plugin import ProviderClient, launch_executable
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk import mtls

MIB = 1 << 20
BRIDGED = "mTLS via ssl bridge"  # a P-521 host certificate, as go-plugin hosts have
Launch = Callable[[], ProviderClient]


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    return statistics.median(timeit.repeat(action, setup="gc.enable()", number=1, repeat=repeat))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def python_grpc_rss_mib() -> float:
    probe = "import grpc, os, pathlib; print(os.getpid()); pathlib.Path('/dev/stdin').read_text()"
    with subprocess.Popen(
        [sys.executable, "-c", probe], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    ) as python:
        assert python.stdout is not None and python.stdin is not None
        rss = rss_mib(int(python.stdout.readline()))
        python.stdin.close()
    return rss


def row(what: str, value: str, baseline: str, ratio: float | None = None, target: str = "") -> None:
    ratio_text = f"{ratio:6.2f}x" if ratio is not None else "       "
    print(f"{what:<40} {value:>11}   baseline {baseline:>11}   {ratio_text}   {target}")


def launch_seconds(start: Launch) -> float:
    """Launch -> health OK; the shutdown after it is not timed."""
    started = time.perf_counter()
    client = start()
    elapsed = time.perf_counter() - started
    client.close()
    return elapsed


def interleaved_medians(actions: dict[str, Callable[[], float]], repeat: int) -> dict[str, float]:
    """Median of each timed action, taken in turns so that load from elsewhere hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeat):
        for name, action in actions.items():
            times[name].append(action())
    return {name: statistics.median(values) for name, values in times.items()}


def offer_seconds(client: ProviderClient, calls: int) -> tuple[float, float]:
    """Median Offer round trip and median bare health Check round trip on the same channel."""
    health = health_pb2_grpc.HealthStub(client.channel)
    request = health_pb2.HealthCheckRequest(service="plugin")
    offer_request = pb.OfferRequest(min_resources=job_pb2.Resources(cpu=0.5))
    for _ in range(50):  # warm up both paths
        health.Check(request)
        client.offer(offer_request)
    offer = median_seconds(lambda: client.offer(offer_request), calls)
    return offer, median_seconds(lambda: health.Check(request), calls)


def streamed_bytes_per_second(client: ProviderClient, data: Path) -> float:
    allocation = client.allocate("local", f"bench-{time.monotonic_ns()}", {}, job_pb2.Resources(cpu=0.5))
    job = job_pb2.Job(id="stream", command=["cat", str(data)])
    started = time.perf_counter()
    received = sum(len(e.log.data) for e in client.run(allocation.id, job) if e.HasField("log"))
    elapsed = time.perf_counter() - started
    client.release(allocation.id)
    assert received == data.stat().st_size, (received, data.stat().st_size)
    return received / elapsed


def cat_bytes_per_second(data: Path) -> float:
    started = time.perf_counter()
    with subprocess.Popen(["cat", str(data)], stdout=subprocess.PIPE) as cat:
        assert cat.stdout is not None
        while cat.stdout.read1(256 << 10):
            pass
    return data.stat().st_size / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and 64 MiB streamed")
    args = parser.parse_args()
    # The console script beside this interpreter (a version manager's shim on PATH adds its own start-up).
    beside = Path(sys.executable).parent / "bh-provider-local"
    executable = str(beside) if beside.exists() else shutil.which("bh-provider-local")
    if executable is None:
        sys.exit("bh-provider-local is not installed (pip install -e .)")
    repeat, calls, size_mib = (3, 200, 64) if args.quick else (9, 1000, 256)
    modes: dict[str, Launch] = {
        "plaintext": lambda: launch_executable(executable, "local", automtls=False),
        "mTLS": lambda: launch_executable(executable, "local", automtls=True),
        BRIDGED: lambda: launch_executable(
            executable, "local", identity=mtls.make_identity(ec.SECP521R1())
        ),
    }
    print(f"plugin overhead (python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"{repeat} launches, {calls} calls per figure)")

    def import_grpc() -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import grpc"], check=True)
        return time.perf_counter() - started

    timed: dict[str, Callable[[], float]] = {"import grpc": import_grpc}
    timed.update({mode: lambda start=start: launch_seconds(start) for mode, start in modes.items()})
    ready = interleaved_medians(timed, repeat)
    baseline = ready.pop("import grpc")
    for mode, seconds in ready.items():
        row(f"ready, {mode}", f"{seconds * 1e3:.0f} ms", f"{baseline * 1e3:.0f} ms", seconds / baseline,
            "target <= 2.0x (vs python -c 'import grpc')" if mode == "plaintext" else "")
    row("ready: mTLS vs plaintext", f"{ready['mTLS'] * 1e3:.0f} ms", f"{ready['plaintext'] * 1e3:.0f} ms",
        ready["mTLS"] / ready["plaintext"])

    python_rss = python_grpc_rss_mib()
    for mode in ("plaintext", "mTLS"):
        with modes[mode]() as client:
            assert client.process is not None and client.process.popen is not None
            time.sleep(0.5)
            idle = rss_mib(client.process.popen.pid)
        row(f"plugin idle RSS, {mode}", f"{idle:.1f} MiB", f"{python_rss:.1f} MiB", None,
            "target < 60 MiB (baseline: python -c 'import grpc')")

    offers = {}
    for mode, start in modes.items():
        with start() as client:
            offers[mode] = offer, bare = offer_seconds(client, calls)
        row(f"Offer round trip, {mode}", f"{offer * 1e6:.0f} us", f"{bare * 1e6:.0f} us", offer / bare,
            "target <= 1.5x (vs bare health Check, same socket)" if mode == "plaintext" else "")
    for mode in ("mTLS", BRIDGED):
        row(f"Offer: {mode} vs plaintext", f"{offers[mode][0] * 1e6:.0f} us",
            f"{offers['plaintext'][0] * 1e6:.0f} us", offers[mode][0] / offers["plaintext"][0],
            "target <= 1.30x" if mode == "mTLS" else "")

    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        block = os.urandom(MIB)
        with data.open("wb") as f:
            for _ in range(size_mib):
                f.write(block)
        cat = cat_bytes_per_second(data)
        for mode in ("plaintext", "mTLS"):
            with modes[mode]() as client:
                rate = streamed_bytes_per_second(client, data)
            row(f"Run log streaming {size_mib} MiB, {mode}", f"{rate / 1e6:.0f} MB/s",
                f"{cat / 1e6:.0f} MB/s", rate / cat, "target >= 100 MB/s through the host (baseline: cat)")


if __name__ == "__main__":
    main()
