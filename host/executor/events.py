"""The events of a plan or an apply, and their stable JSON form (`bh plan|apply --json`).

`--json` writes one JSON object per line to stdout. Every object has:

    {"v": 1, "event": "<type>", "time": "<RFC 3339 UTC>", ...fields of that type}

Types and their fields (fields may be added in a later `v`; none is removed or renamed):

    plan             jobs: [{id, name, provider, offer, region, instance_type, spot, nodes,
                     estimated_cost, currency, runner_up: {provider, offer, estimated_cost, why} | null}],
                     total_cost, currency, budget, warnings: [str]
    run.started      run, jobs (count), parallelism
    job.skipped      run, job, reason
    job.allocating   run, job, provider, offer, attempt
    allocation.failed  run, job, provider, offer, attempt, reason, message
    job.started      run, job, provider, offer, allocation (node 0's, for a job of several nodes)
    job.status       run, job, status (preparing|running), message: what the provider says about
                     the job, e.g. how it measures resources; also written to the job's log as
                     `[bh] <status>: <message>`
    job.retrying     run, job, reason, attempt
    job.finished     run, job, status (passed|failed|cancelled), exit_code, duration_s, cost,
                     currency, message
    budget.exhausted run, spent, committed, budget, currency
    run.finished     run, status (passed|failed|interrupted), passed, failed, skipped,
                     cancelled, duration_s, cost, currency, exit_code
    error            message

Numbers are JSON numbers, absent values are null.

When the reader of the stream goes away (`bh apply --json | head -5`), `bh` stops writing, treats it
as an interrupt (running jobs cancelled, every allocation released, the run marked interrupted) and
exits 141, the status a shell reports for a program ended by SIGPIPE (as `git log | head` does).
Into a pipe this happens as soon as the reader is gone, not at the next event.
"""

from __future__ import annotations

import json
import os
import select
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Event:
    """One thing that happened, with its type-specific fields."""

    type: str
    fields: dict[str, Any] = field(default_factory=dict)
    time: datetime = field(default_factory=lambda: datetime.now(UTC))

    def to_json(self) -> str:
        stamp = self.time.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return json.dumps({"v": SCHEMA_VERSION, "event": self.type, "time": stamp, **self.fields})


EventSink = Callable[[Event], None]


class SerialSink:
    """Delivers events from many threads to one sink, one at a time, in order of arrival."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        with self._lock:
            self._sink(event)


class JsonLinesSink:
    """Writes each event as one JSON line and flushes, so a CI log shows it at once."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def __call__(self, event: Event) -> None:
        self._out.write(event.to_json() + "\n")
        self._out.flush()


class OutputGuard:
    """Stops writing once the reader of the output is gone: the first BrokenPipeError (or, with
    `watch`, the pipe reporting that its reader left) marks the output closed, drops every later
    event and calls the `when_closed` callbacks once."""

    def __init__(self, sink: EventSink) -> None:
        self._sink = sink
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        self.closed = False

    def when_closed(self, callback: Callable[[], None]) -> None:
        self._callbacks.append(callback)

    def watch(self, output: TextIO) -> None:
        """When `output` is a pipe, notice its reader leaving at once (a pipe's write end reports an
        error then), rather than at the next event, which may be a long job away."""
        try:
            fd = output.fileno()
            is_pipe = stat.S_ISFIFO(os.fstat(fd).st_mode)
        except (OSError, ValueError):  # not a real file (a test's buffer)
            return
        if is_pipe:
            poller = select.poll()
            poller.register(fd, select.POLLERR)
            threading.Thread(target=self._wait_for_reader_gone, args=(poller,), daemon=True).start()

    def _wait_for_reader_gone(self, poller: select.poll) -> None:
        while not self.closed:
            if poller.poll(1000):
                self._close()

    def __call__(self, event: Event) -> None:
        if self.closed:
            return
        try:
            self._sink(event)
        except BrokenPipeError:
            self._close()

    def _close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
        for callback in self._callbacks:
            callback()
