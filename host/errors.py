"""Errors a user can cause. `bh` prints them as one line and exits with `exit_code`; never a traceback."""

from __future__ import annotations


class BenchHubError(Exception):
    """Base of every error shown to a user as one clear message."""

    exit_code = 1


class UsageError(BenchHubError):
    """Bad command-line usage or a bad job file (exit 2)."""

    exit_code = 2


class ConfigError(UsageError):
    """A job-file error, located as file:line:col."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, column: int = 0) -> None:
        self.file, self.line, self.column, self.bare = file, line, column, message
        where = ":".join(str(p) for p in (file, line, column) if p) if file else ""
        super().__init__(f"{where}: {message}" if where else message)
