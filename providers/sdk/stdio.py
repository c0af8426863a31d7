"""The plugin's own Python-level stdout/stderr, streamed to the host over go-plugin's GRPCStdio.

After the handshake line the SDK replaces ``sys.stdout``/``sys.stderr`` with `StdioWriter`s that
queue what the provider prints while a host reads ``GRPCStdio.StreamStdio``. Without such a reader
(go-plugin 1.0.1 hosts have none), or when the queue is full, the text goes straight to the real
stdout/stderr, which every host reads. Writes never block the provider. File descriptors 1 and 2 are
left alone, so children inherit them as usual.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
from collections.abc import Iterator

import grpc
from google.protobuf import empty_pb2

from benchhub.proto.plugin import grpc_stdio_pb2 as stdio_pb
from benchhub.proto.plugin import grpc_stdio_pb2_grpc

_QUEUE_LIMIT = 4096


class StdioQueue:
    """What the provider printed, waiting for the host."""

    def __init__(self) -> None:
        self.items: queue.Queue[stdio_pb.StdioData | None] = queue.Queue(_QUEUE_LIMIT)
        self.real_fds = {stdio_pb.StdioData.STDOUT: os.dup(1), stdio_pb.StdioData.STDERR: os.dup(2)}
        self.readers = 0
        self.closed = False

    def close(self) -> None:
        """End the host's stream once what is queued has been sent (the plugin is stopping)."""
        self.closed = True
        with contextlib.suppress(queue.Full):
            self.items.put_nowait(None)  # wakes the stream at once instead of at its next poll

    def put(self, channel: stdio_pb.StdioData.Channel.ValueType, data: bytes) -> None:
        if self.readers:
            try:
                self.items.put_nowait(stdio_pb.StdioData(channel=channel, data=data))
                return
            except queue.Full:
                pass
        os.write(self.real_fds[channel], data)


class StdioWriter(io.TextIOBase):
    """A text stream feeding one channel of a `StdioQueue`."""

    def __init__(self, sink: StdioQueue, channel: stdio_pb.StdioData.Channel.ValueType) -> None:
        super().__init__()
        self.sink, self.channel = sink, channel

    def write(self, text: str) -> int:
        if text:
            self.sink.put(self.channel, text.encode("utf-8", "replace"))
        return len(text)

    def writable(self) -> bool:
        return True


class StdioServicer(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """GRPCStdio.StreamStdio: the queued output, until the host goes away."""

    def __init__(self, sink: StdioQueue) -> None:
        self.sink = sink

    def StreamStdio(
        self, request: empty_pb2.Empty, context: grpc.ServicerContext
    ) -> Iterator[stdio_pb.StdioData]:
        self.sink.readers += 1
        try:
            while context.is_active():
                try:
                    item = self.sink.items.get(timeout=0.1)
                except queue.Empty:
                    if self.sink.closed:
                        return
                    continue
                if item is None:
                    return
                yield item
        finally:
            self.sink.readers -= 1
