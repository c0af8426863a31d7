"""One job as a process group on this machine, turned into a stream of RunEvents.

The job starts in its own process group and working directory; stdout and stderr are streamed as
timestamped chunks, resource samples come from the job's `Metering` (its cgroup, else /proc), the
timeout (and a cancel) kills the whole group, and the last event is the Exit with wall, user and
system time and the peak memory, as the metering measured them.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import queue
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from google.protobuf import timestamp_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.local.metering import Metering
from benchhub.providers.sdk.processes import signal_group

READ_BYTES = 256 << 10
KILL_GRACE_SECONDS = 1.0
DRAIN_SECONDS = 2.0  # after the leader exits, how long pipes held by escaped processes may stay open
Stream = pb.LogChunk.Stream


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


class Execution:
    """A started job. `events()` streams it to the end; `kill(status)` may be called from any thread."""

    def __init__(
        self, job: job_pb2.Job, argv: list[str], workdir: Path, env: Mapping[str, str], metering: Metering
    ) -> None:
        self.job, self.metering = job, metering
        _require_executable(argv[0], workdir, env)
        self.popen = subprocess.Popen(
            metering.command(argv),
            cwd=workdir,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            process_group=0,
        )
        self.started = time.monotonic()
        self.pgid = self.popen.pid
        self.killed_as: pb.ExitStatus.ValueType | None = None
        self._events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def kill(self, status: pb.ExitStatus.ValueType, *, grace: bool = True) -> None:
        """End the whole group (SIGTERM, SIGKILL after a grace), reporting `status`; no-op once ended."""
        if self.popen.returncode is not None:
            return
        if self.killed_as is None:
            self.killed_as = status
        if not grace:
            signal_group(self.pgid, signal.SIGKILL)
            return
        signal_group(self.pgid, signal.SIGTERM)
        threading.Timer(KILL_GRACE_SECONDS, signal_group, (self.pgid, signal.SIGKILL)).start()

    def events(self) -> Iterator[pb.RunEvent]:
        assert self.popen.stdout is not None and self.popen.stderr is not None
        readers = [
            self._thread(self._read, self.popen.stdout.fileno(), Stream.STREAM_STDOUT),
            self._thread(self._read, self.popen.stderr.fileno(), Stream.STREAM_STDERR),
        ]
        self._thread(self._wait)
        self.metering.start(self.pgid, lambda sample: self._events.put(("sample", sample)))
        timeout = self.job.timeout.ToTimedelta().total_seconds() if self.job.HasField("timeout") else 0.0
        deadline = self.started + timeout if timeout > 0 else None
        open_streams, exit_event, final_sample, drain_until = len(readers), None, None, None
        try:
            while open_streams or exit_event is None:
                wait = _until(deadline, drain_until)
                try:
                    kind, payload = self._events.get(timeout=wait)
                except queue.Empty:
                    if drain_until is not None:
                        break
                    deadline = None
                    self.kill(pb.EXIT_STATUS_TIMED_OUT)
                    continue
                if kind == "log":
                    stream, data, stamp = payload
                    yield pb.RunEvent(time=stamp, log=pb.LogChunk(stream=stream, data=data))
                elif kind == "sample":
                    yield pb.RunEvent(time=_now(), sample=payload)
                elif kind == "eof":
                    open_streams -= 1
                else:
                    (exit_event, final_sample), deadline = self._exit(*payload), None
                    signal_group(self.pgid, signal.SIGKILL)  # what the job left running in its group
                    drain_until = time.monotonic() + DRAIN_SECONDS
            assert exit_event is not None
            if final_sample is not None:
                yield pb.RunEvent(time=_now(), sample=final_sample)
            yield pb.RunEvent(time=_now(), exit=exit_event)
        finally:
            if exit_event is None:
                self.kill(pb.EXIT_STATUS_CANCELLED)
                threading.Timer(KILL_GRACE_SECONDS, self.metering.close).start()  # after the grace
            else:
                self.metering.close()
            for stream in (self.popen.stdout, self.popen.stderr):
                stream.close()

    def _thread(self, target: Any, *args: Any) -> threading.Thread:
        thread = threading.Thread(target=target, args=args, name=f"job-{self.pgid}", daemon=True)
        thread.start()
        return thread

    def _read(self, fd: int, stream: pb.LogChunk.Stream.ValueType) -> None:
        with contextlib.suppress(OSError):  # larger pipe: fewer, larger chunks for a chatty job
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, READ_BYTES)
        try:
            while data := os.read(fd, READ_BYTES):
                self._events.put(("log", (stream, data, _now())))
        except OSError:
            pass
        self._events.put(("eof", None))

    def _wait(self) -> None:
        _, status, usage = os.wait4(self.popen.pid, 0)
        self.popen.returncode = os.waitstatus_to_exitcode(status)
        self._events.put(("exit", (status, usage)))

    def _exit(self, status: int, usage: resource.struct_rusage) -> tuple[pb.Exit, pb.ResourceSample | None]:
        code = os.waitstatus_to_exitcode(status)
        exit = pb.Exit(wall_seconds=time.monotonic() - self.started)
        if code < 0:
            exit.signal = -code
            exit.message = f"killed by signal {signal.Signals(-code).name}"
        else:
            exit.exit_code = code
        final_sample = self.metering.finish(exit, usage)  # may tell an OOM kill
        if self.killed_as is not None:
            exit.status = self.killed_as
            timeout = self.job.timeout.ToTimedelta().total_seconds()
            if self.killed_as == pb.EXIT_STATUS_TIMED_OUT:
                exit.message = f"timed out after {timeout:g}s; the job's process group was killed"
        elif exit.status == pb.EXIT_STATUS_UNSPECIFIED:
            exit.status = pb.EXIT_STATUS_SUCCEEDED if code == 0 else pb.EXIT_STATUS_FAILED
        return exit, final_sample


def _require_executable(program: str, workdir: Path, env: Mapping[str, str]) -> None:
    """Raise what exec would (file not found, permission denied) before a wrapper hides it."""
    search = env.get("PATH", os.defpath)
    path = str(workdir / program) if "/" in program else shutil.which(program, path=search)
    if path is None or not os.path.isfile(path):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    if not os.access(path, os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)


def _until(*moments: float | None) -> float | None:
    pending = [m for m in moments if m is not None]
    return max(0.0, min(pending) - time.monotonic()) if pending else None
