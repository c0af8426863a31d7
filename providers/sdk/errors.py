"""Errors a provider raises; the SDK turns them into gRPC status codes with an ErrorDetail.

Raise one of these from any Provider method. The host reads the code and the detail's reason to
decide what to do: fail over to the next offer (capacity, quota, price, transient), give up on the
provider (auth), or report a bad request (invalid, not found).
"""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
from google.rpc import status_pb2
from grpc_status import rpc_status

from benchhub.proto.provider.v1 import provider_pb2 as pb

Reason = pb.ErrorDetail.Reason


class ProviderError(Exception):
    """Base class: an error a provider reports to the host as a status with details."""

    code: grpc.StatusCode = grpc.StatusCode.INTERNAL
    reason: pb.ErrorDetail.Reason.ValueType = Reason.REASON_UNSPECIFIED
    retryable = False

    def __init__(self, message: str, **metadata: str) -> None:
        super().__init__(message)
        self.message = message
        self.metadata = {k: str(v) for k, v in metadata.items()}

    def detail(self) -> pb.ErrorDetail:
        return pb.ErrorDetail(
            reason=self.reason, retryable=self.retryable, message=self.message, metadata=self.metadata
        )

    def to_status(self) -> grpc.Status:
        packed = any_pb2.Any()
        packed.Pack(self.detail())
        status = status_pb2.Status(code=self.code.value[0], message=self.message, details=[packed])
        converted: grpc.Status = rpc_status.to_status(status)
        return converted


class OfferExhaustedError(ProviderError):
    """This offer cannot be had now; the host fails over to the next one. Raise a subclass."""

    code = grpc.StatusCode.RESOURCE_EXHAUSTED
    retryable = True


class CapacityError(OfferExhaustedError):
    """No capacity for this offer now (another zone, type or provider may have it)."""

    reason = Reason.REASON_CAPACITY


class QuotaError(OfferExhaustedError):
    """An account limit was hit; other regions or providers may still work."""

    reason = Reason.REASON_QUOTA


class PriceError(OfferExhaustedError):
    """The price asked for is not available (e.g. the spot market is above the maximum price)."""

    reason = Reason.REASON_PRICE


class TransientError(ProviderError):
    """A passing failure (throttling, network); the same call may succeed later."""

    code = grpc.StatusCode.UNAVAILABLE
    reason = Reason.REASON_TRANSIENT
    retryable = True


class AuthError(ProviderError):
    """Credentials are missing or refused: fatal for this provider."""

    code = grpc.StatusCode.UNAUTHENTICATED
    reason = Reason.REASON_AUTH


class InvalidError(ProviderError):
    """The request cannot be served as asked (bad config, unknown offer, job too big)."""

    code = grpc.StatusCode.INVALID_ARGUMENT
    reason = Reason.REASON_INVALID


class NotFoundError(ProviderError):
    """The allocation or object does not exist."""

    code = grpc.StatusCode.NOT_FOUND
    reason = Reason.REASON_NOT_FOUND


def detail_of(error: grpc.RpcError) -> pb.ErrorDetail | None:
    """The ErrorDetail carried by a failed call, if the provider sent one."""
    status = rpc_status.from_call(error)
    if status is None:
        return None
    for packed in status.details:
        if packed.Is(pb.ErrorDetail.DESCRIPTOR):
            detail = pb.ErrorDetail()
            packed.Unpack(detail)
            return detail
    return None
