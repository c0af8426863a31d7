"""Facts about this machine and the share of it the local provider offers."""

from __future__ import annotations

import os
import platform
import socket
from pathlib import Path

from benchhub.proto.job.v1 import job_pb2


def cores() -> int:
    return len(os.sched_getaffinity(0))


def memory_bytes() -> int:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def facts() -> dict[str, str]:
    """What a result needs to say where it was measured (Allocation.metadata)."""
    return {
        "cpu_model": cpu_model(),
        "cores": str(cores()),
        "memory_bytes": str(memory_bytes()),
        "kernel": platform.release(),
        "os": platform.system().lower(),
        "arch": platform.machine(),
        "hostname": socket.gethostname(),
    }


def share(cpu_share: float, memory_share: float) -> job_pb2.Resources:
    """The part of this machine offered: `cpu_share` of the cores, `memory_share` of the memory."""
    return job_pb2.Resources(
        cpu=round(cores() * cpu_share, 2),
        memory_bytes=int(memory_bytes() * memory_share),
        nodes=1,
        arch=platform.machine(),
    )
