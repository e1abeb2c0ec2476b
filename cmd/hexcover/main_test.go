package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/model"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hexcover-bin-")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "hexcover")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build hexcover: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// hexcover runs the binary with env added to a clean environment.
func hexcover(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code = 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("run hexcover %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return o.String(), e.String(), code
}

func TestBadInvocations(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	good := "DATABASE_URL=" + dbtest.NewURL(t)
	cases := []struct {
		name     string
		env      []string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", nil, []string{"migrate", "--nope"}, 2, "flag provided but not defined: -nope"},
		{"unreachable database", []string{"DATABASE_URL=postgres://x@127.0.0.1:1/none?connect_timeout=2"}, []string{"migrate"}, 1, "cannot reach the database"},
		{"bad setting", []string{"HEXCOVER_K=zero"}, []string{"migrate"}, 2, "HEXCOVER_K"},
		{"ingest without secret", []string{good}, []string{"ingest", "pings", "main.go"}, 1, "HEXCOVER_SECRET is not set"},
		{"ingest unknown kind", []string{good}, []string{"ingest", "riders", "x.csv"}, 2, `unknown kind "riders"`},
		{"ingest bad crs", []string{good}, []string{"ingest", "sites", "main.go", "--crs", "mars"}, 2, "mars"},
		{"ingest missing file", []string{good}, []string{"ingest", "sites", "/nonexistent.geojson"}, 1, "cannot read /nonexistent.geojson"},
		{"port in use", []string{good, "HEXCOVER_ADDR=" + busy.Addr().String()}, []string{"serve"}, 1, "cannot listen on " + busy.Addr().String()},
		{"demo bad riders", []string{good}, []string{"demo", "--riders", "0"}, 2, "riders"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := hexcover(t, c.env, c.args...)
			if code != c.wantCode {
				t.Errorf("exit code = %d, want %d; stderr:\n%s", code, c.wantCode, stderr)
			}
			if !strings.Contains(stderr, c.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, c.wantErr)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stderr has a stack trace:\n%s", stderr)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; c.wantCode == 1 && lines > 2 {
				t.Errorf("error is %d lines, want one clear line:\n%s", lines, stderr)
			}
		})
	}
}

// freePort returns a loopback address nobody listens on.
func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServer runs hexcover serve and waits until it answers /healthz.
func startServer(t *testing.T, env []string) string {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(binPath, "serve")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HEXCOVER_ADDR=" + addr}, env...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = cmd.Wait(); close(exited); done <- exitErr }()
	t.Cleanup(func() {
		select {
		case <-exited:
			return // already reported
		default:
		}
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve did not shut down cleanly on SIGINT: %v\n%s", err, logs.String())
			}
		case <-time.After(25 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("serve did not stop within 25 s of SIGINT")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := http.Get(base + "/healthz"); err == nil {
			r.Body.Close()
			return base
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited: %v\n%s", err, logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not answer within 20 s:\n%s", logs.String())
	return ""
}

// printedDemoToken is the token `hexcover demo` printed for role.
func printedDemoToken(t *testing.T, out, role string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == role && strings.HasPrefix(f[1], "hxc_") {
			return f[1]
		}
	}
	t.Fatalf("demo did not print a %s token:\n%s", role, out)
	return ""
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	r, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, r.Header, b
}

func getAuth(t *testing.T, url, token string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return r.StatusCode, r.Header, b
}

func TestServeWithoutDatabase(t *testing.T) {
	base := startServer(t, []string{"DATABASE_URL=postgres://x@127.0.0.1:1/none?connect_timeout=1"})
	if code, _, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200 while the database is down", code)
	}
	code, _, body := get(t, base+"/readyz")
	if code != 503 {
		t.Errorf("/readyz = %d, want 503 while the database is down", code)
	}
	var e map[string]string
	if err := json.Unmarshal(body, &e); err != nil || e["error"] == "" {
		t.Errorf("/readyz body = %s, want a JSON error", body)
	}
}

// TestDemoServeEndToEnd: demo into a fresh database, serve, then the map page
// and its assets load, /readyz is 200, and the browser smoke test passes.
func TestDemoServeEndToEnd(t *testing.T) {
	if _, err := os.Stat("../../web/dist/index.html"); err != nil {
		t.Fatalf("the map is not built (web/dist/index.html missing): run make web (make test does)")
	}
	env := []string{"DATABASE_URL=" + dbtest.NewURL(t)}
	out, stderr, code := hexcover(t, env, "demo", "--riders", "150", "--days", "1")
	out0 := out
	if code != 0 {
		t.Fatalf("demo exit %d:\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, "demo city loaded") {
		t.Errorf("demo output lacks the summary:\n%s", out)
	}
	// --if-empty on a loaded database changes nothing.
	out, _, code = hexcover(t, env, "demo", "--if-empty")
	if code != 0 || !strings.Contains(out, "already holds data") {
		t.Errorf("demo --if-empty on a loaded database: exit %d, output %q", code, out)
	}
	// migrate again is a no-op.
	if _, stderr, code := hexcover(t, env, "migrate"); code != 0 {
		t.Errorf("migrate on a loaded database: exit %d: %s", code, stderr)
	}
	const metricsToken = "metrics-token-for-the-test-0123456789"
	base := startServer(t, append(env, "HEXCOVER_DEMO_LOGIN=on", "HEXCOVER_METRICS_TOKEN="+metricsToken))
	if code, _, body := get(t, base+"/readyz"); code != 200 {
		t.Fatalf("/readyz = %d %s, want 200", code, body)
	}
	// serve builds the tile indexes ahead and /readyz says when (the bound
	// only keeps a broken warming from hanging the test).
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		_, _, body := get(t, base+"/readyz")
		if strings.Contains(string(body), `"tiles":"warm"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %s a minute after the start, want tiles warm", body)
		}
	}
	code, h, body := get(t, base+"/")
	if code != 200 || !strings.Contains(h.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("app.js")) {
		t.Fatalf("map page: %d %s, want HTML that loads app.js", code, h.Get("Content-Type"))
	}
	for _, a := range []string{"/app.js", "/app.css", "/maplibre-gl.css"} {
		if code, _, body := get(t, base+a); code != 200 || len(body) == 0 {
			t.Errorf("asset %s: %d (%d bytes), want 200", a, code, len(body))
		}
	}
	if code, _, _ := get(t, base+"/api/meta"); code != 401 {
		t.Errorf("/api/meta without a token = %d, want 401", code)
	}
	admin := printedDemoToken(t, out0, model.RoleAdmin)
	// The map's demo logins offer exactly the printed tokens.
	if code, _, body := get(t, base+"/api/demo-logins"); code != 200 || !strings.Contains(string(body), admin) {
		t.Errorf("/api/demo-logins = %d %s, want the printed admin token", code, body)
	}
	code, _, body = getAuth(t, base+"/api/meta", admin)
	var meta struct {
		Bounds   [4]float64       `json:"bounds"`
		Counts   map[string]int64 `json:"counts"`
		District struct{ Name string }
	}
	if code != 200 || json.Unmarshal(body, &meta) != nil {
		t.Fatalf("/api/meta: %d %s", code, body)
	}
	// Riders with pings in the loaded whole day: most of the 150, never more (a few are off that day).
	if r := meta.Counts["riders"]; r > 150 || r < 100 || meta.Counts["grids"] < 150 || meta.District.Name == "" {
		t.Errorf("/api/meta = %s, want 100–150 riders, ≥150 grids and a district", body)
	}
	if meta.Bounds[0] < 121.2 || meta.Bounds[2] > 121.6 || meta.Bounds[1] < 31.1 || meta.Bounds[3] > 31.4 {
		t.Errorf("bounds %v are not in Shanghai", meta.Bounds)
	}
	if code, _, _ := get(t, base+"/metrics"); code != 401 {
		t.Errorf("/metrics without the metrics token = %d, want 401", code)
	}
	if code, _, body := getAuth(t, base+"/metrics", metricsToken); code != 200 ||
		!bytes.Contains(body, []byte(`hexcover_import_rows_total{kind="pings",result="accepted"}`)) ||
		!bytes.Contains(body, []byte(`hexcover_http_requests_total{code="200",route="meta"}`)) ||
		!bytes.Contains(body, []byte(`hexcover_db_pool_conns`)) {
		t.Errorf("/metrics lacks import, request or pool metrics:\n%.2000s", body)
	}
	if code, _, _ := get(t, base+"/no/such/page"); code != 404 {
		t.Errorf("unknown page = %d, want 404", code)
	}

	// The browser smoke test (Debian chromium + playwright-core).
	shots := os.Getenv("HEXCOVER_SCREENSHOT_DIR")
	if shots == "" {
		shots = t.TempDir()
	}
	cmd := exec.Command("node", "test/smoke.mjs")
	cmd.Dir = "../../web"
	cmd.Env = append(os.Environ(), "BASE_URL="+base, "SCREENSHOT_DIR="+shots, "SMOKE_TIMEOUT_MS=600000")
	b, err := cmd.CombinedOutput()
	t.Logf("browser smoke test:\n%s", b)
	if err != nil {
		t.Fatalf("browser smoke test failed: %v", err)
	}
}
