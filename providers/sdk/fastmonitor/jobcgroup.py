"""Put one job in its own cgroup (nested under the caller's own cgroup) so it can be limited and
measured apart from everything else. Needs root, or a delegated writable cgroup."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from benchhub.providers.sdk.fastmonitor.hierarchy import CgroupLocation, CgroupUnavailable, locate
from benchhub.providers.sdk.fastmonitor.reader import Reader, flat_keyed, open_reader

JOB_CGROUPS = "benchhub"  # the folder holding every job cgroup, under the caller's own cgroup
_V1_JOB_CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "blkio")
_V2_JOB_CONTROLLERS = ("memory", "cpu", "pids", "io")
_CFS_PERIOD_US = 100_000
_SWAP_LIMITS = ("memory.memsw.limit_in_bytes", "memory.swap.max")  # present only where swap is accounted
# `sh -c` script: write its own pid into each cgroup.procs given before `--`, then exec what follows.
_ENTER_THEN_EXEC = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"'


@dataclass(frozen=True)
class Limits:
    """Hard limits for a job cgroup; None leaves a limit unset. The memory limit allows no swap
    (where the kernel accounts swap), so a job over it is OOM-killed rather than slowed by swapping."""

    memory_bytes: int | None = None
    cpus: float | None = None
    pids: int | None = None


class JobCgroup:
    """A cgroup made for one job. `wrap(argv)` is the command line that runs `argv` inside it,
    `reader()` samples it, `cpu_split`, `oom_kills` and `kill_all` tell and end what ran in it,
    `remove()` deletes it once its processes are gone."""

    def __init__(self, location: CgroupLocation) -> None:
        self.location = location

    def _directory(self, controller: str) -> Path:
        return self.location.dirs["unified" if self.location.version == 2 else controller]

    def _numbers(self, controller: str, name: str) -> dict[str, int]:
        """`key value` lines of one of the cgroup's files ({} when the kernel has no such file)."""
        try:
            return flat_keyed((self._directory(controller) / name).read_text())
        except OSError:
            return {}

    def wrap(self, argv: list[str]) -> list[str]:
        """`argv` behind a `/bin/sh` that moves itself into the cgroup and then execs `argv`, so the
        job starts inside. Safe in a multi-threaded process, unlike a Python `preexec_fn` (which runs
        in the forked child before exec, where another thread's lock may never be released); a
        cgroup the shell cannot enter makes it exit with 125."""
        procs = [str(directory / "cgroup.procs") for directory in self.location.dirs.values()]
        return ["/bin/sh", "-c", _ENTER_THEN_EXEC, "bh-enter-cgroup", *procs, "--", *argv]

    def reader(self) -> Reader:
        return open_reader(self.location)

    def set_limits(self, limits: Limits) -> None:
        """Write `limits` in order; the swap limit only where the kernel accounts swap (its file exists)."""
        settings = _v1_settings(limits) if self.location.version == 1 else _v2_settings(limits)
        for controller, name, value in settings:
            path = self._directory(controller) / name
            if name not in _SWAP_LIMITS or path.exists():
                path.write_text(value)

    def cpu_split(self, total_seconds: float) -> tuple[float, float]:
        """The cgroup's exact CPU time `total_seconds` (e.g. a Sample's) split into user and system
        seconds in the proportion of the kernel's (tick-grained) user/system counters."""
        if self.location.version == 2:
            stat = self._numbers("cpu", "cpu.stat")
            user, system = stat.get("user_usec", 0), stat.get("system_usec", 0)
        else:
            stat = self._numbers("cpuacct", "cpuacct.stat")
            user, system = stat.get("user", 0), stat.get("system", 0)
        share = user / (user + system) if user + system else 1.0
        return total_seconds * share, total_seconds * (1 - share)

    def oom_kills(self) -> int:
        """How many of the cgroup's processes the kernel killed for want of memory."""
        name = "memory.events" if self.location.version == 2 else "memory.oom_control"
        return self._numbers("memory", name).get("oom_kill", 0)

    def kill_all(self) -> None:
        """SIGKILL every process still in the cgroup (also those that left the job's process group)."""
        with contextlib.suppress(OSError):
            members = (self._directory("memory") / "cgroup.procs").read_text().split()
            for pid in members:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)

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
        settings.append(("memory", "memory.memsw.limit_in_bytes", str(limits.memory_bytes)))  # memory + swap
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
        settings.append(("memory", "memory.swap.max", "0"))
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
