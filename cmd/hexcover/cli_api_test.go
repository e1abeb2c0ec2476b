package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/hexcover/hexcover/internal/dbtest"
)

// canonical re-encodes JSON with sorted keys, dropping volatile fields.
func canonical(t *testing.T, b []byte, drop ...string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, b)
	}
	var strip func(any)
	strip = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for _, k := range drop {
				delete(x, k)
			}
			for _, e := range x {
				strip(e)
			}
		case []any:
			for _, e := range x {
				strip(e)
			}
		}
	}
	strip(v)
	out, _ := json.Marshal(v)
	return string(out)
}

func call(t *testing.T, method, url, token, body string) []byte {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		t.Fatalf("%s %s = %d %s", method, url, res.StatusCode, b)
	}
	return b
}

// TestCLIMatchesAPI: the analyses run from the shell print the same JSON as
// the HTTP API over the same PostGIS data; tokens made with the CLI work on
// the API and stop working when revoked; rebuild and batches run.
func TestCLIMatchesAPI(t *testing.T) {
	url := dbtest.NewURL(t)
	env := []string{"DATABASE_URL=" + url}
	if _, stderr, code := hexcover(t, env, "demo", "--riders", "150", "--days", "1"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	tok, stderr, code := hexcover(t, env, "token", "create", "--name", "cli-test", "--role", "admin")
	tok = strings.TrimSpace(tok)
	if code != 0 || !strings.HasPrefix(tok, "hxc_") {
		t.Fatalf("token create: %q %s", tok, stderr)
	}
	if out, _, _ := hexcover(t, env, "token", "list"); !strings.Contains(out, "cli-test") || strings.Contains(out, tok) {
		t.Errorf("token list should name the token and never show its secret:\n%s", out)
	}
	base := startServer(t, env)

	gapsCLI, stderr, code := hexcover(t, env, "gaps", "--json", "--admin", "--limit", "5")
	if code != 0 {
		t.Fatalf("gaps --json: %s", stderr)
	}
	gapsAPI := call(t, "GET", base+"/api/gaps?limit=5", tok, "")
	if a, b := canonical(t, []byte(gapsCLI)), canonical(t, gapsAPI); a != b {
		t.Errorf("hexcover gaps --json differs from GET /api/gaps:\n cli %.400s\n api %.400s", a, b)
	}

	// Without --admin the CLI shows the published release, as the API
	// does for a planner.
	ptok, stderr, code := hexcover(t, env, "token", "create", "--name", "cli-planner", "--role", "planner")
	ptok = strings.TrimSpace(ptok)
	if code != 0 {
		t.Fatalf("token create planner: %s", stderr)
	}
	relCLI, stderr, code := hexcover(t, env, "gaps", "--json", "--limit", "5")
	if code != 0 {
		t.Fatalf("gaps --json: %s", stderr)
	}
	relAPI := call(t, "GET", base+"/api/gaps?limit=5", ptok, "")
	if a, b := canonical(t, []byte(relCLI)), canonical(t, relAPI); a != b || !strings.Contains(a, `"released":true`) {
		t.Errorf("hexcover gaps --json (the release) differs from a planner's GET /api/gaps:\n cli %.400s\n api %.400s", a, b)
	}

	siteCLI, stderr, code := hexcover(t, env, "site", "--k", "3", "--json", "--admin")
	if !strings.Contains(stderr, "not for publication") {
		t.Errorf("site --admin should say its figures are not for publication; stderr: %s", stderr)
	}
	if code != 0 {
		t.Fatalf("site --json: %s", stderr)
	}
	siteAPI := call(t, "POST", base+"/api/siting", tok, `{"k": 3}`)
	drop := []string{"solve_ms", "elapsed_ms"} // timings
	if a, b := canonical(t, []byte(siteCLI), drop...), canonical(t, siteAPI, drop...); a != b {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Errorf("hexcover site --json differs from POST /api/siting at byte %d:\n cli …%.200s\n api …%.200s", i, a[max(0, i-80):], b[max(0, i-80):])
	}

	var grid string
	ctx := context.Background()
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	err = c.QueryRow(ctx, `SELECT g.code FROM grids g JOIN hex_cells h ON ST_Contains(g.geom, h.center)
		JOIN (SELECT unnest(cells) AS cell FROM rider_ranges) rc ON rc.cell = h.cell GROUP BY g.code ORDER BY count(*) DESC, g.code LIMIT 1`).Scan(&grid)
	c.Close(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assignCLI, stderr, code := hexcover(t, env, "assign", "--grid", grid, "--json", "--limit", "10")
	if code != 0 {
		t.Fatalf("assign --json: %s", stderr)
	}
	assignAPI := call(t, "GET", base+"/api/grids/"+grid+"/candidates?limit=10", tok, "")
	if a, b := canonical(t, []byte(assignCLI)), canonical(t, assignAPI); a != b {
		t.Errorf("hexcover assign --json differs from the candidates API:\n cli %.400s\n api %.400s", a, b)
	}
	if !bytes.Contains(assignAPI, []byte(`"score"`)) {
		t.Errorf("candidates carry no scores: %.300s", assignAPI)
	}

	if out, stderr, code := hexcover(t, env, "rebuild"); code != 0 || !strings.Contains(out, "rebuilt aggregates") {
		t.Errorf("rebuild: %s %s", out, stderr)
	}
	// The demo imports areas, grids, sites, pings and its road extract (osm).
	if out, _, code := hexcover(t, env, "batches"); code != 0 || strings.Count(out, "done") != 5 {
		t.Errorf("batches should list the 5 demo imports as done:\n%s", out)
	} else {
		for _, kind := range []string{"areas", "grids", "sites", "pings", "osm"} {
			if !strings.Contains(out, kind) {
				t.Errorf("batches lack the demo's %s import:\n%s", kind, out)
			}
		}
	}

	if _, stderr, code := hexcover(t, env, "token", "revoke", "cli-test"); code != 0 {
		t.Fatalf("token revoke: %s", stderr)
	}
	// Revocation takes effect within the 5 s token cache; a fresh server sees it at once.
	base2 := startServer(t, env)
	req, _ := http.NewRequest("GET", base2+"/api/meta", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Errorf("revoked token = %d, want 401", res.StatusCode)
	}
}
