"""Put one job in its own cgroup (nested under the caller's own cgroup) so it can be limited and
measured apart from everything else. Needs root, or a delegated writable cgroup."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from benchhub.providers.sdk.fastmonitor.hierarchy import CgroupLocation, CgroupUnavailable, locate
from benchhub.providers.sdk.fastmonitor.reader import Reader, open_reader

JOB_CGROUPS = "benchhub"  # the folder holding every job cgroup, under the caller's own cgroup
_V1_JOB_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "blkio")
_V2_JOB_CONTROLLERS = ("memory", "cpu", "pids", "io")
_CFS_PERIOD_US = 100_000


@dataclass(frozen=True)
class Limits:
    """Hard limits for a job cgroup; None leaves a limit unset."""

    memory_bytes: int | None = None
    cpus: float | None = None
    pids: int | None = None


class JobCgroup:
    """A cgroup made for one job. `add(pid)` moves a process in, `enter()` moves the caller (use it
    as a subprocess `preexec_fn` so the job starts inside), `reader()` samples it, `remove()`
    deletes it once its processes are gone."""

    def __init__(self, location: CgroupLocation) -> None:
        self.location = location

    def _procs_files(self) -> list[Path]:
        return [d / "cgroup.procs" for d in self.location.dirs.values()]

    def add(self, pid: int) -> None:
        for procs in self._procs_files():
            procs.write_text(str(pid))

    def enter(self) -> None:
        self.add(os.getpid())

    def reader(self) -> Reader:
        return open_reader(self.location)

    def set_limits(self, limits: Limits) -> None:
        settings = _v1_settings(limits) if self.location.version == 1 else _v2_settings(limits)
        for controller, name, value in settings:
            directory = self.location.dirs["unified" if self.location.version == 2 else controller]
            (directory / name).write_text(value)

    def remove(self, timeout: float = 2.0) -> None:
        """Delete the cgroup, and the job folder when no other job uses it; idempotent.
        Waits up to `timeout` for exiting processes to leave."""
        deadline = time.monotonic() + timeout
        for directory in self.location.dirs.values():
            while True:
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.02)
            with contextlib.suppress(OSError):  # busy while other jobs run
                directory.parent.rmdir()


def _v1_settings(limits: Limits) -> list[tuple[str, str, str]]:
    settings = []
    if limits.memory_bytes is not None:
        settings.append(("memory", "memory.limit_in_bytes", str(limits.memory_bytes)))
    if limits.cpus is not None:
        settings.append(("cpu", "cpu.cfs_period_us", str(_CFS_PERIOD_US)))
        settings.append(("cpu", "cpu.cfs_quota_us", str(int(limits.cpus * _CFS_PERIOD_US))))
    if limits.pids is not None:
        settings.append(("pids", "pids.max", str(limits.pids)))
    return settings


def _v2_settings(limits: Limits) -> list[tuple[str, str, str]]:
    settings = []
    if limits.memory_bytes is not None:
        settings.append(("memory", "memory.max", str(limits.memory_bytes)))
    if limits.cpus is not None:
        settings.append(("cpu", "cpu.max", f"{int(limits.cpus * _CFS_PERIOD_US)} {_CFS_PERIOD_US}"))
    if limits.pids is not None:
        settings.append(("pids", "pids.max", str(limits.pids)))
    return settings


def _make_v1(own: CgroupLocation, name: str) -> CgroupLocation:
    missing = [c for c in ("memory", "cpuacct") if c not in own.dirs]
    if missing:
        raise CgroupUnavailable(f"cgroup v1 controllers not mounted: {', '.join(missing)}")
    job = own.child(f"{JOB_CGROUPS}/{name}")
    job = CgroupLocation(1, {c: d for c, d in job.dirs.items() if c in _V1_JOB_CONTROLLERS})
    for directory in job.dirs.values():
        directory.mkdir(parents=True, exist_ok=True)
    return job


def _make_v2(own: CgroupLocation, name: str) -> CgroupLocation:
    parent = own.unified / JOB_CGROUPS
    available = set((own.unified / "cgroup.controllers").read_text().split())
    wanted = [c for c in _V2_JOB_CONTROLLERS if c in available]
    parent.mkdir(exist_ok=True)
    enable = " ".join(f"+{c}" for c in wanted)
    try:
        (own.unified / "cgroup.subtree_control").write_text(enable)
        (parent / "cgroup.subtree_control").write_text(enable)
    except OSError as e:
        raise CgroupUnavailable(
            f"cannot enable {enable} below {own.unified}: {e.strerror} (cgroup v2 allows controllers "
            "only below a cgroup without processes: run under a delegated cgroup)"
        ) from e
    job = CgroupLocation(2, {"unified": parent / name})
    job.unified.mkdir(exist_ok=True)
    return job


def create_job_cgroup(name: str, limits: Limits | None = None) -> tuple[JobCgroup | None, str]:
    """A fresh cgroup for job `name` with `limits`, as (cgroup, ""); or (None, reason) when this
    process may not create one (not root, read-only or undelegated cgroups, no memory controller)."""
    if os.geteuid() != 0:
        return None, "not running as root: job cgroups need root (or a delegated cgroup)"
    try:
        own = locate()
        location = _make_v1(own, name) if own.version == 1 else _make_v2(own, name)
        job = JobCgroup(location)
        if limits is not None:
            job.set_limits(limits)
    except CgroupUnavailable as e:
        return None, str(e)
    except OSError as e:
        return None, f"cannot create a job cgroup: {e.strerror} ({e.filename})"
    return job, ""
