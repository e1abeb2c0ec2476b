package osm

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/osm"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

func count(t *testing.T, st *store.Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestImportExtract(t *testing.T) {
	ctx := context.Background()
	st := dbtest.New(t)
	dir := t.TempDir()
	im := &Importer{Store: st}
	pbf := writeFixture(t, dir, "city.osm.pbf", fixtureCity())

	s, err := im.Import(ctx, pbf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Skipped || s.BatchID == 0 || s.Stored.Edges != 36 || s.Stored.Sites != 3 {
		t.Fatalf("summary %+v; want a new batch with 36 edges and 3 sites", s)
	}
	// Every layer is there, with classes and names.
	for _, c := range []struct{ layer, class, name string }{
		{"road", "primary", "金沙江路"}, {"road", "residential", "枣阳路"}, {"water", "river", "苏州河"},
		{"water", "water", "小湖"}, {"water", "water", "梦清园池"}, {"park", "park", "长风公园"},
		{"building", "yes", ""}, {"rail", "rail", "沪宁铁路"}, {"place", "suburb", "长风"}, {"poi", "fuel", "中国石化长风加油站"},
	} {
		if n := count(t, st, `SELECT count(*) FROM osm_features WHERE layer = $1 AND class = $2 AND name = $3`, c.layer, c.class, c.name); n != 1 {
			t.Errorf("%s %s %q: %d features; want 1", c.layer, c.class, c.name, n)
		}
	}
	// The multipolygon was assembled with its hole: the pond's area is the
	// outer ring less the island.
	var area float64
	if err := st.Pool.QueryRow(ctx, `SELECT ST_Area(geom) FROM osm_features WHERE osm_type = 'relation' AND osm_id = 300`).Scan(&area); err != nil {
		t.Fatal(err)
	}
	if want := 0.003*0.003 - 0.001*0.001; area < want*0.99 || area > want*1.01 {
		t.Errorf("pond area %.3g deg²; want %.3g (outer less island)", area, want)
	}
	if n := count(t, st, `SELECT count(*) FROM osm_vertices`); n != 36 {
		t.Errorf("vertices %d; want 36 (4 roads × 10 nodes, 4 crossings shared)", n)
	}
	// Candidate sites with their OSM ids.
	if n := count(t, st, `SELECT count(*) FROM sites WHERE ext_id = 'osm:node/50' AND kind = 'fuel_station' AND status = 'candidate'
		AND osm_type = 'node' AND osm_id = 50`); n != 1 {
		t.Errorf("fuel station: %d rows; want 1 candidate fuel_station with its OSM id", n)
	}

	// The same extract again is a no-op.
	s2, err := im.Import(ctx, pbf, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s2.Skipped || s2.BatchID != s.BatchID {
		t.Fatalf("re-import: %+v; want skipped as batch %d", s2, s.BatchID)
	}
	feats := count(t, st, `SELECT count(*) FROM osm_features`)

	// A newer extract (XML this time): the fuel station moved and was renamed,
	// the charging station is gone. It replaces the old extract whole, and
	// updates sites instead of duplicating them.
	o := fixtureCity()
	var nodes osm.Nodes
	for _, n := range o.Nodes {
		switch n.ID {
		case 51:
			continue
		case 50:
			n.Lon += 0.0005
			n.Tags = osm.Tags{{Key: "amenity", Value: "fuel"}, {Key: "name", Value: "中石化金沙江路站"}}
		}
		nodes = append(nodes, n)
	}
	o.Nodes = nodes
	var siteID int64
	if err := st.Pool.QueryRow(ctx, `SELECT id FROM sites WHERE ext_id = 'osm:node/50'`).Scan(&siteID); err != nil {
		t.Fatal(err)
	}
	xml := writeFixture(t, dir, "city-newer.osm", o)
	s3, err := im.Import(ctx, xml, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s3.Skipped || s3.Stored.Removed != 1 {
		t.Fatalf("newer extract: %+v; want imported, 1 site removed", s3)
	}
	if n := count(t, st, `SELECT count(*) FROM osm_features`); n != feats-1 { // the charging station's POI is gone
		t.Errorf("after the newer extract %d features; want %d", n, feats-1)
	}
	if n := count(t, st, `SELECT count(DISTINCT batch_id) FROM osm_features`); n != 1 {
		t.Errorf("features of %d batches; want only the newest", n)
	}
	if n := count(t, st, `SELECT count(*) FROM sites WHERE osm_id IS NOT NULL`); n != 2 {
		t.Errorf("%d OSM sites; want 2", n)
	}
	if n := count(t, st, `SELECT count(*) FROM sites WHERE id = $1 AND name = '中石化金沙江路站'
		AND abs(ST_X(geom) - 121.404) < 1e-9`, siteID); n != 1 {
		t.Errorf("fuel station not updated in place (same id, new name and position)")
	}
	if n := count(t, st, `SELECT count(*) FROM ingest_batches WHERE kind = 'osm' AND status = 'replaced'`); n != 1 {
		t.Errorf("%d replaced osm batches; want 1", n)
	}

	// A malformed file: a clear error, and nothing changes.
	b, _ := os.ReadFile(xml)
	bad := filepath.Join(dir, "broken.osm")
	if err := os.WriteFile(bad, b[:len(b)-200], 0o644); err != nil {
		t.Fatal(err)
	}
	before := count(t, st, `SELECT count(*) FROM osm_features`) + 1000*count(t, st, `SELECT count(*) FROM sites`) +
		1e6*count(t, st, `SELECT count(*) FROM osm_edges`)
	_, err = im.Import(ctx, bad, false, nil)
	if err == nil || !strings.Contains(err.Error(), "broken.osm") || !strings.Contains(err.Error(), "nothing was imported") {
		t.Fatalf("malformed file: error %v; want one naming the file and saying nothing was imported", err)
	}
	after := count(t, st, `SELECT count(*) FROM osm_features`) + 1000*count(t, st, `SELECT count(*) FROM sites`) +
		1e6*count(t, st, `SELECT count(*) FROM osm_edges`)
	if before != after {
		t.Errorf("a malformed file changed the data: %d → %d", before, after)
	}
	if n := count(t, st, `SELECT count(*) FROM ingest_batches WHERE kind = 'osm' AND status = 'done'`); n != 1 {
		t.Errorf("%d current osm batches; want 1", n)
	}
}
