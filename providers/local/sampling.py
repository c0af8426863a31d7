"""Resource samples of a running job's process group, read from /proc: what the local provider
measures when the job has no cgroup of its own.

``stop = procfs_sampler(pgid, emit)`` starts sampling the group and calling ``emit(ResourceSample)``;
``stop()`` ends it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

from benchhub.proto.provider.v1 import provider_pb2 as pb

INTERVAL_SECONDS = 1.0
FIRST_INTERVAL_SECONDS = 0.1  # so short jobs get a sample too
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def group_usage(pgid: int) -> tuple[float, int, int]:
    """CPU seconds (live members and their reaped children), resident bytes and member count of a group."""
    cpu, rss, members = 0.0, 0, 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) != pgid:  # fields[0] is the state; 2 is pgrp
            continue
        utime, stime, cutime, cstime = (int(v) for v in fields[11:15])
        cpu += (utime + stime + cutime + cstime) / _TICKS
        rss += int(fields[21]) * _PAGE
        members += 1
    return cpu, rss, members


def procfs_sampler(pgid: int, emit: Callable[[pb.ResourceSample], None]) -> Callable[[], None]:
    stopped = threading.Event()

    def sample() -> None:
        peak, interval = 0, FIRST_INTERVAL_SECONDS
        while not stopped.wait(interval):
            interval = INTERVAL_SECONDS
            cpu, rss, members = group_usage(pgid)
            if not members:
                return
            peak = max(peak, rss)
            emit(
                pb.ResourceSample(
                    cpu_seconds=cpu, memory_bytes=rss, memory_peak_bytes=peak, pids=members, source="procfs"
                )
            )

    threading.Thread(target=sample, name=f"sample-{pgid}", daemon=True).start()
    return stopped.set
