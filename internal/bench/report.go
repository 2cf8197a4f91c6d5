package bench

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// The targets of the project for one run (docs/benchmarks.md).
const (
	targetGetRatio  = 0.50
	targetGetP99    = 10 * time.Millisecond
	targetListRatio = 0.15
	targetCreates   = 5000.0
	targetColdStart = 100 * time.Millisecond
	targetIdleRSS   = 40_000_000 // bytes: 40 MB
)

// noisyCeiling is how far apart the two ceiling runs may be before the
// report calls the run noisy.
const noisyCeiling = 0.15

// Markdown writes the report as the tables of docs/benchmarks.md.
func (r *Report) Markdown(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "Run of %s UTC: %d connections, %s measured after %s of warm-up, SigV4 verified on every request.\n\n",
		r.Started.Format("2006-01-02 15:04"), r.Load.Connections, r.Load.Duration, r.Load.Warmup)
	fmt.Fprintf(w, "Machine: %d CPUs (%s), %.1f GiB memory, Linux %s, %s; load average %s before, %s after.\n\n",
		m.CPUs, m.CPUModel, float64(m.MemoryMiB)/1024, m.Kernel, m.GoVersion, m.LoadBefore, m.LoadAfter)

	fmt.Fprintln(w, "| Target | Scenario | Requests/s | Of ceiling | p50 | p90 | p99 | Max | Errors | Generator CPU | Server CPU per request | Server RSS (peak) |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, row := range r.Rows {
		ratio := "—"
		if row.Target != TargetCeiling {
			ratio = fmt.Sprintf("%.0f%%", 100*row.Ratio)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s | %s (%s) |\n",
			row.Target, row.Scenario, thousands(row.PerSecond), ratio,
			ms(row.P50), ms(row.P90), ms(row.P99), ms(row.Max), row.Errors,
			seconds(row.GeneratorCPU), us(row.CPUPerRequest()), mib(row.ServerRSS), mib(row.ServerPeak))
	}
	fmt.Fprintln(w)
	for _, row := range r.Rows {
		if len(row.Ops) < 2 {
			continue
		}
		ops := make([]string, 0, len(row.Ops))
		for op := range row.Ops {
			ops = append(ops, op)
		}
		slices.Sort(ops)
		parts := make([]string, 0, len(ops))
		for _, op := range ops {
			o := row.Ops[op]
			parts = append(parts, fmt.Sprintf("%s %s/s (p50 %s, p99 %s)", strings.TrimSuffix(op, "EnvironmentAccountConnection"), thousands(o.PerSecond), ms(o.P50), ms(o.P99)))
		}
		fmt.Fprintf(w, "- %s, %s, by operation: %s.\n", row.Target, row.Scenario, strings.Join(parts, "; "))
	}
	if len(r.Ceiling) == 2 {
		a, b := r.Ceiling[0].PerSecond, r.Ceiling[1].PerSecond
		apart := abs(a-b) / max(a, b)
		fmt.Fprintf(w, "- The ceiling served %s/s before the openproton rows and %s/s after (%.0f%% apart); ratios use the mean, %s/s.\n",
			thousands(a), thousands(b), 100*apart, thousands(r.CeilingPerSecond()))
		if apart > noisyCeiling {
			fmt.Fprintf(w, "- **A noisy run**: the two ceilings differ by more than %.0f%%, so other work on the machine changed during the run and the ratios are not comparable with other runs; the server CPU per request is the steadier figure.\n", 100*noisyCeiling)
		}
	}
	for _, row := range r.Rows {
		if row.Errors > 0 {
			fmt.Fprintf(w, "- %s, %s: %d errors; the first: %s\n", row.Target, row.Scenario, row.Errors, row.FirstError)
		}
	}
	fmt.Fprintln(w)

	if f := r.Footprint; f != nil {
		fmt.Fprintln(w, "| Footprint | Measured |")
		fmt.Fprintln(w, "|---|--:|")
		starts := make([]string, len(f.ColdStarts))
		for i, d := range f.ColdStarts {
			starts[i] = ms(d)
		}
		fmt.Fprintf(w, "| Cold start: exec to the first 200 of a signed request, new SQLite file (median of %d: %s) | %s |\n", len(f.ColdStarts), strings.Join(starts, ", "), ms(f.MedianColdStart()))
		fmt.Fprintf(w, "| Resident memory idle, %s after start (VmRSS; VmHWM) | %s (%s) |\n", idleSettle, mib(f.IdleRSS), mib(f.IdlePeak))
		if row, ok := r.row(TargetSQLite, "Get"); ok {
			fmt.Fprintf(w, "| Resident memory under load, end of SQLite Get (VmRSS; VmHWM) | %s (%s) |\n", mib(row.ServerRSS), mib(row.ServerPeak))
		}
		if row, ok := r.row(TargetSQLite, "List"); ok {
			fmt.Fprintf(w, "| Resident memory under load, end of SQLite List (VmRSS; VmHWM) | %s (%s) |\n", mib(row.ServerRSS), mib(row.ServerPeak))
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "| Target | Goal | Measured | Met |")
	fmt.Fprintln(w, "|---|---|--:|---|")
	for _, t := range r.Targets() {
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", t.Name, t.Goal, t.Measured, t.Verdict)
	}
}

// Check is one target and how the run did against it.
type Check struct {
	Name, Goal, Measured, Verdict string
	Met                           bool
}

// Targets checks the run against the project's targets; a target whose
// measurement the run did not make is left out.
func (r *Report) Targets() []Check {
	var out []Check
	ratio := func(name, scenario string, goal float64) {
		row, ok := r.row(TargetSQLite, scenario)
		if !ok {
			return
		}
		c := Check{Name: name, Goal: fmt.Sprintf("≥ %.0f%% of the ceiling", 100*goal), Measured: fmt.Sprintf("%.0f%%", 100*row.Ratio), Met: row.Ratio >= goal}
		c.Verdict = verdict(c.Met, fmt.Sprintf("short by %.0f points (%.0f%% below the goal)", 100*(goal-row.Ratio), 100*(1-row.Ratio/goal)))
		out = append(out, c)
	}
	ratio("Get requests/s, SQLite", "Get", targetGetRatio)
	if row, ok := r.row(TargetSQLite, "Get"); ok {
		c := Check{Name: "Get p99, SQLite", Goal: "< " + ms(targetGetP99), Measured: ms(row.P99), Met: row.P99 < targetGetP99}
		c.Verdict = verdict(c.Met, fmt.Sprintf("over by %s", ms(row.P99-targetGetP99)))
		out = append(out, c)
	}
	ratio("List (page of 100) requests/s, SQLite", "List", targetListRatio)
	if row, ok := r.row(TargetSQLite, "Create"); ok {
		c := Check{Name: "Durable creates/s, SQLite", Goal: "≥ 5,000/s", Measured: thousands(row.PerSecond) + "/s", Met: row.PerSecond >= targetCreates}
		c.Verdict = verdict(c.Met, fmt.Sprintf("short by %s/s (%.0f%%)", thousands(targetCreates-row.PerSecond), 100*(1-row.PerSecond/targetCreates)))
		out = append(out, c)
	}
	if f := r.Footprint; f != nil {
		cs := f.MedianColdStart()
		c := Check{Name: "Cold start to first response", Goal: "< 100 ms", Measured: ms(cs), Met: cs < targetColdStart}
		c.Verdict = verdict(c.Met, fmt.Sprintf("over by %s", ms(cs-targetColdStart)))
		out = append(out, c)
		c = Check{Name: "Idle resident memory", Goal: "< 40 MB (38.1 MiB)", Measured: mib(f.IdleRSS), Met: f.IdleRSS < targetIdleRSS}
		c.Verdict = verdict(c.Met, fmt.Sprintf("over by %s", mib(f.IdleRSS-targetIdleRSS)))
		out = append(out, c)
	}
	for _, row := range r.Rows {
		if row.Errors > 0 {
			out = append(out, Check{Name: "No failed request: " + row.Target + ", " + row.Scenario, Goal: "0 errors", Measured: fmt.Sprint(row.Errors), Verdict: "no"})
		}
	}
	return out
}

func verdict(met bool, miss string) string {
	if met {
		return "yes"
	}
	return "no: " + miss
}

// row returns the row of target whose scenario starts with prefix.
func (r *Report) row(target, prefix string) (Row, bool) {
	for _, row := range r.Rows {
		if row.Target == target && strings.HasPrefix(row.Scenario, prefix) {
			return row, true
		}
	}
	return Row{}, false
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// thousands formats a rate with a thousands separator: 12,345.
func thousands(f float64) string {
	n := int64(f + 0.5)
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }
