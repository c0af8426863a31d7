"""A server interceptor turning exceptions raised by a provider into gRPC statuses.

`errors.ProviderError` becomes its status code with an ErrorDetail in the status details; any other
exception becomes INTERNAL naming the exception (and its traceback goes to the plugin's log), so a
provider bug reaches the host as a clear message instead of grpc's bare "Exception calling application".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import grpc

from benchhub.providers.sdk.errors import ProviderError

log = logging.getLogger("benchhub.providers.sdk")


def _fail(error: Exception, context: grpc.ServicerContext, method: str) -> None:
    if context.code() is not None:  # type: ignore[attr-defined]  # the provider aborted the call itself
        raise error
    if isinstance(error, ProviderError):
        context.abort_with_status(error.to_status())
    log.error("%s failed", method, exc_info=error)
    context.abort(grpc.StatusCode.INTERNAL, f"{method}: {type(error).__name__}: {error}")


def _wrap_unary(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    def call(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behavior(request, context)
        except Exception as e:
            _fail(e, context, method)
            raise

    return call


def _wrap_stream(behavior: Callable[..., Iterator[Any]], method: str) -> Callable[..., Iterator[Any]]:
    def call(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        try:
            yield from behavior(request, context)
        except Exception as e:
            _fail(e, context, method)
            raise

    return call


class ErrorInterceptor(grpc.ServerInterceptor):
    """Converts ProviderError (and unexpected exceptions) into statuses for every method."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler[Any, Any] | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method.rsplit("/", 1)[-1]
        codec = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(_wrap_unary(handler.unary_unary, method), **codec)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(_wrap_stream(handler.unary_stream, method), **codec)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(_wrap_unary(handler.stream_unary, method), **codec)
        assert handler.stream_stream is not None
        return grpc.stream_stream_rpc_method_handler(_wrap_stream(handler.stream_stream, method), **codec)
