package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/openproton/openproton/internal/auth"
	"github.com/openproton/openproton/internal/awsjson"
	"github.com/openproton/openproton/internal/handlers"
	"github.com/openproton/openproton/internal/pagetoken"
	"github.com/openproton/openproton/internal/proton/account"
	"github.com/openproton/openproton/internal/proton/connections"
	"github.com/openproton/openproton/internal/proton/family"
	"github.com/openproton/openproton/internal/proton/tagging"
	"github.com/openproton/openproton/internal/store"
	"github.com/openproton/openproton/internal/store/postgres"
	"github.com/openproton/openproton/internal/store/sqlite"
	"github.com/openproton/openproton/internal/worker"
)

// Version is the version that /health reports.
const Version = "0.1.0"

// storeOpenTimeout bounds opening the store, migrations included.
const storeOpenTimeout = 2 * time.Minute

// purgeInterval is how often expired idempotency tokens and tombstones are removed.
const purgeInterval = 10 * time.Minute

// Server is an assembled openproton.
type Server struct {
	cfg     Config
	log     *slog.Logger
	store   store.Store
	handler http.Handler
	// registrations runs template version registrations while serving.
	registrations *worker.Loop
	// deployments carries out deployments while serving.
	deployments *worker.Loop
	// self is the URL that CodeBuild commands call this server at.
	self *selfURL
}

// New opens the store and wires every part. Close releases the store.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Server, error) {
	runs := auth.NewRuns()
	authn, err := auth.New(auth.Config{
		Mode:            cfg.Auth,
		CredentialsFile: cfg.Credentials,
		DefaultAccount:  cfg.DefaultAccount,
		MaxSkew:         cfg.MaxClockSkew,
		Runs:            runs,
	})
	if err != nil {
		return nil, err
	}
	// Opening may wait for another replica's migrations; it must not wait forever.
	octx, cancel := context.WithTimeout(ctx, storeOpenTimeout)
	st, err := openStore(octx, cfg.Store)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", redact(cfg.Store), err)
	}
	key := []byte(cfg.TokenKey)
	if len(key) == 0 {
		key = pagetoken.NewRandomKey()
	}
	pages, err := pagetoken.New(key)
	if err != nil {
		st.Close()
		return nil, err
	}
	conns := connections.New(st, pages, connections.Options{Quota: cfg.ConnectionQuota})
	tmpl, registrations, err := newTemplates(ctx, cfg, st, pages, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	self := &selfURL{}
	if cfg.CodeBuildEndpoint != "" {
		self.set(cfg.CodeBuildEndpoint)
	}
	d, err := newDeploying(ctx, cfg, st, tmpl, pages, log, commandsWiring{runs: runs, endpoint: self.get})
	if err != nil {
		st.Close()
		return nil, err
	}
	svc := &handlers.Service{Account: account.New(st), Components: d.components, Connections: conns, Deployments: d.deployments, Environments: d.environments,
		Services: d.services, Templates: tmpl}
	svc.Tagging = tagging.New(st, pages, svc.Families())
	api := &awsjson.Handler{Service: svc, Auth: authn, MaxBodyBytes: cfg.MaxBodyBytes, Logger: log}
	mux := http.NewServeMux()
	mux.Handle("/health", health(st))
	mux.Handle("/", api)
	s := &Server{cfg: cfg, log: log, store: st, registrations: registrations, deployments: d.loop, self: self}
	s.handler = s.middleware(mux)
	return s, nil
}

// openStore opens the store a --store value names.
func openStore(ctx context.Context, spec string) (store.Store, error) {
	ss, err := ParseStore(spec)
	if err != nil {
		return nil, err
	}
	switch ss.Kind {
	case StoreMemory:
		return sqlite.OpenMemory(ctx)
	case StorePostgres:
		return postgres.Open(ctx, ss.Path, postgres.Options{Schema: schemaOf(ss.Path)})
	}
	if dir := filepath.Dir(ss.Path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	return sqlite.Open(ctx, ss.Path)
}

// schemaOf returns the schema a postgres URL names with a single-schema
// search_path parameter, so that the store creates it on first start; "" when
// there is none.
func schemaOf(storeURL string) string {
	u, err := url.Parse(storeURL)
	if err != nil {
		return ""
	}
	sp := u.Query().Get("search_path")
	if !schemaName.MatchString(sp) {
		return ""
	}
	return sp
}

var schemaName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Handler is the server's HTTP handler, for tests.
func (s *Server) Handler() http.Handler { return s.handler }

// Close releases the store.
func (s *Server) Close() error { return s.store.Close() }

// Serve answers requests on ln until ctx is done, then drains in-flight
// requests for up to the shutdown timeout.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := s.httpServer(s.handler)
	var debug *http.Server
	if s.cfg.DebugListen != "" {
		dln, err := s.cfg.listenOn("debug-listen", s.cfg.DebugListen)
		if err != nil {
			return err
		}
		debug = s.httpServer(debugHandler())
		go func() { _ = debug.Serve(dln) }()
		defer debug.Close()
		s.log.Info("debug listener on", "addr", dln.Addr().String())
	}
	if s.cfg.CodeBuildEndpoint == "" {
		s.self.set(listenerURL(ln.Addr()))
	}
	go s.purgeLoop(ctx)
	// The registration workers stop before Serve returns, so that none
	// uses the store after the caller closes it.
	wctx, stopWorkers := context.WithCancel(ctx)
	workersDone := make(chan struct{})
	go func() {
		defer close(workersDone)
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.deployments.Run(wctx, s.cfg.DeploymentWorkers)
		}()
		s.registrations.Run(wctx, registrationWorkers)
		<-done
	}()
	defer func() {
		stopWorkers()
		<-workersDone
	}()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("openproton listening", "addr", ln.Addr().String(), "version", Version, "store", redact(s.cfg.Store), "auth", s.cfg.Auth)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: draining in-flight requests", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// The stop was requested: requests still unfinished after the
		// timeout are cut off, which is logged, and the stop stays orderly.
		s.log.Warn("shutdown timeout reached: closing connections still in flight", "timeout", s.cfg.ShutdownTimeout.String(), "error", err)
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// httpServer is an http.Server for h with the configured limits.
func (s *Server) httpServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// purgeLoop removes expired idempotency tokens and delete tombstones.
func (s *Server) purgeLoop(ctx context.Context) {
	t := time.NewTicker(purgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now()
			if err := s.store.Purge(ctx, now, now.Add(-family.TokenTTL)); err != nil && ctx.Err() == nil {
				s.log.Warn("purge of expired tokens and tombstones failed", "error", err)
			}
		}
	}
}
