package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// walkthroughVolatile are the parts of a walkthrough that differ from run
// to run: ids, request tokens and timestamps.
var walkthroughVolatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`), "<id>"},
	{regexp.MustCompile(`\b1[0-9]{9}(\.[0-9]+)?\b`), "<time>"},
}

// TestWalkthroughsInSync runs scripts/walkthrough into a directory of its
// own and compares what it writes with docs/walkthrough.md and
// docs/services.md, but for ids and timestamps: a change of the server that changes what the walkthroughs
// show fails here until they are regenerated (scripts/walkthrough).
func TestWalkthroughsInSync(t *testing.T) {
	t.Parallel()
	requireTool(t, "aws", "the AWS CLI")
	dir := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(repoRoot(), "scripts", "walkthrough"))
	cmd.Env = append(os.Environ(), "OPENPROTON_WALKTHROUGH_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("scripts/walkthrough: %v\n%s", err, out)
	}
	normal := func(b []byte) string {
		s := string(b)
		for _, v := range walkthroughVolatile {
			s = v.re.ReplaceAllString(s, v.with)
		}
		return s
	}
	for _, name := range []string{"walkthrough.md", "services.md", "components.md"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(repoRoot(), "docs", name))
		if err != nil {
			t.Fatal(err)
		}
		if g, w := normal(got), normal(want); g != w {
			gl, wl := strings.Split(g, "\n"), strings.Split(w, "\n")
			for i := 0; i < len(gl) || i < len(wl); i++ {
				var a, b string
				if i < len(gl) {
					a = gl[i]
				}
				if i < len(wl) {
					b = wl[i]
				}
				if a != b {
					t.Errorf("docs/%s is not what scripts/walkthrough writes now (run it): first difference at line %d:\n docs: %q\n  now: %q", name, i+1, b, a)
					break
				}
			}
		}
	}
}
