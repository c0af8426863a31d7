"""One resource sample of a cgroup, field for field a `provider_pb2.ResourceSample`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from benchhub.proto.provider.v1 import provider_pb2 as pb


@dataclass(frozen=True, slots=True)
class Sample:
    """Cumulative CPU time, current and peak memory, and what else the source measures.

    Optional fields are None when the source cannot measure them (never 0 in their place).
    `taken_at` (seconds since the epoch) is the time of the RunEvent carrying the sample.
    """

    cpu_seconds: float
    memory_bytes: int
    memory_peak_bytes: int
    source: str
    taken_at: float
    pids: int | None = None
    cpu_throttled_seconds: float | None = None
    io_read_bytes: int | None = None
    io_write_bytes: int | None = None

    def to_proto(self) -> pb.ResourceSample:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "taken_at"}
        return pb.ResourceSample(**{name: value for name, value in fields.items() if value is not None})

    def to_run_event(self) -> pb.RunEvent:
        event = pb.RunEvent(sample=self.to_proto())
        event.time.FromNanoseconds(int(self.taken_at * 1e9))
        return event
