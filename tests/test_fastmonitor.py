"""fastmonitor on this machine's real cgroups (v1 here; v2 wherever a v2 memory controller exists)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchhub.providers.sdk.fastmonitor import (
    CgroupLocation,
    JobCgroup,
    Limits,
    Monitor,
    Sample,
    create_job_cgroup,
    locate,
    open_reader,
)
from benchhub.providers.sdk.fastmonitor.reader import v1_io_bytes

MiB = 1 << 20


@pytest.fixture
def job_cgroup(request: pytest.FixtureRequest) -> Iterator[JobCgroup]:
    cgroup, why_not = create_job_cgroup(f"test-{os.getpid()}-{request.node.name[:40]}")
    if cgroup is None:
        pytest.skip(f"no job cgroup on this machine: {why_not}")
    yield cgroup
    cgroup.remove()


def _python_in(cgroup: JobCgroup, code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cgroup.wrap([sys.executable, "-c", code]))


def test_peak_memory_of_a_job_allocating_200_mib_is_within_10_percent(job_cgroup: JobCgroup) -> None:
    job = _python_in(job_cgroup, f"import time; b = b'x' * {200 * MiB}; time.sleep(0.3)")
    with Monitor(job_cgroup.reader()) as monitor:
        job.wait()
        monitor.sample_now()
    assert job.returncode == 0
    assert monitor.peak_memory_bytes == pytest.approx(200 * MiB, rel=0.10)


def test_samples_arrive_at_the_configured_rate_and_cpu_time_grows(job_cgroup: JobCgroup) -> None:
    samples: list[Sample] = []
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.5: pass"
    job = _python_in(job_cgroup, burn)
    started = time.monotonic()
    with Monitor(job_cgroup.reader(), on_sample=samples.append, rate_hz=20):
        job.wait()
    expected = (time.monotonic() - started) * 20
    assert expected * 0.6 <= len(samples) <= expected + 2
    assert samples[-1].cpu_seconds >= 0.45
    user, system = job_cgroup.cpu_split(samples[-1].cpu_seconds)
    assert user + system == pytest.approx(samples[-1].cpu_seconds) and user > 0 and system >= 0
    assert [s.cpu_seconds for s in samples] == sorted(s.cpu_seconds for s in samples)
    assert samples[-1].pids is not None


def test_memory_limit_allows_no_swap_kills_the_job_and_the_peak_reaches_the_limit() -> None:
    cgroup, why_not = create_job_cgroup(f"test-{os.getpid()}-limit", Limits(memory_bytes=64 * MiB, pids=64))
    if cgroup is None:
        pytest.skip(f"no job cgroup on this machine: {why_not}")
    try:
        memory = cgroup.location.dirs["unified" if cgroup.location.version == 2 else "memory"]
        swap_limit, no_swap = (
            ("memory.swap.max", "0") if cgroup.location.version == 2
            else ("memory.memsw.limit_in_bytes", str(64 * MiB))
        )
        if (memory / swap_limit).exists():  # only where the kernel accounts swap
            assert (memory / swap_limit).read_text().strip() == no_swap
        assert cgroup.oom_kills() == 0
        job = _python_in(cgroup, f"b = b'x' * {256 * MiB}")
        with Monitor(cgroup.reader()) as monitor:
            job.wait()
            monitor.sample_now()
        assert job.returncode == -9
        assert cgroup.oom_kills() == 1
        assert monitor.peak_memory_bytes == pytest.approx(64 * MiB, rel=0.05)
    finally:
        cgroup.remove()


def test_kill_all_ends_processes_that_left_the_process_group(job_cgroup: JobCgroup) -> None:
    job = subprocess.Popen(job_cgroup.wrap(["sh", "-c", "setsid sleep 300 & echo $!; exec sleep 300"]),
                           stdout=subprocess.PIPE, text=True)
    assert job.stdout is not None
    escaped = int(job.stdout.readline())
    job_cgroup.kill_all()
    assert job.wait(timeout=5) == -9
    deadline = time.monotonic() + 5
    while Path(f"/proc/{escaped}").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not Path(f"/proc/{escaped}").exists()  # reaped by init once killed
    job.stdout.close()


def test_a_cgroup_the_wrapper_cannot_enter_exits_125_without_running_the_job(tmp_path: Path) -> None:
    gone = JobCgroup(CgroupLocation(2, {"unified": tmp_path / "no-such-cgroup"}))
    marker = tmp_path / "ran"
    result = subprocess.run(gone.wrap(["touch", str(marker)]), capture_output=True)
    assert result.returncode == 125 and not marker.exists()


def test_monitor_stops_by_itself_when_the_cgroup_disappears(job_cgroup: JobCgroup) -> None:
    monitor = Monitor(job_cgroup.reader(), rate_hz=50).start()
    time.sleep(0.05)
    job_cgroup.remove()
    deadline = time.monotonic() + 2
    while monitor.stopped_because is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert monitor.stopped_because is not None and "no longer readable" in monitor.stopped_because
    assert monitor.last is not None
    monitor.stop()


def test_sample_maps_onto_resource_sample_leaving_unavailable_fields_absent() -> None:
    sample = Sample(
        cpu_seconds=1.5, memory_bytes=10, memory_peak_bytes=20, source="cgroup-v1", taken_at=1.0, pids=3
    )
    message = sample.to_proto()
    assert (message.cpu_seconds, message.memory_bytes, message.memory_peak_bytes) == (1.5, 10, 20)
    assert message.pids == 3
    assert message.source == "cgroup-v1"
    for absent in ("cpu_throttled_seconds", "io_read_bytes", "io_write_bytes"):
        assert not message.HasField(absent)
    assert sample.to_run_event().time.ToNanoseconds() == 1_000_000_000


def test_v1_block_io_is_unavailable_without_device_lines_and_summed_with_them() -> None:
    assert v1_io_bytes("Total 0\n") is None
    with_rule = "8:0 Read 4096\n8:0 Write 8192\n8:0 Sync 0\n8:16 Read 100\n8:16 Write 0\nTotal 12388\n"
    assert v1_io_bytes(with_rule) == (4196, 8192)


def test_this_process_is_located_in_its_memory_accounting_cgroup() -> None:
    location = locate()
    reader = open_reader(location)
    try:
        sample = reader.read()
    finally:
        reader.close()
    assert sample.source == f"cgroup-v{location.version}"
    assert sample.memory_bytes > 0 and sample.cpu_seconds > 0


def test_a_process_that_may_not_write_cgroups_gets_none_and_a_reason() -> None:
    code = (
        "import os\n"
        "from benchhub.providers.sdk.fastmonitor import create_job_cgroup\n"
        "if os.geteuid() == 0: os.seteuid(65534)\n"
        "cgroup, why = create_job_cgroup('unprivileged-job'); print(cgroup, why)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("None not running as root")


def test_sampling_thread_does_not_block_the_caller(job_cgroup: JobCgroup) -> None:
    started = threading.Event()
    monitor = Monitor(job_cgroup.reader(), on_sample=lambda _: started.set(), rate_hz=1000).start()
    assert started.wait(1)
    began = time.perf_counter()
    monitor.stop()
    assert time.perf_counter() - began < 0.5
