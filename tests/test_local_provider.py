"""The local provider through the real plugin runtime: a subprocess plugin over a real gRPC channel."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from google.protobuf import duration_pb2

from benchhub.host.plugin import ProviderCallError, ProviderClient, launch
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from tests.conftest import InstallPlugin

WaitGone = Callable[[int], bool]
KNOWN = ("cpu_share", "memory_share", "wait_seconds", "workdir_root", "cgroups")


@pytest.fixture
def local(install_plugin: InstallPlugin) -> Iterator[ProviderClient]:
    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    with launch("local", path.parent) as provider:
        yield provider


def sh(job_id: str, script: str, timeout: float = 0, **fields: object) -> job_pb2.Job:
    job = job_pb2.Job(id=job_id, name=job_id, command=["sh", "-c", script], **fields)  # type: ignore[arg-type]
    if timeout:
        job.timeout.CopyFrom(duration_pb2.Duration(seconds=int(timeout), nanos=int(timeout % 1 * 1e9)))
    return job


def allocate(provider: ProviderClient, token: str = "", cpu: float = 0.5, **tags: str) -> pb.Allocation:
    return provider.allocate("local", token, tags, job_pb2.Resources(cpu=cpu))


def events(provider: ProviderClient, allocation: pb.Allocation, job: job_pb2.Job) -> list[pb.RunEvent]:
    return list(provider.run(allocation.id, job))


STDOUT, STDERR = pb.LogChunk.STREAM_STDOUT, pb.LogChunk.STREAM_STDERR


def output_of(run: list[pb.RunEvent], stream: pb.LogChunk.Stream.ValueType = STDOUT) -> bytes:
    return b"".join(e.log.data for e in run if e.HasField("log") and e.log.stream == stream)


def tar_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_full_cycle(local: ProviderClient, tmp_path: Path) -> None:
    schema = local.get_schema()
    assert (schema.name, schema.protocol_version) == ("local", 1)
    assert local.configure({"cpu_share": 0.5}) == []
    offer = local.offer(pb.OfferRequest(min_resources=job_pb2.Resources(cpu=0.5))).offers[0]
    assert offer.price_per_hour.amount == 0 and offer.shareable
    assert offer.resources.cpu == pytest.approx(len(os.sched_getaffinity(0)) / 2, abs=0.01)

    allocation = local.allocate(offer.id, "token-1", {"run": "r1"}, job_pb2.Resources(cpu=0.5))
    assert allocation.state == pb.Allocation.STATE_READY
    assert {"cpu_model", "cores", "kernel", "hostname"} <= set(allocation.metadata)
    workdir = Path(allocation.metadata["workdir"])

    snapshot, data = tmp_path / "src.tar", tmp_path / "data.bin"
    snapshot.write_bytes(tar_of({"src/main.txt": b"source\n"}))
    data.write_bytes(b"input-data")
    job = sh(
        "j1",
        "cat src/main.txt in/data.bin; echo warn >&2; echo result > result.txt; exit 0",
        inputs=[
            job_pb2.Artifact(name="src", kind=job_pb2.Artifact.KIND_SOURCE_SNAPSHOT, uri=snapshot.as_uri()),
            job_pb2.Artifact(
                name="data",
                kind=job_pb2.Artifact.KIND_FILE,
                uri=data.as_uri(),
                path="in/data.bin",
                digest="sha256:" + hashlib.sha256(b"input-data").hexdigest(),
            ),
        ],
    )
    run = events(local, allocation, job)
    statuses = [e.status.status for e in run if e.HasField("status")]
    assert statuses == [pb.JOB_STATUS_PREPARING, pb.JOB_STATUS_RUNNING]
    assert output_of(run) == b"source\ninput-data"
    assert output_of(run, STDERR) == b"warn\n"
    assert all(e.time.seconds > 0 for e in run)
    exit = run[-1].exit
    assert exit.status == pb.EXIT_STATUS_SUCCEEDED and exit.exit_code == 0
    assert exit.wall_seconds > 0

    chunks = list(local.collect(allocation.id, "j1", [job_pb2.Output(name="results", glob="*.txt")]))
    got = [(c.output, c.path, c.data, c.last) for c in chunks]
    assert got == [("results", "result.txt", b"result\n", True)]
    assert chunks[0].sha256 == hashlib.sha256(b"result\n").hexdigest() and chunks[0].size == 7

    assert [a.id for a in local.list_allocations({"run": "r1"})] == [allocation.id]
    assert local.list_allocations({"run": "other"}) == []
    assert local.release(allocation.id) is True
    assert not workdir.exists()
    assert local.list_allocations() == []


def test_allocate_and_release_are_idempotent(local: ProviderClient) -> None:
    first = allocate(local, "same-token")
    assert allocate(local, "same-token").id == first.id
    assert allocate(local, "other-token").id != first.id
    assert local.release(first.id) is True
    assert local.release(first.id) is False
    assert local.release("never-made") is False


def test_second_allocation_is_refused_or_waits_when_it_does_not_fit(local: ProviderClient) -> None:
    first = local.allocate("local", "a", {})  # the whole offer
    with pytest.raises(ProviderCallError) as refused:
        local.allocate("local", "b", {})
    assert refused.value.reason == pb.ErrorDetail.REASON_CAPACITY and refused.value.retryable

    local.configure({"wait_seconds": 5})  # ignored while allocations are live
    local.release(first.id)
    assert local.configure({"wait_seconds": 5}) == []
    first = local.allocate("local", "a", {})
    threading.Timer(0.5, local.release, (first.id,)).start()
    started = time.monotonic()
    second = local.allocate("local", "b", {})
    assert time.monotonic() - started >= 0.4 and second.id != first.id


def test_timeout_kills_the_job_and_its_children(local: ProviderClient, wait_gone: WaitGone) -> None:
    allocation = allocate(local)
    run = events(local, allocation, sh("slow", "sleep 300 & echo $! > child.pid; wait", timeout=1))
    exit = run[-1].exit
    assert exit.status == pb.EXIT_STATUS_TIMED_OUT and "timed out after 1s" in exit.message
    child = int((Path(allocation.metadata["workdir"]) / "slow" / "child.pid").read_text())
    assert wait_gone(child)


def test_jobs_share_an_allocation_when_they_fit(local: ProviderClient) -> None:
    allocation = allocate(local, cpu=1)
    jobs = [sh(f"j{i}", "sleep 1", resources=job_pb2.Resources(cpu=0.5)) for i in range(2)]
    results: list[list[pb.RunEvent]] = []

    def run(job: job_pb2.Job) -> None:
        results.append(events(local, allocation, job))

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert time.monotonic() - started < 1.9
    assert [r[-1].exit.status for r in results] == [pb.EXIT_STATUS_SUCCEEDED] * 2


def test_exit_reports_cpu_time_and_peak_memory(local: ProviderClient) -> None:
    allocation = allocate(local)
    script = (
        "import time\nb = b'x' * (200 << 20)\nt = time.process_time()"
        "\nwhile time.process_time() < t + 0.3: pass"
    )
    job = job_pb2.Job(id="hungry", command=[sys.executable, "-c", script])
    run = events(local, allocation, job)
    exit = run[-1].exit
    assert exit.status == pb.EXIT_STATUS_SUCCEEDED
    assert exit.user_seconds + exit.sys_seconds >= 0.3 and exit.wall_seconds >= 0.3
    assert 200 << 20 <= exit.peak_memory_bytes < 300 << 20
    samples = [e.sample for e in run if e.HasField("sample")]
    assert samples and max(s.memory_bytes for s in samples) > 0


def test_failures_are_reported_in_the_exit(local: ProviderClient) -> None:
    allocation = allocate(local)
    failed = events(local, allocation, sh("fails", "exit 3"))[-1].exit
    assert (failed.status, failed.exit_code) == (pb.EXIT_STATUS_FAILED, 3)
    job = job_pb2.Job(id="missing", command=["/nonexistent/benchmark"])
    error = events(local, allocation, job)[-1].exit
    assert error.status == pb.EXIT_STATUS_ERROR and "cannot start /nonexistent/benchmark" in error.message


def test_release_kills_a_running_job(local: ProviderClient, wait_gone: WaitGone) -> None:
    allocation = allocate(local)
    stream = iter(local.run(allocation.id, sh("long", "echo started; exec sleep 300")))
    running = next(e for e in stream if e.HasField("status") and e.status.status == pb.JOB_STATUS_RUNNING)
    pid = int(running.status.message.split()[1])
    assert local.release(allocation.id)
    assert list(stream)[-1].exit.status == pb.EXIT_STATUS_CANCELLED
    assert wait_gone(pid)


def test_cancelling_a_run_kills_the_job(local: ProviderClient, wait_gone: WaitGone) -> None:
    allocation = allocate(local)
    stream = local.run(allocation.id, sh("long", "exec sleep 300"))
    events = iter(stream)
    running = next(e for e in events if e.HasField("status") and e.status.status == pb.JOB_STATUS_RUNNING)
    stream.cancel()
    assert list(events) == []
    assert wait_gone(int(running.status.message.split()[1]))


def test_shutdown_leaves_no_process(install_plugin: InstallPlugin, wait_gone: WaitGone) -> None:
    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    provider = launch("local", path.parent)
    assert provider.process is not None and provider.process.popen is not None
    plugin_pid = provider.process.popen.pid
    allocation = allocate(provider)
    stream = iter(provider.run(allocation.id, sh("long", "exec sleep 300")))
    running = next(e for e in stream if e.HasField("status") and e.status.status == pb.JOB_STATUS_RUNNING)
    job_pid = int(running.status.message.split()[1])
    provider.close()
    assert wait_gone(plugin_pid) and wait_gone(job_pid)


def test_configure_reports_bad_values_by_attribute(local: ProviderClient) -> None:
    diagnostics = local.configure({"cpu_share": 2, "colour": "red"})
    assert {(tuple(d.attribute_path), d.summary, d.detail) for d in diagnostics} == {
        (("cpu_share",), "cpu_share must be in (0, 1], got 2", ""),
        (("colour",), "unknown attribute 'colour'", "known: " + ", ".join(KNOWN)),
    }
