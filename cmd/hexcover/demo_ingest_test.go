package main

import (
	"path/filepath"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
)

func aggregateDigest(t *testing.T, url string) string {
	t.Helper()
	ctx, c := pgConnect(t, url)
	var s string
	err := c.QueryRow(ctx, `SELECT md5(string_agg(format('%s/%s/%s/%s/%s/%s/%s', res, cell, how, pings, riders,
			round(rider_seconds::numeric, 6), round(dwell_seconds::numeric, 6)), ',' ORDER BY res, cell, how))
		|| ':' || (SELECT count(*) FROM rider_ranges) || ':' || (SELECT count(*) FROM grids) || ':' || (SELECT count(*) FROM sites)
		|| ':' || (SELECT count(*) FROM admin_areas) FROM hex_activity`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestDemoOutThenIngestEqualsDemo: the demo's files imported with hexcover
// ingest give exactly the aggregates of the demo loaded directly.
func TestDemoOutThenIngestEqualsDemo(t *testing.T) {
	a := dbtest.NewURL(t)
	b := dbtest.NewURL(t)
	// Real data needs a secret of its own (ingest refuses the public demo
	// key); the demo takes the same one, so pseudonyms agree.
	const secret = "HEXCOVER_SECRET=7d1f0c9e4b2a86f3e5c1d0b9a8f7e6d5"
	if _, stderr, code := hexcover(t, []string{"DATABASE_URL=" + a, secret}, "demo", "--riders", "120", "--days", "1", "--seed", "7"); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	dir := t.TempDir()
	if _, stderr, code := hexcover(t, nil, "demo", "--out", dir, "--riders", "120", "--days", "1", "--seed", "7"); code != 0 {
		t.Fatalf("demo --out: %s", stderr)
	}
	env := []string{"DATABASE_URL=" + b, secret}
	if _, stderr, code := hexcover(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	for _, f := range []struct{ kind, file string }{{"areas", "areas.geojson"}, {"grids", "grids.geojson"}, {"sites", "sites.csv"}, {"pings", "pings.csv"}, {"osm", "roads.osm"}} {
		if out, stderr, code := hexcover(t, env, "ingest", f.kind, filepath.Join(dir, f.file)); code != 0 {
			t.Fatalf("ingest %s: %s %s", f.kind, out, stderr)
		}
	}
	if da, db := aggregateDigest(t, a), aggregateDigest(t, b); da != db {
		t.Errorf("demo loaded directly and via files differ:\n direct %s\n files  %s", da, db)
	}
}
