package render

import (
	"context"
	"time"
)

// File is one template file of a rendering job.
type File struct {
	Name   string // its path in the bundle, as messages name it
	Source string
}

// Job is what one rendering renders: the Jinja files of one deployment,
// with the same top-level variables for each (for an environment:
// {"environment": {"name": ..., "inputs": {...}}}). Data holds what JSON
// holds: strings, bools, nil, int64, float64, []any and map[string]any;
// and, as members of those maps and lists, Outputs and NoComponent().
type Job struct {
	Files []File
	Data  map[string]any
}

// Result holds the rendered files of a job, in the order of its Files.
type Result struct {
	Outputs []string
	// PeakMemory is the most memory that the rendering held (its process's
	// peak resident set), in bytes, when known.
	PeakMemory int64
}

// Renderer renders jobs. A template that fails or goes over a limit makes
// Render return an error whose message says, in words, which file failed
// and why; one that ends because ctx ended returns an error that wraps
// context.Cause(ctx).
type Renderer interface {
	Render(ctx context.Context, job Job) (Result, error)
}

// Limits bound the rendering processes; zero fields take the defaults.
type Limits struct {
	// Memory bounds the data segment of a rendering process (RLIMIT_DATA):
	// the memory that its Go runtime maps for heap, stacks and their
	// metadata, about 40 MiB at start and some more than the heap in use.
	Memory    int64
	Stack     int64         // bytes of stack of the rendering, which bounds recursion and nesting
	Time      time.Duration // wall time of one job, all its files together
	Processes int           // rendering processes at once
}

// Defaults of the limits. Every sample template that AWS publishes for
// Proton renders with a peak resident memory under 20 MiB in a few
// milliseconds (TestAWSSamples), and a file at the 4 MiB output limit
// under 40 MiB (TestOutputLimitFitsTheDefaultMemory); a rendering
// process's Go runtime alone maps about 40 MiB of the memory limit.
const (
	DefaultMemory    = 256 << 20
	DefaultStack     = 32 << 20
	DefaultTime      = 10 * time.Second
	DefaultProcesses = 4
)

// withDefaults fills the zero fields of l.
func (l Limits) withDefaults() Limits {
	if l.Memory <= 0 {
		l.Memory = DefaultMemory
	}
	if l.Stack <= 0 {
		l.Stack = DefaultStack
	}
	if l.Time <= 0 {
		l.Time = DefaultTime
	}
	if l.Processes <= 0 {
		l.Processes = DefaultProcesses
	}
	return l
}
