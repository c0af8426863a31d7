"""Dialing a plugin from its handshake and checking its health."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from benchhub.providers.sdk import wire

CONNECT_TIMEOUT_SECONDS = 10.0
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 64 << 20),
    ("grpc.max_send_message_length", 64 << 20),
]


class UnhealthyError(Exception):
    """The plugin did not answer, or did not report ``plugin`` as SERVING."""


def dial(target: str, credentials: grpc.ChannelCredentials | None = None) -> grpc.Channel:
    if credentials is None:
        return grpc.insecure_channel(target, options=CHANNEL_OPTIONS)
    return grpc.secure_channel(target, credentials, options=CHANNEL_OPTIONS)


def check_health(channel: grpc.Channel, timeout: float = CONNECT_TIMEOUT_SECONDS) -> None:
    """Wait for the channel, then require health service ``plugin`` to be SERVING."""
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
        response = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service=wire.HEALTH_SERVICE), timeout=timeout
        )
    except grpc.FutureTimeoutError as e:
        raise UnhealthyError(f"did not accept a connection within {timeout:g}s") from e
    except grpc.RpcError as e:
        raise UnhealthyError(f"health check failed: {e.code().name} {e.details()}") from e
    if response.status != health_pb2.HealthCheckResponse.SERVING:
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)
        raise UnhealthyError(f"health check says {status}")
