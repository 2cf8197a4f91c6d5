package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100
// on every Linux architecture Go supports).
const clockTick = 10 * time.Millisecond

// startTimeout bounds how long a server may take to answer its first
// request; PostgreSQL migrations on a busy machine take the longest.
const startTimeout = 60 * time.Second

// Process is a server process started by the harness.
type Process struct {
	Addr    string    // host:port it serves on
	started time.Time // just before exec
	cmd     *exec.Cmd
	done    chan error
	logPath string
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// start runs cmd with its output in logPath. It does not wait for readiness.
func start(cmd *exec.Cmd, addr, logPath string) (*Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	started := time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &Process{Addr: addr, started: started, cmd: cmd, done: make(chan error, 1), logPath: logPath}
	go func() {
		p.done <- cmd.Wait()
		logf.Close()
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *Process) exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// waitHealthy polls GET /health until it answers 200.
func (p *Process) waitHealthy(ctx context.Context) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for time.Now().Before(deadline) {
		if ok, err := p.exited(); ok {
			return fmt.Errorf("the server exited at start (%v):\n%s", err, p.LogTail())
		}
		resp, err := client.Get("http://" + p.Addr + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := sleep(ctx, 10*time.Millisecond); err != nil {
			return err
		}
	}
	return fmt.Errorf("the server did not become healthy at %s within %s:\n%s", p.Addr, startTimeout, p.LogTail())
}

// Stop ends the process with SIGTERM (SIGKILL after 30 s) and reports a
// server that did not exit cleanly.
func (p *Process) Stop() error {
	if ok, err := p.exited(); ok {
		return exitError(err, p)
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		p.done <- err
		return exitError(err, p)
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("server at %s did not stop within 30 s of SIGTERM", p.Addr)
	}
}

func exitError(err error, p *Process) error {
	if err != nil {
		return fmt.Errorf("server at %s: %v:\n%s", p.Addr, err, p.LogTail())
	}
	return nil
}

// LogTail is the end of the process's output, for error messages.
func (p *Process) LogTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Sample reads the process's CPU time and resident memory from /proc.
func (p *Process) Sample() (ProcSample, bool) {
	return sampleProc(p.cmd.Process.Pid)
}

func sampleProc(pid int) (ProcSample, bool) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ProcSample{}, false
	}
	// The command name in parentheses may hold spaces; fields count from
	// the last ')'. utime and stime are fields 14 and 15 of the file.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return ProcSample{}, false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return ProcSample{}, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return ProcSample{}, false
	}
	s := ProcSample{CPU: time.Duration(utime+stime) * clockTick, Valid: true}
	s.RSS, s.Peak, err = memory(pid)
	if err != nil {
		return ProcSample{}, false
	}
	return s, true
}

// memory returns VmRSS and VmHWM of a process, in bytes.
func memory(pid int) (rss, peak int64, err error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %q: %w", name, value, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if rss == 0 {
		return 0, 0, errors.New("no VmRSS in /proc status")
	}
	return rss, peak, nil
}
