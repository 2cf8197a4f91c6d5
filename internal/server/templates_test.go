package server

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openproton/openproton/internal/bundle"
)

func TestTemplateSettings(t *testing.T) {
	c, err := ParseConfig(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.BundleDir != "" || c.BundleS3Endpoint != "" || c.TemplateQuota != 100 || c.TemplateVersionQuota != 500 ||
		c.RegistrationLease != 30*time.Second || c.TestRegistrationDelay != 0 {
		t.Fatalf("template defaults = %+v", c)
	}
	bad := map[string][]string{
		"--bundle-dir":              {"--bundle-dir", "d", "--bundle-s3-endpoint", "http://127.0.0.1:9000"},
		"--bundle-s3-endpoint":      {"--bundle-s3-endpoint", "127.0.0.1:9000"},
		"--quota-templates":         {"--quota-templates", "0"},
		"--quota-template-versions": {"--quota-template-versions", "0"},
		"--registration-lease":      {"--registration-lease", "10ms"},
		"--test-registration-delay": {"--test-registration-delay", "-1s"},
	}
	for want, args := range bad {
		_, err := ParseConfig(args, func(string) string { return "" })
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseConfig(%v) = %v, want one line naming %s", args, err, want)
		}
	}
	_, err = ParseConfig([]string{"--bundle-dir", "d"}, func(k string) string {
		if k == "OPENPROTON_BUNDLE_S3_ENDPOINT" {
			return "http://127.0.0.1:9000"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("--bundle-dir with OPENPROTON_BUNDLE_S3_ENDPOINT: %v", err)
	}
}

func TestBundleDirectorySource(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "bucket", "a"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bucket", "a", "b.tar.gz"), []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := bundleSource(ctx, Config{BundleDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if data, err := src.Fetch(ctx, "bucket", "a/b.tar.gz"); err != nil || string(data) != "data" {
		t.Fatalf("Fetch = %q, %v", data, err)
	}
	_, err = src.Fetch(ctx, "bucket", "a/none.tar.gz")
	var p *bundle.Problem
	if !errors.As(err, &p) || !strings.Contains(p.Msg, dir+"/BUCKET/KEY") {
		t.Fatalf("missing object: %v, want a problem that says where bundles are read from", err)
	}
	// The default directory is not created; while it is missing, every
	// fetch says where bundles are looked for.
	missing := dirSource{dir: filepath.Join(t.TempDir(), "bundles"), flag: "the default of --bundle-dir", src: bundle.DirSource("unused")}
	_, err = missing.Fetch(ctx, "bucket", "key")
	if !errors.As(err, &p) || !strings.Contains(p.Msg, "does not exist") || !strings.Contains(p.Msg, "the default of --bundle-dir") {
		t.Fatalf("missing default directory: %v", err)
	}
}

// TestBundleDirMustBeADirectory refuses, at start and as an invalid
// setting, a --bundle-dir that does not exist or is a file, naming it the
// way the user gave it.
func TestBundleDirMustBeADirectory(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--bundle-dir", missing}, nil, `invalid --bundle-dir "` + missing + `": no such directory`},
		{[]string{"--bundle-dir", file}, nil, `invalid --bundle-dir "` + file + `": not a directory`},
		{nil, map[string]string{"OPENPROTON_BUNDLE_DIR": missing}, `invalid OPENPROTON_BUNDLE_DIR "` + missing + `": no such directory`},
	} {
		_, err := ParseConfig(c.args, func(k string) string { return c.env[k] })
		if err == nil || err.Error() != c.want || !InvalidSetting(err) {
			t.Errorf("ParseConfig(%v, %v) = %v, want the invalid setting %q", c.args, c.env, err, c.want)
		}
	}
	if _, err := ParseConfig([]string{"--bundle-dir", t.TempDir()}, noEnv); err != nil {
		t.Errorf("an existing --bundle-dir: %v", err)
	}
}
