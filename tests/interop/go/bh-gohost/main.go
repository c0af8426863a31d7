// Command bh-gohost is a BenchHub host written with HashiCorp go-plugin. It
// launches a provider executable through plugin.NewClient (gRPC protocol),
// drives one full job cycle (GetSchema, Offer, Allocate, Run, Collect,
// Release), kills the client and prints a JSON summary on stdout. The
// interop tests use it to prove that Python providers speak go-plugin.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	jobv1 "github.com/benchhub/benchhub/proto/job/v1"
	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
	"github.com/benchhub/interop/providerplugin"
	"github.com/golang/protobuf/ptypes"
	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
)

type runSummary struct {
	Stdout     string   `json:"stdout"`
	Stderr     string   `json:"stderr"`
	Statuses   []string `json:"statuses"`
	Samples    int      `json:"samples"`
	ExitStatus string   `json:"exit_status"`
	ExitCode   int32    `json:"exit_code"`
}

type collectedFile struct {
	Output         string `json:"output"`
	Path           string `json:"path"`
	Size           int64  `json:"size"`
	Sha256         string `json:"sha256"`
	ComputedSha256 string `json:"computed_sha256"`
	Data           string `json:"data"`
}

type summary struct {
	AutoMTLS          bool            `json:"automtls"`
	Protocol          string          `json:"protocol"`
	NegotiatedVersion int             `json:"negotiated_version"`
	SchemaName        string          `json:"schema_name"`
	SchemaVersion     string          `json:"schema_version"`
	SchemaProtocol    uint32          `json:"schema_protocol_version"`
	Offers            int             `json:"offers"`
	OfferID           string          `json:"offer_id"`
	AllocationID      string          `json:"allocation_id"`
	AllocationAgainID string          `json:"allocation_again_id"`
	Listed            int             `json:"listed"`
	Run               runSummary      `json:"run"`
	Collected         []collectedFile `json:"collected"`
	Released          bool            `json:"released"`
	ReleasedAgain     bool            `json:"released_again"`
	ProviderPid       int             `json:"provider_pid"`
	ProviderExitCode  int             `json:"provider_exit_code"`
	ProviderSignal    string          `json:"provider_signal"`
}

type options struct {
	provider string
	autoMTLS bool
	script   string
	output   string
	timeout  time.Duration
	only     string
}

func main() {
	var o options
	flag.StringVar(&o.provider, "provider", "bh-provider-local", "provider executable (name on PATH or path)")
	flag.BoolVar(&o.autoMTLS, "automtls", false, "let go-plugin negotiate mutual TLS with the provider")
	flag.StringVar(&o.script, "script", "echo hello; echo oops >&2; printf result > result.txt", "shell script the job runs")
	flag.StringVar(&o.output, "output", "result.txt", "glob of the job's output files to collect")
	flag.DurationVar(&o.timeout, "timeout", time.Minute, "deadline for the whole cycle")
	flag.StringVar(&o.only, "only", "", `"schema": call GetSchema only, not the whole cycle`)
	flag.Parse()
	s, err := run(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bh-gohost:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		fmt.Fprintln(os.Stderr, "bh-gohost:", err)
		os.Exit(1)
	}
}

func run(o options) (*summary, error) {
	path, err := exec.LookPath(o.provider)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path)
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  providerplugin.Handshake,
		Plugins:          providerplugin.Set(nil),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         o.autoMTLS,
		Logger: hclog.New(&hclog.LoggerOptions{
			Name: "bh-gohost", Level: hclog.Debug, Output: os.Stderr,
		}),
	})
	s := &summary{AutoMTLS: o.autoMTLS}
	err = drive(client, o, s)
	client.Kill()
	if cmd.ProcessState != nil {
		s.ProviderPid = cmd.ProcessState.Pid()
		s.ProviderExitCode = cmd.ProcessState.ExitCode()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			s.ProviderSignal = ws.Signal().String()
		}
	}
	return s, err
}

func drive(client *plugin.Client, o options, s *summary) error {
	rpc, err := client.Client()
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if err := rpc.Ping(); err != nil {
		return fmt.Errorf("health: %w", err)
	}
	raw, err := rpc.Dispense(providerplugin.Name)
	if err != nil {
		return fmt.Errorf("dispense: %w", err)
	}
	p := raw.(providerv1.ProviderClient)
	s.Protocol = string(client.Protocol())
	s.NegotiatedVersion = client.NegotiatedVersion()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	return cycle(ctx, p, o, s)
}

func cycle(ctx context.Context, p providerv1.ProviderClient, o options, s *summary) error {
	schema, err := p.GetSchema(ctx, &providerv1.GetSchemaRequest{})
	if err != nil {
		return fmt.Errorf("GetSchema: %w", err)
	}
	s.SchemaName, s.SchemaVersion, s.SchemaProtocol = schema.Name, schema.Version, schema.ProtocolVersion
	if o.only == "schema" {
		return nil
	}

	offers, err := p.Offer(ctx, &providerv1.OfferRequest{MinResources: &jobv1.Resources{Cpu: 1}})
	if err != nil {
		return fmt.Errorf("Offer: %w", err)
	}
	s.Offers = len(offers.Offers)
	if s.Offers == 0 {
		return fmt.Errorf("Offer: no offers")
	}
	s.OfferID = offers.Offers[0].Id

	tags := map[string]string{"bh-run": "interop"}
	alloc := &providerv1.AllocateRequest{OfferId: s.OfferID, IdempotencyToken: "interop-token", Tags: tags}
	if s.AllocationID, err = allocate(ctx, p, alloc); err != nil {
		return err
	}
	if s.AllocationAgainID, err = allocate(ctx, p, alloc); err != nil {
		return err
	}
	listed, err := p.ListAllocations(ctx, &providerv1.ListAllocationsRequest{Tags: tags})
	if err != nil {
		return fmt.Errorf("ListAllocations: %w", err)
	}
	s.Listed = len(listed.Allocations)

	job := &jobv1.Job{
		Id:      "interop-1",
		Name:    "interop",
		Command: []string{"sh", "-c", o.script},
		Timeout: ptypes.DurationProto(o.timeout),
		Outputs: []*jobv1.Output{{Name: "result", Glob: o.output}},
	}
	if s.Run, err = runJob(ctx, p, s.AllocationID, job); err != nil {
		return err
	}
	if s.Collected, err = collect(ctx, p, s.AllocationID, job); err != nil {
		return err
	}

	released, err := p.Release(ctx, &providerv1.ReleaseRequest{AllocationId: s.AllocationID})
	if err != nil {
		return fmt.Errorf("Release: %w", err)
	}
	s.Released = released.Released
	again, err := p.Release(ctx, &providerv1.ReleaseRequest{AllocationId: s.AllocationID})
	if err != nil {
		return fmt.Errorf("Release again: %w", err)
	}
	s.ReleasedAgain = again.Released
	return nil
}

func allocate(ctx context.Context, p providerv1.ProviderClient, req *providerv1.AllocateRequest) (string, error) {
	stream, err := p.Allocate(ctx, req)
	if err != nil {
		return "", fmt.Errorf("Allocate: %w", err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return "", fmt.Errorf("Allocate: stream ended without an allocation")
		}
		if err != nil {
			return "", fmt.Errorf("Allocate: %w", err)
		}
		if a := ev.GetAllocation(); a != nil {
			return a.Id, nil
		}
	}
}

func runJob(ctx context.Context, p providerv1.ProviderClient, allocationID string, job *jobv1.Job) (runSummary, error) {
	r := runSummary{Statuses: []string{}}
	stream, err := p.Run(ctx, &providerv1.RunRequest{AllocationId: allocationID, Job: job})
	if err != nil {
		return r, fmt.Errorf("Run: %w", err)
	}
	for {
		ev, err := stream.Recv()
		if err == io.EOF {
			return r, fmt.Errorf("Run: stream ended without an exit event")
		}
		if err != nil {
			return r, fmt.Errorf("Run: %w", err)
		}
		switch e := ev.Event.(type) {
		case *providerv1.RunEvent_Log:
			if e.Log.Stream == providerv1.LogChunk_STREAM_STDERR {
				r.Stderr += string(e.Log.Data)
			} else {
				r.Stdout += string(e.Log.Data)
			}
		case *providerv1.RunEvent_Status:
			r.Statuses = append(r.Statuses, e.Status.Status.String())
		case *providerv1.RunEvent_Sample:
			r.Samples++
		case *providerv1.RunEvent_Exit:
			r.ExitStatus, r.ExitCode = e.Exit.Status.String(), e.Exit.ExitCode
			return r, nil
		}
	}
}

func collect(ctx context.Context, p providerv1.ProviderClient, allocationID string, job *jobv1.Job) ([]collectedFile, error) {
	stream, err := p.Collect(ctx, &providerv1.CollectRequest{AllocationId: allocationID, JobId: job.Id, Outputs: job.Outputs})
	if err != nil {
		return nil, fmt.Errorf("Collect: %w", err)
	}
	files := []collectedFile{}
	var data []byte
	for {
		chunk, err := stream.Recv()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, fmt.Errorf("Collect: %w", err)
		}
		data = append(data, chunk.Data...)
		if chunk.Last {
			sum := sha256.Sum256(data)
			files = append(files, collectedFile{
				Output: chunk.Output, Path: chunk.Path, Size: chunk.Size, Sha256: chunk.Sha256,
				ComputedSha256: hex.EncodeToString(sum[:]), Data: string(data),
			})
			data = nil
		}
	}
}
