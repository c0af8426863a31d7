"""Errors of the plugin runtime, each one line naming the provider executable.

Starting a plugin raises these before gRPC is loaded (`bh` starts plugins while it is still loading),
so gRPC and the protocol's messages are imported only by the call errors, which come after a call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from benchhub.host.errors import BenchHubError

if TYPE_CHECKING:
    import grpc

    from benchhub.proto.provider.v1 import provider_pb2 as pb


class PluginError(BenchHubError):
    """A provider executable could not be started, did not handshake, crashed or hung."""

    def __init__(self, executable: str, problem: str, stderr_tail: str = "") -> None:
        self.executable, self.problem, self.stderr_tail = executable, problem, stderr_tail
        tail = f"; its stderr ended with: {stderr_tail}" if stderr_tail else ""
        super().__init__(f"provider {executable}: {problem}{tail}")


class ProtocolMismatchError(PluginError):
    """The provider speaks no app protocol version the host speaks."""


class ProviderCallError(BenchHubError):
    """A provider answered a call with an error status; `reason` and `retryable` come from its ErrorDetail."""

    def __init__(
        self,
        provider: str,
        method: str,
        code: grpc.StatusCode,
        message: str,
        detail: pb.ErrorDetail | None = None,
    ) -> None:
        import grpc

        from benchhub.proto.provider.v1 import provider_pb2 as pb

        self.provider, self.method, self.code = provider, method, code
        self.reason = detail.reason if detail else pb.ErrorDetail.REASON_UNSPECIFIED
        self.retryable = detail.retryable if detail else code == grpc.StatusCode.UNAVAILABLE
        self.metadata = dict(detail.metadata) if detail else {}
        super().__init__(f"provider {provider}: {method} failed ({code.name}): {message}")


class CallCancelledError(ProviderCallError):
    """The host cancelled the call itself (an interrupted run)."""

    def __init__(self, provider: str, method: str) -> None:
        import grpc

        super().__init__(provider, method, grpc.StatusCode.CANCELLED, "cancelled by the host")
