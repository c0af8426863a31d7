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

// sendFile streams one regular file: its chunks in order, the last one
// (even for an empty file) with last set, the size and the sha256.
func sendFile(stream providerv1.Provider_CollectServer, output, dir, path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
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
	hash, size := sha256.New(), int64(0)
	current, err := readChunk(f)
	for err == nil {
		next, nextErr := readChunk(f)
		if nextErr != nil {
			return nextErr
		}
		hash.Write(current)
		size += int64(len(current))
		chunk := &providerv1.CollectChunk{Output: output, Path: rel, Data: current}
		if len(next) == 0 {
			chunk.Last, chunk.Size, chunk.Sha256 = true, size, hex.EncodeToString(hash.Sum(nil))
			chunk.Mode = uint32(info.Mode().Perm())
			return stream.Send(chunk)
		}
		if err = stream.Send(chunk); err != nil {
			return err
		}
		current = next
	}
	return err
}

// readChunk reads up to chunkSize bytes; an empty slice at the end of the file.
func readChunk(r io.Reader) ([]byte, error) {
	buf := make([]byte, chunkSize)
	n, err := io.ReadFull(r, buf)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = nil
	}
	return buf[:n], err
}
