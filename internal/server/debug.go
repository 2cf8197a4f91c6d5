package server

import (
	"encoding/json"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
)

// RuntimeStats is what GET /debug/runtime on the debug listener answers:
// the figures a soak or leak test samples before and after a load.
type RuntimeStats struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heapAllocBytes"`
	HeapInuseBytes uint64 `json:"heapInuseBytes"`
	SysBytes       uint64 `json:"sysBytes"`
	NumGC          uint32 `json:"numGC"`
}

// debugHandler serves the debug listener: /debug/runtime (add ?gc=1 to
// collect garbage and return free memory to the system first, so that two
// samples compare live memory) and the pprof profiles under /debug/pprof/.
// It is only ever served on a loopback address (see Config.DebugListen).
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/runtime", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("gc") == "1" {
			debug.FreeOSMemory()
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(RuntimeStats{
			Goroutines:     runtime.NumGoroutine(),
			HeapAllocBytes: m.HeapAlloc,
			HeapInuseBytes: m.HeapInuse,
			SysBytes:       m.Sys,
			NumGC:          m.NumGC,
		})
	})
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}
