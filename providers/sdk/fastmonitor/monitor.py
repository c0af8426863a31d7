"""Sample a cgroup in a background thread at a fixed rate and hand each sample to a callback."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

from benchhub.providers.sdk.fastmonitor.reader import Reader
from benchhub.providers.sdk.fastmonitor.sample import Sample

DEFAULT_RATE_HZ = 10.0


class Monitor:
    """Reads `reader` `rate_hz` times a second until stopped or until the cgroup disappears.

    `on_sample` runs in the monitor thread; keep it quick (e.g. a queue.put). `peak_memory_bytes`
    is the highest peak seen, so it survives the cgroup being removed when the job ends.
    The monitor owns the reader and closes it when it stops.
    """

    def __init__(
        self,
        reader: Reader,
        on_sample: Callable[[Sample], None] | None = None,
        rate_hz: float = DEFAULT_RATE_HZ,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self._reader: Reader | None = reader
        self._on_sample = on_sample
        self._interval = 1.0 / rate_hz
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name=f"fastmonitor-{reader.source}", daemon=True)
        self.last: Sample | None = None
        self.peak_memory_bytes = 0
        self.stopped_because: str | None = None

    def start(self) -> Monitor:
        self._thread.start()
        return self

    def sample_now(self) -> Sample | None:
        """Take one sample outside the schedule (e.g. right after the job exits); None once the
        cgroup is gone."""
        with self._lock:
            if self._reader is None:
                return None
            try:
                sample = self._reader.read()
            except (OSError, ValueError) as e:
                self._close(f"cgroup no longer readable: {e}")
                return None
            self.last = sample
            self.peak_memory_bytes = max(self.peak_memory_bytes, sample.memory_peak_bytes)
        if self._on_sample is not None:
            self._on_sample(sample)
        return sample

    def stop(self) -> Sample | None:
        """Stop sampling, close the cgroup files and return the last sample taken."""
        self._stop.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()
        with self._lock:
            self._close("stopped")
        return self.last

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.sample_now() is None:
                return
            self._stop.wait(self._interval)

    def _close(self, reason: str) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
            self.stopped_because = self.stopped_because or reason

    def __enter__(self) -> Monitor:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
