package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
	"github.com/golang/protobuf/proto"
	"github.com/golang/protobuf/ptypes"
)

// allocation is a reserved catalog slot with a private directory that the
// jobs run in; each job gets dir/<job id>.
type allocation struct {
	info    *providerv1.Allocation
	dir     string
	workdir map[string]string // job id -> the job's working directory
	cancel  map[string]context.CancelFunc
}

// ledger keeps allocations in memory, keyed by id and by idempotency token.
type ledger struct {
	mu      sync.Mutex
	next    int
	byID    map[string]*allocation
	byToken map[string]*allocation
}

func newLedger() *ledger {
	return &ledger{byID: map[string]*allocation{}, byToken: map[string]*allocation{}}
}

// allocate reserves a slot of e; the same idempotency token returns the same allocation.
func (l *ledger) allocate(req *providerv1.AllocateRequest, e catalogEntry, price *providerv1.Money) (*providerv1.Allocation, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a, ok := l.byToken[req.IdempotencyToken]; ok && req.IdempotencyToken != "" {
		return a.info, nil
	}
	if l.activeLocked(offerID(e)) >= slotsPerOffer {
		return nil, noCapacity(fmt.Sprintf("no free %s slot in %s", e.instanceType, zone))
	}
	dir, err := os.MkdirTemp("", "bh-gocatalog-")
	if err != nil {
		return nil, err
	}
	l.next++
	a := &allocation{
		info: &providerv1.Allocation{
			Id:               fmt.Sprintf("gc-%d-%d", os.Getpid(), l.next),
			OfferId:          offerID(e),
			IdempotencyToken: req.IdempotencyToken,
			Tags:             req.Tags,
			Resources:        entryResources(e),
			Region:           region,
			Zone:             zone,
			InstanceType:     e.instanceType,
			PricePerHour:     price,
			State:            providerv1.Allocation_STATE_READY,
			CreatedAt:        ptypes.TimestampNow(),
			Metadata:         map[string]string{"dir": dir},
		},
		dir:     dir,
		workdir: map[string]string{},
		cancel:  map[string]context.CancelFunc{},
	}
	l.byID[a.info.Id] = a
	if req.IdempotencyToken != "" {
		l.byToken[req.IdempotencyToken] = a
	}
	return a.info, nil
}

// release stops the allocation's jobs and removes its directory; false when
// it was unknown or already released.
func (l *ledger) release(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, ok := l.byID[id]
	if !ok || a.info.State == providerv1.Allocation_STATE_RELEASED {
		return false
	}
	for _, cancel := range a.cancel {
		cancel()
	}
	os.RemoveAll(a.dir)
	a.info.State = providerv1.Allocation_STATE_RELEASED
	return true
}

// list returns the live allocations carrying all of tags.
func (l *ledger) list(tags map[string]string) []*providerv1.Allocation {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []*providerv1.Allocation
	for _, a := range l.byID {
		if a.info.State != providerv1.Allocation_STATE_RELEASED && hasTags(a.info.Tags, tags) {
			out = append(out, proto.Clone(a.info).(*providerv1.Allocation))
		}
	}
	return out
}

func hasTags(have, want map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}

func (l *ledger) active(offer string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.activeLocked(offer)
}

func (l *ledger) activeLocked(offer string) int {
	n := 0
	for _, a := range l.byID {
		if a.info.OfferId == offer && a.info.State != providerv1.Allocation_STATE_RELEASED {
			n++
		}
	}
	return n
}

// startJob makes the job's working directory in a live allocation and
// registers cancel, which Release calls.
func (l *ledger) startJob(allocationID, jobID, workdir string, cancel context.CancelFunc) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, err := l.liveLocked(allocationID)
	if err != nil {
		return "", err
	}
	if jobID == "" || filepath.Base(jobID) != jobID {
		return "", invalid(fmt.Sprintf("job id %q is not a plain name", jobID))
	}
	dir := filepath.Join(a.dir, jobID, filepath.Clean("/"+workdir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	a.workdir[jobID] = dir
	a.cancel[jobID] = cancel
	return dir, nil
}

// jobDir is where a job of a live allocation ran.
func (l *ledger) jobDir(allocationID, jobID string) (string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	a, err := l.liveLocked(allocationID)
	if err != nil {
		return "", err
	}
	dir, ok := a.workdir[jobID]
	if !ok {
		return "", notFound(fmt.Sprintf("job %q never ran in allocation %s", jobID, allocationID))
	}
	return dir, nil
}

func (l *ledger) liveLocked(id string) (*allocation, error) {
	a, ok := l.byID[id]
	if !ok || a.info.State == providerv1.Allocation_STATE_RELEASED {
		return nil, notFound(fmt.Sprintf("allocation %s does not exist or was released", id))
	}
	return a, nil
}
