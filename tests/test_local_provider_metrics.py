"""The local provider's resource metrics through the real plugin: each job in its own cgroup where the
provider may make one (root, writable cgroups), else rusage and /proc, saying so."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from benchhub.host.plugin import ProviderClient, launch
from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk.fastmonitor import create_job_cgroup, locate
from benchhub.providers.sdk.fastmonitor.jobcgroup import JOB_CGROUPS
from tests.conftest import InstallPlugin
from tests.test_local_provider import WaitGone, sh

MiB = 1 << 20


def _why_no_job_cgroup() -> str:
    cgroup, why_not = create_job_cgroup(f"probe-{os.getpid()}")
    if cgroup is not None:
        cgroup.remove()
    return why_not


WHY_NO_JOB_CGROUP = _why_no_job_cgroup()
needs_cgroups = pytest.mark.skipif(bool(WHY_NO_JOB_CGROUP), reason=f"no job cgroup: {WHY_NO_JOB_CGROUP}")


def eventually(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def local(install_plugin: InstallPlugin) -> Iterator[ProviderClient]:
    path = install_plugin("local", "-m", "benchhub.providers.local.main")
    with launch("local", path.parent) as provider:
        yield provider


def python(job_id: str, code: str, memory_bytes: int = 0) -> job_pb2.Job:
    resources = job_pb2.Resources(memory_bytes=memory_bytes)
    return job_pb2.Job(id=job_id, command=[sys.executable, "-c", code], resources=resources)


def allocate(provider: ProviderClient) -> pb.Allocation:
    return provider.allocate("local", "", {}, job_pb2.Resources(cpu=0.5, memory_bytes=512 * MiB))


def running_message(run: list[pb.RunEvent]) -> str:
    running = (e for e in run if e.HasField("status") and e.status.status == pb.JOB_STATUS_RUNNING)
    return next(running).status.message


def samples(run: list[pb.RunEvent]) -> list[pb.ResourceSample]:
    return [e.sample for e in run if e.HasField("sample")]


def job_cgroup_dir(provider: ProviderClient, allocation: pb.Allocation, job_id: str) -> Path:
    """Where the provider makes the memory cgroup of `job_id` (under its own memory cgroup)."""
    assert provider.process is not None and provider.process.popen is not None
    own = locate(provider.process.popen.pid)
    root = own.dirs["unified" if own.version == 2 else "memory"]
    return root / JOB_CGROUPS / f"{Path(allocation.metadata['workdir']).name}-{job_id}"


@needs_cgroups
def test_peak_memory_of_200_mib_is_exact_and_samples_come_at_10_hz(local: ProviderClient) -> None:
    allocation = allocate(local)
    code = f"import time\nb = b'x' * {200 * MiB}\ntime.sleep(1)"
    run = list(local.run(allocation.id, python("hungry", code)))
    exit, taken = run[-1].exit, samples(run)
    assert exit.status == pb.EXIT_STATUS_SUCCEEDED
    assert running_message(run).endswith("; resource metrics: cgroup-v" + taken[0].source[-1])
    assert {s.source for s in taken} == {f"cgroup-v{locate().version}"}
    assert exit.peak_memory_bytes == pytest.approx(200 * MiB, rel=0.10)
    assert exit.peak_memory_bytes == max(s.memory_peak_bytes for s in taken)
    assert 7 <= len(taken) / exit.wall_seconds <= 12  # 10 Hz, plus the one at the exit
    assert taken[-1].cpu_seconds == pytest.approx(exit.user_seconds + exit.sys_seconds, abs=0.01)
    assert not job_cgroup_dir(local, allocation, "hungry").exists()


@needs_cgroups
def test_a_short_job_still_gets_its_exact_peak(local: ProviderClient) -> None:
    allocation = allocate(local)
    run = list(local.run(allocation.id, job_pb2.Job(id="short", command=["true"])))
    exit = run[-1].exit
    assert exit.status == pb.EXIT_STATUS_SUCCEEDED and exit.wall_seconds < 0.1
    assert 0 < exit.peak_memory_bytes < 8 * MiB  # `true` itself, not this provider's own peak
    assert samples(run)[-1].memory_peak_bytes == exit.peak_memory_bytes


@needs_cgroups
def test_a_job_over_its_memory_limit_is_oom_killed_with_its_peak(local: ProviderClient) -> None:
    allocation = allocate(local)
    job = sh("greedy", f"{sys.executable} -c \"b = b'x' * {256 * MiB}\"; echo survived")
    job.resources.memory_bytes = 64 * MiB
    run = list(local.run(allocation.id, job))
    exit = run[-1].exit
    assert exit.status == pb.EXIT_STATUS_OOM_KILLED, exit
    assert exit.peak_memory_bytes == pytest.approx(64 * MiB, rel=0.05)
    peak = f"{exit.peak_memory_bytes / MiB:.1f} MiB"
    killed = "the kernel killed 1 of the job's processes"
    assert exit.message == f"out of memory at its 64 MiB limit: {killed} (peak {peak})"
    assert b"survived" in b"".join(e.log.data for e in run if e.HasField("log"))  # the shell went on
    limited = job_pb2.Resources(memory_bytes=64 * MiB)
    failed = list(local.run(allocation.id, sh("fails", "exit 3", resources=limited)))
    assert failed[-1].exit.status == pb.EXIT_STATUS_FAILED  # a plain failure stays one


@needs_cgroups
def test_cgroup_is_removed_after_timeout_and_cancel(local: ProviderClient, wait_gone: WaitGone) -> None:
    allocation = allocate(local)
    timed_out = list(local.run(allocation.id, sh("slow", "sleep 300", timeout=0.5)))
    assert timed_out[-1].exit.status == pb.EXIT_STATUS_TIMED_OUT
    assert not job_cgroup_dir(local, allocation, "slow").exists()

    stream = local.run(allocation.id, sh("cancelled", "setsid sleep 300 & exec sleep 300"))
    events = iter(stream)
    running = next(e for e in events if e.HasField("status") and e.status.status == pb.JOB_STATUS_RUNNING)
    cgroup = job_cgroup_dir(local, allocation, "cancelled")
    assert eventually(lambda: len((cgroup / "cgroup.procs").read_text().split()) == 2)
    members = [int(pid) for pid in (cgroup / "cgroup.procs").read_text().split()]
    assert int(running.status.message.split()[1]) in members
    stream.cancel()
    assert all(wait_gone(pid) for pid in members)  # also what left the process group
    assert eventually(lambda: not cgroup.exists())  # removed once the grace for SIGTERM is over


def test_without_cgroups_it_measures_with_rusage_and_says_so(local: ProviderClient) -> None:
    assert local.configure({"cgroups": False}) == []
    allocation = allocate(local)
    code = f"import time\nb = b'x' * {200 * MiB}\ntime.sleep(0.3)"
    run = list(local.run(allocation.id, python("hungry", code)))
    exit = run[-1].exit
    message = "resource metrics: rusage (cgroups = false in the local provider's configuration)"
    assert running_message(run).endswith(message)
    assert samples(run)[-1].source == "rusage"
    assert exit.peak_memory_bytes == pytest.approx(200 * MiB, rel=0.10)


def test_cgroups_must_be_a_bool(local: ProviderClient) -> None:
    diagnostics = local.configure({"cgroups": "no"})
    summaries = [(list(d.attribute_path), d.summary) for d in diagnostics]
    assert summaries == [(["cgroups"], "cgroups must be a bool")]
    schema = {a.name: a for a in local.get_schema().config}
    assert schema["cgroups"].type == pb.Attribute.TYPE_BOOL and schema["cgroups"].default.bool_value is True

