package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
)

// webFixture is the demo city served in-process with every route, under
// cfg as changed by tune.
type webFixture struct {
	t      *testing.T
	url    string
	st     *store.Store
	base   string
	admin  string
	tokens map[string]string
}

func newWebFixture(t *testing.T, tune func(*config.Config)) *webFixture {
	t.Helper()
	url := dbtest.NewURL(t)
	out, stderr, code := hexcover(t, []string{"DATABASE_URL=" + url}, "demo", "--riders", "150", "--days", "1")
	if code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	ctx := context.Background()
	cfg := config.Default()
	cfg.DatabaseURL = url
	if tune != nil {
		tune(&cfg)
	}
	st, err := store.Open(ctx, url, store.Options{MaxConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	e := &env{cfg: cfg, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	srv, _, err := buildServer(ctx, e, st, fstest.MapFS{"index.html": {Data: []byte("<html>")}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	f := &webFixture{t: t, url: url, st: st, base: ts.URL, tokens: map[string]string{}}
	for _, role := range []string{"admin", "planner", "leader", "grid_manager"} {
		f.tokens[role] = printedDemoToken(t, out, role)
	}
	f.admin = f.tokens["admin"]
	return f
}

// req sends method path body with headers h (key, value pairs) and returns
// the response with its body read.
func (f *webFixture) req(method, path, body string, h ...string) (*http.Response, string) {
	f.t.Helper()
	r, _ := http.NewRequest(method, f.base+path, strings.NewReader(body))
	for i := 0; i+1 < len(h); i += 2 {
		if h[i] == "Cookie" {
			r.AddCookie(&http.Cookie{Name: server.CookieName, Value: h[i+1]})
			continue
		}
		r.Header.Set(h[i], h[i+1])
	}
	res, err := http.DefaultClient.Do(r)
	if err != nil {
		f.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// login posts the token as the map does and returns the session cookie.
func (f *webFixture) login(token string) *http.Cookie {
	f.t.Helper()
	res, body := f.req("POST", "/api/login", `{"token":"`+token+`"}`, "Content-Type", "application/json",
		"Origin", f.base, "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != 200 {
		f.t.Fatalf("login = %d %s", res.StatusCode, body)
	}
	for _, c := range res.Cookies() {
		if c.Name == server.CookieName {
			return c
		}
	}
	f.t.Fatalf("login set no %s cookie: %v", server.CookieName, res.Header["Set-Cookie"])
	return nil
}

func (f *webFixture) me(cookie string) int {
	f.t.Helper()
	res, _ := f.req("GET", "/api/me", "", "Cookie", cookie)
	return res.StatusCode
}

// TestSessions: login exchanges the token for a server-side session with
// the cookie attributes of the README; the session ends when idle, at its
// absolute expiry, at logout, and when its token is revoked.
func TestSessions(t *testing.T) {
	const idle, maxAge = 1500 * time.Millisecond, 4 * time.Second
	f := newWebFixture(t, func(c *config.Config) {
		c.Web.SessionIdle, c.Web.SessionMax, c.Web.CookieSecure = idle, maxAge, true
	})
	c := f.login(f.tokens["planner"])
	if c.Value == f.tokens["planner"] || strings.Contains(c.Value, f.tokens["planner"]) || len(c.Value) < 40 {
		t.Errorf("the cookie carries %q: want a random session id, never the token", c.Value)
	}
	if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 4 {
		t.Errorf("session cookie %+v: want HttpOnly, Secure, SameSite=Strict, Path=/, Max-Age=4", c)
	}
	var n int
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM sessions WHERE id_hash = $1`, store.HashToken(c.Value)).Scan(&n); err != nil || n != 1 {
		t.Errorf("sessions holding the id's hash: %d (%v), want 1", n, err)
	}
	if code := f.me(c.Value); code != 200 {
		t.Fatalf("/api/me with the session = %d, want 200", code)
	}
	// A session id is no bearer token, nor a token a cookie.
	if res, _ := f.req("GET", "/api/me", "", "Authorization", "Bearer "+c.Value); res.StatusCode != 401 {
		t.Errorf("session id as bearer = %d, want 401", res.StatusCode)
	}
	if code := f.me(f.tokens["planner"]); code != 401 {
		t.Errorf("API token as cookie = %d, want 401", code)
	}

	// Idle expiry.
	time.Sleep(idle + 700*time.Millisecond)
	if code := f.me(c.Value); code != 401 {
		t.Errorf("/api/me after %s idle = %d, want 401", idle+700*time.Millisecond, code)
	}

	// Absolute expiry, though used all along: kept busy past the idle
	// timeout it lives on (checked until idle+1 s, well before maxAge, so a
	// slow request on a loaded machine cannot reach the absolute expiry),
	// then ends at maxAge however busy.
	start := time.Now() // before the login: the session cannot expire earlier than start+maxAge
	c = f.login(f.tokens["planner"])
	for time.Since(start) < idle+time.Second {
		if code := f.me(c.Value); code != 200 {
			t.Fatalf("/api/me %s into a busy session = %d, want 200", time.Since(start).Round(time.Millisecond), code)
		}
		time.Sleep(300 * time.Millisecond)
	}
	for time.Since(start) < maxAge+500*time.Millisecond {
		f.me(c.Value)
		time.Sleep(300 * time.Millisecond)
	}
	if code := f.me(c.Value); code != 401 {
		t.Errorf("/api/me after the absolute expiry = %d, want 401", code)
	}

	// Logout revokes the session at once, and its cookie clears the map's
	// with the same attributes.
	c = f.login(f.tokens["planner"])
	res, body := f.req("POST", "/api/logout", "{}", "Cookie", c.Value, "Content-Type", "application/json", "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != 200 {
		t.Fatalf("logout = %d %s", res.StatusCode, body)
	}
	var cleared *http.Cookie
	for _, k := range res.Cookies() {
		if k.Name == server.CookieName {
			cleared = k
		}
	}
	if cleared == nil || cleared.MaxAge >= 0 || !cleared.HttpOnly || !cleared.Secure || cleared.SameSite != http.SameSiteStrictMode || cleared.Path != "/" {
		t.Errorf("logout cookie %+v: want an expired cookie with HttpOnly, Secure, SameSite=Strict, Path=/", cleared)
	}
	if code := f.me(c.Value); code != 401 {
		t.Errorf("/api/me with the logged-out session = %d, want 401", code)
	}

	// Revoking the token ends its sessions (within the 5 s lookup cache).
	c = f.login(f.tokens["leader"])
	if code := f.me(c.Value); code != 200 {
		t.Fatalf("/api/me = %d", code)
	}
	if _, stderr, code := hexcover(t, []string{"DATABASE_URL=" + f.url}, "token", "revoke", "demo-leader"); code != 0 {
		t.Fatalf("token revoke: %s", stderr)
	}
	deadline := time.Now().Add(6 * time.Second)
	for f.me(c.Value) != 401 {
		if time.Now().After(deadline) {
			t.Fatal("a revoked token's session still works 6 s later")
		}
		time.Sleep(200 * time.Millisecond)
	}
	res, _ = f.req("POST", "/api/login", `{"token":"`+f.tokens["leader"]+`"}`, "Content-Type", "application/json")
	if res.StatusCode != 401 {
		t.Errorf("login with a revoked token = %d, want 401", res.StatusCode)
	}
}

// TestCSRF: with the session cookie, state-changing requests from a
// foreign origin, or without a JSON content type, are refused with a JSON
// 403 before they reach the handler; the same requests from the map's own
// origin, or with a bearer token, are not.
func TestCSRF(t *testing.T) {
	f := newWebFixture(t, nil)
	c := f.login(f.tokens["admin"])
	foreign := []string{"Cookie", c.Value, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
	cases := []struct{ path, body string }{
		{"/api/assignments/1/decline", `{}`},
		{"/api/scenarios", `{"name": "csrf", "request": {"k": 1}}`},
		{"/api/siting", `{"k": 1}`},
	}
	for _, k := range cases {
		for _, h := range [][]string{
			append(foreign, "Content-Type", "application/json"),
			append(foreign, "Content-Type", "text/plain"),
			{"Cookie", c.Value, "Origin", "https://evil.example", "Content-Type", "application/json"},  // no Sec-Fetch-Site
			{"Cookie", c.Value, "Content-Type", "application/json"},                                    // neither header
			{"Cookie", c.Value, "Sec-Fetch-Site", "same-origin", "Content-Type", "text/plain"},         // not JSON
			{"Cookie", c.Value, "Origin", f.base, "Content-Type", "application/x-www-form-urlencoded"}, // a form
		} {
			res, body := f.req("POST", k.path, k.body, h...)
			var e struct{ Error string }
			if res.StatusCode != 403 || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
				t.Errorf("POST %s with %v = %d %s, want a JSON 403", k.path, h, res.StatusCode, body)
			}
		}
		// Same origin, JSON: passes the check (whatever the handler says).
		for _, h := range [][]string{
			{"Cookie", c.Value, "Sec-Fetch-Site", "same-origin", "Content-Type", "application/json"},
			{"Cookie", c.Value, "Origin", f.base, "Content-Type", "application/json"},
			{"Authorization", "Bearer " + f.admin, "Content-Type", "application/json"},
			{"Authorization", "Bearer " + f.admin, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"},
		} {
			if res, body := f.req("POST", k.path, k.body, h...); res.StatusCode == 403 || res.StatusCode == 401 {
				t.Errorf("POST %s with %v = %d %s, want it to reach the handler", k.path, h, res.StatusCode, body)
			}
		}
	}
	// The scenario saved from a foreign origin does not exist.
	var n int
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT count(*) FROM scenarios WHERE name = 'csrf'`).Scan(&n); err != nil || n != 4 {
		t.Errorf("scenarios saved = %d (%v), want 4 (the same-origin and bearer requests only)", n, err)
	}
	// Login: JSON only, and not from a foreign site.
	res, body := f.req("POST", "/api/login", `{"token":"`+f.admin+`"}`, "Content-Type", "text/plain", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if res.StatusCode < 400 || len(res.Cookies()) > 0 {
		t.Errorf("cross-site text/plain login = %d %s, want refused", res.StatusCode, body)
	}
	if res, body := f.req("POST", "/api/login", `{"token":"`+f.admin+`"}`, "Content-Type", "text/plain"); res.StatusCode != 415 {
		t.Errorf("text/plain login = %d %s, want 415", res.StatusCode, body)
	}
	if res, body := f.req("POST", "/api/login", `{"token":"`+f.admin+`"}`); res.StatusCode != 415 {
		t.Errorf("login without a Content-Type = %d %s, want 415", res.StatusCode, body)
	}
	if res, body := f.req("POST", "/api/login", `{"token":"`+f.admin+`"}`, "Content-Type", "application/json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"); res.StatusCode != 403 {
		t.Errorf("cross-site JSON login = %d %s, want 403", res.StatusCode, body)
	}
	// Logout from a foreign site does not end the session.
	f.req("POST", "/api/logout", "{}", append(foreign, "Content-Type", "application/json")...)
	if code := f.me(c.Value); code != 200 {
		t.Errorf("session after a cross-site logout = %d, want 200", code)
	}
}

// TestHeadersAndLoginLimit: every response carries the CSP and the other
// security headers; tiles and TileJSON are private and vary on the
// credentials; /metrics needs its token; failed logins are limited per
// client, the client of a trusted proxy being its X-Forwarded-For address.
func TestHeadersAndLoginLimit(t *testing.T) {
	const metricsToken = "0123456789abcdef-metrics"
	f := newWebFixture(t, func(c *config.Config) {
		c.Web.MetricsToken = metricsToken
		c.Web.TrustedProxies = []string{"127.0.0.1/32"}
		c.BasemapStyle = "https://tiles.example.org/styles/bright/style.json"
	})
	c := f.login(f.admin)
	for _, k := range []struct {
		path string
		h    []string
	}{
		{"/", nil}, {"/api/meta", []string{"Cookie", c.Value}}, {"/api/meta", nil}, {"/no/such/page", nil},
		{"/tiles/activity/12/3429/1673.mvt", []string{"Cookie", c.Value}}, {"/healthz", nil},
	} {
		res, body := f.req("GET", k.path, "", k.h...)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "worker-src 'self' blob:", "frame-ancestors 'none'",
			"connect-src 'self' https://tiles.example.org", "img-src 'self' data: blob: https://tiles.example.org"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", k.path, csp, want)
			}
		}
		if strings.Contains(csp, "script-src 'self' 'unsafe") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP %q allows inline or eval scripts", k.path, csp)
		}
		for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
			if got := res.Header.Get(h); got != want {
				t.Errorf("GET %s: %s = %q, want %q (%d %.100s)", k.path, h, got, want, res.StatusCode, body)
			}
		}
	}
	for _, p := range []string{"/tiles/activity/12/3429/1673.mvt", "/tiles/activity.json"} {
		res, _ := f.req("GET", p, "", "Cookie", c.Value)
		if cc, v := res.Header.Get("Cache-Control"), res.Header.Get("Vary"); res.StatusCode != 200 || strings.Contains(cc, "public") ||
			!strings.HasPrefix(cc, "private") || !strings.Contains(v, "Authorization") || !strings.Contains(v, "Cookie") {
			t.Errorf("GET %s = %d, Cache-Control %q, Vary %q: want private, varying on Authorization and Cookie", p, res.StatusCode, cc, v)
		}
	}
	// /metrics: only with its own token (an admin's token is not it).
	for tok, want := range map[string]int{"": 401, f.admin: 401, metricsToken: 200} {
		h := []string{}
		if tok != "" {
			h = []string{"Authorization", "Bearer " + tok}
		}
		if res, body := f.req("GET", "/metrics", "", h...); res.StatusCode != want {
			t.Errorf("/metrics with %q = %d, want %d: %.100s", tok, res.StatusCode, want, body)
		}
	}

	// Failed logins: after the burst, 429 with Retry-After for that client
	// only; a good token from elsewhere still logs in.
	bad := func(xff string) *http.Response {
		res, _ := f.req("POST", "/api/login", `{"token":"hxc_wrong"}`, "Content-Type", "application/json", "X-Forwarded-For", xff)
		return res
	}
	codes := map[int]int{}
	var limited *http.Response
	for range 20 {
		res := bad("198.51.100.1, 203.0.113.7")
		codes[res.StatusCode]++
		if res.StatusCode == 429 && limited == nil {
			limited = res
		}
	}
	if codes[401] != 5 || codes[429] != 15 || limited == nil || limited.Header.Get("Retry-After") == "" {
		t.Errorf("20 bad logins from one client: %v, want 5×401 then 429s with Retry-After", codes)
	}
	if res := bad("203.0.113.8"); res.StatusCode != 401 {
		t.Errorf("a bad login from another client behind the proxy = %d, want 401", res.StatusCode)
	}
	if res, body := f.req("POST", "/api/login", `{"token":"`+f.admin+`"}`, "Content-Type", "application/json", "X-Forwarded-For", "203.0.113.9"); res.StatusCode != 200 {
		t.Errorf("a good login from a third client = %d %s", res.StatusCode, body)
	}
}

// TestAnalysisAdmission: a burst of 40 concurrent analysis calls is
// bounded — some are answered 503 with Retry-After — while tiles and
// /api/meta in the same period stay near the latency they had before it.
func TestAnalysisAdmission(t *testing.T) {
	f := newWebFixture(t, func(c *config.Config) {
		c.Web.AnalysisSlots, c.Web.AnalysisWait = 2, 300*time.Millisecond
	})
	auth := []string{"Authorization", "Bearer " + f.admin}
	// Tiles around the data's centre at its busiest hour, each asked with
	// one more hour so that none is cached.
	var busiest int
	if err := f.st.Pool.QueryRow(context.Background(), `SELECT how FROM hex_activity WHERE how >= 0 GROUP BY how ORDER BY sum(pings) DESC LIMIT 1`).Scan(&busiest); err != nil {
		t.Fatal(err)
	}
	_, body := f.req("GET", "/api/meta", "", auth...)
	var meta struct{ Center [2]float64 }
	if err := json.Unmarshal([]byte(body), &meta); err != nil {
		t.Fatal(err)
	}
	centre := maptile.At(orb.Point{meta.Center[0], meta.Center[1]}, 14)
	// Latency of meta and uncached tiles, sequentially.
	probe := func(from int) (meta, tile time.Duration) {
		var ms, ts []time.Duration
		for i := range 12 {
			t0 := time.Now()
			if res, _ := f.req("GET", "/api/meta", "", auth...); res.StatusCode != 200 {
				t.Errorf("/api/meta = %d", res.StatusCode)
			}
			ms = append(ms, time.Since(t0))
			t0 = time.Now()
			path := fmt.Sprintf("/tiles/activity/14/%d/%d.mvt?hours=%d,%d", centre.X-1+uint32(i%3), centre.Y-1+uint32(i/3%3), busiest, (busiest+1+from+i)%168)
			if res, _ := f.req("GET", path, "", auth...); res.StatusCode != 200 {
				t.Errorf("%s = %d, want a tile with content", path, res.StatusCode)
			}
			ts = append(ts, time.Since(t0))
		}
		return median(ms), median(ts)
	}
	probe(100) // warm up connections and per-layer state
	baseMeta, baseTile := probe(0)

	var wg sync.WaitGroup
	type result struct {
		code  int
		retry string
	}
	results := make(chan result, 40)
	paths := []string{"/api/summary?level=street&hours=%d", "/api/coverage/hours?hours=%d", "/api/gaps?hours=%d"}
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, _ := f.req("GET", fmt.Sprintf(paths[i%3], 20+i), "", auth...)
			results <- result{res.StatusCode, res.Header.Get("Retry-After")}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	busyMeta, busyTile := probe(40)
	wg.Wait()
	close(results)
	codes := map[int]int{}
	for r := range results {
		codes[r.code]++
		if r.code == 503 && r.retry == "" {
			t.Errorf("a 503 without Retry-After")
		}
	}
	t.Logf("burst statuses %v; meta median %s → %s, tile median %s → %s", codes, baseMeta, busyMeta, baseTile, busyTile)
	if codes[503] == 0 || codes[200] == 0 || codes[200]+codes[503] != 40 {
		t.Errorf("40 concurrent analysis calls: %v, want some 200 and some 503, nothing else", codes)
	}
	// Ratios against the baseline of this run, with a floor for timer noise.
	const ratio = 4
	if busyMeta > ratio*baseMeta+20*time.Millisecond {
		t.Errorf("/api/meta median under the burst %s vs %s before: more than %d×", busyMeta, baseMeta, ratio)
	}
	if busyTile > ratio*baseTile+20*time.Millisecond {
		t.Errorf("tile median under the burst %s vs %s before: more than %d×", busyTile, baseTile, ratio)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestDemoLoginGuards: demo tokens are random per load and the old ones
// die; the demo-login offer reads them from the database; with demo
// logins on the server refuses a non-loopback address and a database that
// holds anything but the demo city.
func TestDemoLoginGuards(t *testing.T) {
	url := dbtest.NewURL(t)
	env := []string{"DATABASE_URL=" + url}
	out1, stderr, code := hexcover(t, env, "demo", "--riders", "150", "--days", "1")
	if code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	out2, stderr, code := hexcover(t, env, "demo", "--riders", "150", "--days", "1")
	if code != 0 {
		t.Fatalf("second demo: %s %s", out2, stderr)
	}
	old, admin := printedDemoToken(t, out1, "admin"), printedDemoToken(t, out2, "admin")
	if old == admin {
		t.Fatalf("two demo loads printed the same admin token %s", admin)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.TokenBySecret(ctx, old); err == nil {
		t.Error("the first load's admin token still works after a reload")
	}
	if _, err := st.TokenBySecret(ctx, admin); err != nil {
		t.Errorf("the printed admin token does not work: %v", err)
	}

	// Loopback only.
	_, stderr, code = hexcover(t, append(env, "HEXCOVER_DEMO_LOGIN=on", "HEXCOVER_ADDR=192.0.2.1:8080"), "serve")
	if code == 0 || !strings.Contains(stderr, "loopback") {
		t.Errorf("serve with demo logins on 192.0.2.1: exit %d, %s; want a refusal naming loopback", code, stderr)
	}

	base := startServer(t, append(env, "HEXCOVER_DEMO_LOGIN=on"))
	code, _, body := get(t, base+"/api/demo-logins")
	var ls []struct{ Role, Token string }
	if code != 200 || json.Unmarshal(body, &ls) != nil || len(ls) != 4 {
		t.Fatalf("/api/demo-logins = %d %s, want the 4 demo logins", code, body)
	}
	for _, l := range ls {
		if l.Token != printedDemoToken(t, out2, l.Role) {
			t.Errorf("demo login %s offers %s, not the printed token", l.Role, l.Token)
		}
	}

	// Real data imported: the offer stops and a new server refuses.
	dir := t.TempDir()
	if _, stderr, code := hexcover(t, nil, "demo", "--out", dir, "--riders", "150", "--days", "1", "--seed", "99"); code != 0 {
		t.Fatalf("demo --out: %s", stderr)
	}
	if out, stderr, code := hexcover(t, append(env, "HEXCOVER_SECRET=7f3c9a1e5b2d8046c1e9f7a3b5d2c8e0"), "ingest", "sites", filepath.Join(dir, "sites.csv")); code != 0 {
		t.Fatalf("ingest sites: %s %s", out, stderr)
	}
	if code, _, body := get(t, base+"/api/demo-logins"); code != 404 || strings.Contains(string(body), admin) {
		t.Errorf("/api/demo-logins after a real import = %d %s, want 404", code, body)
	}
	_, stderr, code = hexcover(t, append(env, "HEXCOVER_DEMO_LOGIN=on", "HEXCOVER_ADDR="+freePort(t)), "serve")
	if code == 0 || !strings.Contains(stderr, "more than the demo city") {
		t.Errorf("serve with demo logins on real data: exit %d, %s; want a refusal", code, stderr)
	}
}
