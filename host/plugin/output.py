"""A plugin's stdout/stderr/GRPCStdio output, forwarded into the host's `logging` and remembered.

Each line becomes a record on the logger ``benchhub.provider.<name>``. go-plugin style JSON lines
(``{"@level": "warn", "@message": "...", ...}``, as hclog writes them) become records of that level
with the remaining fields appended as ``key=value``; any other line is logged at INFO (stdout) or
WARNING (stderr). The last lines of stderr are kept for error messages.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from benchhub.proto.plugin import grpc_stdio_pb2 as stdio_pb

_LEVELS = {
    "trace": logging.DEBUG,
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
TAIL_LINES = 10


def parse_line(line: str, default_level: int) -> tuple[int, str]:
    """The level and message of one output line."""
    if line.startswith("{"):
        try:
            record = json.loads(line)
        except ValueError:
            return default_level, line
        if isinstance(record, dict) and "@message" in record:
            level = _LEVELS.get(str(record.get("@level", "")).lower(), default_level)
            extra = " ".join(f"{k}={v}" for k, v in record.items() if not k.startswith("@"))
            message = str(record["@message"])
            return level, f"{message} {extra}" if extra else message
    return default_level, line


class PluginOutput:
    """Forwards one plugin's output lines to its logger and keeps the tail of its stderr."""

    def __init__(self, provider: str) -> None:
        self.log = logging.getLogger(f"benchhub.provider.{provider}")
        self._tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._lock = threading.Lock()

    def line(self, text: str, *, stderr: bool) -> None:
        text = text.rstrip("\r\n")
        if not text:
            return
        if stderr:
            with self._lock:
                self._tail.append(text)
        level, message = parse_line(text, logging.WARNING if stderr else logging.INFO)
        self.log.log(level, "%s", message)

    def tail(self) -> str:
        with self._lock:
            return " | ".join(self._tail)

    def pump(self, stream: IO[bytes], *, stderr: bool) -> threading.Thread:
        """Forward `stream` line by line in a daemon thread until EOF."""
        return self._start(self._lines(stream), stderr=stderr)

    def stdio(self, messages: Iterable[stdio_pb.StdioData]) -> None:
        """Forward GRPCStdio messages, split into lines per channel, in the calling thread."""
        from benchhub.proto.plugin import grpc_stdio_pb2 as stdio_pb  # a stream exists: gRPC is loaded

        pending = {stdio_pb.StdioData.STDOUT: b"", stdio_pb.StdioData.STDERR: b""}
        for message in messages:
            stderr = message.channel == stdio_pb.StdioData.STDERR
            joined = pending.get(message.channel, b"") + message.data
            *complete, pending[message.channel] = joined.split(b"\n")
            for raw in complete:
                self.line(raw.decode("utf-8", "replace"), stderr=stderr)
        for channel, rest in pending.items():
            self.line(rest.decode("utf-8", "replace"), stderr=channel == stdio_pb.StdioData.STDERR)

    @staticmethod
    def _lines(stream: IO[bytes]) -> Iterable[str]:
        with stream:
            for raw in stream:
                yield raw.decode("utf-8", "replace")

    def _start(self, lines: Iterable[str], *, stderr: bool) -> threading.Thread:
        def forward() -> None:
            for text in lines:
                self.line(text, stderr=stderr)

        thread = threading.Thread(target=forward, name=f"{self.log.name}-output", daemon=True)
        thread.start()
        return thread
