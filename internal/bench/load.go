package bench

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Load is how hard and how long a scenario is driven.
type Load struct {
	Connections int           // connections kept busy, each by one goroutine
	Warmup      time.Duration // driven but not measured
	Duration    time.Duration // measured
}

// phases of a load run, in order.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// Session is what a worker uses to call the server: its connection, and the
// recording of every call's latency and outcome.
type Session struct {
	conn  *Conn
	phase *atomic.Int32
	rec   *recorder
}

// Call sends one request and records it: its latency, when it started in
// the measured phase, and any failure, in every phase.
func (s *Session) Call(op string, key Key, body []byte) ([]byte, error) {
	measured := s.phase.Load() == phaseMeasure
	start := time.Now()
	out, err := s.conn.Call(op, key, body)
	s.rec.add(op, measured, time.Since(start), err)
	return out, err
}

// Fail records a failure that is not an answer of the server, such as an
// answer that lacks what the next request needs.
func (s *Session) Fail(err error) {
	s.rec.errors++
	if s.rec.firstErr == nil {
		s.rec.firstErr = err
	}
}

// Worker is one connection's loop body: it sends one unit of work (one
// request, or a few that depend on each other) through s. Its n counts the
// units the worker has run.
type Worker func(s *Session, n int) error

// recorder holds one worker's measurements; only its worker writes to it.
type recorder struct {
	ops      map[string]*opRecord
	errors   int
	firstErr error
}

type opRecord struct {
	latencies []time.Duration // of calls started in the measured phase
	errors    int
}

func (r *recorder) add(op string, measured bool, d time.Duration, err error) {
	o := r.ops[op]
	if o == nil {
		o = &opRecord{latencies: make([]time.Duration, 0, 4096)}
		r.ops[op] = o
	}
	if err != nil {
		r.errors++
		o.errors++
		if r.firstErr == nil {
			r.firstErr = err
		}
	}
	if measured {
		o.latencies = append(o.latencies, d)
	}
}

// Probe reads a resource counter of a process under load; ok is false when
// it cannot be read.
type Probe func() (ProcSample, bool)

// ProcSample is a process's CPU time used so far and its resident memory.
type ProcSample struct {
	CPU   time.Duration
	RSS   int64 // bytes, VmRSS
	Peak  int64 // bytes, VmHWM
	Valid bool
}

// Result is the outcome of one load run.
type Result struct {
	Requests     int           // requests started in the measured phase
	Elapsed      time.Duration // length of the measured phase
	PerSecond    float64
	P50, P90     time.Duration
	P99, Max     time.Duration
	Errors       int // failed requests in every phase, warmup included
	FirstError   string
	GeneratorCPU time.Duration // CPU time of this process in the measured phase
	ServerCPU    time.Duration // CPU time of the server process in the measured phase
	ServerRSS    int64         // server VmRSS at the end of the measured phase
	ServerPeak   int64         // server VmHWM at the end of the measured phase
	Ops          map[string]OpResult
}

// OpResult is the measured part of one operation within a run.
type OpResult struct {
	Requests  int
	PerSecond float64
	P50, P99  time.Duration
	Errors    int
}

// CPUPerRequest is the server's CPU time per measured request.
func (r Result) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Requests)
}

// Drive runs newWorker's workers on load.Connections connections to addr:
// each worker runs its units back to back until the measured phase ends.
// server, when not nil, samples the server process at the edges of the
// measured phase; during, when not nil, runs in the measured phase (a
// profile download) and must return by its end.
func Drive(ctx context.Context, addr string, load Load, newWorker func(i int) Worker, server Probe, during func(ctx context.Context, d time.Duration)) (Result, error) {
	if load.Connections < 1 || load.Duration <= 0 {
		return Result{}, errors.New("bench: a load needs at least one connection and a positive duration")
	}
	var phase atomic.Int32
	recs := make([]*recorder, load.Connections)
	var wg sync.WaitGroup
	for i := range load.Connections {
		rec := &recorder{ops: map[string]*opRecord{}}
		recs[i] = rec
		work := newWorker(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &Session{conn: NewConn(addr), phase: &phase, rec: rec}
			defer s.conn.Close()
			for n := 0; phase.Load() != phaseDone && ctx.Err() == nil; n++ {
				_ = work(s, n) // failures are recorded by Session.Call
			}
		}()
	}

	stop := func() { phase.Store(phaseDone); wg.Wait() }
	if err := sleep(ctx, load.Warmup); err != nil {
		stop()
		return Result{}, err
	}
	selfStart := selfCPU()
	var srvStart ProcSample
	if server != nil {
		srvStart, _ = server()
	}
	start := time.Now()
	phase.Store(phaseMeasure)
	var duringDone sync.WaitGroup
	if during != nil {
		duringDone.Add(1)
		go func() { defer duringDone.Done(); during(ctx, load.Duration) }()
	}
	err := sleep(ctx, load.Duration)
	phase.Store(phaseDone)
	elapsed := time.Since(start)
	selfEnd := selfCPU()
	var srvEnd ProcSample
	if server != nil {
		srvEnd, _ = server()
	}
	wg.Wait()
	duringDone.Wait()
	if err != nil {
		return Result{}, err
	}

	res := summarize(recs, elapsed)
	res.GeneratorCPU = selfEnd - selfStart
	if srvStart.Valid && srvEnd.Valid {
		res.ServerCPU = srvEnd.CPU - srvStart.CPU
		res.ServerRSS, res.ServerPeak = srvEnd.RSS, srvEnd.Peak
	}
	return res, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// selfCPU is the user and system CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func summarize(recs []*recorder, elapsed time.Duration) Result {
	res := Result{Elapsed: elapsed, Ops: map[string]OpResult{}}
	var all []time.Duration
	byOp := map[string][]time.Duration{}
	opErrors := map[string]int{}
	for _, r := range recs {
		res.Errors += r.errors
		if r.firstErr != nil && res.FirstError == "" {
			res.FirstError = r.firstErr.Error()
		}
		for op, o := range r.ops {
			all = append(all, o.latencies...)
			byOp[op] = append(byOp[op], o.latencies...)
			opErrors[op] += o.errors
		}
	}
	res.Requests = len(all)
	res.PerSecond = float64(len(all)) / elapsed.Seconds()
	sortDurations(all)
	res.P50, res.P90, res.P99, res.Max = quantile(all, 0.50), quantile(all, 0.90), quantile(all, 0.99), quantile(all, 1)
	for op, ls := range byOp {
		sortDurations(ls)
		res.Ops[op] = OpResult{
			Requests:  len(ls),
			PerSecond: float64(len(ls)) / elapsed.Seconds(),
			P50:       quantile(ls, 0.50),
			P99:       quantile(ls, 0.99),
			Errors:    opErrors[op],
		}
	}
	return res
}

func sortDurations(ds []time.Duration) { slices.Sort(ds) }

// quantile is the nearest-rank quantile q of sorted ds; 0 when empty.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	i := int(q*float64(len(ds))+0.5) - 1
	return ds[min(max(i, 0), len(ds)-1)]
}

// String is a one-line summary of r.
func (r Result) String() string {
	return fmt.Sprintf("%.0f req/s, p50 %s p90 %s p99 %s max %s, %d errors, generator CPU %s, server CPU %s/request",
		r.PerSecond, ms(r.P50), ms(r.P90), ms(r.P99), ms(r.Max), r.Errors, r.GeneratorCPU.Round(time.Millisecond), us(r.CPUPerRequest()))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }
