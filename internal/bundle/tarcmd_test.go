package bundle

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openproton/openproton/internal/bundle/bundletest"
)

// TestReadWhatTarMakes reads archives made by the tar command the way the
// docs tell users to make a bundle from a folder (docs/templates.md): with
// -C folder . (entries ./, ./schema/, ./schema/schema.yaml, ...), from the
// folder's parent (a wrapping folder), and in GNU tar's default and POSIX
// formats, with a path long enough to need a long-name or pax header.
func TestReadWhatTarMakes(t *testing.T) {
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		t.Fatalf("the tar command is needed: %v", err)
	}
	long := "infrastructure/" + strings.Repeat("n", 120) + ".yaml"
	files := bundletest.EnvFiles()
	files[long] = "note: a file with a long name\n"
	parent := t.TempDir()
	folder := filepath.Join(parent, "my-template")
	for p, body := range files {
		full := filepath.Join(folder, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Join(sortedPaths(filesOf(files)), ",")
	for _, c := range []struct{ name, dir string }{
		{"dot", folder},
		{"wrapper", parent},
	} {
		for _, format := range []string{"gnu", "posix"} {
			t.Run(c.name+"/"+format, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "b.tar.gz")
				what := "."
				if c.name == "wrapper" {
					what = "my-template"
				}
				cmd := exec.Command(tarBin, "--format="+format, "-czf", out, "-C", c.dir, what)
				if msg, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", cmd, err, msg)
				}
				data, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				b, err := Read(data, ReadOptions{Kind: KindEnvironment})
				if err != nil {
					t.Fatalf("%s: %v", cmd, err)
				}
				if got := strings.Join(sortedPaths(b.Files), ","); got != want {
					t.Fatalf("%s: files\n  %s\nwant\n  %s", cmd, got, want)
				}
				if f := b.File(long); f == nil || string(f.Data) != files[long] {
					t.Fatalf("%s: %s not kept as written", cmd, long)
				}
			})
		}
	}
}

// filesOf turns a path → content map into Files.
func filesOf(m map[string]string) []File {
	out := make([]File, 0, len(m))
	for p, body := range m {
		out = append(out, File{Path: p, Data: []byte(body)})
	}
	return out
}
