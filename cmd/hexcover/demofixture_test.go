package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// roleFixture is a small demo city (200 people, one day) in a fresh
// database, served in-process, with one API token per role: the shared
// set-up of the tests that try every role against the API.
type roleFixture struct {
	url      string            // the database
	st       *store.Store      // open on url; closed at the test's end
	ts       *httptest.Server  // the API, closed at the test's end
	tokens   map[string]string // "admin", "planner", "leader", "gm" → bearer token
	inStreet string            // the street of the first grid: the grid manager's scope
	env      *env              // the server's dependencies, for in-process commands
}

// newRoleFixture loads the demo (its day fixed at Monday 2026-11-02, which
// the tests' own pings join), creates the tokens (names prefixed with
// prefix) and starts the server (in process: no retention runs).
func newRoleFixture(t *testing.T, prefix string) *roleFixture {
	t.Helper()
	f := &roleFixture{url: dbtest.NewURL(t), tokens: map[string]string{}}
	if _, stderr, code := hexcover(t, []string{"DATABASE_URL=" + f.url}, "demo", "--riders", "200", "--days", "1", "--start", "2026-11-02"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	cfg := config.Default()
	cfg.DatabaseURL = f.url
	st, err := store.Open(ctx, f.url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	f.st = st
	if err := st.Pool.QueryRow(ctx, `SELECT street_code FROM grids ORDER BY code LIMIT 1`).Scan(&f.inStreet); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct{ who, role, scope string }{
		{"admin", "admin", ""}, {"planner", "planner", ""}, {"leader", "leader", ""},
		{"gm", "grid_manager", "street:" + f.inStreet},
	} {
		sec, _ := store.NewTokenSecret()
		var scope []string
		if r.scope != "" {
			scope = []string{r.scope}
		}
		if _, err := st.CreateToken(ctx, prefix+r.who, r.role, scope, sec); err != nil {
			t.Fatal(err)
		}
		f.tokens[r.who] = sec
	}
	f.env = &env{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, _, err := buildServer(ctx, f.env, st, fstest.MapFS{"index.html": {Data: []byte("<html>")}})
	if err != nil {
		t.Fatal(err)
	}
	f.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(f.ts.Close)
	return f
}
