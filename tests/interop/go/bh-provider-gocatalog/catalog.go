package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	jobv1 "github.com/benchhub/benchhub/proto/job/v1"
	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
	"github.com/golang/protobuf/ptypes"
	structpb "github.com/golang/protobuf/ptypes/struct"
)

const (
	providerName    = "gocatalog"
	providerVersion = "1.0.0"
	region          = "go-1"
	zone            = "go-1a"
	gib             = int64(1) << 30
	// slotsPerOffer is how many allocations of one offer may exist at once.
	slotsPerOffer = 4
)

// catalogEntry is one instance type of the fixed catalog.
type catalogEntry struct {
	instanceType string
	cpu          float64
	memoryBytes  int64
	pricePerHour float64
}

var catalog = []catalogEntry{
	{"small", 1, 1 * gib, 0.012},
	{"medium", 2, 4 * gib, 0.048},
	{"large", 8, 32 * gib, 0.384},
}

func offerID(e catalogEntry) string { return region + "/" + e.instanceType }

func goArch() string {
	if runtime.GOARCH == "amd64" {
		return "x86_64"
	}
	return runtime.GOARCH
}

// provider implements benchhub.provider.v1.Provider.
type provider struct {
	mu          sync.Mutex
	priceFactor float64
	ledger      *ledger
}

func newProvider() *provider {
	return &provider{priceFactor: 1, ledger: newLedger()}
}

func (p *provider) GetSchema(context.Context, *providerv1.GetSchemaRequest) (*providerv1.GetSchemaResponse, error) {
	return &providerv1.GetSchemaResponse{
		Name:            providerName,
		Version:         providerVersion,
		ProtocolVersion: 1,
		Config: []*providerv1.Attribute{{
			Name:        "price_factor",
			Type:        providerv1.Attribute_TYPE_NUMBER,
			Description: "multiplies every catalog price",
			Default:     &structpb.Value{Kind: &structpb.Value_NumberValue{NumberValue: 1}},
		}},
		Capabilities: &providerv1.Capabilities{
			Runtimes: []providerv1.Capabilities_Runtime{providerv1.Capabilities_RUNTIME_PROCESS},
			Regions:  []string{region},
		},
		Billing: &providerv1.Billing{Granularity: ptypes.DurationProto(time.Second)},
	}, nil
}

func (p *provider) Configure(_ context.Context, req *providerv1.ConfigureRequest) (*providerv1.ConfigureResponse, error) {
	resp := &providerv1.ConfigureResponse{}
	for key, value := range req.GetConfig().GetFields() {
		number, isNumber := value.Kind.(*structpb.Value_NumberValue)
		switch {
		case key != "price_factor":
			resp.Diagnostics = append(resp.Diagnostics, configError(key, "unknown attribute"))
		case !isNumber || number.NumberValue <= 0:
			resp.Diagnostics = append(resp.Diagnostics, configError(key, "must be a positive number"))
		default:
			p.mu.Lock()
			p.priceFactor = number.NumberValue
			p.mu.Unlock()
		}
	}
	return resp, nil
}

func configError(attribute, summary string) *providerv1.Diagnostic {
	return &providerv1.Diagnostic{
		Severity:      providerv1.Diagnostic_SEVERITY_ERROR,
		Summary:       fmt.Sprintf("%s: %s", attribute, summary),
		AttributePath: []string{attribute},
	}
}

func (p *provider) Offer(_ context.Context, req *providerv1.OfferRequest) (*providerv1.OfferResponse, error) {
	resp := &providerv1.OfferResponse{}
	if !wantsRegion(req.Regions) || req.Spot == providerv1.SpotPolicy_SPOT_POLICY_ONLY {
		return resp, nil
	}
	for _, e := range catalog {
		if fits(req.GetMinResources(), e) {
			resp.Offers = append(resp.Offers, p.offer(e))
		}
	}
	return resp, nil
}

func wantsRegion(regions []string) bool {
	for _, r := range regions {
		if r == region {
			return true
		}
	}
	return len(regions) == 0
}

func fits(need *jobv1.Resources, e catalogEntry) bool {
	return need.GetCpu() <= e.cpu &&
		need.GetMemoryBytes() <= e.memoryBytes &&
		need.GetGpu() == 0 &&
		need.GetNodes() <= 1 &&
		(need.GetArch() == "" || need.GetArch() == goArch())
}

func (p *provider) offer(e catalogEntry) *providerv1.Offer {
	p.mu.Lock()
	factor := p.priceFactor
	p.mu.Unlock()
	expires, _ := ptypes.TimestampProto(time.Now().Add(10 * time.Minute))
	return &providerv1.Offer{
		Id:              offerID(e),
		Region:          region,
		Zone:            zone,
		InstanceType:    e.instanceType,
		Resources:       entryResources(e),
		PricePerHour:    &providerv1.Money{Amount: e.pricePerHour * factor, Currency: "USD"},
		Capacity:        int32(slotsPerOffer - p.ledger.active(offerID(e))),
		StartupEstimate: ptypes.DurationProto(time.Second),
		ExpiresAt:       expires,
	}
}

func entryResources(e catalogEntry) *jobv1.Resources {
	return &jobv1.Resources{Cpu: e.cpu, MemoryBytes: e.memoryBytes, Nodes: 1, Arch: goArch()}
}

func findEntry(id string) (catalogEntry, bool) {
	for _, e := range catalog {
		if offerID(e) == id {
			return e, true
		}
	}
	return catalogEntry{}, false
}
