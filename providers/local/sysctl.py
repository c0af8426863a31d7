"""Kernel settings (sysctls) a local job asks for: set while it runs, restored when it ends.

They change the whole machine, so the local provider applies them only as root, and refuses a job
that wants a setting another running job holds at a different value.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

from benchhub.providers.sdk.errors import InvalidError

PROC_SYS = Path("/proc/sys")
_KEY = re.compile(r"[A-Za-z0-9_-]+([./][A-Za-z0-9_-]+)*")


def _path(key: str) -> Path:
    if not _KEY.fullmatch(key):
        raise InvalidError(f"system setting {key!r} is not a sysctl name (like vm.swappiness)")
    path = PROC_SYS / key.replace(".", "/")
    if not path.is_file():
        raise InvalidError(f"system setting {key!r}: this kernel has no {path}")
    return path


class SystemSettings:
    """The sysctls running jobs hold: key -> (value, value before the first holder, holders)."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[str, str, int]] = {}
        self._lock = threading.Lock()

    def hold(self, settings: Mapping[str, str]) -> Callable[[], None]:
        """Set `settings` for a job; returns the call that gives them back (restoring the old values
        once no running job holds them)."""
        if not settings:
            return lambda: None
        if os.geteuid() != 0:
            raise InvalidError(
                f"system settings {', '.join(sorted(settings))}: they change the whole machine, so the "
                "local provider applies them only when it runs as root"
            )
        taken: list[str] = []
        try:
            for key, value in settings.items():
                self._take(key, value)
                taken.append(key)
        except BaseException:
            self._give_back(taken)
            raise
        return lambda: self._give_back(taken)

    def _take(self, key: str, value: str) -> None:
        path = _path(key)
        with self._lock:
            if key in self._held:
                held, original, holders = self._held[key]
                if held != value:
                    raise InvalidError(f"system setting {key} is held at {held!r} by another running job")
                self._held[key] = (held, original, holders + 1)
                return
            try:
                original = path.read_text().strip()
                path.write_text(value)
            except OSError as e:
                raise InvalidError(f"system setting {key} = {value!r}: {e.strerror}") from e
            self._held[key] = (value, original, 1)

    def _give_back(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                value, original, holders = self._held.pop(key)
                if holders > 1:
                    self._held[key] = (value, original, holders - 1)
                    continue
                try:
                    PROC_SYS.joinpath(key.replace(".", "/")).write_text(original)
                except OSError as e:
                    restore = f"{key} = {original!r}"
                    print(f"local provider: cannot restore {restore}: {e.strerror}", file=sys.stderr)
