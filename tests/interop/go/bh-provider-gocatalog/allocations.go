package main

import (
	"context"
	"fmt"

	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
)

func (p *provider) Allocate(req *providerv1.AllocateRequest, stream providerv1.Provider_AllocateServer) error {
	e, ok := findEntry(req.OfferId)
	if !ok {
		return notFound(fmt.Sprintf("offer %q is not in the catalog", req.OfferId))
	}
	progress := &providerv1.AllocateProgress{Message: fmt.Sprintf("reserving %s in %s", e.instanceType, zone)}
	if err := stream.Send(&providerv1.AllocateEvent{Event: &providerv1.AllocateEvent_Progress{Progress: progress}}); err != nil {
		return err
	}
	a, err := p.ledger.allocate(req, e, p.offer(e).PricePerHour)
	if err != nil {
		return err
	}
	return stream.Send(&providerv1.AllocateEvent{Event: &providerv1.AllocateEvent_Allocation{Allocation: a}})
}

func (p *provider) Release(_ context.Context, req *providerv1.ReleaseRequest) (*providerv1.ReleaseResponse, error) {
	return &providerv1.ReleaseResponse{Released: p.ledger.release(req.AllocationId)}, nil
}

func (p *provider) ListAllocations(_ context.Context, req *providerv1.ListAllocationsRequest) (*providerv1.ListAllocationsResponse, error) {
	return &providerv1.ListAllocationsResponse{Allocations: p.ledger.list(req.Tags)}, nil
}
