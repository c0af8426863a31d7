"""Run one job's container and turn what happens into RunEvents: logs as they come, fastmonitor
samples of its cgroup, and one Exit telling success, failure, OOM-kill, timeout and cancellation apart."""

from __future__ import annotations

import contextlib
import io
import queue
import tarfile
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import docker.errors
from docker.models.containers import Container

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.docker.images import host_path
from benchhub.providers.sdk.errors import InvalidError
from benchhub.providers.sdk.fastmonitor import CgroupUnavailable, Monitor, locate, open_reader

_Event = pb.RunEvent | None  # None: the log stream ended
Kind = job_pb2.Artifact.Kind


def event(**fields: Any) -> pb.RunEvent:
    message = pb.RunEvent(**fields)
    message.time.GetCurrentTime()
    return message


def status_event(status: pb.JobStatus.ValueType, message: str) -> pb.RunEvent:
    return event(status=pb.StatusChange(status=status, message=message))


def log_event(stream: pb.LogChunk.Stream.ValueType, data: bytes) -> pb.RunEvent:
    return event(log=pb.LogChunk(stream=stream, data=data))


@contextlib.contextmanager
def _copied_in(container: Container, workdir: str, what: str) -> Iterator[tarfile.TarFile]:
    """A tar to fill; on leaving, it is unpacked into `workdir` of the created container."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        yield archive
    if not container.put_archive(workdir, buffer.getvalue()):
        raise InvalidError(f"{what} could not be copied into the container")


def stage_inputs(container: Container, job: job_pb2.Job, workdir: str) -> None:
    """Copy FILE and DIRECTORY inputs into the created container (the source is in its image)."""
    for artifact in job.inputs:
        if artifact.kind not in (Kind.KIND_FILE, Kind.KIND_DIRECTORY):
            continue
        source = host_path(artifact)
        target = artifact.path or artifact.name
        with _copied_in(container, workdir, f"input {artifact.name!r}") as archive:
            if artifact.kind == Kind.KIND_FILE:
                archive.add(source, arcname=target)
            else:
                _add_directory(archive, source, target)


def _add_directory(archive: tarfile.TarFile, source: Path, target: str) -> None:
    """The members of the tar at `source` (a DIRECTORY input), placed below `target`."""
    with tarfile.open(source, "r:*") as directory:
        for member in directory.getmembers():
            data = directory.extractfile(member) if member.isfile() else None
            member.name = f"{target}/{member.name.removeprefix('./')}"
            archive.addfile(member, data)


def write_config_files(container: Container, files: Mapping[str, str], workdir: str) -> None:
    """Write CONFIG_FILE parameters (path in the working directory -> text) into the created container."""
    if not files:
        return
    with _copied_in(container, workdir, f"config files {', '.join(sorted(files))}") as archive:
        for relative, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(relative)
            info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
            archive.addfile(info, io.BytesIO(data))


class ContainerRun:
    """One created container, started by `events()`; `cancel()` (any thread) kills it."""

    def __init__(self, container: Container, timeout_seconds: float, memory_limit: int) -> None:
        self.container = container
        self.timeout_seconds = timeout_seconds
        self.memory_limit = memory_limit
        self._events: queue.Queue[_Event] = queue.Queue()
        self._timed_out = threading.Event()
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()
        self._kill()

    def _kill(self) -> None:
        with contextlib.suppress(docker.errors.APIError):
            self.container.kill()

    def _on_timeout(self) -> None:
        self._timed_out.set()
        self._kill()

    def _pump_logs(self, stream: Iterator[tuple[bytes | None, bytes | None]]) -> None:
        try:
            for stdout, stderr in stream:
                if stdout:
                    self._events.put(log_event(pb.LogChunk.STREAM_STDOUT, stdout))
                if stderr:
                    self._events.put(log_event(pb.LogChunk.STREAM_STDERR, stderr))
        finally:
            self._events.put(None)

    def _monitor(self) -> Monitor | None:
        self.container.reload()
        pid = self.container.attrs["State"]["Pid"]
        if not pid:
            return None  # already gone
        try:
            reader = open_reader(locate(pid))
        except CgroupUnavailable:
            return None  # exited meanwhile, or the daemon runs on another machine
        return Monitor(reader, on_sample=lambda s: self._events.put(s.to_run_event())).start()

    def events(self) -> Iterator[pb.RunEvent]:
        stream = self.container.attach(stdout=True, stderr=True, stream=True, logs=True, demux=True)
        started = time.monotonic()
        self.container.start()
        yield status_event(pb.JOB_STATUS_RUNNING, f"container {self.container.short_id}")
        timer = threading.Timer(self.timeout_seconds, self._on_timeout) if self.timeout_seconds else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        monitor = self._monitor()
        pump = threading.Thread(target=self._pump_logs, args=(stream,), daemon=True, name="docker-logs")
        pump.start()
        try:
            while (item := self._events.get()) is not None:
                yield item
            result = self.container.wait()
            wall = time.monotonic() - started
        finally:
            if timer is not None:
                timer.cancel()
            if monitor is not None:
                monitor.stop()
        while not self._events.empty():  # samples taken after the log stream ended
            if (item := self._events.get()) is not None:
                yield item
        peak = monitor.peak_memory_bytes if monitor is not None else 0
        yield event(exit=self._exit(result, wall, peak))

    def _exit(self, result: dict[str, Any], wall: float, peak: int) -> pb.Exit:
        self.container.reload()
        state = self.container.attrs["State"]
        code = int(result.get("StatusCode", state.get("ExitCode", -1)))
        exit_ = pb.Exit(exit_code=code, wall_seconds=wall, peak_memory_bytes=peak)
        if self._cancelled.is_set():
            exit_.status, exit_.signal, exit_.message = pb.EXIT_STATUS_CANCELLED, 9, "cancelled"
        elif self._timed_out.is_set():
            exit_.status, exit_.signal = pb.EXIT_STATUS_TIMED_OUT, 9
            exit_.message = f"killed after the {self.timeout_seconds:g} s timeout"
        elif state.get("OOMKilled"):
            # the kernel kills at the limit: the peak is the limit even when the last sample missed it
            exit_.status, exit_.peak_memory_bytes = pb.EXIT_STATUS_OOM_KILLED, max(peak, self.memory_limit)
            exit_.message = f"out of memory at the {self.memory_limit / 2**20:.0f} MiB limit"
        elif code == 0:
            exit_.status = pb.EXIT_STATUS_SUCCEEDED
        else:
            exit_.status, exit_.message = pb.EXIT_STATUS_FAILED, f"exit code {code}"
        if result.get("Error"):
            exit_.message = f"{exit_.message}; docker: {result['Error']}".lstrip("; ")
        return exit_
