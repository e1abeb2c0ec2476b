package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// TestErrorStatuses runs the real server with a short statement timeout
// and checks the error statuses of docs/ARCHITECTURE.md end to end: a
// statement timeout is 503 with Retry-After and no database text, an
// oversize body 413, a wrong method 405 as JSON, a wrong content type 415.
func TestErrorStatuses(t *testing.T) {
	url := dbtest.NewURL(t)
	env := []string{"DATABASE_URL=" + url}
	if _, stderr, code := hexcover(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, _ := store.NewTokenSecret()
	if _, err := st.CreateToken(ctx, "t-admin", "admin", nil, admin); err != nil {
		t.Fatal(err)
	}
	base := startServer(t, append(env, "HEXCOVER_QUERY_TIMEOUT=300ms"))

	do := func(method, path, ctype, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var e struct{ Error string }
		if res.StatusCode >= 400 && (json.Unmarshal(b, &e) != nil || e.Error == "" ||
			!strings.HasPrefix(res.Header.Get("Content-Type"), "application/json")) {
			t.Errorf("%s %s = %d %q (%s), want a JSON error", method, path, res.StatusCode, b, res.Header.Get("Content-Type"))
		}
		return res, string(b)
	}

	t.Run("statement timeout is 503 with Retry-After", func(t *testing.T) {
		// Hold a lock on riders: the rider-range query waits for it until
		// the 300 ms statement timeout cancels it (SQLSTATE 57014).
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		tx, err := c.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx) //nolint:errcheck
		if _, err := tx.Exec(ctx, `LOCK TABLE riders IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		res, body := do("GET", "/api/riders/0123456789abcdef/range", "", "")
		if res.StatusCode != 503 || res.Header.Get("Retry-After") == "" {
			t.Errorf("rider range under a lock = %d (Retry-After %q) %s, want 503 with Retry-After", res.StatusCode, res.Header.Get("Retry-After"), body)
		}
		for _, leak := range []string{"statement", "SQLSTATE", "canceling", "riders", "ERROR"} {
			if strings.Contains(body, leak) {
				t.Errorf("body %s shows database text (%q)", body, leak)
			}
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v: the statement timeout did not apply", d)
		}
	})

	t.Run("oversize body is 413", func(t *testing.T) {
		big := `{"k": 5, "remove": [` + strings.Repeat(`"x",`, 20000) + `"x"]}`
		for _, path := range []string{"/api/siting", "/api/scenarios", "/api/assignments"} {
			if res, body := do("POST", path, "application/json", big); res.StatusCode != 413 {
				t.Errorf("POST %s with %d bytes = %d %.200s, want 413", path, len(big), res.StatusCode, body)
			}
		}
	})

	t.Run("wrong method is 405 JSON", func(t *testing.T) {
		for _, c := range []struct{ method, path, allow string }{
			{"DELETE", "/api/siting", "GET, HEAD, POST"}, // GET: the /api/ catch-all answers 404
			{"PUT", "/api/meta", "GET, HEAD"},
			{"POST", "/api/grids", "GET, HEAD"},
		} {
			res, body := do(c.method, c.path, "", "")
			if res.StatusCode != 405 || res.Header.Get("Allow") != c.allow {
				t.Errorf("%s %s = %d Allow %q %s, want 405 Allow %q", c.method, c.path, res.StatusCode, res.Header.Get("Allow"), body, c.allow)
			}
		}
	})

	t.Run("wrong content type is 415", func(t *testing.T) {
		if res, body := do("POST", "/api/siting", "application/x-www-form-urlencoded", `{"k": 1}`); res.StatusCode != 415 {
			t.Errorf("form-encoded POST = %d %s, want 415", res.StatusCode, body)
		}
	})

	t.Run("unknown API path is 404 JSON", func(t *testing.T) {
		if res, body := do("GET", "/api/nothing-here", "", ""); res.StatusCode != 404 {
			t.Errorf("GET /api/nothing-here = %d %s, want 404", res.StatusCode, body)
		}
	})
}
