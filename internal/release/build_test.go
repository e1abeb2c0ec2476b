package release

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/store"
)

// smallCity is the fast test city: 200 riders, one day (Monday 2026-11-02).
func smallCity() demo.Params {
	p := demotest.Params()
	p.Riders = 200
	return p
}

// importPings imports rows "rider,ts,lat,lng" as one pings file.
func importPings(t testing.TB, st *store.Store, name string, rows []string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("rider_id,ts,lat,lng\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pz, err := ingest.NewPseudonymizer([]byte(demotest.Secret))
	if err != nil {
		t.Fatal(err)
	}
	l := &ingest.Loader{Store: st, Pseudo: pz, Activity: activity.DefaultSettings()}
	if _, err := l.Import(context.Background(), path, ingest.Options{Kind: ingest.KindPings, CRS: geo.WGS84, RejectsDir: dir}); err != nil {
		t.Fatal(err)
	}
}

// loneRider is rows of one rider pinging every 30 s at one spot for the
// given local hours of 2026-11-02.
func loneRider(id string, lng, lat float64, fromHour, hours int) []string {
	var rows []string
	start := time.Date(2026, 11, 2, fromHour, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := range hours * 120 {
		rows = append(rows, fmt.Sprintf("%s,%s,%.6f,%.6f", id, start.Add(time.Duration(i)*30*time.Second).Format(time.RFC3339), lat, lng))
	}
	return rows
}

func newBuilder(st *store.Store) *Builder {
	return &Builder{Store: st, Params: DefaultParams(5), Noise: NewNoise([]byte(demotest.Secret))}
}

func TestBuildRedrawsOnlyChangesAndKeepsTheBudget(t *testing.T) {
	ctx := context.Background()
	st, _ := demotest.LoadDemo(t, smallCity())
	b := newBuilder(st)
	rs, err := b.Update(ctx)
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	var first DayResult
	for _, r := range rs {
		t.Log(r)
		if r.Day.Equal(day) {
			first = r
		}
	}
	if first.Status != "released" || first.Redrawn != first.Values || first.RiderDays == 0 {
		t.Fatalf("first release of %s = %+v, want released with every value drawn", day, first)
	}
	// Nothing new: nothing to build; building anyway changes nothing.
	if rs, err := b.Update(ctx); err != nil || len(rs) != 0 {
		t.Fatalf("second update = %v, %v; want nothing to do", rs, err)
	}
	d, err := LoadDomain(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := b.BuildDay(ctx, day, d); err != nil || r.Status != "unchanged" {
		t.Fatalf("rebuild of unchanged day = %+v, %v; want unchanged", r, err)
	}
	_, cells1, _, _, err := st.CurrentRelease(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	riders := ridersOfDay(t, st, day)
	if spent, err := st.LedgerMax(ctx, day, riders); err != nil || spent != 0.5 {
		t.Fatalf("ledger after one release = %v, %v; want 0.5", spent, err)
	}

	// A lone rider at one spot for three night hours: only its cells change.
	c := geo.CellCenter(geo.Cell(d.Cells[len(d.Cells)/3]))
	importPings(t, st, "lone.csv", loneRider("lone-1", c[0], c[1], 1, 3))
	rs, err = b.Update(ctx)
	if err != nil || len(rs) != 1 || rs[0].Status != "released" {
		t.Fatalf("update after the lone rider = %v, %v; want one release", rs, err)
	}
	if rs[0].Redrawn == 0 || rs[0].Redrawn > rs[0].Values/20 {
		t.Errorf("redrew %d of %d values, want a few (only the lone rider's)", rs[0].Redrawn, rs[0].Values)
	}
	_, cells2, _, _, err := st.CurrentRelease(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	type k struct {
		f, v int16
		c    int64
	}
	before := map[k]store.ReleaseCellValue{}
	for _, v := range cells1 {
		before[k{v.Figure, v.View, v.Cell}] = v
	}
	kept := 0
	for _, v := range cells2 {
		o := before[k{v.Figure, v.View, v.Cell}]
		if math.Abs(o.Exact-v.Exact) <= 1e-9*math.Max(1, math.Abs(o.Exact)) {
			if o.Value != v.Value || o.Draw != v.Draw {
				t.Fatalf("unchanged value %+v was redrawn: %+v", o, v)
			}
			kept++
		} else if v.Draw == o.Draw || v.Value == o.Value {
			t.Fatalf("changed value kept its noise: %+v → %+v", o, v)
		}
	}
	if kept == 0 {
		t.Fatal("no value kept its noise")
	}
	if spent, err := st.LedgerMax(ctx, day, riders); err != nil || spent != 1 {
		t.Fatalf("ledger after two releases = %v, %v; want 1", spent, err)
	}
	// The budget is spent: a third change of the day is refused.
	importPings(t, st, "lone2.csv", loneRider("lone-2", c[0], c[1], 2, 1))
	rs, err = b.Update(ctx)
	if err != nil || len(rs) != 1 || rs[0].Status != "refused" || !strings.Contains(rs[0].Note, "privacy budget spent") {
		t.Fatalf("third release = %v, %v; want refused for the budget", rs, err)
	}
	if spent, _ := st.LedgerMax(ctx, day, riders); spent != 1 {
		t.Errorf("a refused release charged the ledger: %v", spent)
	}
	_, cells3, _, _, _ := st.CurrentRelease(ctx, day)
	if len(cells3) != len(cells2) || cells3[0] != cells2[0] {
		t.Error("the refused release changed the current one")
	}
}

func ridersOfDay(t *testing.T, st *store.Store, day time.Time) []int64 {
	t.Helper()
	rows, err := st.Pool.Query(context.Background(), `SELECT rider FROM rider_days WHERE day = $1`, day)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var r int64
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

// TestPublishedIsConsistent checks the post-processing: no negative
// figure, shown cells reach k, a parent is never below a child (res 8 ≥
// res 9, res 7 ≥ res 8, district ≥ street ≥ community), parents sum only
// shown children.
func TestPublishedIsConsistent(t *testing.T) {
	ctx := context.Background()
	st, _ := demotest.LoadDemo(t, smallCity())
	if _, err := newBuilder(st).Update(ctx); err != nil {
		t.Fatal(err)
	}
	p, err := Load(ctx, st, 5)
	if err != nil {
		t.Fatal(err)
	}
	arows, err := st.AreaRows(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	shownAny := false
	for vi, v := range Lattice {
		for res := 9; res >= 7; res-- {
			for c, f := range p.Cells(vi, res) {
				if f.Riders < 5 || f.RiderHours < 0 || !f.Shown {
					t.Fatalf("%s res %d cell %x: %+v shown below k or negative", v.Name, res, c, f)
				}
				shownAny = true
				if res > 7 {
					pf, ok := p.Cells(vi, res-1)[int64(geo.CellParent(geo.Cell(c), res-1))]
					if !ok || pf.Riders < f.Riders || pf.RiderHours+0.05 < f.RiderHours {
						t.Fatalf("%s: parent %+v of res-%d cell %+v is smaller", v.Name, pf, res, f)
					}
				}
			}
		}
		for _, a := range arows {
			f, _ := p.Area(vi, a.Level, a.Code)
			if !f.Shown && (f.Riders != 0 || f.RiderHours != 0) {
				t.Fatalf("%s: suppressed area %s carries figures %+v", v.Name, a.Code, f)
			}
			if a.Parent == "" {
				continue
			}
			pl := map[string]string{"street": "district", "community": "street"}[a.Level]
			pf, _ := p.Area(vi, pl, a.Parent)
			if f.Shown && (!pf.Shown || pf.Riders < f.Riders || pf.RiderHours+0.05 < f.RiderHours) {
				t.Fatalf("%s: %s %s %+v is above its parent %s %+v", v.Name, a.Level, a.Code, f, a.Parent, pf)
			}
		}
	}
	if !shownAny {
		t.Fatal("the release shows no cell at all")
	}
	if p.DaysIn(ViewOf(nil)) == 0 || p.DaysIn(2) != 0 {
		t.Errorf("days: all %d, weekend %d; want ≥ 1 and 0 (a Monday city)", p.DaysIn(0), p.DaysIn(2))
	}
}
