package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestRolesAgainstEveryEndpoint: every role (and no token) against every
// endpoint, on the demo city: allowed, 401 or 403, and a 403 says nothing
// about the data.
func TestRolesAgainstEveryEndpoint(t *testing.T) {
	f := newRoleFixture(t, "t-")
	ctx := context.Background()
	url, ts, tokens, inStreet := f.url, f.ts, f.tokens, f.inStreet
	var inGrid, outGrid, pid string
	c, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT code FROM grids WHERE street_code = $1 ORDER BY code LIMIT 1`, inStreet).Scan(&inGrid); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT code FROM grids WHERE street_code <> $1 ORDER BY code LIMIT 1`, inStreet).Scan(&outGrid); err != nil {
		t.Fatal(err)
	}
	if err := c.QueryRow(ctx, `SELECT pid FROM riders ORDER BY pid LIMIT 1`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	c.Close(ctx)

	// Expected status per caller: "" = no token. 2 = any 2xx (200, 201, 204).
	type row struct {
		method, path, body string
		want               map[string]int
	}
	all := func(code int) map[string]int {
		return map[string]int{"": 401, "admin": code, "planner": code, "leader": code, "gm": code}
	}
	m := func(none, admin, planner, leader, gm int) map[string]int {
		return map[string]int{"": none, "admin": admin, "planner": planner, "leader": leader, "gm": gm}
	}
	rows := []row{
		{"GET", "/api/meta", "", all(2)},
		{"GET", "/api/me", "", all(2)},
		{"GET", "/tiles/activity.json", "", all(2)},
		{"GET", "/tiles/activity/12/3429/1673.mvt", "", all(2)},
		{"GET", "/tiles/grids/12/3429/1673.mvt", "", all(2)},
		{"GET", "/tiles/basemap/12/3429/1673.mvt", "", all(2)},
		{"GET", "/api/sites/1/catchment", "", all(2)},
		{"GET", "/api/gaps", "", all(2)},
		{"GET", "/api/summary?level=street", "", all(2)},
		{"POST", "/api/siting", `{"k": 2}`, m(401, 2, 2, 2, 403)},
		{"POST", "/api/scenarios", `{"name": "t", "request": {"k": 1}}`, m(401, 2, 2, 403, 403)},
		{"GET", "/api/scenarios", "", m(401, 2, 2, 2, 403)},
		{"GET", "/api/grids", "", all(2)},
		{"GET", "/api/grids/" + inGrid + "/candidates", "", m(401, 2, 403, 403, 2)},
		{"GET", "/api/grids/" + outGrid + "/candidates", "", m(401, 2, 403, 403, 403)},
		{"GET", "/api/grids/" + inGrid + "/roster.csv", "", m(401, 2, 403, 403, 2)},
		{"GET", "/api/grids/" + outGrid + "/roster.geojson", "", m(401, 2, 403, 403, 403)},
		{"GET", "/api/roster.csv?street=" + inStreet, "", m(401, 2, 403, 403, 2)},
		{"POST", "/api/assignments", `{"grids": ["` + outGrid + `"], "dry_run": true}`, m(401, 2, 403, 403, 403)},
		{"POST", "/api/assignments", `{"grids": ["` + inGrid + `"], "dry_run": true}`, m(401, 2, 403, 403, 2)},
		{"GET", "/api/riders/" + pid + "/range", "", m(401, 2, 403, 403, 403)},
		{"GET", "/api/audit", "", m(401, 2, 403, 403, 403)},
	}
	for _, r := range rows {
		for who, want := range r.want {
			req, _ := http.NewRequest(r.method, ts.URL+r.path, strings.NewReader(r.body))
			if who != "" {
				req.Header.Set("Authorization", "Bearer "+tokens[who])
			}
			if r.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			ok := res.StatusCode == want || (want == 2 && res.StatusCode >= 200 && res.StatusCode < 300)
			if !ok {
				t.Errorf("%s %s as %q = %d, want %d: %.200s", r.method, r.path, who, res.StatusCode, want, body)
			}
			if res.StatusCode == 403 || res.StatusCode == 401 {
				if !bytes.HasPrefix(body, []byte(`{"error":`)) || bytes.Contains(body, []byte(inGrid)) || bytes.Contains(body, []byte(outGrid)) {
					t.Errorf("%s %s as %q: %d body %s should be a JSON error without data", r.method, r.path, who, res.StatusCode, body)
				}
			}
		}
	}
	// Rider-level views are audited with who looked.
	var n int
	c2, _ := pgx.Connect(ctx, url)
	defer c2.Close(ctx)
	if err := c2.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'rider.range.view' AND actor = 'admin:t-admin'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("audit rows for the admin's rider range view = %d (%v), want 1", n, err)
	}
}
