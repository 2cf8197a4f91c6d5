package render

import (
	"strings"
	"testing"
	"time"
)

// fuzzLimits are small, so that the fuzzer runs many renderings in its
// time; they are limits all the same, reached the same way.
var fuzzLimits = Limits{Memory: 128 << 20, Time: 500 * time.Millisecond}

// fuzzSlack is how long past its time limit a rendering may take to end:
// starting and killing a process, on a machine that is busy.
const fuzzSlack = 5 * time.Second

// FuzzRender renders any template through the isolated renderer. The
// seed corpus (testdata/fuzz/FuzzRender) holds templates that recurse
// without end (directly, between two macros, through caller() and through
// a recursive loop), nest tags, parentheses, lists and filter arguments
// deeper than any stack, and build huge values (doublings, string
// multiplication, range, join, replace, center, format). Whatever the
// template, the rendering returns an output or an error that names the
// file, within the time limit, and this process lives on.
func FuzzRender(f *testing.F) {
	f.Add("{{ environment.name }}: {{ environment.inputs.count + 1 }}")
	r := NewIsolated(fuzzLimits)
	f.Fuzz(func(t *testing.T, src string) {
		start := time.Now()
		res, err := r.Render(t.Context(), job(src))
		if took := time.Since(start); took > fuzzLimits.Time+fuzzSlack {
			t.Fatalf("the rendering took %s, past its time limit of %s", took, fuzzLimits.Time)
		}
		switch {
		case err == nil && len(res.Outputs) != 1:
			t.Fatalf("no error and %d outputs", len(res.Outputs))
		case err == nil:
			return
		case !strings.HasPrefix(err.Error(), "rendering "+cfnFile+" failed") && !strings.HasPrefix(err.Error(), "rendering "+cfnFile+" stopped: it "):
			// Any other end (the process stopped for a reason the renderer
			// cannot name, or broke the protocol) is a finding.
			t.Fatalf("err = %v", err)
		}
	})
}
