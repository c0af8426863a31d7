"""The project lock: one `bh apply` at a time per project.

`ProjectLock` holds an exclusive `fcntl.flock` on `.bh/lock` for as long as it is entered; the file
names the holder (pid and command) for the message a second process shows. The lock dies with its
process, so a crashed `bh` never leaves a stale lock behind.

Policy: by default a second `bh apply` fails at once with `ProjectLockedError` naming the holder
(a CI job should not hang silently behind another); `wait=SECONDS` waits up to that long first.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from benchhub.host.errors import BenchHubError

LOCK_FILE = "lock"
_POLL_SECONDS = 0.1


class ProjectLockedError(BenchHubError):
    """Another bh process holds the project lock."""


class ProjectLock:
    """`with ProjectLock(".bh"):` — exclusive use of the project whose state directory is given."""

    def __init__(self, state_dir: str | Path, *, wait: float = 0.0, purpose: str = "") -> None:
        self.path = Path(state_dir) / LOCK_FILE
        self.wait = wait
        self.purpose = purpose or " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv))
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(handle)
                    handle.close()
                    waited = f" after waiting {self.wait:g} s" if self.wait else ""
                    raise ProjectLockedError(
                        f"another bh process ({holder}) is working in this project{waited}; "
                        f"wait for it to finish (lock: {self.path})"
                    ) from None
                time.sleep(_POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}: {self.purpose}\n")
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            self._file.truncate(0)
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _read_holder(handle: IO[str]) -> str:
    handle.seek(0)
    return handle.read().strip() or "unknown pid"
