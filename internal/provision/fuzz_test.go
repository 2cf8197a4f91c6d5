package provision

import (
	"strings"
	"testing"
	"time"
)

// FuzzCloudFormationOutputs reads any text as a rendered CloudFormation
// template, which the emulating engine does in the server's process. Seeds:
// testdata/fuzz/FuzzCloudFormationOutputs (every intrinsic function,
// aliases of aliases). Whatever the text, it gives an error or outputs
// within the bounds of an output, soon, and never panics.
func FuzzCloudFormationOutputs(f *testing.F) {
	f.Add(cfn)
	f.Fuzz(func(t *testing.T, template string) {
		start := time.Now()
		outs, err := CloudFormationOutputs(template, stack)
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("took %s", took)
		}
		if err != nil {
			return
		}
		for i, o := range outs {
			if o.Key == "" || o.Value == "" || len(o.Value) > maxOutputValue || strings.ContainsRune(o.Key+o.Value, 0) {
				t.Fatalf("output %q = %q breaks the bounds of an output", o.Key, o.Value)
			}
			if i > 0 && outs[i-1].Key > o.Key {
				t.Fatalf("outputs out of order: %q before %q", outs[i-1].Key, o.Key)
			}
		}
	})
}
