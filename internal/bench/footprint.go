package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
)

// idleSettle is how long a started server sits idle before its memory is
// read.
const idleSettle = time.Second

// Footprint is what openproton costs before it does any work.
type Footprint struct {
	ColdStarts []time.Duration // exec to the first 200 of a signed request, each on a new SQLite file
	IdleRSS    int64           // VmRSS, bytes, after start and idleSettle without requests
	IdlePeak   int64           // VmHWM at the same moment
}

// MedianColdStart is the median of the cold starts.
func (f *Footprint) MedianColdStart() time.Duration {
	s := slices.Clone(f.ColdStarts)
	slices.Sort(s)
	return s[len(s)/2]
}

func (f *Footprint) String() string {
	return fmt.Sprintf("cold start median %s (of %d: %v), idle RSS %s (peak %s)",
		ms(f.MedianColdStart()), len(f.ColdStarts), f.ColdStarts, mib(f.IdleRSS), mib(f.IdlePeak))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// MeasureFootprint starts openproton n times, each on a new SQLite file in
// dir with a small credentials file, and times each from exec to the first
// 200 answer of a signed ListEnvironmentAccountConnections, polled as fast
// as connection refusals allow. The last server then sits idle for a
// second before its memory is read.
func MeasureFootprint(ctx context.Context, binary, dir string, n int) (*Footprint, error) {
	if n < 1 {
		return nil, errors.New("bench: footprint needs at least one start")
	}
	accounts := NewAccounts(1, 1)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	creds := filepath.Join(dir, "credentials.yaml")
	if err := accounts.WriteCredentials(creds); err != nil {
		return nil, err
	}
	fp := &Footprint{}
	for i := range n {
		name := "start-" + strconv.Itoa(i)
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			return nil, err
		}
		cfg := ServerConfig{Binary: binary, Store: "sqlite:" + filepath.Join(dir, name, "openproton.db"), Credentials: creds, Dir: dir, Name: name}
		srv, took, err := coldStart(ctx, cfg, accounts.Management[0])
		if err != nil {
			return nil, err
		}
		fp.ColdStarts = append(fp.ColdStarts, took)
		if i == n-1 {
			if err := sleep(ctx, idleSettle); err != nil {
				_ = srv.Stop()
				return nil, err
			}
			s, ok := srv.Sample()
			if !ok {
				_ = srv.Stop()
				return nil, errors.New("cannot read the server's memory from /proc")
			}
			fp.IdleRSS, fp.IdlePeak = s.RSS, s.Peak
		}
		if err := srv.Stop(); err != nil {
			return nil, err
		}
	}
	return fp, nil
}

// coldStart starts a server and returns it with the time from exec to its
// first 200.
func coldStart(ctx context.Context, cfg ServerConfig, caller Key) (*Server, time.Duration, error) {
	srv, err := spawnServer(cfg)
	if err != nil {
		return nil, 0, err
	}
	c := NewConn(srv.Addr)
	defer c.Close()
	deadline := srv.started.Add(startTimeout)
	for {
		_, err := c.Call(opList, caller, listBody)
		if err == nil {
			return srv, time.Since(srv.started), nil
		}
		var se *StatusError
		if errors.As(err, &se) {
			_ = srv.Stop()
			return nil, 0, fmt.Errorf("first request: %w", err)
		}
		if ok, xerr := srv.exited(); ok {
			return nil, 0, fmt.Errorf("the server exited at start (%v):\n%s", xerr, srv.LogTail())
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = srv.Stop()
			return nil, 0, fmt.Errorf("no answer within %s: %v", startTimeout, err)
		}
		time.Sleep(200 * time.Microsecond)
	}
}
