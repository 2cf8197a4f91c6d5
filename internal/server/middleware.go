package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/openproton/openproton/internal/awsjson"
	"github.com/openproton/openproton/internal/fault"
	"github.com/openproton/openproton/internal/store"
)

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// middleware gives every request an id (in x-amzn-RequestId), recovers from
// panics with an InternalServerException, and writes one access-log line.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &awsjson.RequestInfo{RequestID: uuid.NewString()}
		w.Header().Set("x-amzn-RequestId", info.RequestID)
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic serving request", "request_id", info.RequestID, "operation", info.Operation, "panic", p)
				if rec.status == 0 {
					awsjson.WriteError(rec, fault.New(fault.Internal, "An internal error occurred. Request ID: %s", info.RequestID))
				}
			}
			s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("request_id", info.RequestID),
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("operation", info.Operation),
				slog.String("account", info.Account),
				slog.String("region", info.Region),
				slog.Int("status", rec.status),
				slog.String("error", info.ErrorCode),
				slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
			)
		}()
		next.ServeHTTP(rec, r.WithContext(awsjson.WithRequestInfo(r.Context(), info)))
	})
}

// health answers GET /health with the server's status and version; it is 503
// when the store does not answer.
func health(st store.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			awsjson.WriteError(w, fault.New(fault.MethodNotAllowed, "/health answers GET and HEAD, not %s.", r.Method))
			return
		}
		body := map[string]string{"status": "ok", "version": Version}
		code := http.StatusOK
		if err := st.Ping(r.Context()); err != nil {
			body["status"], body["error"], code = "unavailable", "store: "+err.Error(), http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(body)
	})
}

// redact hides passwords in a store URL (user:password@ and a password
// parameter) before it is logged or shown in an error.
func redact(store string) string {
	u, err := url.Parse(store)
	if err != nil {
		if strings.Contains(store, "://") {
			return "(unparsable store URL)"
		}
		return store
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}
