package render

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
)

// childEnv marks a rendering process: Isolated starts its own executable
// with it, and MaybeChild looks for it. It also keeps a rendering process
// from starting another one (see Isolated.Render).
const childEnv = "OPENPROTON_RENDER_CHILD"

// Exit statuses of a rendering process (the Go runtime exits with 2 on a
// fatal error or an unrecovered panic).
const (
	exitProtocol = 3 // the job could not be read or the events not written
	exitTime     = 4 // the process's own guard against a parent that never stopped it
)

// childNice lowers the scheduling priority of rendering processes, so
// that a template that computes for its whole time limit slows the
// server's answers to other accounts as little as possible.
const childNice = 10

// timeGuard is how long after its time limit a rendering process ends
// itself, should its parent not have killed it (the parent kills it at
// the limit).
const timeGuard = 2 * time.Second

// MaybeChild runs this process as a rendering process, and exits, when it
// was started as one; otherwise it returns at once. Every program that
// renders calls it first thing: the main function of cmd/openproton, and
// the TestMain of each test binary that renders, because a rendering
// process is the program's own executable started again.
func MaybeChild() {
	if os.Getenv(childEnv) != "1" {
		return
	}
	os.Exit(child(os.Stdin, os.Stdout))
}

// child renders the job read from in, writing its events to out, and
// returns the exit status.
func child(in io.Reader, out io.Writer) int {
	// Isolated starts the process as the leader of its own group, so the
	// group is every thread of this process (setpriority on a process
	// would reach only its first thread on Linux); threads to come inherit
	// the value.
	if syscall.Getpgrp() == os.Getpid() {
		_ = syscall.Setpriority(syscall.PRIO_PGRP, 0, childNice)
	}
	// Under memory pressure the kernel should end a rendering first.
	_ = os.WriteFile("/proc/self/oom_score_adj", []byte("1000"), 0)
	// gonja logs some of its internal errors; they are not for users.
	logrus.SetOutput(io.Discard)

	var job wireJob
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		fmt.Fprintln(os.Stderr, "openproton rendering process: cannot read the job:", err)
		return exitProtocol
	}
	if err := applyLimits(job.Limits); err != nil {
		fmt.Fprintln(os.Stderr, "openproton rendering process: cannot set its limits:", err)
		return exitProtocol
	}
	time.AfterFunc(time.Duration(job.Limits.TimeMS)*time.Millisecond+timeGuard, func() { os.Exit(exitTime) })
	data, err := decodeData(job.Data, job.Marks)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openproton rendering process: cannot read the variables:", err)
		return exitProtocol
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for i, f := range job.Files {
		if enc.Encode(wireEvent{Event: eventStart, File: i}) != nil {
			return exitProtocol
		}
		s, err := jinja(f.Name, string(f.Source), data)
		ev := wireEvent{Event: eventOutput, File: i, Output: []byte(s)}
		if err != nil {
			ev = wireEvent{Event: eventError, File: i, Message: err.Error()}
		}
		if enc.Encode(ev) != nil {
			return exitProtocol
		}
		if err != nil {
			return 0
		}
	}
	return 0
}

// applyLimits bounds this process's memory and stack. RLIMIT_DATA counts
// the memory that Go's heap and stacks take from the kernel; RLIMIT_AS
// would also count the address space that the runtime only reserves, and
// fails far below the memory actually used. Past the limit the runtime
// ends the process ("fatal error: out of memory"), and past the stack
// limit ("fatal error: stack overflow"); recover catches neither, which is
// why rendering runs in a process of its own. The soft memory limit makes
// the collector work harder before the hard limit is reached.
func applyLimits(l wireLimits) error {
	data := dataLimit(l.Memory)
	if err := syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: data, Max: data}); err != nil {
		return err
	}
	debug.SetMaxStack(int(l.Stack))
	debug.SetMemoryLimit(l.Memory / 4 * 3)
	return nil
}

// dataLimit is the RLIMIT_DATA of a rendering process for a memory limit.
// The race detector's shadow memory counts as data too (about 300 MiB at
// start, then several times the heap), so race builds, which only tests
// use, get room for it.
func dataLimit(memory int64) uint64 {
	if raceEnabled {
		return uint64(1<<30 + 8*memory)
	}
	return uint64(memory)
}
