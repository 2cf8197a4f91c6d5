package bundle

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// TestReadTellsNotTarFromTruncated checks which of the two faults a bundle
// gets: a complete gzip stream whose content is no tar archive (however
// short) is "not a tar archive"; an archive whose data was cut is
// "truncated", whether the cut is in the gzip stream or in the tar it holds.
func TestReadTellsNotTarFromTruncated(t *testing.T) {
	good := envBundle(t)
	zr, err := gzip.NewReader(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	const notTar = "bundle is not a tar archive (a template bundle is a gzipped tar file)"
	const truncated = "bundle is truncated: its data ends unexpectedly"
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"a few bytes of text", bundletest.Gzip(t, []byte("hello\n")), notTar},
		{"one byte", bundletest.Gzip(t, []byte("x")), notTar},
		{"a line of YAML", bundletest.Gzip(t, []byte("schema:\n  format: {openapi: 3.0.0}\n")), notTar},
		{"511 bytes of text", bundletest.Gzip(t, bytes.Repeat([]byte("a"), 511)), notTar},
		{"a page of text", bundletest.Gzip(t, bytes.Repeat([]byte("not a tar archive "), 100)), notTar},
		{"gzip stream cut in half", good[:len(good)/2], truncated},
		{"gzip trailer cut", good[:len(good)-4], truncated},
		{"tar cut inside its first header", bundletest.Gzip(t, raw[:300]), truncated},
		{"tar cut inside its first file", bundletest.Gzip(t, raw[:512+10]), truncated},
		{"tar cut after its first file", bundletest.Gzip(t, raw[:len(raw)/2]), truncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(tt.data, ReadOptions{Kind: KindEnvironment})
			if err == nil {
				t.Fatalf("Read succeeded, want %q", tt.want)
			}
			if _, ok := err.(*Problem); !ok {
				t.Fatalf("error %T (%v), want a *Problem", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %q, want it to start with %q", err, tt.want)
			}
		})
	}
}
