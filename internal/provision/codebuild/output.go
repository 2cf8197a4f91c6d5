package codebuild

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// Limits of the commands' output.
const (
	// MaxLog is how much of one deployment's output its log keeps.
	MaxLog = 8 << 20
	// tailBytes and tailLines bound the tail that a failure's message
	// quotes.
	tailBytes = 4 << 10
	tailLines = 20
)

// marker starts the line that the script prints before each command.
const marker = "[openproton] Running command: "

// output takes the commands' output (stdout and stderr alike): it appends
// it to the deployment's log, up to MaxLog bytes, and keeps its tail.
type output struct {
	mu      sync.Mutex
	log     *os.File // nil when no log is kept
	written int64    // the log's size
	cut     bool     // the log reached MaxLog
	tail    []byte   // at most 2*tailBytes of the latest output
}

// openOutput opens the log of deployment id in dir ("" for none), to
// append to what an earlier attempt wrote.
func openOutput(dir, id string) (*output, error) {
	o := &output{}
	if dir == "" {
		return o, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("make the CodeBuild log directory: %w", err)
	}
	f, err := os.OpenFile(LogPath(dir, id), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the CodeBuild log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open the CodeBuild log: %w", err)
	}
	o.log, o.written = f, st.Size()
	return o, nil
}

// LogPath is the log of deployment id's commands in dir.
func LogPath(dir, id string) string { return filepath.Join(dir, id+".log") }

// Write implements io.Writer.
func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.tail = append(o.tail, p...)
	if len(o.tail) > 2*tailBytes {
		o.tail = append(o.tail[:0], o.tail[len(o.tail)-tailBytes:]...)
	}
	if o.log == nil || o.cut {
		return len(p), nil
	}
	room := MaxLog - o.written
	if int64(len(p)) <= room {
		n, _ := o.log.Write(p)
		o.written += int64(n)
		return len(p), nil
	}
	n, _ := o.log.Write(p[:room])
	o.written += int64(n)
	o.cut = true
	fmt.Fprintf(o.log, "\n[openproton] the log reached %d bytes: the rest of this run's output is not kept\n", MaxLog)
	return len(p), nil
}

// note writes a line of openproton's own to the log.
func (o *output) note(format string, args ...any) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.log != nil && !o.cut {
		n, _ := fmt.Fprintf(o.log, "[openproton] "+format+"\n", args...)
		o.written += int64(n)
	}
}

// lastLines returns the output's last lines (at most tailLines of them,
// and tailBytes), and the command that the last marker among them names
// ("" when none does).
func (o *output) lastLines() (lines, command string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.tail
	if len(t) > tailBytes {
		t = t[len(t)-tailBytes:]
		if i := bytes.IndexByte(t, '\n'); i >= 0 {
			t = t[i+1:]
		}
	}
	all := strings.Split(strings.TrimRight(strings.ToValidUTF8(string(t), "\uFFFD"), "\n"), "\n")
	if len(all) > tailLines {
		all = all[len(all)-tailLines:]
	}
	for i := len(all) - 1; i >= 0; i-- {
		if c, ok := strings.CutPrefix(all[i], marker); ok {
			command = c
			break
		}
	}
	return strings.Join(all, "\n"), command
}

// Close closes the log.
func (o *output) Close() error {
	if o.log == nil {
		return nil
	}
	return o.log.Close()
}
