"""Read one cgroup's counters cheaply: every file is opened once and re-read with os.pread."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Protocol

from benchhub.providers.sdk.fastmonitor.hierarchy import CgroupLocation, CgroupUnavailable
from benchhub.providers.sdk.fastmonitor.sample import Sample

_BUFFER = 8192


class Reader(Protocol):
    source: str

    def read(self) -> Sample: ...

    def close(self) -> None: ...


class _File:
    """A cgroup file held open; `text()` re-reads it from offset 0."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)

    def text(self) -> str:
        chunks = [os.pread(self.fd, _BUFFER, 0)]
        while len(chunks[-1]) == _BUFFER:
            chunks.append(os.pread(self.fd, _BUFFER, _BUFFER * len(chunks)))
        return b"".join(chunks).decode()

    def number(self) -> int:
        return int(self.text())

    def close(self) -> None:
        os.close(self.fd)


def flat_keyed(text: str) -> dict[str, int]:
    """`key value` lines (cpu.stat, memory.stat) as a dict."""
    pairs = (line.split() for line in text.splitlines())
    return {p[0]: int(p[1]) for p in pairs if len(p) == 2}


def v2_io_bytes(text: str) -> tuple[int, int]:
    """Summed rbytes and wbytes over the devices of a cgroup v2 io.stat."""
    read = write = 0
    for line in text.splitlines():
        for field in line.split()[1:]:
            key, _, value = field.partition("=")
            if key == "rbytes":
                read += int(value)
            elif key == "wbytes":
                write += int(value)
    return read, write


def v1_io_bytes(text: str) -> tuple[int, int] | None:
    """Summed Read and Write bytes of a v1 blkio io_service_bytes file, or None when it lists no
    device: the kernel then does not account this cgroup's I/O (v1 throttle stats only count
    once a throttle rule exists), so the figure is unavailable, not 0."""
    read = write = 0
    devices = False
    for line in text.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        devices = True
        if parts[1] == "Read":
            read += int(parts[2])
        elif parts[1] == "Write":
            write += int(parts[2])
    return (read, write) if devices else None


class _Files:
    """The files a reader holds open; closes all of them if opening one fails."""

    def __init__(self) -> None:
        self.opened: list[_File] = []

    def need(self, path: Path) -> _File:
        handle = self.maybe(path)
        if handle is None:
            self.close()
            raise CgroupUnavailable(f"{path} does not exist (controller not enabled, or cgroup gone)")
        return handle

    def maybe(self, path: Path | None) -> _File | None:
        if path is None:
            return None
        try:
            handle = _File(path)
        except FileNotFoundError:
            return None
        except OSError as e:
            self.close()
            raise CgroupUnavailable(f"cannot open {path}: {e.strerror}") from e
        self.opened.append(handle)
        return handle

    def close(self) -> None:
        for handle in self.opened:
            handle.close()
        self.opened.clear()


def _in(dirs: dict[str, Path], controller: str, name: str) -> Path | None:
    return dirs[controller] / name if controller in dirs else None


class _FileReader:
    """What both versions' readers share: the open files, pids, and turning figures into a Sample."""

    source: str
    _files: _Files
    _pids: _File | None

    def _sample(
        self,
        taken_at: float,
        cpu_seconds: float,
        memory: int,
        peak: int,
        throttled_seconds: float | None,
        io: tuple[int, int] | None,
    ) -> Sample:
        return Sample(
            cpu_seconds=cpu_seconds,
            memory_bytes=memory,
            memory_peak_bytes=peak,
            source=self.source,
            taken_at=taken_at,
            pids=self._pids.number() if self._pids else None,
            cpu_throttled_seconds=throttled_seconds,
            io_read_bytes=io[0] if io else None,
            io_write_bytes=io[1] if io else None,
        )

    def close(self) -> None:
        self._files.close()


class CgroupV1Reader(_FileReader):
    """cpuacct.usage, memory.usage_in_bytes / max_usage_in_bytes, pids.current, cpu.stat
    throttled_time and blkio.throttle.io_service_bytes_recursive of one v1 cgroup."""

    source = "cgroup-v1"

    def __init__(self, location: CgroupLocation) -> None:
        d = location.dirs
        if "memory" not in d or "cpuacct" not in d:
            raise CgroupUnavailable("cgroup v1 needs the memory and cpuacct controllers mounted")
        self._files = files = _Files()
        self._cpu = files.need(d["cpuacct"] / "cpuacct.usage")
        self._memory = files.need(d["memory"] / "memory.usage_in_bytes")
        self._peak = files.need(d["memory"] / "memory.max_usage_in_bytes")
        self._pids = files.maybe(_in(d, "pids", "pids.current"))
        self._cpu_stat = files.maybe(_in(d, "cpu", "cpu.stat"))
        self._io = files.maybe(_in(d, "blkio", "blkio.throttle.io_service_bytes_recursive"))

    def read(self) -> Sample:
        taken_at = time.time()
        throttled = flat_keyed(self._cpu_stat.text()).get("throttled_time") if self._cpu_stat else None
        io = v1_io_bytes(self._io.text()) if self._io else None
        throttled_seconds = throttled / 1e9 if throttled is not None else None
        cpu_seconds, memory, peak = self._cpu.number() / 1e9, self._memory.number(), self._peak.number()
        return self._sample(taken_at, cpu_seconds, memory, peak, throttled_seconds, io)


class CgroupV2Reader(_FileReader):
    """cpu.stat, memory.current / memory.peak, pids.current and io.stat of one v2 cgroup.

    Kernels before 5.19 have no memory.peak: the peak is then the highest memory.current read.
    """

    source = "cgroup-v2"

    def __init__(self, location: CgroupLocation) -> None:
        d = location.unified
        self._files = files = _Files()
        self._cpu = files.need(d / "cpu.stat")
        self._memory = files.need(d / "memory.current")
        self._peak = files.maybe(d / "memory.peak")
        self._pids = files.maybe(d / "pids.current")
        self._io = files.maybe(d / "io.stat")
        self._highest = 0

    def read(self) -> Sample:
        taken_at = time.time()
        cpu = flat_keyed(self._cpu.text())
        memory = self._memory.number()
        self._highest = max(self._highest, memory)
        io = v2_io_bytes(self._io.text()) if self._io else None
        throttled = cpu.get("throttled_usec")
        throttled_seconds = throttled / 1e6 if throttled is not None else None
        peak = self._peak.number() if self._peak else self._highest
        return self._sample(taken_at, cpu["usage_usec"] / 1e6, memory, peak, throttled_seconds, io)


def open_reader(location: CgroupLocation) -> Reader:
    """A reader for the cgroup at `location`; raises CgroupUnavailable with the reason."""
    return CgroupV1Reader(location) if location.version == 1 else CgroupV2Reader(location)
