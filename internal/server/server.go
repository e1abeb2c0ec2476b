// Package server is hexcover's HTTP face: routes, the JSON error mapping,
// health and metrics, the embedded web map, and graceful shutdown.
package server

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Server holds the dependencies of every handler; it is built in
// cmd/hexcover and has no globals.
type Server struct {
	cfg     config.Config
	store   *store.Store
	log     *slog.Logger
	assets  fs.FS
	extra   []httpkit.Route
	reg     *prometheus.Registry
	metrics *metrics
	auth    *authenticator
	mux     *httpkit.Mux
	enums   Enums
	root    http.Handler // mux under the security headers
	logins  *loginLimiter
	proxies []netip.Prefix
	admit   *admission
	release Release // nil: every role sees exact figures above k (tests)
	// warm reports whether the tiles' in-memory indexes are built for the
	// current data (nil: not reported).
	warm func(context.Context) bool
}

// UseTilesWarm makes /readyz report whether the tiles' in-memory indexes
// are built for the current data ("tiles": "warm" or "warming"); the
// server is ready either way, only the first tiles are slower.
func (s *Server) UseTilesWarm(f func(context.Context) bool) { s.warm = f }

// New builds the server. assets is the built web map (web.Assets()).
func New(cfg config.Config, st *store.Store, log *slog.Logger, assets fs.FS, extra ...httpkit.Route) *Server {
	s := &Server{cfg: cfg, store: st, log: log, assets: assets, extra: extra, reg: prometheus.NewRegistry(),
		auth:   &authenticator{st: st, idle: cfg.Web.SessionIdle, cache: map[string]authEntry{}},
		logins: newLoginLimiter()}
	for _, p := range cfg.Web.TrustedProxies {
		if pf, err := netip.ParsePrefix(p); err == nil {
			s.proxies = append(s.proxies, pf.Masked())
		}
	}
	s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = newMetrics(s.reg, st)
	s.enums = EnumsOf(cfg)
	s.admit = newAdmission(cfg.Web.AnalysisSlots, cfg.Web.AnalysisWait, s.reg)
	s.routes()
	s.root = securityHeaders(contentSecurityPolicy(basemapOrigins(cfg.BasemapStyle)), s.mux)
	return s
}

// Registry is the Prometheus registry other packages add their metrics to.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.root }

func (s *Server) routes() {
	m := httpkit.NewMux()
	s.mux = m
	m.Handle("GET /healthz", s.wrap("healthz", func(w http.ResponseWriter, r *http.Request) error {
		return httpkit.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	}))
	m.Handle("GET /readyz", s.wrap("readyz", s.readyz))
	m.Handle("GET /metrics", s.wrap("metrics", s.metricsOnMain()))
	m.Handle("GET /api/meta", s.wrap("meta", s.authorize(nil, false, s.meta)))
	m.Handle("POST /api/login", s.wrap("login", s.login))
	m.Handle("POST /api/logout", s.wrap("logout", s.logout))
	m.Handle("GET /api/me", s.wrap("me", s.authorize(nil, false, s.me)))
	m.Handle("GET /api/demo-logins", s.wrap("demo-logins", s.demoLogins))
	m.Handle("GET /api/riders/{pid}/range", s.wrap("rider_range", s.authorize(model.RolesWith(model.CapRiderRange), false, s.riderRange)))
	m.Handle("GET /api/audit", s.wrap("audit", s.authorize(model.RolesWith(model.CapAudit), false, s.auditLog)))
	s.Mount(s.extra...)
	static := http.FileServerFS(s.assets)
	m.Handle("GET /", s.wrap("static", func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/" || r.URL.Path == "/index.html" {
			w.Header().Set("Cache-Control", "no-cache")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=300")
		}
		if r.URL.Path != "/" {
			if _, err := fs.Stat(s.assets, r.URL.Path[1:]); err != nil {
				return errs.E(errs.NotFound, "no such page")
			}
		}
		static.ServeHTTP(w, r)
		return nil
	}))
	m.Handle("GET /api/", s.wrap("api", func(w http.ResponseWriter, r *http.Request) error {
		return errs.E(errs.NotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	}))
}

// Mount registers more routes (for services built after the server, such as
// tiles, which register their metrics on Registry()).
func (s *Server) Mount(routes ...httpkit.Route) {
	for _, rt := range routes {
		s.mux.Handle(rt.Pattern, s.wrap(rt.Name, s.authorize(rt.Roles, rt.Public, rt.Handler)))
	}
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.store.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		return errs.E(errs.Unavailable, "database not ready", err)
	}
	out := map[string]string{"status": "ready"}
	if s.warm != nil {
		out["tiles"] = "warming"
		if s.warm(r.Context()) {
			out["tiles"] = "warm"
		}
	}
	return httpkit.WriteJSON(w, http.StatusOK, out)
}

// Serve serves on ln until ctx is cancelled, then shuts down gracefully,
// letting in-flight requests finish for up to 20 s.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler: s.root,
		// Slow clients must not hold connections: headers within 5 s, the
		// whole (bounded) request body within 30 s.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		// Tiles and analyses run under the query timeout; leave room above it.
		WriteTimeout: s.cfg.QueryTimeout + 20*time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorLog:     slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "url", "http://"+displayAddr(ln.Addr()))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// ServeMetrics serves only /metrics on ln (HEXCOVER_METRICS_ADDR) until
// ctx is cancelled.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	s.log.Info("serving metrics", "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func displayAddr(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && (ta.IP == nil || ta.IP.IsUnspecified()) {
		return "localhost:" + strconv.Itoa(ta.Port)
	}
	return a.String()
}

// ListenError says the address could not be bound (typically: in use).
type ListenError struct {
	Addr string
	Err  error
}

func (e *ListenError) Error() string {
	return "cannot listen on " + e.Addr + ": " + e.Err.Error() + " (is another server running? set HEXCOVER_ADDR or --addr)"
}

func (e *ListenError) Unwrap() error { return e.Err }
