"""Plugin runtime overhead: each figure printed beside its baseline measured in the same run.

    python bench/plugin_overhead.py [--quick]

- ready: launch -> handshake -> health OK of bh-provider-local vs running `python -c "import grpc"`
  (target ratio <= 2.0); idle RSS of the plugin (target < 60 MiB) beside the RSS of that python.
- Offer round trip vs a bare unary gRPC call (health Check) over the same unix socket (target <= 1.5).
- Run log streaming: a job writing 256 MiB to stdout, through the host, vs `cat` of the same bytes
  into a pipe (target >= 100 MB/s through the host).
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
from collections.abc import Callable
from pathlib import Path

from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchhub.host.plugin import ProviderClient, launch_executable
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb

MIB = 1 << 20


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def python_grpc_rss_mib() -> float:
    probe = "import grpc, os, pathlib; print(os.getpid()); pathlib.Path('/dev/stdin').read_text()"
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE}
    with subprocess.Popen([sys.executable, "-c", probe], **pipes) as python:  # type: ignore[call-overload]
        assert python.stdout is not None and python.stdin is not None
        rss = rss_mib(int(python.stdout.readline()))
        python.stdin.close()
    return rss


def row(what: str, value: str, baseline: str, ratio: float | None = None, target: str = "") -> None:
    ratio_text = f"{ratio:6.2f}x" if ratio is not None else "       "
    print(f"{what:<34} {value:>14}   baseline {baseline:>14}   {ratio_text}   {target}")


def bench_ready(executable: str, repeat: int) -> None:
    def import_grpc() -> None:
        subprocess.run([sys.executable, "-c", "import grpc"], check=True)

    # Time only launch -> health OK, not the shutdown.
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client = launch_executable(executable, "local")
        times.append(time.perf_counter() - started)
        client.close()
    plugin = statistics.median(times)
    baseline = median_seconds(import_grpc, repeat)
    row("plugin ready (launch->health OK)", f"{plugin * 1e3:.0f} ms", f"{baseline * 1e3:.0f} ms",
        plugin / baseline, "target <= 2.0x (vs python -c 'import grpc')")

    with launch_executable(executable, "local") as client:
        assert client.process is not None and client.process.popen is not None
        time.sleep(0.5)
        idle = rss_mib(client.process.popen.pid)
    row("plugin idle RSS", f"{idle:.1f} MiB", f"{python_grpc_rss_mib():.1f} MiB", None,
        "target < 60 MiB (baseline: python -c 'import grpc')")


def bench_round_trip(client: ProviderClient, calls: int) -> None:
    health = health_pb2_grpc.HealthStub(client.channel)
    request = health_pb2.HealthCheckRequest(service="plugin")
    offer_request = pb.OfferRequest(min_resources=job_pb2.Resources(cpu=0.5))
    for _ in range(50):  # warm up both paths
        health.Check(request)
        client.offer(offer_request)
    bare = median_seconds(lambda: health.Check(request), calls)
    offer = median_seconds(lambda: client.offer(offer_request), calls)
    row("Offer round trip", f"{offer * 1e6:.0f} us", f"{bare * 1e6:.0f} us", offer / bare,
        "target <= 1.5x (vs bare unary health Check, same socket)")


def bench_streaming(client: ProviderClient, size_mib: int) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "data"
        with data.open("wb") as f:
            block = os.urandom(MIB)
            for _ in range(size_mib):
                f.write(block)
        started = time.perf_counter()
        with subprocess.Popen(["cat", str(data)], stdout=subprocess.PIPE) as cat:
            assert cat.stdout is not None
            piped = 0
            while chunk := cat.stdout.read1(256 << 10):
                piped += len(chunk)
        baseline = piped / (time.perf_counter() - started)

        allocation = client.allocate("local", "bench-stream", {}, job_pb2.Resources(cpu=0.5))
        job = job_pb2.Job(id="stream", command=["cat", str(data)])
        started = time.perf_counter()
        received = sum(len(e.log.data) for e in client.run(allocation.id, job) if e.HasField("log"))
        through_host = received / (time.perf_counter() - started)
        client.release(allocation.id)
    assert received == piped == size_mib * MIB, (received, piped)
    row(f"Run log streaming ({size_mib} MiB)", f"{through_host / 1e6:.0f} MB/s", f"{baseline / 1e6:.0f} MB/s",
        through_host / baseline, "target >= 100 MB/s through the host (baseline: cat into a pipe)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and 64 MiB streamed")
    args = parser.parse_args()
    # The console script beside this interpreter (a version manager's shim on PATH adds its own start-up).
    beside = Path(sys.executable).parent / "bh-provider-local"
    executable = str(beside) if beside.exists() else shutil.which("bh-provider-local")
    if executable is None:
        sys.exit("bh-provider-local is not installed (pip install -e .)")
    repeat, calls, size = (3, 200, 64) if args.quick else (7, 1000, 256)
    print(f"plugin overhead (python {sys.version.split()[0]}, {os.cpu_count()} cpus)")
    bench_ready(executable, repeat)
    with launch_executable(executable, "local") as client:
        bench_round_trip(client, calls)
        bench_streaming(client, size)


if __name__ == "__main__":
    main()
