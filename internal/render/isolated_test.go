package render

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

const cfnFile = "infrastructure/cloudformation.yaml"

// Hostile templates: each goes over one limit.
const (
	recursion = "{% macro f(n) %}{{ f(n) }}{% endmacro %}\nOutputs:\n  X:\n    Value: '{{ f(1) }}'\n"
	// Nested loops that allocate little and never end in time.
	longLoop = "{% for a in 'x' * 100000 %}{% for b in 'x' * 100000 %}{% endfor %}{% endfor %}"
)

// doubling is a template that doubles a string n times (10 × 2^n bytes).
func doubling(n int) string {
	var b strings.Builder
	b.WriteString(`{% set v0 = "xxxxxxxxxx" %}`)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "{%% set v%d = v%d ~ v%d %%}", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "{{ v%d | length }}", n)
	return b.String()
}

func job(sources ...string) Job {
	j := Job{Data: env(map[string]any{"count": int64(2)})}
	for i, s := range sources {
		name := cfnFile
		if i > 0 {
			name = fmt.Sprintf("infrastructure/file%d.yaml", i)
		}
		j.Files = append(j.Files, File{Name: name, Source: s})
	}
	return j
}

// TestLimitMessages: each limit, reached, ends the rendering with a
// message naming the file and the limit, and nothing else happens to this
// process. The renderings that must reach the memory or the stack limit
// have time enough for it, also in race builds, which run many times
// slower.
func TestLimitMessages(t *testing.T) {
	r := NewIsolated(Limits{Time: time.Minute})
	small := NewIsolated(Limits{Memory: 128 << 20, Time: time.Minute})
	quick := NewIsolated(Limits{Time: 2 * time.Second})
	for _, c := range []struct {
		name string
		r    *Isolated
		job  Job
		want string
	}{
		{"recursion", r, job(recursion),
			"rendering infrastructure/cloudformation.yaml stopped: it needed recursion or nesting deeper than the rendering stack limit (32 MiB) allows"},
		{"memory", small, job(doubling(30)),
			"rendering infrastructure/cloudformation.yaml stopped: it exceeded the rendering memory limit (128 MiB)"},
		{"time", quick, job(longLoop),
			"rendering infrastructure/cloudformation.yaml stopped: it took longer than the rendering time limit (2s)"},
		{"the second file", small, job("ok", doubling(30)),
			"rendering infrastructure/file1.yaml stopped: it exceeded the rendering memory limit (128 MiB)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			res, err := c.r.Render(t.Context(), c.job)
			if err == nil || err.Error() != c.want {
				t.Fatalf("err = %v (outputs %d), want %s", err, len(res.Outputs), c.want)
			}
			// Killing the process at the limit and waiting for it take a
			// fraction of a second, also on a busy machine.
			if took := time.Since(start); took > c.r.Limits().Time+3*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

// TestDefaultLimitsStopTheIssueTemplates: with the default limits, the
// recursive macro and the 24 doublings (168 MB, which took an in-process
// server to 1 GB) fail with their limit's message.
func TestDefaultLimitsStopTheIssueTemplates(t *testing.T) {
	r := NewIsolated(Limits{Time: time.Minute}) // time enough in race builds too
	_, err := r.Render(t.Context(), job(recursion))
	if err == nil || !strings.HasSuffix(err.Error(), "stack limit (32 MiB) allows") {
		t.Errorf("recursion: %v", err)
	}
	_, err = r.Render(t.Context(), job(doubling(24)))
	if err == nil || !strings.HasSuffix(err.Error(), "it exceeded the rendering memory limit (256 MiB)") {
		t.Errorf("doublings: %v", err)
	}
}

// TestOutputLimitFitsTheDefaultMemory: a file at the output limit renders
// with the default limits, with room to spare.
func TestOutputLimitFitsTheDefaultMemory(t *testing.T) {
	exact := `{% for i in range(4096) %}` + strings.Repeat("x", 1024) + `{% endfor %}`
	res, err := NewIsolated(Limits{}).Render(t.Context(), job(exact))
	if err != nil || len(res.Outputs) != 1 || len(res.Outputs[0]) != MaxOutputBytes {
		t.Fatalf("%d outputs, %v", len(res.Outputs), err)
	}
	t.Logf("peak memory of a 4 MiB rendering: %.1f MiB", float64(res.PeakMemory)/(1<<20))
	if res.PeakMemory > DefaultMemory/2 && figuresHold {
		t.Errorf("peak memory %d, want at most half the default limit", res.PeakMemory)
	}
}

// TestProtocol: the files of a job come back in order, with their
// variables' types (an integer renders as 2, a float as 2.0) and their
// bytes as they were; a file that fails stops the job with its own
// message.
func TestProtocol(t *testing.T) {
	r := NewIsolated(Limits{})
	j := Job{
		Files: []File{
			{Name: "a.yaml", Source: "{{ environment.name }} {{ environment.inputs.n }} {{ environment.inputs.f }} {{ environment.inputs.big }}"},
			{Name: "b.yaml", Source: ""},
			{Name: "c.yaml", Source: "{% for s in environment.inputs.list %}{{ s.k }}{% endfor %} {{ environment.inputs.none is none }} \xff\xfe <&>"},
		},
		Data: map[string]any{"environment": map[string]any{"name": "dev", "inputs": map[string]any{
			"n": int64(2), "f": 2.0, "big": 1e300, "list": []any{map[string]any{"k": "x"}, map[string]any{"k": true}}, "none": nil,
		}}},
	}
	res, err := r.Render(t.Context(), j)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"dev 2 2.0 1e+300", "", "xTrue True \xff\xfe <&>"}
	if len(res.Outputs) != len(want) {
		t.Fatalf("outputs %q, want %q", res.Outputs, want)
	}
	for i := range want {
		if res.Outputs[i] != want[i] {
			t.Errorf("file %d: %q, want %q", i, res.Outputs[i], want[i])
		}
	}
	j.Files[1].Source = "{{ x | nosuch }}"
	_, err = r.Render(t.Context(), j)
	if want := "rendering b.yaml failed at line 1: there is no filter named nosuch"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if res, err := r.Render(t.Context(), Job{}); err != nil || len(res.Outputs) != 0 {
		t.Errorf("an empty job: %v %v", res, err)
	}
	j.Data = map[string]any{"nan": []any{1.0, nanValue()}}
	if _, err := r.Render(t.Context(), j); err == nil || !strings.HasPrefix(err.Error(), "the variables of the rendering cannot be passed on: ") {
		t.Errorf("NaN variable: %v", err)
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// TestCancel: a rendering whose context ends is killed at once and
// returns the context's cause; one that waits for a process slot stops
// waiting.
func TestCancel(t *testing.T) {
	r := NewIsolated(Limits{Time: time.Minute, Processes: 1})
	cause := errors.New("the deployment was cancelled")
	ctx, cancel := context.WithCancelCause(t.Context())
	done := make(chan error, 2)
	start := time.Now()
	go func() {
		_, err := r.Render(ctx, job(longLoop))
		done <- err
	}()
	time.Sleep(300 * time.Millisecond)
	// This one waits for the only slot.
	go func() {
		_, err := r.Render(ctx, job("ok"))
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	cancel(cause)
	for range 2 {
		select {
		case err := <-done:
			if !errors.Is(err, cause) || !strings.HasPrefix(err.Error(), "rendering stopped") {
				t.Errorf("err = %v, want one that wraps the cause", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a cancelled rendering did not return")
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the cancelled renderings took %s to return, want well under the minute of their time limit", took)
	}
	// The slot is free again.
	if res, err := r.Render(t.Context(), job("ok")); err != nil || res.Outputs[0] != "ok" {
		t.Fatalf("after the cancel: %v %v", res, err)
	}
}

// TestProcessesBound: with one process allowed, two renderings run one
// after the other.
func TestProcessesBound(t *testing.T) {
	r := NewIsolated(Limits{Time: time.Second, Processes: 1})
	start := time.Now()
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			if _, err := r.Render(t.Context(), job(longLoop)); err == nil || !strings.Contains(err.Error(), "time limit (1s)") {
				t.Errorf("err = %v", err)
			}
		})
	}
	wg.Wait()
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("two one-second renderings with one process took %s, want at least 2s", took)
	}
}

// TestNoRenderingInARenderingProcess: a program whose main does not call
// MaybeChild would start itself again and again; the rendering process
// refuses to render instead.
func TestNoRenderingInARenderingProcess(t *testing.T) {
	t.Setenv(childEnv, "1")
	_, err := NewIsolated(Limits{}).Render(t.Context(), job("ok"))
	want := "rendering cannot start: this process is a rendering process, so the program does not call render.MaybeChild first"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

// TestReadEvents: the parent accepts only events in order and at most
// its bound of bytes.
func TestReadEvents(t *testing.T) {
	for _, c := range []struct {
		name, stream string
		n            int
		bound        int64
		want         events
		killed       bool
	}{
		{"complete", `{"event":"start","file":0}` + "\n" + `{"event":"output","file":0,"output":"b2s="}` + "\n", 1, 1000,
			events{current: 0, outputs: []string{"ok"}}, false},
		{"failure", `{"event":"start","file":0}{"event":"error","file":0,"message":"bad"}`, 2, 1000,
			events{current: 0, failure: "bad"}, false},
		{"died while rendering", `{"event":"start","file":0}`, 1, 1000, events{current: 0}, false},
		{"output before start", `{"event":"output","file":0,"output":""}`, 1, 1000,
			events{current: -1, problem: "wrote events out of order"}, true},
		{"a file not in the job", `{"event":"start","file":1}`, 1, 1000,
			events{current: -1, problem: "wrote events out of order"}, true},
		{"a start after a failure", `{"event":"start","file":0}{"event":"error","file":0,"message":"bad"}{"event":"start","file":1}`, 2, 1000,
			events{current: 0, failure: "bad", problem: "wrote events out of order"}, true},
		{"garbage", `fatal error`, 1, 1000, events{current: -1, problem: "wrote something other than rendering events"}, true},
		{"too much", `{"event":"start","file":0}{"event":"output","file":0,"output":"` + strings.Repeat("A", 2000) + `"}`, 1, 1000,
			events{current: 0, problem: "wrote more than 1000 bytes of results"}, true},
	} {
		killed := false
		got := readEvents(strings.NewReader(c.stream), c.n, c.bound, func() { killed = true })
		if fmt.Sprint(got) != fmt.Sprint(c.want) || killed != c.killed {
			t.Errorf("%s: %+v (killed %v), want %+v (killed %v)", c.name, got, killed, c.want, c.killed)
		}
	}
}

// TestDiagnosis reads the runtime's reasons from a process's stderr,
// however much it writes.
func TestDiagnosis(t *testing.T) {
	for _, c := range []struct {
		stderr        string
		stack, memory bool
		fatal         string
	}{
		{"runtime: goroutine stack exceeds 33554432-byte limit\nruntime: sp=0xc0200e0388 stack=[0xc0200e0000, 0xc0400e0000]\nfatal error: stack overflow\n\nruntime stack:\n", true, false, "fatal error: stack overflow"},
		{"fatal error: out of memory allocating heap arena metadata\n", false, true, "fatal error: out of memory allocating heap arena metadata"},
		{"runtime: out of memory: cannot allocate 8192-byte block (268435456 in use)\nfatal error: out of memory\n", false, true, "fatal error: out of memory"},
		{"fatal error: runtime: out of memory\n", false, true, "fatal error: runtime: out of memory"},
		{"==1==ERROR: ThreadSanitizer failed to allocate 0x1ff000 (2093056) bytes at address 218000201000 (errno: 12)", false, true, ""},
		// Go 1.26's collector, when an allocation of its own fails.
		{"SIGSEGV: segmentation violation\nPC=0x4387fd m=0 sigcode=1 addr=0x0\n\ngoroutine 0 gp=0xbeefa0 m=0 mp=0xbeffa0 [idle]:\nruntime.(*spanQueue).tryDrain(0x7ffe00000400?, 0x44070f?, 0xed93e978?)\n\t/usr/local/go/src/runtime/mgcmark_greenteagc.go:520 +0x5d\n", false, true, "SIGSEGV: segmentation violation"},
		{"SIGSEGV: segmentation violation\nPC=0x4387fd m=0 sigcode=1 addr=0x0\n\ngoroutine 1 gp=0xbeefa0 m=0 mp=0xbeffa0 [running]:\nmain.f()\n", false, false, "SIGSEGV: segmentation violation"},
		{strings.Repeat("noise ", 100_000) + "\npanic: something else\n\ngoroutine 1 [running]:\nruntime.gopanic()\n", false, false, "panic: something else"},
	} {
		var d diagnosis
		for b := []byte(c.stderr); len(b) > 0; { // writes that end anywhere in a line
			n := min(len(b), 7)
			_, _ = d.Write(b[:n])
			b = b[n:]
		}
		d.flush()
		if d.stack != c.stack || d.memory != c.memory || d.fatal != c.fatal || len(d.line) > 0 {
			t.Errorf("%.60q: stack %v memory %v fatal %q", c.stderr, d.stack, d.memory, d.fatal)
		}
	}
}
