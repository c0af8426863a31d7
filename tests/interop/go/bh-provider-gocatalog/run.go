package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	jobv1 "github.com/benchhub/benchhub/proto/job/v1"
	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
	"github.com/golang/protobuf/ptypes"
)

// Run executes the job's command in its own process group inside the
// allocation, streaming stdout/stderr as they come and an Exit event last.
func (p *provider) Run(req *providerv1.RunRequest, stream providerv1.Provider_RunServer) error {
	job := req.GetJob()
	if len(job.GetCommand()) == 0 {
		return invalid(fmt.Sprintf("job %q has no command", job.GetName()))
	}
	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	dir, err := p.ledger.startJob(req.AllocationId, job.Id, job.Workdir, cancel)
	if err != nil {
		return err
	}
	if timeout, err := ptypes.Duration(job.GetTimeout()); err == nil && timeout > 0 {
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if err := stageInputs(dir, job.Inputs); err != nil {
		return stream.Send(exitEvent(&providerv1.Exit{Status: providerv1.ExitStatus_EXIT_STATUS_ERROR, Message: err.Error()}))
	}
	return execute(ctx, stream, job, dir)
}

func execute(ctx context.Context, stream providerv1.Provider_RunServer, job *jobv1.Job, dir string) error {
	cmd := exec.Command(job.Command[0], job.Command[1:]...)
	cmd.Dir = dir
	cmd.Env = os.Environ()
	for k, v := range job.Env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return stream.Send(exitEvent(&providerv1.Exit{Status: providerv1.ExitStatus_EXIT_STATUS_ERROR, Message: err.Error()}))
	}
	finished := make(chan struct{})
	defer close(finished)
	go killGroupWhenDone(ctx, cmd.Process.Pid, finished)

	events := make(chan *providerv1.RunEvent, 1)
	events <- statusEvent(providerv1.JobStatus_JOB_STATUS_RUNNING)
	var readers sync.WaitGroup
	readers.Add(2)
	go streamPipe(stdout, providerv1.LogChunk_STREAM_STDOUT, events, &readers)
	go streamPipe(stderr, providerv1.LogChunk_STREAM_STDERR, events, &readers)
	go func() { readers.Wait(); close(events) }()
	var sendErr error
	for ev := range events {
		if sendErr == nil {
			sendErr = stream.Send(ev)
		}
	}
	waitErr := cmd.Wait()
	if sendErr != nil {
		return sendErr
	}
	exit := exitOf(cmd.ProcessState, waitErr, ctx.Err(), time.Since(started))
	if err := stream.Send(sampleEvent(cmd.ProcessState)); err != nil {
		return err
	}
	return stream.Send(exitEvent(exit))
}

// killGroupWhenDone kills the job's whole process group on timeout, on
// Release, or when the host goes away.
func killGroupWhenDone(ctx context.Context, pid int, finished <-chan struct{}) {
	select {
	case <-ctx.Done():
		syscall.Kill(-pid, syscall.SIGKILL)
	case <-finished:
	}
}

func streamPipe(r io.Reader, which providerv1.LogChunk_Stream, events chan<- *providerv1.RunEvent, done *sync.WaitGroup) {
	defer done.Done()
	buf := make([]byte, 64<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			chunk := &providerv1.LogChunk{Stream: which, Data: append([]byte(nil), buf[:n]...)}
			events <- &providerv1.RunEvent{Time: ptypes.TimestampNow(), Event: &providerv1.RunEvent_Log{Log: chunk}}
		}
		if err != nil {
			return
		}
	}
}

func exitOf(state *os.ProcessState, waitErr, ctxErr error, wall time.Duration) *providerv1.Exit {
	exit := &providerv1.Exit{
		ExitCode:        int32(state.ExitCode()),
		WallSeconds:     wall.Seconds(),
		UserSeconds:     state.UserTime().Seconds(),
		SysSeconds:      state.SystemTime().Seconds(),
		PeakMemoryBytes: peakMemory(state),
	}
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		exit.Signal = int32(ws.Signal())
	}
	var exitErr *exec.ExitError
	switch {
	case errors.Is(ctxErr, context.DeadlineExceeded):
		exit.Status, exit.Message = providerv1.ExitStatus_EXIT_STATUS_TIMED_OUT, "timed out"
	case ctxErr != nil:
		exit.Status, exit.Message = providerv1.ExitStatus_EXIT_STATUS_CANCELLED, "cancelled"
	case waitErr == nil:
		exit.Status = providerv1.ExitStatus_EXIT_STATUS_SUCCEEDED
	case errors.As(waitErr, &exitErr):
		exit.Status, exit.Message = providerv1.ExitStatus_EXIT_STATUS_FAILED, waitErr.Error()
	default:
		exit.Status, exit.Message = providerv1.ExitStatus_EXIT_STATUS_ERROR, waitErr.Error()
	}
	return exit
}

func peakMemory(state *os.ProcessState) int64 {
	if ru, ok := state.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss * 1024 // kilobytes on Linux
	}
	return 0
}

func statusEvent(s providerv1.JobStatus) *providerv1.RunEvent {
	return &providerv1.RunEvent{Time: ptypes.TimestampNow(), Event: &providerv1.RunEvent_Status{Status: &providerv1.StatusChange{Status: s}}}
}

func sampleEvent(state *os.ProcessState) *providerv1.RunEvent {
	sample := &providerv1.ResourceSample{
		CpuSeconds:      (state.UserTime() + state.SystemTime()).Seconds(),
		MemoryPeakBytes: peakMemory(state),
		Source:          "rusage",
	}
	return &providerv1.RunEvent{Time: ptypes.TimestampNow(), Event: &providerv1.RunEvent_Sample{Sample: sample}}
}

func exitEvent(exit *providerv1.Exit) *providerv1.RunEvent {
	return &providerv1.RunEvent{Time: ptypes.TimestampNow(), Event: &providerv1.RunEvent_Exit{Exit: exit}}
}
