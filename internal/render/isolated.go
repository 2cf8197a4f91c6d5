package render

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Isolated renders each job in a rendering process of its own: this
// program's executable started again (see MaybeChild), with its memory and
// stack bounded by the kernel and the runtime, killed with its process
// group when the job's time is up or its context ends. Whatever a template
// does, the server only sees the process end.
type Isolated struct {
	limits Limits
	slots  chan struct{} // one per rendering process that may run
}

// NewIsolated returns an Isolated renderer with limits l (zero fields take
// the defaults).
func NewIsolated(l Limits) *Isolated {
	l = l.withDefaults()
	return &Isolated{limits: l, slots: make(chan struct{}, l.Processes)}
}

// Limits returns the renderer's limits, defaults filled in.
func (r *Isolated) Limits() Limits { return r.limits }

// Render renders job in a rendering process; it waits for a free process
// slot first.
func (r *Isolated) Render(ctx context.Context, job Job) (Result, error) {
	if len(job.Files) == 0 {
		return Result{}, nil
	}
	if os.Getenv(childEnv) != "" {
		// A program without MaybeChild first in its main or TestMain would
		// otherwise start itself again and again.
		return Result{}, errors.New("rendering cannot start: this process is a rendering process, so the program does not call render.MaybeChild first")
	}
	in, err := encodeJob(job, r.limits)
	if err != nil {
		return Result{}, err
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return Result{}, fmt.Errorf("rendering stopped before it started: %w", context.Cause(ctx))
	}
	defer func() { <-r.slots }()
	return r.run(ctx, job, in)
}

// maxEventOverhead bounds the bytes of an event besides a file's output.
const maxEventOverhead = 64 << 10

func (r *Isolated) run(ctx context.Context, job Job, in []byte) (Result, error) {
	exe, err := os.Executable()
	if err != nil {
		return Result{}, fmt.Errorf("rendering cannot start: %w", err)
	}
	cmd := exec.Command(exe)
	// Nothing of the server's environment (credentials, the store's URL)
	// reaches the process; one CPU is enough for one rendering.
	cmd.Env = []string{childEnv + "=1", "GOMAXPROCS=1"}
	cmd.Stdin = bytes.NewReader(in)
	var diag diagnosis
	cmd.Stderr = &diag
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, fmt.Errorf("rendering cannot start: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("rendering cannot start: %w", err)
	}
	k := &killer{cmd: cmd}
	var timedOut atomic.Bool
	timer := time.AfterFunc(r.limits.Time, func() {
		timedOut.Store(true)
		k.kill()
	})
	stopWatch := context.AfterFunc(ctx, k.kill)
	bound := int64(len(job.Files)) * (int64(MaxOutputBytes)*4/3 + maxEventOverhead)
	st := readEvents(stdout, len(job.Files), bound, k.kill)
	k.exited()
	waitErr := cmd.Wait()
	timer.Stop()
	stopWatch()
	diag.flush()

	file := ""
	if st.current >= 0 {
		file = job.Files[st.current].Name
	}
	switch {
	case ctx.Err() != nil:
		return Result{}, fmt.Errorf("rendering stopped: %w", context.Cause(ctx))
	case timedOut.Load():
		return Result{}, stopped(file, fmt.Sprintf("it took longer than the rendering time limit (%s)", r.limits.Time))
	case st.failure != "":
		return Result{}, errors.New(st.failure)
	case waitErr == nil && st.problem == "" && len(st.outputs) == len(job.Files):
		return Result{Outputs: st.outputs, PeakMemory: peakRSS(cmd.ProcessState)}, nil
	case diag.stack:
		return Result{}, stopped(file, fmt.Sprintf("it needed recursion or nesting deeper than the rendering stack limit (%s) allows", sizeText(r.limits.Stack)))
	case diag.memory:
		return Result{}, stopped(file, fmt.Sprintf("it exceeded the rendering memory limit (%s)", sizeText(r.limits.Memory)))
	case exitCode(waitErr) == exitTime:
		return Result{}, stopped(file, fmt.Sprintf("it took longer than the rendering time limit (%s)", r.limits.Time))
	case st.problem != "":
		return Result{}, stopped(file, "the rendering process "+st.problem)
	}
	how := "ended before it finished"
	if waitErr != nil {
		how = waitErr.Error()
	}
	if diag.fatal != "" {
		how += " (" + diag.fatal + ")"
	}
	return Result{}, stopped(file, "the rendering process stopped unexpectedly: "+how)
}

// peakRSS is the peak resident set of an ended process, in bytes.
func peakRSS(ps *os.ProcessState) int64 {
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		return ru.Maxrss << 10 // Linux counts KiB
	}
	return 0
}

// stopped is the error of a rendering process that did not finish.
func stopped(file, why string) error {
	if file == "" {
		return fmt.Errorf("rendering stopped: %s", why)
	}
	return fmt.Errorf("rendering %s stopped: %s", file, why)
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// killer kills a rendering process. Until the process has exited it kills
// its whole group, whose id cannot be reused while the process is not
// waited for; afterwards only the process itself, by a handle that cannot
// reach another process.
type killer struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	done bool
}

func (k *killer) kill() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.done {
		_ = k.cmd.Process.Kill()
		return
	}
	_ = syscall.Kill(-k.cmd.Process.Pid, syscall.SIGKILL)
}

// exited is called once the process's stdout has ended, before it is
// waited for.
func (k *killer) exited() {
	k.mu.Lock()
	k.done = true
	k.mu.Unlock()
}

// events is what a rendering process said on its stdout.
type events struct {
	current int      // the file it last started, -1 before the first
	outputs []string // the files it rendered
	failure string   // the message of the file that failed
	problem string   // how it broke the protocol, if it did
}

// readEvents reads the events of a process rendering n files until its
// stdout ends. At most bound bytes are read; a process that writes more
// or breaks the protocol is killed (its output is drained, so that it is
// never blocked on a full pipe).
func readEvents(stdout io.Reader, n int, bound int64, kill func()) events {
	st := events{current: -1}
	lr := &io.LimitedReader{R: stdout, N: bound + 1}
	dec := json.NewDecoder(lr)
	for st.problem == "" {
		var ev wireEvent
		err := dec.Decode(&ev)
		if errors.Is(err, io.EOF) {
			break
		}
		switch {
		case lr.N <= 0:
			st.problem = fmt.Sprintf("wrote more than %s of results", sizeText(bound))
		case err != nil:
			// A process killed in the middle of an event ends this way too;
			// its exit says more.
			st.problem = "wrote something other than rendering events"
		case ev.Event == eventStart && ev.File == len(st.outputs) && ev.File < n && st.failure == "":
			st.current = ev.File
		case ev.Event == eventOutput && ev.File == st.current && ev.File == len(st.outputs) && st.failure == "":
			st.outputs = append(st.outputs, string(ev.Output))
		case ev.Event == eventError && ev.File == st.current && ev.File == len(st.outputs) && st.failure == "":
			st.failure = shortenMessage(ev.Message)
		default:
			st.problem = "wrote events out of order"
		}
	}
	if st.problem != "" {
		kill()
	}
	_, _ = io.Copy(io.Discard, stdout)
	return st
}

// maxMessage bounds a rendering error's message as the server keeps it.
const maxMessage = 2 << 10

func shortenMessage(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	return strings.ToValidUTF8(s[:maxMessage], "") + "…"
}

// diagnosis reads a rendering process's stderr, keeping only what says
// why it ended: the Go runtime's fatal errors and the race detector's
// allocation failures. It holds a bounded amount whatever the process
// writes.
//
// At the memory limit the runtime mostly ends with "fatal error: out of
// memory", but not always: Go 1.26 does not check every allocation of its
// own (the garbage collector's span queues, runtime/mgcmark_greenteagc.go,
// newSpanSPMC), and the process then faults inside the runtime
// ("SIGSEGV: segmentation violation" with a runtime function as the
// faulting frame). Template code cannot fault that way: a nil dereference
// in Go code is a panic, which the engine recovers. So a fault in the
// runtime counts as reaching the memory limit too.
type diagnosis struct {
	mu     sync.Mutex
	line   []byte // the current line, up to maxDiagLine bytes
	stack  bool   // the stack limit was reached
	memory bool   // the memory limit was reached
	fatal  string // the first line of a fatal error, panic or fault

	fault      bool // a signal ended the process ("SIGSEGV: ...")
	firstFrame int  // 0 before the fault's first goroutine, 1 at its first frame, 2 after
}

const maxDiagLine = 512

func (d *diagnosis) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range p {
		if c == '\n' {
			d.see(string(d.line))
			d.line = d.line[:0]
			continue
		}
		if len(d.line) < maxDiagLine {
			d.line = append(d.line, c)
		}
	}
	return len(p), nil
}

// flush reads the last line, which the race detector's messages end
// without a newline.
func (d *diagnosis) flush() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.see(string(d.line))
	d.line = d.line[:0]
}

func (d *diagnosis) see(line string) {
	switch {
	case d.fault && d.firstFrame == 0 && strings.HasPrefix(line, "goroutine "):
		d.firstFrame = 1
	case d.firstFrame == 1:
		d.firstFrame = 2
		if strings.HasPrefix(line, "runtime.") {
			d.memory = true
		}
	case strings.HasPrefix(line, "SIGSEGV: ") || strings.HasPrefix(line, "SIGBUS: "):
		d.fault = true
	case strings.HasPrefix(line, "runtime: goroutine stack exceeds"), line == "fatal error: stack overflow":
		d.stack = true
	case strings.HasPrefix(line, "fatal error: out of memory"), strings.HasPrefix(line, "runtime: out of memory"),
		strings.HasPrefix(line, "fatal error: runtime: cannot allocate memory"), strings.HasPrefix(line, "fatal error: runtime: out of memory"),
		strings.Contains(line, "ThreadSanitizer failed to allocate"):
		d.memory = true
	}
	if d.fatal == "" && (strings.HasPrefix(line, "fatal error: ") || strings.HasPrefix(line, "panic: ") ||
		strings.HasPrefix(line, "SIGSEGV: ") || strings.HasPrefix(line, "SIGBUS: ") ||
		strings.HasPrefix(line, "openproton rendering process: ")) {
		d.fatal = strings.ToValidUTF8(line, "")
	}
}
