package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// repoRoot is the module root, two levels above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// fuzzModule writes a module with scripts/fuzz (this repository's) and the
// given files into a temporary directory and returns it.
func fuzzModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(repoRoot(), "scripts", "fuzz"))
	if err != nil {
		t.Fatal(err)
	}
	files["scripts/fuzz"] = string(script)
	files["go.mod"] = "module example.com/fuzzcheck\n\ngo " + strings.TrimPrefix(runtime.Version(), "go") + "\n"
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runFuzz runs scripts/fuzz of a module for a second per target.
func runFuzz(t *testing.T, dir string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, "scripts", "fuzz"))
	cmd.Env = append(os.Environ(), "OPENPROTON_FUZZTIME=1s", "OPENPROTON_RELIABILITY_REPORT=", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

const goodTarget = `package good

import "testing"

func FuzzGood(f *testing.F) {
	f.Add("seed")
	f.Fuzz(func(t *testing.T, s string) {})
}
`

// TestFuzzFailsWhenAPackageDoesNotBuild: a package that does not compile
// hides its fuzz targets from `go test -list`; scripts/fuzz must fail
// rather than fuzz the other packages and pass.
func TestFuzzFailsWhenAPackageDoesNotBuild(t *testing.T) {
	t.Parallel()
	dir := fuzzModule(t, map[string]string{
		"good/good_test.go":     goodTarget,
		"broken/broken.go":      "package broken\n\nfunc Broken() int { return undefined }\n",
		"broken/broken_test.go": "package broken\n\nimport \"testing\"\n\nfunc FuzzHidden(f *testing.F) { f.Fuzz(func(t *testing.T, b []byte) { Broken() }) }\n",
	})
	out, err := runFuzz(t, dir)
	if err == nil {
		t.Fatalf("scripts/fuzz passed with a package that does not build:\n%s", out)
	}
	if !strings.Contains(out, "listing the fuzz targets failed") || strings.Contains(out, "-- FuzzGood") {
		t.Fatalf("scripts/fuzz failed, but not because the listing failed (or after fuzzing):\n%s", out)
	}
}

// TestFuzzRunsEveryTarget is the control: with every package building, the
// same module's targets are found and run.
func TestFuzzRunsEveryTarget(t *testing.T) {
	t.Parallel()
	dir := fuzzModule(t, map[string]string{
		"good/good_test.go": goodTarget,
		"other/other.go":    "package other\n",
	})
	out, err := runFuzz(t, dir)
	if err != nil {
		t.Fatalf("scripts/fuzz: %v\n%s", err, out)
	}
	if !strings.Contains(out, "== fuzz summary") || !strings.Contains(out, "FuzzGood") {
		t.Fatalf("scripts/fuzz did not run FuzzGood:\n%s", out)
	}
}
