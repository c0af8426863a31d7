package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	providerv1 "github.com/benchhub/benchhub/proto/provider/v1"
)

const chunkSize = 64 << 10

// Collect streams every file matching the outputs' globs in the job's
// working directory: data chunks, then a last chunk with size and sha256.
func (p *provider) Collect(req *providerv1.CollectRequest, stream providerv1.Provider_CollectServer) error {
	dir, err := p.ledger.jobDir(req.AllocationId, req.JobId)
	if err != nil {
		return err
	}
	for _, out := range req.Outputs {
		matches, err := filepath.Glob(filepath.Join(dir, out.Glob))
		if err != nil {
			return invalid(fmt.Sprintf("output %q: bad glob %q", out.Name, out.Glob))
		}
		for _, path := range matches {
			if err := sendFile(stream, out.Name, dir, path); err != nil {
				return err
			}
		}
	}
	return nil
}

func sendFile(stream providerv1.Provider_CollectServer, output, dir, path string) error {
	info, err := os.Stat(path)
	if err != nil || !info.Mode().IsRegular() {
		return err
	}
	rel, err := filepath.Rel(dir, path)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	hash := sha256.New()
	size := int64(0)
	buf := make([]byte, chunkSize)
	for {
		n, err := f.Read(buf)
		if n > 0 {
			hash.Write(buf[:n])
			size += int64(n)
			if err := stream.Send(&providerv1.CollectChunk{Output: output, Path: rel, Data: buf[:n]}); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	return stream.Send(&providerv1.CollectChunk{
		Output: output, Path: rel, Last: true, Size: size,
		Sha256: hex.EncodeToString(hash.Sum(nil)), Mode: uint32(info.Mode().Perm()),
	})
}
