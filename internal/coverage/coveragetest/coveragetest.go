// Package coveragetest loads the synthetic demo city into a fresh test
// database through the real importer, for the coverage and siting tests.
package coveragetest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// Secret pseudonymizes the demo riders in tests.
const Secret = "coveragetest-secret-0123456789"

// Params is the test city: seed 1, 300 riders, one day.
func Params() demo.Params {
	return demo.Params{Seed: 1, Riders: 300, Days: 1, Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))}
}

// LoadDemo generates the demo city for p, writes its files and imports them
// (areas, grids, sites, pings) into a fresh migrated database.
func LoadDemo(t testing.TB, p demo.Params) (*store.Store, *demo.City) {
	t.Helper()
	ctx := context.Background()
	st := dbtest.New(t)
	city, err := demo.Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := city.WriteFiles(dir); err != nil {
		t.Fatal(err)
	}
	pz, err := ingest.NewPseudonymizer([]byte(Secret))
	if err != nil {
		t.Fatal(err)
	}
	l := &ingest.Loader{Store: st, Pseudo: pz, Activity: activity.DefaultSettings()}
	for _, s := range []struct{ kind, file string }{
		{ingest.KindAreas, "areas.geojson"}, {ingest.KindGrids, "grids.geojson"},
		{ingest.KindSites, "sites.geojson"}, {ingest.KindPings, "pings.csv"},
	} {
		sum, err := l.Import(ctx, filepath.Join(dir, s.file), ingest.Options{Kind: s.kind, CRS: geo.WGS84, RejectsDir: dir})
		if err != nil {
			t.Fatalf("load demo %s: %v", s.kind, err)
		}
		if sum.RowsRejected > 0 {
			t.Fatalf("load demo %s: %d rows rejected", s.kind, sum.RowsRejected)
		}
	}
	return st, city
}

// AddSite stores one site (insert or update by ext id) as its own batch, the
// way an import of a one-row sites file would, bumping the sites version.
func AddSite(t testing.TB, st *store.Store, s model.Site) {
	t.Helper()
	ctx := context.Background()
	l, _, err := st.BeginFeatures(ctx, "sites", "test-"+s.ExtID, "sha-"+s.ExtID+"-"+time.Now().Format(time.RFC3339Nano), "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Site(ctx, s); err != nil {
		l.Rollback(ctx)
		t.Fatal(err)
	}
	if err := l.Commit(ctx, 1, 0); err != nil {
		t.Fatal(err)
	}
}

// Existing is a shorthand for a site of a kind with status existing.
func Existing(extID string, kind model.SiteKind, lng, lat float64) model.Site {
	return model.Site{ExtID: extID, Kind: kind, Status: model.StatusExisting, Name: extID, Location: [2]float64{lng, lat}}
}
