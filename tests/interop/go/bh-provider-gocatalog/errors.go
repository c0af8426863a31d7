package main

import (
	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// providerError is a gRPC status carrying an ErrorDetail, so the host can act
// on the reason (fail over, give up, retry) without parsing the message.
func providerError(code codes.Code, reason providerv1.ErrorDetail_Reason, retryable bool, msg string) error {
	st := status.New(code, msg)
	detailed, err := st.WithDetails(&providerv1.ErrorDetail{Reason: reason, Retryable: retryable, Message: msg})
	if err != nil {
		return st.Err()
	}
	return detailed.Err()
}

func notFound(msg string) error {
	return providerError(codes.NotFound, providerv1.ErrorDetail_REASON_NOT_FOUND, false, msg)
}

func invalid(msg string) error {
	return providerError(codes.InvalidArgument, providerv1.ErrorDetail_REASON_INVALID, false, msg)
}

func noCapacity(msg string) error {
	return providerError(codes.ResourceExhausted, providerv1.ErrorDetail_REASON_CAPACITY, true, msg)
}
