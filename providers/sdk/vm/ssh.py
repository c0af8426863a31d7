"""The SSH run path of a VM provider, on asyncssh.

A job on a VM lives in a sandbox directory `<root>/<job id>` (root: `.benchhub` in the login user's home); its
inputs are uploaded there over SFTP (tars unpacked at their `path`), then its config files (CONFIG_FILE
parameters, paths checked by `apply_parameters`) are written into its working dir; its command runs in its own
session (process group) with stdout and stderr streamed as they come, the timeout kills the whole group,
and outputs are downloaded back by glob.

gRPC's handlers are threads, asyncssh is asyncio: `SshRemote`'s methods are synchronous and each call
runs its own event loop; `SshRemote.run` streams from a helper thread through a queue.

Host keys: a fresh VM's host key is unknown to BenchHub, so `SshTarget.host_key` is optional (None
accepts the first key offered); security groups limit who can stand between the host and the VM.
"""

from __future__ import annotations

import asyncio
import contextlib
import posixpath
import queue
import shlex
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import asyncssh
from google.protobuf import timestamp_pb2

from benchhub.proto.job.v1 import job_pb2
from benchhub.proto.provider.v1 import provider_pb2 as pb
from benchhub.providers.sdk.errors import InvalidError, TransientError

DEFAULT_ROOT = ".benchhub"  # relative to the login user's home
READ_BYTES = 1 << 16
TRANSIENT = (OSError, asyncssh.Error, asyncio.TimeoutError)

# Returns a message when the VM was taken away (spot interruption), else None. Runs in a worker thread.
InterruptionCheck = Callable[[], "str | None"]


@dataclass(frozen=True)
class SshTarget:
    host: str
    port: int
    user: str
    key: asyncssh.SSHKey
    host_key: asyncssh.SSHKey | None = None


@dataclass(frozen=True)
class SshTimeouts:
    connect: float = 10.0  # one connection attempt
    reachable: float = 300.0  # wait_reachable: until the VM's sshd lets us in
    retry_delay: float = 2.0  # between attempts
    attempts: int = 3  # connecting for a job step (transient failures)
    interruption_poll: float = 5.0


def sandbox(root: str, job_id: str) -> str:
    return posixpath.join(root, job_id)


def working_dir(root: str, job_id: str, workdir: str) -> str:
    return posixpath.normpath(posixpath.join(sandbox(root, job_id), workdir or "."))


def _now() -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.GetCurrentTime()
    return stamp


def _event(**fields: Any) -> pb.RunEvent:
    return pb.RunEvent(time=_now(), **fields)


def _exit(status: pb.ExitStatus.ValueType, wall: float, message: str = "", code: int = 0) -> pb.RunEvent:
    return _event(exit=pb.Exit(status=status, exit_code=code, wall_seconds=wall, message=message))


def local_path(artifact: job_pb2.Artifact) -> Path:
    """The host file behind an input artifact (`file://` URI or a plain path)."""
    parsed = urlparse(artifact.uri)
    if parsed.scheme not in ("", "file"):
        raise InvalidError(f"input {artifact.name!r}: only file:// can be uploaded, not {artifact.uri}")
    return Path(unquote(parsed.path))


def command_line(job: job_pb2.Job, root: str, pid_file: str) -> str:
    """The remote shell line: own session, pid recorded (for the timeout kill), env, workdir, argv."""
    if not job.command:
        raise InvalidError(f"job {job.name or job.id}: a VM job needs a command")
    workdir = working_dir(root, job.id, job.workdir)
    env = [f"{key}={value}" for key, value in sorted(job.env.items())]
    script = (
        f"echo $$ > {shlex.quote(pid_file)} && mkdir -p {shlex.quote(workdir)} && cd {shlex.quote(workdir)}"
        f" && exec env {shlex.join(['--', *env, *job.command])}"
    )
    return f"setsid -w sh -c {shlex.quote(script)}"


class SshRemote:
    """One VM reached over SSH."""

    def __init__(
        self, target: SshTarget, timeouts: SshTimeouts | None = None, root: str = DEFAULT_ROOT
    ) -> None:
        self.target = target
        self.timeouts = timeouts or SshTimeouts()
        self.root = root

    # -- connecting ---------------------------------------------------------------------------------

    async def _connect_once(self) -> asyncssh.SSHClientConnection:
        known_hosts: Any = ([self.target.host_key], [], []) if self.target.host_key else None
        return await asyncio.wait_for(
            asyncssh.connect(
                self.target.host,
                self.target.port,
                username=self.target.user,
                client_keys=[self.target.key],
                known_hosts=known_hosts,
                agent_path=None,
                config=[],
            ),
            self.timeouts.connect,
        )

    async def _connect(self, attempts: int) -> asyncssh.SSHClientConnection:
        for attempt in range(1, attempts + 1):
            try:
                return await self._connect_once()
            except asyncssh.PermissionDenied as denied:
                last: Exception = denied
            except TRANSIENT as error:
                last = error
            if attempt < attempts:
                await asyncio.sleep(self.timeouts.retry_delay)
        where = f"{self.target.user}@{self.target.host}:{self.target.port}"
        raise TransientError(f"cannot reach {where} over SSH: {last}", host=self.target.host)

    def wait_reachable(self, on_attempt: Callable[[int], None] = lambda _: None) -> None:
        """Retry until the VM accepts our key, or TransientError after `timeouts.reachable`."""

        async def wait() -> None:
            deadline = time.monotonic() + self.timeouts.reachable
            attempt = 0
            while True:
                attempt += 1
                on_attempt(attempt)
                try:
                    connection = await self._connect(1)
                except TransientError:
                    if time.monotonic() + self.timeouts.retry_delay > deadline:
                        raise
                    await asyncio.sleep(self.timeouts.retry_delay)
                    continue
                connection.close()
                return

        asyncio.run(wait())

    # -- running ------------------------------------------------------------------------------------

    def run(
        self,
        job: job_pb2.Job,
        interrupted: InterruptionCheck,
        config_files: Mapping[str, str] | None = None,
    ) -> Iterator[pb.RunEvent]:
        """Upload inputs, write `config_files` (path in the working dir -> text), run the job's command,
        stream its output; the last event is its Exit."""
        return _iterate_in_thread(lambda: self._run(job, interrupted, config_files or {}))

    async def _run(
        self, job: job_pb2.Job, interrupted: InterruptionCheck, config_files: Mapping[str, str]
    ) -> AsyncIterator[pb.RunEvent]:
        started = time.monotonic()
        uploads = [(artifact, local_path(artifact)) for artifact in job.inputs]
        try:
            connection = await self._connect(self.timeouts.attempts)
        except TransientError as error:
            yield _exit(pb.EXIT_STATUS_ERROR, time.monotonic() - started, error.message)
            return
        async with connection:
            yield _event(status=pb.StatusChange(status=pb.JOB_STATUS_PREPARING, message="uploading inputs"))
            await self._stage(connection, job, uploads, config_files)
            yield _event(status=pb.StatusChange(status=pb.JOB_STATUS_RUNNING))
            async for event in self._execute(connection, job, interrupted):
                yield event

    async def _stage(
        self,
        connection: asyncssh.SSHClientConnection,
        job: job_pb2.Job,
        uploads: Sequence[tuple[job_pb2.Artifact, Path]],
        config_files: Mapping[str, str],
    ) -> None:
        root = sandbox(self.root, job.id)
        staging = posixpath.join(root, ".bh-inputs")
        await _check(connection, f"rm -rf {shlex.quote(root)} && mkdir -p {shlex.quote(staging)}")
        async with connection.start_sftp_client() as sftp:
            for index, (_, local) in enumerate(uploads):
                await sftp.put(str(local), posixpath.join(staging, str(index)))
            for index, (artifact, _) in enumerate(uploads):
                await _check(connection, _placing(artifact, posixpath.join(staging, str(index)), root))
            workdir = working_dir(self.root, job.id, job.workdir)
            for relative, text in config_files.items():
                remote = posixpath.join(workdir, relative)
                await sftp.makedirs(posixpath.dirname(remote), exist_ok=True)
                async with sftp.open(remote, "w") as file:
                    await file.write(text)

    async def _execute(
        self,
        connection: asyncssh.SSHClientConnection,
        job: job_pb2.Job,
        interrupted: InterruptionCheck,
    ) -> AsyncIterator[pb.RunEvent]:
        started = time.monotonic()
        pid_file = posixpath.join(sandbox(self.root, job.id), ".bh-pid")
        events: asyncio.Queue[pb.RunEvent] = asyncio.Queue()
        process = await connection.create_process(command_line(job, self.root, pid_file), encoding=None)
        pumps = [
            asyncio.create_task(_pump(process.stdout, pb.LogChunk.STREAM_STDOUT, events)),
            asyncio.create_task(_pump(process.stderr, pb.LogChunk.STREAM_STDERR, events)),
        ]
        done = asyncio.ensure_future(process.wait_closed())
        watch = asyncio.create_task(_watch(interrupted, self.timeouts.interruption_poll))
        timeout = job.timeout.ToTimedelta().total_seconds() if job.HasField("timeout") else None
        deadline = None if not timeout else started + timeout
        ending: pb.RunEvent | None = None
        getter: asyncio.Future[pb.RunEvent] | None = None
        try:
            while ending is None:
                left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
                getter = asyncio.ensure_future(events.get())
                await asyncio.wait({getter, done, watch}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    yield getter.result()
                    continue
                getter.cancel()
                if watch.done():
                    ending = _exit(pb.EXIT_STATUS_PREEMPTED, time.monotonic() - started, watch.result())
                elif done.done():
                    await asyncio.gather(*pumps, return_exceptions=True)
                    while not events.empty():
                        yield events.get_nowait()
                    ending = self._finished(process, done, interrupted, started)
                else:
                    ending = _exit(
                        pb.EXIT_STATUS_TIMED_OUT, time.monotonic() - started, f"timed out after {timeout:g}s"
                    )
        finally:
            if not done.done():
                await _kill_group(connection, pid_file)
                process.close()
            for pending in (getter, watch, done, *pumps):
                if pending is not None:
                    pending.cancel()
        yield ending

    @staticmethod
    def _finished(
        process: asyncssh.SSHClientProcess[bytes],
        done: asyncio.Future[None],
        interrupted: InterruptionCheck,
        started: float,
    ) -> pb.RunEvent:
        wall = time.monotonic() - started
        if done.exception() is not None or (process.exit_status is None and not process.exit_signal):
            reason = interrupted()
            if reason:
                return _exit(pb.EXIT_STATUS_PREEMPTED, wall, reason)
            return _exit(pb.EXIT_STATUS_ERROR, wall, f"lost the SSH session: {done.exception() or 'closed'}")
        if process.exit_signal:
            name = process.exit_signal[0]
            return _exit(pb.EXIT_STATUS_FAILED, wall, f"killed by signal {name}", code=-1)
        code = int(process.exit_status or 0)
        status = pb.EXIT_STATUS_SUCCEEDED if code == 0 else pb.EXIT_STATUS_FAILED
        return _exit(status, wall, "" if code == 0 else f"exit code {code}", code=code)

    # -- collecting ---------------------------------------------------------------------------------

    def download(self, job_id: str, workdir: str, globs: Sequence[str], into: Path) -> None:
        """Copy the files matching `globs` (relative to the job's working dir) into `into`."""

        async def download() -> None:
            remote_root = working_dir(self.root, job_id, workdir)
            connection = await self._connect(self.timeouts.attempts)
            async with connection, connection.start_sftp_client() as sftp:
                for pattern in globs:
                    try:
                        matches = await sftp.glob(posixpath.join(remote_root, pattern))
                    except asyncssh.SFTPNoSuchFile:
                        continue  # nothing matched: an output with no files
                    for found in matches:
                        remote = str(found)
                        relative = posixpath.relpath(remote, remote_root)
                        if relative.startswith("..") or not await sftp.isfile(remote):
                            continue
                        local = into / relative
                        local.parent.mkdir(parents=True, exist_ok=True)
                        await sftp.get(remote, str(local), preserve=True)

        asyncio.run(download())


def _placing(artifact: job_pb2.Artifact, staged: str, root: str) -> str:
    """The remote shell line moving the uploaded `staged` input to its place below `root`."""
    target = posixpath.normpath(posixpath.join(root, artifact.path or "."))
    if artifact.kind in (job_pb2.Artifact.KIND_SOURCE_SNAPSHOT, job_pb2.Artifact.KIND_DIRECTORY):
        return f"mkdir -p {shlex.quote(target)} && tar -xf {shlex.quote(staged)} -C {shlex.quote(target)}"
    if artifact.kind == job_pb2.Artifact.KIND_FILE:
        if not artifact.path:
            target = posixpath.join(root, local_path(artifact).name)
        parent = shlex.quote(posixpath.dirname(target) or ".")
        return f"mkdir -p {parent} && mv {shlex.quote(staged)} {shlex.quote(target)}"
    raise InvalidError(f"input {artifact.name!r}: a VM job cannot take a container image")


async def _check(connection: asyncssh.SSHClientConnection, line: str) -> None:
    result = await connection.run(line, check=False)
    if result.exit_status != 0:
        raise TransientError(f"remote step failed ({line}): {result.stderr!s}".strip())


async def _pump(
    stream: asyncssh.SSHReader[bytes], which: pb.LogChunk.Stream.ValueType, events: asyncio.Queue[pb.RunEvent]
) -> None:
    while data := await stream.read(READ_BYTES):
        await events.put(_event(log=pb.LogChunk(stream=which, data=data)))


async def _watch(interrupted: InterruptionCheck, every: float) -> str:
    """Poll `interrupted` (in a worker thread) until it reports the VM was taken away.

    A failing check (the cloud API throttled, say) counts as "not interrupted"; the next poll retries.
    """
    while True:
        await asyncio.sleep(every)
        try:
            reason = await asyncio.to_thread(interrupted)
        except Exception:
            continue
        if reason:
            return reason


async def _kill_group(connection: asyncssh.SSHClientConnection, pid_file: str) -> None:
    """Kill the job's whole process group (best effort: the VM may already be gone)."""
    line = f"kill -KILL -- -$(cat {shlex.quote(pid_file)}) 2>/dev/null; true"
    with contextlib.suppress(*TRANSIENT):
        await asyncio.wait_for(connection.run(line, check=False), 10)


_END = object()


def _iterate_in_thread(make: Callable[[], AsyncIterator[pb.RunEvent]]) -> Iterator[pb.RunEvent]:
    """A synchronous iterator over an async one running in its own thread and event loop.

    Closing the iterator early (the host cancelled the call) cancels the async side, which kills the job.
    """
    items: queue.Queue[Any] = queue.Queue()
    loop = asyncio.new_event_loop()

    async def drain() -> None:
        try:
            async for item in make():
                items.put(item)
        except BaseException as error:  # handed to the consuming thread
            items.put(error)
        finally:
            items.put(_END)

    task = loop.create_task(drain())
    thread = threading.Thread(target=loop.run_until_complete, args=(task,), name="bh-ssh-run", daemon=True)
    thread.start()
    try:
        while (item := items.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        if thread.is_alive():
            loop.call_soon_threadsafe(task.cancel)
        thread.join()
        loop.close()
