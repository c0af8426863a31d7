package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	jobv1 "github.com/benchhub/benchhub/proto/job/v1"
)

// stageInputs copies the job's input files (file:// URIs on this machine)
// to their paths under the job's working directory.
func stageInputs(dir string, inputs []*jobv1.Artifact) error {
	for _, a := range inputs {
		if a.Kind != jobv1.Artifact_KIND_FILE {
			return fmt.Errorf("input %q: gocatalog stages only files, not %s", a.Name, a.Kind)
		}
		u, err := url.Parse(a.Uri)
		if err != nil || u.Scheme != "file" {
			return fmt.Errorf("input %q: %q is not a file:// URI", a.Name, a.Uri)
		}
		if err := copyFile(u.Path, filepath.Join(dir, filepath.Clean("/"+a.Path))); err != nil {
			return fmt.Errorf("input %q: %w", a.Name, err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	dst, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
