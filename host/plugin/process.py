"""One provider executable as a child process: launch, handshake, and stopping it for good.

The plugin runs in its own session (process group), so the terminal's Ctrl-C reaches only the host,
which then shuts the plugin down in order: Shutdown RPC, SIGTERM, SIGKILL of the whole group. Every
live plugin is also stopped when the host exits (atexit), so none outlives the host.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import queue
import select
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from typing import NoReturn

from benchhub.host.plugin.errors import PluginError, ProtocolMismatchError
from benchhub.host.plugin.output import PluginOutput
from benchhub.host.plugin.timeouts import GRACE_SECONDS, HANDSHAKE_TIMEOUT_SECONDS
from benchhub.providers.sdk import wire
from benchhub.providers.sdk.processes import signal_group

_live: set[PluginProcess] = set()  # strong: a plugin nobody holds any more is still stopped at exit


class PluginProcess:
    def __init__(self, executable: str, name: str, output: PluginOutput) -> None:
        self.executable, self.name, self.output = executable, name, output
        self.popen: subprocess.Popen[bytes] | None = None
        self._stdout: threading.Thread | None = None
        self._stderr: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(
        self,
        host_versions: tuple[int, ...],
        extra_env: Mapping[str, str],
        handshake_timeout: float = HANDSHAKE_TIMEOUT_SECONDS,
        started: Callable[[], None] | None = None,
    ) -> wire.Handshake:
        """Launch and read the handshake line; PluginError (the process stopped) when anything is wrong.
        `started` is called once the process runs, before its handshake is awaited."""
        if not os.access(self.executable, os.X_OK):
            raise PluginError(self.executable, "is not executable (chmod +x it)")
        env = {**os.environ, **wire.host_environment(host_versions), **extra_env}
        try:
            self.popen = subprocess.Popen(
                [self.executable],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as e:
            raise PluginError(self.executable, f"cannot be started: {e.strerror or e}") from e
        _live.add(self)
        if started is not None:
            started()
        assert self.popen.stdout is not None and self.popen.stderr is not None
        self._stderr = self.output.pump(self.popen.stderr, stderr=True)
        first_line: queue.Queue[str | None] = queue.Queue(1)
        self._stdout = threading.Thread(
            target=self._read_stdout, args=(first_line,), name=f"{self.name}-stdout", daemon=True
        )
        self._stdout.start()
        try:
            line = first_line.get(timeout=handshake_timeout)
        except queue.Empty:
            self.fail(f"printed no handshake within {handshake_timeout:g}s")
        if line is None:
            self.fail(f"{self.exit_description(wait=GRACE_SECONDS)} before its handshake")
        try:
            handshake = wire.Handshake.parse(line)
        except wire.HandshakeError as e:
            self.fail(f"printed a bad handshake: {e}")
        self.check_versions(handshake, host_versions)
        return handshake

    def check_versions(self, handshake: wire.Handshake, host_versions: tuple[int, ...]) -> None:
        problem = version_problem(handshake, host_versions, os.path.basename(self.executable))
        if problem:
            self.fail(problem, error=ProtocolMismatchError)

    def fail(self, problem: str, *, error: type[PluginError] = PluginError) -> NoReturn:
        """Stop the process and raise `error` naming the executable, with the tail of its stderr."""
        self.stop()
        raise error(self.executable, problem, self.stderr_tail())

    def stderr_tail(self) -> str:
        """The last lines of stderr; once the process has exited, including what it wrote last."""
        if self._stderr is not None and self.exited():
            self._stderr.join(GRACE_SECONDS / 2)
        return self.output.tail()

    def exited(self) -> bool:
        return self.popen is not None and self.popen.poll() is not None

    def exit_description(self, wait: float = 0.0) -> str:
        """``"exited with code 3"``, ``"was killed by signal 9"`` or ``"is still running"``."""
        if self.popen is None:
            return "was never started"
        try:
            code = self.popen.wait(wait)
        except subprocess.TimeoutExpired:
            return "is still running"
        if code < 0:
            return f"was killed by signal {-code} ({signal.Signals(-code).name})"
        return f"exited with code {code}"

    def stop(self, shutdown: Callable[[], None] | None = None) -> None:
        """Ask (`shutdown`, e.g. the Shutdown RPC), then SIGTERM, then SIGKILL the process group."""
        with self._lock:
            popen = self.popen
            if popen is None:
                return
            if popen.poll() is None and shutdown is not None:
                shutdown()
                _wait(popen, GRACE_SECONDS)
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if popen.poll() is not None:
                    break
                signal_group(popen.pid, sig)
                _wait(popen, GRACE_SECONDS)
            signal_group(popen.pid, signal.SIGKILL)  # anything the plugin left behind in its group
            _live.discard(self)
        for reader in (self._stdout, self._stderr):  # what it wrote last reaches the log before we return
            if reader is not None and reader is not threading.current_thread():
                reader.join(GRACE_SECONDS / 2)

    def _read_stdout(self, first_line: queue.Queue[str | None]) -> None:
        assert self.popen is not None and self.popen.stdout is not None
        with self.popen.stdout as stdout:
            raw = stdout.readline()
            first_line.put(raw.decode("utf-8", "replace") if raw else None)
            for raw in stdout:
                self.output.line(raw.decode("utf-8", "replace"), stderr=False)


def version_problem(handshake: wire.Handshake, host_versions: tuple[int, ...], provider: str) -> str | None:
    """Why the host cannot talk to this provider, or None."""
    if handshake.core_version != wire.CORE_PROTOCOL_VERSION:
        return (
            f"core protocol mismatch: host speaks {wire.CORE_PROTOCOL_VERSION}, "
            f"provider {provider} speaks {handshake.core_version}"
        )
    if handshake.app_version not in host_versions:
        speaks = ",".join(str(v) for v in host_versions)
        return f"protocol mismatch: host speaks {speaks}, provider {provider} speaks {handshake.app_version}"
    return None


def _wait(popen: subprocess.Popen[bytes], seconds: float) -> None:
    """Up to `seconds` for the process to exit. On Linux a pidfd wakes us the moment it does
    (`Popen.wait` with a timeout polls, up to 50 ms late); elsewhere `Popen.wait` does it."""
    try:
        pidfd = os.pidfd_open(popen.pid)
    except (AttributeError, OSError):  # not Linux >= 5.3, or the process is reaped already
        pidfd = None
    if pidfd is not None:
        try:
            if popen.poll() is None:  # still ours (not reaped, so its pid was not reused)
                select.select([pidfd], [], [], seconds)
        finally:
            os.close(pidfd)
        seconds = 0.0
    with contextlib.suppress(subprocess.TimeoutExpired):
        popen.wait(seconds)



@atexit.register
def _stop_all() -> None:
    for plugin in list(_live):
        plugin.stop()
