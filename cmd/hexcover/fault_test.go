package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/internal/store"
)

// privatePG is a PostgreSQL cluster of the test's own, so it can be
// restarted without disturbing the other tests' server.
type privatePG struct {
	dir, port, bin string
}

func (p *privatePG) url(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%s", db, p.dir, p.port)
}

func (p *privatePG) ctl(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(p.bin, "pg_ctl"), "-D", filepath.Join(p.dir, "data")}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("pg_ctl %v: %v\n%s", args, err, out)
	}
}

func startPrivatePG(t *testing.T) *privatePG {
	t.Helper()
	if u, err := user.Current(); err != nil || u.Uid != "0" {
		t.Fatalf("the fault test runs its own PostgreSQL cluster and needs root (to run initdb as postgres); run make test as root")
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(bins) == 0 {
		t.Fatalf("initdb not found under /usr/lib/postgresql; run scripts/db.sh")
	}
	p := &privatePG{bin: filepath.Dir(bins[len(bins)-1])}
	dir, err := os.MkdirTemp("", "hexcover-pg-")
	if err != nil {
		t.Fatal(err)
	}
	p.dir = dir
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.port = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	if out, err := exec.Command("chown", "postgres:postgres", dir).CombinedOutput(); err != nil {
		t.Fatalf("chown: %v %s", err, out)
	}
	cmd := exec.Command("runuser", "-u", "postgres", "--", filepath.Join(p.bin, "initdb"), "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	p.ctl(t, "-w", "-l", filepath.Join(dir, "log"), "-o", fmt.Sprintf("-p %s -k %s -c listen_addresses='' -c fsync=off", p.port, dir), "start")
	t.Cleanup(func() {
		_ = exec.Command("runuser", "-u", "postgres", "--", filepath.Join(p.bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "immediate", "stop").Run()
		os.RemoveAll(dir)
	})
	ctx := context.Background()
	c, err := pgx.Connect(ctx, p.url("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE hexcover"); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *privatePG) restart(t *testing.T) {
	t.Helper()
	p.ctl(t, "-w", "-m", "fast", "-l", filepath.Join(p.dir, "log"), "-o", fmt.Sprintf("-p %s -k %s -c listen_addresses='' -c fsync=off", p.port, p.dir), "restart")
}

// waitForImportLock waits until a pings import holds its advisory lock
// (store.BeginPings), polling every 5 ms; after max it gives up and lets the
// test go on.
func waitForImportLock(t *testing.T, url string, max time.Duration) {
	t.Helper()
	ctx, c := pgConnect(t, url)
	for end := time.Now().Add(max); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		var held bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted
			AND objid = hashtext('hexcover.ingest.pings')::oid)`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held {
			return
		}
	}
	t.Logf("the import did not take its lock within %s", max)
}

// pgConnect opens a connection to url for the rest of the test.
func pgConnect(t *testing.T, url string) (context.Context, *pgx.Conn) {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctx) })
	return ctx, c
}

func countRows(t *testing.T, url string) (pings, batchesDone int64) {
	t.Helper()
	ctx, c := pgConnect(t, url)
	if err := c.QueryRow(ctx, `SELECT (SELECT count(*) FROM pings), (SELECT count(*) FROM ingest_batches WHERE kind = 'pings' AND status = 'done')`).Scan(&pings, &batchesDone); err != nil {
		t.Fatal(err)
	}
	return
}

// TestFaultRestartDuringImportAndTiles restarts PostgreSQL in the middle of
// an import and under tile load: the import is either wholly there or wholly
// absent, and the running server answers again by itself.
func TestFaultRestartDuringImportAndTiles(t *testing.T) {
	pg := startPrivatePG(t)
	env := []string{"DATABASE_URL=" + pg.url("hexcover"), "HEXCOVER_SECRET=fault-test-secret-5e1b9c0d7a3f28e4"}
	if _, stderr, code := hexcover(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	dir := t.TempDir()
	if _, stderr, code := hexcover(t, nil, "demo", "--out", dir, "--riders", "400", "--days", "1"); code != 0 {
		t.Fatalf("demo --out: %s", stderr)
	}
	for _, k := range []string{"areas", "grids", "sites"} {
		if _, stderr, code := hexcover(t, env, "ingest", k, filepath.Join(dir, k+".geojson")); code != 0 {
			t.Fatalf("ingest %s: %s", k, stderr)
		}
	}
	pings := filepath.Join(dir, "pings.csv")
	want := int64(-1) // rows in the file
	if b, err := os.ReadFile(pings); err == nil {
		want = int64(strings.Count(string(b), "\n") - 1)
	}

	// 1. Restart during an import.
	imp := exec.Command(binPath, "ingest", "pings", pings)
	imp.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	var out strings.Builder
	imp.Stdout, imp.Stderr = &out, &out
	if err := imp.Start(); err != nil {
		t.Fatal(err)
	}
	// Restart once the import holds its lock, i.e. while it reads (a fixed
	// delay hit the steps after its commit once the import got faster).
	waitForImportLock(t, pg.url("postgres"), 10*time.Second)
	pg.restart(t)
	err := imp.Wait()
	n, done := countRows(t, pg.url("hexcover"))
	committed := strings.Contains(out.String(), "rows accepted")
	switch {
	case err != nil && committed && (n != want || done != 1):
		t.Fatalf("import committed but holds %d pings (want %d) in %d batches:\n%s", n, want, done, out.String())
	case err != nil && committed:
		// All of the batch is there; the restart hit a step after the
		// commit (the rollups or the release), which the next run redoes.
		t.Logf("the restart hit the steps after the import's commit:\n%s", out.String())
	case err != nil && (n != 0 || done != 0):
		t.Fatalf("import failed (%v) but left %d pings and %d done batches behind:\n%s", err, n, done, out.String())
	case err == nil && (n != want || done != 1):
		t.Fatalf("import succeeded but holds %d pings (want %d) in %d batches", n, want, done)
	}
	t.Logf("import across a restart: err=%v, pings=%d, batches=%d", err, n, done)
	// Run it again: now it completes (or says it is already there).
	if o, stderr, code := hexcover(t, env, "ingest", "pings", pings); code != 0 {
		t.Fatalf("re-import after the restart: %s %s", o, stderr)
	}
	if n, done := countRows(t, pg.url("hexcover")); n != want || done != 1 {
		t.Fatalf("after re-import: %d pings in %d batches, want %d in 1", n, done, want)
	}

	// 2. Restart under tile load; the server recovers without a restart.
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg.url("hexcover"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := store.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Exec(ctx, `INSERT INTO api_tokens (name, token_hash, role) VALUES ('fault', encode(sha256($1::bytea), 'hex'), 'admin')`, tok); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)
	base := startServer(t, env)
	tile := func(z, x, y, how int) int {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/tiles/activity/%d/%d/%d.mvt?hours=%d", base, z, x, y, how), nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	stop := make(chan struct{})
	codes := make(chan int, 100000)
	var served atomic.Int64
	go func() {
		defer close(codes)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			// distinct tiles and hours, so most requests reach the database
			code := tile(14, 13715+i%6, 6690+(i/6)%6, (i/36)%168)
			if code == 200 {
				served.Add(1)
			}
			codes <- code
		}
	}()
	// Restart once the load is being served (a fixed delay may end before
	// a loaded machine answers the first tile).
	for wait := time.Now().Add(30 * time.Second); served.Load() == 0 && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	pg.restart(t)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	seen := map[int]int{}
	for c := range codes {
		seen[c]++
	}
	t.Logf("tile status codes under a restart: %v", seen)
	for c := range seen {
		if c != 200 && c != 204 && c != 503 {
			t.Errorf("tile answered %d during a database restart; want 200/204 or 503", c)
		}
	}
	if seen[200] == 0 {
		t.Errorf("no tile had content under load: %v", seen)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		code, _, _ := get(t, base+"/readyz")
		if code == 200 && tile(14, 13718, 6692, 12) == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not recover within 20 s of the database restart (readyz %d)", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
