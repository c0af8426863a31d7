"""A local byte bridge that does one side's TLS with Python's `ssl` module, for grpcio.

grpcio cannot verify go-plugin's P-521 certificates under TLS 1.3 (see `mtls`). Where a peer's
certificate needs it, the TLS session is terminated here and grpcio speaks plaintext HTTP/2 to the
bridge over a socket in a private (0700) directory:

- plugin side: TLS from the host is accepted on the public socket and forwarded to the grpc server's
  private socket (``accept_tls``);
- host side: grpcio dials the bridge's private socket, which forwards over TLS to the plugin
  (``connect_tls``).

The bridge runs an asyncio loop in a daemon thread; each connection is two pumps.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading

from benchhub.providers.sdk.mtls import SERVER_NAME

READ_BYTES = 256 << 10
Address = tuple[str, str]  # (network, address): ("unix", "/path") or ("tcp", "127.0.0.1:1234")


class TlsBridge:
    """Forwards every connection accepted on `listener` to `target`, with TLS on one side."""

    def __init__(
        self,
        listener: socket.socket,
        target: Address,
        *,
        accept_tls: ssl.SSLContext | None = None,
        connect_tls: ssl.SSLContext | None = None,
    ) -> None:
        self.listener, self.target = listener, target
        self.accept_tls, self.connect_tls = accept_tls, connect_tls
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tls-bridge", daemon=True)
        self._server: asyncio.AbstractServer | None = None

    def start(self) -> TlsBridge:
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop)
            self._thread.join(5)

    def _stop(self) -> None:
        """On the loop's thread: closing the server from another one raced with connections ending
        (asyncio's server is not thread-safe; it failed as `'NoneType' object is not iterable`)."""
        if self._server is not None:
            self._server.close()
        self._loop.stop()

    async def _serve(self) -> asyncio.AbstractServer:
        if self.listener.family == socket.AF_UNIX:
            return await asyncio.start_unix_server(self._forward, sock=self.listener, ssl=self.accept_tls)
        return await asyncio.start_server(self._forward, sock=self.listener, ssl=self.accept_tls)

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        network, address = self.target
        hostname = SERVER_NAME if self.connect_tls else None
        if network == "unix":
            return await asyncio.open_unix_connection(address, ssl=self.connect_tls, server_hostname=hostname)
        host, port = address.rsplit(":", 1)
        return await asyncio.open_connection(host, int(port), ssl=self.connect_tls, server_hostname=hostname)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            target_reader, target_writer = await self._connect()
        except (OSError, ssl.SSLError):
            writer.close()
            return
        pumps = [
            asyncio.ensure_future(_pump(reader, target_writer)),
            asyncio.ensure_future(_pump(target_reader, writer)),
        ]
        await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        for pump in pumps:
            pump.cancel()
        for end in (writer, target_writer):
            end.close()
            with contextlib.suppress(OSError, ssl.SSLError, asyncio.CancelledError):
                await end.wait_closed()


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, ssl.SSLError, asyncio.IncompleteReadError):
        while data := await reader.read(READ_BYTES):
            writer.write(data)
            await writer.drain()
