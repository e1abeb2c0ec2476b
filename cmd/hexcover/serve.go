package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"time"

	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/web"
)

func openStore(ctx context.Context, e *env) (*store.Store, error) {
	// Room for every admitted analysis, every tile worker and a few
	// lookups (meta, auth), so that analyses never hold all connections.
	conns := int32(e.cfg.Web.AnalysisSlots + 2*runtime.GOMAXPROCS(0) + 4)
	return store.Open(ctx, e.cfg.DatabaseURL, store.Options{QueryTimeout: e.cfg.QueryTimeout, MaxConns: conns})
}

// demoAddr is the listen address with HEXCOVER_DEMO_LOGIN=on: the demo
// logins hand out tokens to anyone who asks, so only this machine may.
// An address without a host (":8080", "0.0.0.0:8080") becomes
// 127.0.0.1:PORT; any other non-loopback host is refused.
func demoAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("HEXCOVER_ADDR=%q: %v", addr, err)
	}
	switch {
	case host == "" || host == "0.0.0.0" || host == "::":
		return net.JoinHostPort("127.0.0.1", port), nil
	case host == "localhost":
		return addr, nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return addr, nil
	}
	return "", fmt.Errorf("HEXCOVER_DEMO_LOGIN=on hands the demo tokens to anyone who can reach the server, so it listens on loopback only; "+
		"HEXCOVER_ADDR=%q is not loopback: use 127.0.0.1:%s, or unset HEXCOVER_DEMO_LOGIN", addr, port)
}

// checkDemoOnly refuses demo logins on a database holding anything but the
// demo city (the mark `hexcover demo` sets and any later import clears).
func checkDemoOnly(ctx context.Context, st *store.Store) error {
	ok, err := st.IsDemo(ctx)
	if err != nil {
		return fmt.Errorf("HEXCOVER_DEMO_LOGIN=on: cannot check that the database holds only the demo city (run hexcover migrate; is the database up?): %w", err)
	}
	if !ok {
		return errors.New("HEXCOVER_DEMO_LOGIN=on, but this database holds more than the demo city (data was imported, or it was not loaded by hexcover demo): " +
			"unset HEXCOVER_DEMO_LOGIN and create tokens with hexcover token create, or load the demo into an empty database")
	}
	return nil
}

// openReady opens the store and checks the database answers, turning the
// usual failures into an instruction.
func openReady(ctx context.Context, e *env) (*store.Store, error) {
	st, err := openStore(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := st.Ready(ctx); err != nil {
		st.Close()
		if store.IsUnavailable(err) {
			return nil, fmt.Errorf("cannot reach the database at DATABASE_URL=%s: start PostgreSQL (scripts/db.sh does it) or set DATABASE_URL", e.cfg.DatabaseURL)
		}
		return nil, err
	}
	return st, nil
}

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[--addr ADDR]", "run the HTTP server: map at /, tiles under /tiles, JSON API under /api")
	fs.StringVar(&e.cfg.Addr, "addr", e.cfg.Addr, "listen address (env HEXCOVER_ADDR)")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if e.cfg.DemoLogin {
		addr, err := demoAddr(e.cfg.Addr)
		if err != nil {
			return err
		}
		if addr != e.cfg.Addr {
			e.log.Warn("HEXCOVER_DEMO_LOGIN=on: listening on loopback only", "addr", addr, "asked", e.cfg.Addr)
			e.cfg.Addr = addr
		}
	}
	// Bind first: a port in use is the one thing to report, alone.
	ln, err := net.Listen("tcp", e.cfg.Addr)
	if err != nil {
		return &server.ListenError{Addr: e.cfg.Addr, Err: err}
	}
	defer ln.Close()
	// The server starts even when the database is down: /readyz says so
	// and the pool reconnects by itself when it comes back.
	st, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if e.cfg.DemoLogin {
		if err := checkDemoOnly(ctx, st); err != nil {
			return err
		}
	}
	if err := st.Ready(ctx); err != nil {
		e.log.Warn("database not ready; serving anyway, /readyz reports 503 until it is", "err", err)
	} else if v, err := st.SchemaVersion(ctx); err == nil && v == 0 {
		e.log.Warn("database has no schema; run hexcover migrate")
	}
	assets, err := web.Assets()
	if err != nil {
		return err
	}
	srv, ts, err := buildServer(ctx, e, st, assets)
	if err != nil {
		return err
	}
	// The hexagon layers' in-memory indexes are built ahead, at start and
	// after every import, so no user's first tiles wait for them; /readyz
	// says when they are.
	srv.UseTilesWarm(ts.Warmed)
	go ts.KeepWarm(ctx, 2*time.Second, func(n int, took time.Duration, err error) {
		if err != nil {
			e.log.Debug("tile indexes not warmed yet", "err", err)
			return
		}
		e.log.Info("tile indexes warmed", "indexes", n, "took", took.Round(time.Millisecond))
	})
	if e.cfg.BasemapStyle != "" {
		// The CSP must admit where the external style loads its tiles,
		// glyphs and sprites from.
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		origins, err := server.StyleOrigins(sctx, nil, e.cfg.BasemapStyle)
		cancel()
		if err != nil {
			e.log.Warn("could not read HEXCOVER_BASEMAP_STYLE; the CSP admits only the style's own origin, so its tiles may be blocked", "err", err)
		}
		srv.AllowOrigins(origins...)
	}
	if e.cfg.Web.MetricsAddr != "" {
		mln, err := net.Listen("tcp", e.cfg.Web.MetricsAddr)
		if err != nil {
			return &server.ListenError{Addr: e.cfg.Web.MetricsAddr, Err: err}
		}
		defer mln.Close()
		go func() {
			if err := srv.ServeMetrics(ctx, mln); err != nil {
				e.log.Error("metrics listener", "err", err)
			}
		}()
	}
	go retentionLoop(ctx, e, st)
	return srv.Serve(ctx, ln)
}

// retentionLoop drops expired raw pings at start and then hourly.
func retentionLoop(ctx context.Context, e *env, st *store.Store) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if dropped, err := applyRetention(ctx, st, e.cfg.RetentionDays, e.cfg.UTCOffset); err != nil {
			if ctx.Err() == nil {
				e.log.Warn("retention", "err", err)
			}
		} else if len(dropped) > 0 {
			e.log.Info("retention dropped raw pings", "partitions", dropped)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "migrate", "", "apply the embedded migrations; a no-op when the schema is current")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	st, err := openReadyAllowNoPostGIS(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	v, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "schema at version %d (%s)\n", v, time.Since(start).Round(time.Millisecond))
	return nil
}

// openReadyAllowNoPostGIS is openReady for migrate, which creates PostGIS
// itself when it may.
func openReadyAllowNoPostGIS(ctx context.Context, e *env) (*store.Store, error) {
	st, err := openStore(ctx, e)
	if err != nil {
		return nil, err
	}
	if err := st.Ready(ctx); err != nil && store.IsUnavailable(err) {
		st.Close()
		return nil, fmt.Errorf("cannot reach the database at DATABASE_URL=%s: start PostgreSQL (scripts/db.sh does it) or set DATABASE_URL", e.cfg.DatabaseURL)
	}
	return st, nil
}
