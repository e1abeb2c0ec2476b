// Package demotest loads the synthetic demo city into a fresh test database
// through the real importer, for the tests of the analyses.
package demotest

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
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
const Secret = "demotest-secret-0123456789abcdef"

// Params is the test city: seed 1, 300 riders, one day.
func Params() demo.Params {
	return demo.Params{Seed: 1, Riders: 300, Days: 1, Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))}
}

// LoadDemo generates the demo city for p, writes its files and imports them
// (areas, grids, sites, pings) into a fresh migrated database.
func LoadDemo(t testing.TB, p demo.Params) (*store.Store, *demo.City) { return load(t, p, false) }

// LoadDemoByDay is LoadDemo with the pings imported one file per local day,
// as platforms export them, so every rider has one range period per day.
func LoadDemoByDay(t testing.TB, p demo.Params) (*store.Store, *demo.City) { return load(t, p, true) }

func load(t testing.TB, p demo.Params, byDay bool) (*store.Store, *demo.City) {
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
	files := []struct{ kind, path string }{
		{ingest.KindAreas, filepath.Join(dir, demo.FileAreas)}, {ingest.KindGrids, filepath.Join(dir, demo.FileGrids)},
		{ingest.KindSites, filepath.Join(dir, demo.FileSitesJSON)},
	}
	pings := []string{filepath.Join(dir, demo.FilePings)}
	if byDay {
		pings = splitByDay(t, pings[0])
	}
	for _, p := range pings {
		files = append(files, struct{ kind, path string }{ingest.KindPings, p})
	}
	for _, f := range files {
		sum, err := l.Import(ctx, f.path, ingest.Options{Kind: f.kind, CRS: geo.WGS84, RejectsDir: dir})
		if err != nil {
			t.Fatalf("load demo %s: %v", f.path, err)
		}
		if sum.RowsRejected > 0 {
			t.Fatalf("load demo %s: %d rows rejected", f.path, sum.RowsRejected)
		}
	}
	return st, city
}

// splitByDay splits the demo pings CSV (ts third, RFC 3339 in +08:00) into
// one file per local date.
func splitByDay(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan()
	header := sc.Text()
	if !strings.Contains(header, "ts") {
		t.Fatalf("unexpected pings header %q", header)
	}
	days := map[string]*bytes.Buffer{}
	for sc.Scan() {
		line := sc.Text()
		cols := strings.SplitN(line, ",", 4)
		day := cols[2][:10]
		b := days[day]
		if b == nil {
			b = bytes.NewBufferString(header + "\n")
			days[day] = b
		}
		b.WriteString(line + "\n")
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var out []string
	for day, b := range days {
		p := filepath.Join(filepath.Dir(path), "pings-"+day+".csv")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	sort.Strings(out)
	return out
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
