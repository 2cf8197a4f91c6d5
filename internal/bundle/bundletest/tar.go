package bundletest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Entry is one tar entry of a test bundle. A zero Type is a regular file;
// other types (folders, links, devices, a global header) let tests build the
// archives users make by hand or with other tools.
type Entry struct {
	Name     string
	Body     string
	Type     byte
	Linkname string
}

// File is a regular file entry.
func File(name, body string) Entry { return Entry{Name: name, Body: body} }

// TarGz builds a gzipped tar of entries, in the given order.
func TarGz(t testing.TB, entries ...Entry) []byte {
	t.Helper()
	data, err := Build(entries...)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Build is TarGz for callers without a testing.TB (the benchmark harness).
func Build(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		typ := e.Type
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.Name, Typeflag: typ, Mode: 0o644, Linkname: e.Linkname, Format: tar.FormatPAX}
		if typ == tar.TypeXGlobalHeader {
			// As git archive writes it: a comment holding the commit.
			hdr = &tar.Header{Name: e.Name, Typeflag: typ, PAXRecords: map[string]string{"comment": "0123abcd"}}
		}
		if typ == tar.TypeReg {
			hdr.Size = int64(len(e.Body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.Body)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Entries are the entries of files (path → content), in path order so that
// the same map always gives the same archive.
func Entries(files map[string]string) []Entry {
	entries := make([]Entry, 0, len(files))
	for _, name := range slices.Sorted(maps.Keys(files)) {
		entries = append(entries, File(name, files[name]))
	}
	return entries
}

// Map builds a gzipped tar of files (path → content), in path order so that
// the same map always gives the same archive.
func Map(t testing.TB, files map[string]string) []byte {
	t.Helper()
	return TarGz(t, Entries(files)...)
}

// Gzip compresses raw bytes, for archives that are gzip but not tar.
func Gzip(t testing.TB, raw []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// WriteObject writes data where a server started with --bundle-dir dir reads
// s3://bucket/key.
func WriteObject(t testing.TB, dir, bucket, key string, data []byte) {
	t.Helper()
	path := filepath.Join(dir, bucket, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
