package bundle

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/smithy-go"
)

func TestDirSource(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "bundles")
	outside := filepath.Join(base, "secret.txt")
	write := func(p, body string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(outside, "secret")
	write(filepath.Join(dir, "my-bucket", "env.tgz"), "bundle one")
	write(filepath.Join(dir, "my-bucket", "a", "b", "svc.tgz"), "bundle two")
	write(filepath.Join(dir, "other.bucket", "x.tgz"), "bundle three")
	if err := os.Symlink(outside, filepath.Join(dir, "my-bucket", "escape.tgz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../secret.txt", filepath.Join(dir, "my-bucket", "relative-escape.tgz")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(base, filepath.Join(dir, "my-bucket", "escdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../other.bucket/x.tgz", filepath.Join(dir, "my-bucket", "inside.tgz")); err != nil {
		t.Fatal(err)
	}
	large := filepath.Join(dir, "my-bucket", "large.tgz")
	write(large, "")
	if err := os.Truncate(large, MaxBundleBytes+1); err != nil {
		t.Fatal(err)
	}

	src := DirSource(dir)
	ctx := context.Background()
	for _, tc := range []struct{ bucket, key, want string }{
		{"my-bucket", "env.tgz", "bundle one"},
		{"my-bucket", "a/b/svc.tgz", "bundle two"},
		{"other.bucket", "x.tgz", "bundle three"},
		{"my-bucket", "inside.tgz", "bundle three"},
	} {
		data, err := src.Fetch(ctx, tc.bucket, tc.key)
		if err != nil || string(data) != tc.want {
			t.Fatalf("%s/%s: %q %v", tc.bucket, tc.key, data, err)
		}
	}
	for _, tc := range []struct{ bucket, key, want string }{
		{"my-bucket", "missing.tgz", "s3://my-bucket/missing.tgz: the object does not exist"},
		{"no-bucket", "env.tgz", "s3://no-bucket/env.tgz: the object does not exist"},
		{"my-bucket", "a", "s3://my-bucket/a: the object does not exist"},
		{"my-bucket", "env.tgz/x", "s3://my-bucket/env.tgz/x: the object does not exist"},
		{"my-bucket", "escape.tgz", "s3://my-bucket/escape.tgz: the object does not exist"},
		{"my-bucket", "relative-escape.tgz", "s3://my-bucket/relative-escape.tgz: the object does not exist"},
		{"my-bucket", "escdir/secret.txt", "s3://my-bucket/escdir/secret.txt: the object does not exist"},
		{"my-bucket", "../../secret.txt", "object key has an empty, . or .. segment"},
		{"my-bucket", "a/../env.tgz", "object key has an empty, . or .. segment"},
		{"my-bucket", "a//b/svc.tgz", "object key has an empty, . or .. segment"},
		{"my-bucket", "./env.tgz", "object key has an empty, . or .. segment"},
		{"my-bucket", "/etc/passwd", "s3://my-bucket//etc/passwd: object key is not a relative path"},
		{"my-bucket", `a\b`, "object key is not a relative path"},
		{"my-bucket", "", "object key must be 1 to 1024 bytes"},
		{"..", "x", `bucket name ".." is not a valid S3 bucket name`},
		{"My_Bucket", "x", `bucket name "My_Bucket" is not a valid S3 bucket name`},
		{"my-bucket/../..", "x", "is not a valid S3 bucket name"},
		{"my-bucket", "large.tgz", "s3://my-bucket/large.tgz: bundle object is larger than 5242880 bytes (5 MB)"},
	} {
		data, err := src.Fetch(ctx, tc.bucket, tc.key)
		if data != nil {
			t.Fatalf("%s/%s returned data %q", tc.bucket, tc.key, data)
		}
		wantProblem(t, err, tc.want)
	}

	// A missing directory is the server's configuration, not the user's.
	_, err := DirSource(filepath.Join(base, "nope")).Fetch(ctx, "my-bucket", "env.tgz")
	var p *Problem
	if err == nil || errors.As(err, &p) {
		t.Fatalf("missing directory: want a non-Problem error, got %v", err)
	}
}

func TestS3FaultClassification(t *testing.T) {
	for _, tc := range []struct {
		code    string
		problem string // "" for transient
	}{
		{"NoSuchKey", "s3://b-1/k: the object does not exist"},
		{"NoSuchBucket", "s3://b-1/k: the bucket does not exist"},
		{"AccessDenied", "s3://b-1/k: the object is not readable (AccessDenied)"},
		{"InternalError", ""},
		{"SlowDown", ""},
	} {
		err := s3Fault(&smithy.GenericAPIError{Code: tc.code, Message: "m"}, "b-1", "k")
		if tc.problem == "" {
			var p *Problem
			if errors.As(err, &p) {
				t.Fatalf("%s: want transient, got problem %v", tc.code, err)
			}
			continue
		}
		wantProblem(t, err, tc.problem)
	}
}
