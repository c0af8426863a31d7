"""How a local job's resource use is measured.

With a cgroup of its own (`CgroupMetering`: the provider runs as root with writable cgroups) the job
is limited to its cpu/memory, sampled at 10 Hz by fastmonitor, and its Exit carries the cgroup's exact
peak memory, CPU time and OOM kills. Otherwise (`RusageMetering`) /proc is sampled once a second and
the Exit carries the job's rusage, which misses short jobs' peaks; `description` says which one ran.
"""

from __future__ import annotations

import resource
import sys
import threading
from collections.abc import Callable
from typing import Protocol

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.local.sampling import procfs_sampler
from benchhub.providers.sdk.fastmonitor import JobCgroup, Limits, Monitor, Sample, create_job_cgroup

Emit = Callable[[pb.ResourceSample], None]
RUSAGE = "rusage"


class Metering(Protocol):
    description: str  # "cgroup-v1", or "rusage (<why no cgroup>)"

    def command(self, argv: list[str]) -> list[str]:
        """The command line that runs `argv` measured this way."""

    def start(self, pgid: int, emit: Emit) -> None:
        """Start sampling the job (process group `pgid`), handing each sample to `emit`."""

    def finish(self, exit: pb.Exit, usage: resource.struct_rusage) -> pb.ResourceSample | None:
        """Fill `exit`'s CPU time and peak memory (and OOM kill) once the job's leader was reaped;
        returns the final sample, which no `emit` repeats."""

    def close(self) -> None:
        """Stop sampling and free what the job held (kills what is left of it); idempotent."""


class CgroupMetering:
    def __init__(self, cgroup: JobCgroup, memory_limit: int | None) -> None:
        self.cgroup, self.memory_limit = cgroup, memory_limit
        self.description = f"cgroup-v{cgroup.location.version}"
        self.monitor: Monitor | None = None
        self._emit: Emit | None = None
        self._closed = threading.Lock()

    def command(self, argv: list[str]) -> list[str]:
        return self.cgroup.wrap(argv)  # no preexec_fn: this gRPC server is multi-threaded

    def start(self, pgid: int, emit: Emit) -> None:
        self._emit = emit
        self.monitor = Monitor(self.cgroup.reader(), on_sample=self._forward).start()

    def _forward(self, sample: Sample) -> None:
        emit = self._emit
        if emit is not None:
            emit(sample.to_proto())

    def finish(self, exit: pb.Exit, usage: resource.struct_rusage) -> pb.ResourceSample | None:
        self._emit = None
        assert self.monitor is not None
        final = self.monitor.sample_now() or self.monitor.last
        if final is not None:
            exit.user_seconds, exit.sys_seconds = self.cgroup.cpu_split(final.cpu_seconds)
        exit.peak_memory_bytes = max(self.monitor.peak_memory_bytes, final.memory_peak_bytes if final else 0)
        kills = self.cgroup.oom_kills()
        if kills:  # as docker does: any process of the job killed for want of memory
            exit.status = pb.EXIT_STATUS_OOM_KILLED
            limit = f" at its {self.memory_limit / 2**20:g} MiB limit" if self.memory_limit else ""
            peak = f"peak {exit.peak_memory_bytes / 2**20:.1f} MiB"
            exit.message = f"out of memory{limit}: the kernel killed {kills} of the job's processes ({peak})"
        return final.to_proto() if final else None

    def close(self) -> None:
        if not self._closed.acquire(blocking=False):
            return
        if self.monitor is not None:
            self.monitor.stop()
        self.cgroup.kill_all()
        try:
            self.cgroup.remove()
        except OSError as e:
            print(f"local provider: cannot remove the job cgroup {e.filename}: {e.strerror}", file=sys.stderr)


def own_memory_high_water_kib() -> int:
    """This process image's peak resident memory (VmHWM), in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class RusageMetering:
    def __init__(self, why_no_cgroup: str) -> None:
        self.description = f"{RUSAGE} ({why_no_cgroup})"
        # A child's ru_maxrss starts at the high-water mark of the memory it was forked with (Linux
        # keeps it across exec), so a job's own rusage peak is only trusted above this provider's;
        # below, sampled peaks stand in. The provider's own ru_maxrss would not do: it carries, in
        # turn, whatever launched the provider; VmHWM is this process image's own mark.
        self.parent_peak_kib = own_memory_high_water_kib()
        self.sampled_peak = 0
        self._stop: Callable[[], None] | None = None

    def command(self, argv: list[str]) -> list[str]:
        return argv

    def start(self, pgid: int, emit: Emit) -> None:
        def record(sample: pb.ResourceSample) -> None:
            self.sampled_peak = max(self.sampled_peak, sample.memory_peak_bytes)
            emit(sample)

        self._stop = procfs_sampler(pgid, record)

    def finish(self, exit: pb.Exit, usage: resource.struct_rusage) -> pb.ResourceSample | None:
        self.close()
        exit.user_seconds, exit.sys_seconds = usage.ru_utime, usage.ru_stime
        trusted = usage.ru_maxrss > self.parent_peak_kib
        exit.peak_memory_bytes = usage.ru_maxrss * 1024 if trusted else self.sampled_peak
        cpu = usage.ru_utime + usage.ru_stime
        return pb.ResourceSample(cpu_seconds=cpu, memory_peak_bytes=exit.peak_memory_bytes, source=RUSAGE)

    def close(self) -> None:
        if self._stop is not None:
            self._stop()


_fallback_reasons_told: set[str] = set()


def metering_for(name: str, resources: job_pb2.Resources, cgroups: bool) -> Metering:
    """A cgroup for job `name` limited to `resources` when `cgroups` is on and one can be made here;
    else rusage, telling the provider's log why (once per reason)."""
    if not cgroups:
        return RusageMetering("cgroups = false in the local provider's configuration")
    memory = resources.memory_bytes or None
    limits = Limits(memory_bytes=memory, cpus=resources.cpu or None)
    cgroup, why_not = create_job_cgroup(name, limits)
    if cgroup is not None:
        return CgroupMetering(cgroup, memory)
    metering = RusageMetering(f"no writable cgroup: {why_not}")
    if why_not not in _fallback_reasons_told:
        _fallback_reasons_told.add(why_not)
        print(f"local provider: resource metrics: {metering.description}", file=sys.stderr)
    return metering

