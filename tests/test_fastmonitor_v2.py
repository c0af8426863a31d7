"""cgroup v2 parsing: on recorded and documented-format files (tests/data/cgroup_v2/README.md says
which is which), and on this machine's real v2 hierarchy."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchhub.providers.sdk.fastmonitor import CgroupLocation, CgroupUnavailable, CgroupV2Reader, JobCgroup
from benchhub.providers.sdk.fastmonitor.reader import flat_keyed, v2_io_bytes

DATA = Path(__file__).parent / "data" / "cgroup_v2"
RECORDED = DATA / "recorded-unified-hybrid"  # recorded on a real v2 hierarchy (core files only)
DOCUMENTED = DATA / "documented-format-job"  # hand-written in the kernel documentation's layout


def _v2(directory: Path) -> CgroupLocation:
    return CgroupLocation(2, {"unified": directory})


def test_documented_format_job_group_reads_every_field() -> None:
    reader = CgroupV2Reader(_v2(DOCUMENTED))
    sample = reader.read()
    reader.close()
    assert sample.source == "cgroup-v2"
    assert sample.cpu_seconds == pytest.approx(2.5143)
    assert (sample.memory_bytes, sample.memory_peak_bytes, sample.pids) == (157286400, 209715200, 4)
    assert sample.cpu_throttled_seconds == pytest.approx(1.85)
    assert (sample.io_read_bytes, sample.io_write_bytes) == (1459200 + 90430464, 314773504 + 299008000)


def test_without_memory_peak_the_peak_is_the_highest_current_seen(tmp_path: Path) -> None:
    group = tmp_path / "old-kernel"
    shutil.copytree(DOCUMENTED, group)
    (group / "memory.peak").unlink()
    (group / "io.stat").unlink()
    reader = CgroupV2Reader(_v2(group))
    first = reader.read()
    (group / "memory.current").write_text("1000\n")
    second = reader.read()
    reader.close()
    assert first.memory_peak_bytes == second.memory_peak_bytes == 157286400
    assert second.memory_bytes == 1000
    assert second.io_read_bytes is None and second.io_write_bytes is None


def test_recorded_core_cpu_stat_parses_and_a_group_without_memory_is_refused() -> None:
    stat = flat_keyed((RECORDED / "cpu.stat").read_text())
    assert stat["usage_usec"] == 580536
    assert abs(stat["usage_usec"] - stat["user_usec"] - stat["system_usec"]) <= 1
    assert "throttled_usec" not in stat  # no cpu controller in a hybrid host's v2 group
    with pytest.raises(CgroupUnavailable, match=r"memory\.current"):
        CgroupV2Reader(_v2(RECORDED))


def test_io_stat_sums_devices_and_ignores_other_keys() -> None:
    assert v2_io_bytes("") == (0, 0)
    assert v2_io_bytes("259:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=99 dios=1\n") == (10, 20)


def _cgroup2_mount() -> Path | None:
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields, _, tail = line.partition(" - ")
        if tail.startswith("cgroup2 "):
            return Path(fields.split()[4])
    return None


@pytest.fixture
def real_v2_group() -> Iterator[Path]:
    mount = _cgroup2_mount()
    if mount is None:
        pytest.skip("no cgroup v2 hierarchy mounted on this machine")
    group = mount / f"bh-test-{id(mount)}"
    try:
        group.mkdir()
    except OSError as e:
        pytest.skip(f"cannot create a group in the real v2 hierarchy {mount}: {e.strerror}")
    yield group
    group.rmdir()


def test_real_v2_group_accounts_the_cpu_of_a_busy_process(real_v2_group: Path) -> None:
    busy = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass"
    cpu_stat = real_v2_group / "cpu.stat"
    group = JobCgroup(_v2(real_v2_group))
    job = subprocess.Popen(group.wrap([sys.executable, "-c", busy]))
    assert job.wait() == 0
    assert flat_keyed(cpu_stat.read_text())["usage_usec"] >= 300_000
    user, system = group.cpu_split(0.3)
    assert user + system == pytest.approx(0.3) and user > 0
    if "memory" in (real_v2_group / "cgroup.controllers").read_text().split():
        reader = CgroupV2Reader(_v2(real_v2_group))
        sample = reader.read()
        reader.close()
        assert sample.cpu_seconds >= 0.3 and sample.memory_peak_bytes > 0
