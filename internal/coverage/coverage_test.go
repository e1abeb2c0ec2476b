package coverage_test

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// refCell is a demand cell recomputed from the raw hex_activity rows.
type refCell struct {
	center orb.Point
	rs     float64
	riders map[int64]bool
}

// reference recomputes demand cells independently: raw hex_activity rows
// (union of rider keys in Go), centres from h3, no hex_cells.
func reference(t *testing.T, st *store.Store, hows []int16) map[geo.Cell]*refCell {
	t.Helper()
	q := `SELECT cell, how, rider_seconds, rider_keys FROM hex_activity WHERE res = 9`
	rows, err := st.Pool.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[geo.Cell]*refCell{}
	for rows.Next() {
		var cell int64
		var how int16
		var rs float64
		var keys []int64
		if err := rows.Scan(&cell, &how, &rs, &keys); err != nil {
			t.Fatal(err)
		}
		if len(hows) == 0 && how != -1 || len(hows) > 0 && !slices.Contains(hows, how) {
			continue
		}
		c := out[geo.Cell(cell)]
		if c == nil {
			c = &refCell{center: geo.CellCenter(geo.Cell(cell)), riders: map[int64]bool{}}
			out[geo.Cell(cell)] = c
		}
		c.rs += rs
		for _, k := range keys {
			c.riders[k] = true
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// presence lists the demo's existing presence sites (plus extra), from the
// generator rather than the database.
func presence(cfg config.Config, city *demo.City, extra ...model.Site) []model.Site {
	var out []model.Site
	for _, s := range append(slices.Clone(city.Sites), extra...) {
		if _, ok := cfg.ServiceRadiusM[string(s.Kind)]; ok && s.Status == model.StatusExisting {
			out = append(out, s)
		}
	}
	return out
}

func refCoverage(cfg config.Config, cells map[geo.Cell]*refCell, sites []model.Site, metric model.Metric) (total, covered float64, cov map[geo.Cell]bool) {
	cov = map[geo.Cell]bool{}
	for id, c := range cells {
		d := c.rs / 3600
		if metric == model.MetricRiders {
			d = float64(len(c.riders))
		}
		total += d
		for _, s := range sites {
			if geo.Haversine(c.center, s.Location) <= cfg.ServiceRadiusM[string(s.Kind)] {
				cov[id] = true
				covered += d
				break
			}
		}
	}
	return total, covered, cov
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(a), math.Abs(b)) }

func TestDemoCity(t *testing.T) {
	st, city := demotest.LoadDemo(t, demotest.Params())
	ctx := context.Background()
	cfg := config.Default()
	eng := coverage.New(st, coverage.DefaultSettings(cfg))

	t.Run("coverage equals independent recomputation", func(t *testing.T) {
		for _, tc := range []struct {
			hours  string
			metric model.Metric
		}{{"", model.MetricRiderHours}, {"", model.MetricRiders}, {"lunch", model.MetricRiderHours}, {"peak", model.MetricRiders}, {"11-13,35-37", model.MetricRiders}} {
			hs, err := activity.ParseHours(tc.hours)
			if err != nil {
				t.Fatal(err)
			}
			a, err := eng.Analyze(ctx, coverage.Params{Hours: hs, Metric: tc.metric})
			if err != nil {
				t.Fatal(err)
			}
			ref := reference(t, st, hs)
			total, covered, cov := refCoverage(cfg, ref, presence(cfg, city), tc.metric)
			if len(a.Cells) != len(ref) {
				t.Errorf("%s/%s: %d cells, want %d", tc.hours, tc.metric, len(a.Cells), len(ref))
			}
			if !near(a.TotalDemand, total) || !near(a.CoveredDemand, covered) {
				t.Errorf("%s/%s: total %.6f covered %.6f, want %.6f %.6f", tc.hours, tc.metric, a.TotalDemand, a.CoveredDemand, total, covered)
			}
			bad := 0
			for _, c := range a.Cells {
				r := ref[c.Cell]
				if r == nil || c.Covered != cov[c.Cell] || c.Riders != int64(len(r.riders)) {
					if bad++; bad <= 3 {
						t.Errorf("%s/%s: cell %x covered %v riders %d; want %v %v", tc.hours, tc.metric, uint64(c.Cell), c.Covered, c.Riders, cov[c.Cell], r)
					}
				}
			}
			t.Logf("%-12s %-11s cells %d demand %.1f covered %.1f (%.1f%%)", tc.hours, tc.metric, len(a.Cells), a.TotalDemand, a.CoveredDemand,
				coverage.CoverPct(a.CoveredDemand, a.TotalDemand))
		}
	})

	t.Run("top gap zone is at an unserved cluster", func(t *testing.T) {
		g, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Zones) == 0 {
			t.Fatal("no gap zones")
		}
		for _, z := range g.Zones[:min(5, len(g.Zones))] {
			t.Logf("zone %d %s: %d cells %.3f km² demand %.1f riders %d dwell %.1f h street %v nearest %v candidates %d",
				z.Rank, z.ID, z.CellCount, z.AreaKm2, z.Demand, z.Riders, z.DwellHours, z.Street, z.Nearest != nil, len(z.Candidates))
		}
		top := g.Zones[0]
		best := math.Inf(1)
		var name string
		for _, i := range city.UnservedClusters() {
			cl := city.Clusters[i]
			d := math.Inf(1)
			for _, c := range top.Cells {
				d = min(d, geo.Haversine(cl.Location, geo.CellCenter(c)))
			}
			if d < best {
				best, name = d, cl.Name
			}
		}
		t.Logf("top zone: nearest unserved cluster %s at %.0f m", name, best)
		if best > 500 {
			t.Errorf("top gap zone is %.0f m from the nearest unserved cluster, want ≤ 500 m", best)
		}
		// Ranked, distinct riders exact, polygon present.
		for i, z := range g.Zones {
			if i > 0 && z.Demand > g.Zones[i-1].Demand {
				t.Errorf("zone %d demand %.3f > zone %d %.3f: not largest first", i, z.Demand, i-1, g.Zones[i-1].Demand)
			}
			if z.Riders < int64(cfg.MinRiders) {
				t.Errorf("zone %s has %d riders < k = %d but is listed to a non-admin", z.ID, z.Riders, cfg.MinRiders)
			}
			if z.Polygon == nil || z.AreaKm2 <= 0 {
				t.Errorf("zone %s: no polygon or area", z.ID)
			}
		}
		ref := reference(t, st, nil)
		riders := map[int64]bool{}
		for _, c := range top.Cells {
			for k := range ref[c].riders {
				riders[k] = true
			}
		}
		if int64(len(riders)) != top.Riders {
			t.Errorf("top zone riders = %d, want %d (union of its cells' riders)", top.Riders, len(riders))
		}
		// Every gap cell is uncovered with demand ≥ threshold, and zones are connected components.
		a, _ := eng.Analyze(ctx, coverage.Params{})
		gap := a.GapCells()
		n := 0
		for i, c := range a.Cells {
			if gap[i] {
				n++
				if c.Covered || c.Demand < coverage.DefaultGapMinRiderHours {
					t.Errorf("cell %x is a gap cell but covered=%v demand=%.2f", uint64(c.Cell), c.Covered, c.Demand)
				}
			}
		}
		adm, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{Role: model.RoleAdmin}, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n != adm.GapCells {
			t.Errorf("gap cells %d, want %d", adm.GapCells, n)
		}
		if len(adm.Zones) != adm.ZoneCount || adm.Suppressed != 0 || len(adm.Zones) != len(g.Zones)+g.Suppressed && g.ZoneCount <= 10 {
			t.Errorf("admin sees %d of %d zones (suppressed %d); non-admin %d + %d suppressed", len(adm.Zones), adm.ZoneCount, adm.Suppressed, len(g.Zones), g.Suppressed)
		}
		t.Logf("gap cells %d, zones %d, suppressed for non-admin %d", g.GapCells, g.ZoneCount, g.Suppressed)
	})

	t.Run("summary adds up", func(t *testing.T) {
		for _, l := range model.AreaLevels {
			level := string(l)
			s, err := eng.Summary(ctx, coverage.Params{}, level, model.Viewer{Role: model.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			var d, cv float64
			for _, r := range s.Rows {
				d += *r.Demand
				cv += *r.CoveredDemand
			}
			if math.Abs(d-s.TotalDemand) > 0.01*max(1, s.TotalDemand) || math.Abs(cv-s.CoveredDemand) > 0.01*max(1, s.CoveredDemand) {
				t.Errorf("%s: rows sum to %.2f / %.2f, want %.2f / %.2f", level, d, cv, s.TotalDemand, s.CoveredDemand)
			}
			// Distinct riders at every level: the view's count is the
			// union of every cell's rider set, no area holds more, and
			// none exceeds the riders in the data.
			var inData int64
			if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM riders`).Scan(&inData); err != nil {
				t.Fatal(err)
			}
			ref := reference(t, st, nil)
			union := map[int64]bool{}
			for _, c := range ref {
				for k := range c.riders {
					union[k] = true
				}
			}
			if s.Riders == nil || *s.Riders != int64(len(union)) || *s.Riders > inData {
				t.Errorf("%s: view riders %v, want %d (riders in the data %d)", level, s.Riders, len(union), inData)
			}
			var sumRows int64
			for _, r := range s.Rows {
				if *r.Riders > *s.Riders {
					t.Errorf("%s %s: %d riders, more than the view's %d", level, r.Code, *r.Riders, *s.Riders)
				}
				sumRows += *r.Riders
			}
			if level != "district" && sumRows <= *s.Riders {
				t.Errorf("%s: rows sum to %d riders, the view holds %d: riders crossing areas should count in each", level, sumRows, *s.Riders)
			}
			// One day of data: per day equals the total.
			if s.Days != 1 || !near(s.RiderHoursPerDay, s.RiderHours) || s.RiderHours <= 0 {
				t.Errorf("%s: days %d, rider-hours %.3f, per day %.3f", level, s.Days, s.RiderHours, s.RiderHoursPerDay)
			}
			if level == "district" && len(s.Rows) == 1 {
				// The district's distinct riders are all riders seen in demand cells.
				ref := reference(t, st, nil)
				all := map[int64]bool{}
				for _, c := range ref {
					for k := range c.riders {
						all[k] = true
					}
				}
				if *s.Rows[0].Riders != int64(len(all)) {
					t.Errorf("district riders = %d, want %d", *s.Rows[0].Riders, len(all))
				}
			}
			t.Logf("%s: %d rows, coverage %.1f%%", level, len(s.Rows), s.CoveragePct)
		}
	})

	t.Run("days of a view", func(t *testing.T) {
		// The test city holds one Monday: weekday views span it, weekend
		// views span nothing and say so (0 days, no figures), never 0%.
		for _, tc := range []struct {
			hours string
			days  int
		}{{"", 1}, {"weekday", 1}, {"lunch", 1}, {"weekend", 0}, {"lunch:weekend", 0}, {"30-40", 0}} {
			hs, err := activity.ParseHours(tc.hours)
			if err != nil {
				t.Fatal(err)
			}
			s, err := eng.Summary(ctx, coverage.Params{Hours: hs}, "street", model.Viewer{Role: model.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			if s.Days != tc.days || (tc.days == 0) != (s.TotalDemand == 0) {
				t.Errorf("hours %q: %d days (want %d), demand %.1f", tc.hours, s.Days, tc.days, s.TotalDemand)
			}
		}
	})

	t.Run("hour ranges", func(t *testing.T) {
		rs, err := eng.HourCoverage(ctx, coverage.Params{}, model.Viewer{Role: model.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1+len(model.HourRanges)+168 {
			t.Fatalf("%d ranges", len(rs))
		}
		var sum float64
		for _, r := range rs[1+len(model.HourRanges):] {
			sum += r.TotalDemand
			// One Monday of data: Monday's hours span it, the others none
			// (but for the last minutes of a ride past midnight).
			if want := map[bool]int{true: 1, false: 0}[r.Hours[0] < 24]; r.Days != want || (want == 0 && r.TotalDemand > 0.001*rs[0].TotalDemand) {
				t.Errorf("%s: %d days, demand %.1f", r.Name, r.Days, r.TotalDemand)
			}
		}
		if rs[0].Days != 1 {
			t.Errorf("whole week: %d days", rs[0].Days)
		}
		if math.Abs(sum-rs[0].TotalDemand) > 0.01*rs[0].TotalDemand {
			t.Errorf("hourly demand sums to %.2f, whole week %.2f", sum, rs[0].TotalDemand)
		}
		for _, r := range rs[:1+len(model.HourRanges)] {
			t.Logf("%-9s demand %8.1f covered %5.1f%%", r.Name, r.TotalDemand, r.CoveragePct)
		}
	})

	t.Run("concurrent callers share the cache", func(t *testing.T) {
		var wg sync.WaitGroup
		got := make([]*coverage.Analysis, 8)
		for i := range got {
			wg.Go(func() {
				a, err := eng.Analyze(ctx, coverage.Params{Hours: []int16{40, 41}, Metric: model.MetricRiders})
				if err != nil {
					t.Error(err)
				}
				got[i] = a
				if _, err := eng.Gaps(ctx, coverage.Params{Hours: []int16{40, 41}}, model.Viewer{}, 3); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		for _, a := range got[1:] {
			if a != got[0] {
				t.Fatal("concurrent Analyze calls for the same params computed separately")
			}
		}
	})

	t.Run("adding a site recomputes", func(t *testing.T) {
		before, err := eng.Analyze(ctx, coverage.Params{})
		if err != nil {
			t.Fatal(err)
		}
		g, _ := eng.Gaps(ctx, coverage.Params{}, model.Viewer{}, 1)
		c := g.Zones[0].Centroid
		site := demotest.Existing("T-NEW-1", model.KindRestStation, c[0], c[1])
		demotest.AddSite(t, st, site)
		after, err := eng.Analyze(ctx, coverage.Params{})
		if err != nil {
			t.Fatal(err)
		}
		if after.Version == before.Version {
			t.Fatal("data version did not change after adding a site")
		}
		ref := reference(t, st, nil)
		_, covered, _ := refCoverage(cfg, ref, presence(cfg, city, site), model.MetricRiderHours)
		if !near(after.CoveredDemand, covered) || after.CoveredDemand <= before.CoveredDemand {
			t.Errorf("covered after adding a site %.3f, want %.3f (before %.3f)", after.CoveredDemand, covered, before.CoveredDemand)
		}
	})

	t.Run("http", func(t *testing.T) {
		h := &coverage.Handlers{Engine: eng}
		mux := http.NewServeMux()
		for _, rt := range h.Routes() {
			mux.HandleFunc(rt.Pattern, func(w http.ResponseWriter, r *http.Request) {
				if err := rt.Handler(w, r); err != nil {
					http.Error(w, err.Error(), 400)
				}
			})
		}
		for _, tc := range []struct {
			url  string
			code int
		}{
			{"/api/gaps?hours=lunch&metric=riders&limit=3", 200},
			{"/api/gaps?hours=999", 400},
			{"/api/gaps?limit=0", 400},
			{"/api/summary?level=street&hours=11-13", 200},
			{"/api/summary?level=city", 400},
			{"/api/coverage/hours", 200},
		} {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
			if rec.Code != tc.code {
				t.Errorf("GET %s = %d %s, want %d", tc.url, rec.Code, rec.Body.String(), tc.code)
			}
		}
	})
}

// radiusQueries are the presence and candidate sites of the demo with their radii.
func radiusQueries(a *coverage.Analysis) ([]orb.Point, []float64) {
	var pts []orb.Point
	var rs []float64
	for _, s := range a.Sites {
		pts = append(pts, s.Point)
		rs = append(rs, a.Settings.Radius(s.Kind))
	}
	return pts, rs
}

// TestIndexAgreesWithPostGIS compares the in-memory radius queries with
// ST_DWithin on geography: they differ only where a centre is within 0.5%
// of the radius (sphere against spheroid).
func TestIndexAgreesWithPostGIS(t *testing.T) {
	st, _ := demotest.LoadDemo(t, demotest.Params())
	ctx := context.Background()
	eng := coverage.New(st, coverage.DefaultSettings(config.Default()))
	a, err := eng.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	pts, rs := radiusQueries(a)
	db, err := cellsWithin(ctx, st, 9, pts, rs)
	if err != nil {
		t.Fatal(err)
	}
	pairs, borderline := 0, 0
	for q := range pts {
		mem := map[geo.Cell]bool{}
		a.Index.Within(pts[q], rs[q], func(i int) { mem[a.Cells[i].Cell] = true })
		pg := map[geo.Cell]bool{}
		for _, c := range db[q] {
			if a.CellIndex(geo.Cell(c)) >= 0 {
				pg[geo.Cell(c)] = true
			}
		}
		for c := range mem {
			pairs++
			if !pg[c] {
				borderline++
				if d := geo.Haversine(pts[q], geo.CellCenter(c)); math.Abs(d-rs[q]) > 0.005*rs[q] {
					t.Errorf("site %d: cell %x at %.1f m (radius %.0f) in memory only", q, uint64(c), d, rs[q])
				}
			}
		}
		for c := range pg {
			if !mem[c] {
				borderline++
				if d := geo.Haversine(pts[q], geo.CellCenter(c)); math.Abs(d-rs[q]) > 0.005*rs[q] {
					t.Errorf("site %d: cell %x at %.1f m (radius %.0f) in PostGIS only", q, uint64(c), d, rs[q])
				}
			}
		}
	}
	t.Logf("%d sites, %d site-cell pairs, %d on the sphere/spheroid border", len(pts), pairs, borderline)
}

// BenchmarkRadius measures the radius queries of one analysis (every site of
// the demo city against the res-9 demand cells): the in-memory spatial hash
// (built each time) against ST_DWithin on geography in PostGIS.
func BenchmarkRadius(b *testing.B) {
	st, _ := demotest.LoadDemo(b, demotest.Params())
	ctx := context.Background()
	eng := coverage.New(st, coverage.DefaultSettings(config.Default()))
	a, err := eng.Analyze(ctx, coverage.Params{})
	if err != nil {
		b.Fatal(err)
	}
	pts, rs := radiusQueries(a)
	centres := make([]orb.Point, len(a.Cells))
	for i, c := range a.Cells {
		centres[i] = c.Center
	}
	b.Run("go-hash", func(b *testing.B) {
		for b.Loop() {
			ix := coverage.NewIndex(centres, 0)
			n := 0
			for q := range pts {
				ix.Within(pts[q], rs[q], func(int) { n++ })
			}
		}
	})
	b.Run("postgis-dwithin", func(b *testing.B) {
		for b.Loop() {
			if _, err := cellsWithin(ctx, st, 9, pts, rs); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cellsWithin returns, for each point, the cells of resolution res whose
// centres lie within radiusM[i] metres of points[i] (ST_DWithin on
// geography, i.e. on the spheroid, after a GiST box filter valid up to 60°
// latitude). It is the database counterpart of the in-memory spatial hash
// the coverage package uses: the reference of its tests and benchmarks.
func cellsWithin(ctx context.Context, s *store.Store, res int, points []orb.Point, radiusM []float64) ([][]int64, error) {
	if len(points) != len(radiusM) {
		return nil, fmt.Errorf("cells within: %d points but %d radii", len(points), len(radiusM))
	}
	out := make([][]int64, len(points))
	if len(points) == 0 {
		return out, nil
	}
	xs, ys := make([]float64, len(points)), make([]float64, len(points))
	for i, p := range points {
		xs[i], ys[i] = p.Lon(), p.Lat()
	}
	rows, err := s.Pool.Query(ctx, `SELECT p.i, c.cell
		FROM unnest($1::float8[], $2::float8[], $3::float8[]) WITH ORDINALITY AS p(x, y, r, i)
		JOIN hex_cells c ON c.res = $4
			-- A box in degrees first, so the GiST index on center is used (r/55 km
			-- per degree is generous up to 60° latitude), then the exact test.
			AND c.center && ST_Expand(ST_SetSRID(ST_MakePoint(p.x, p.y), 4326), p.r / 55000.0)
			AND ST_DWithin(c.center::geography, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326)::geography, p.r)
		ORDER BY p.i, c.cell`, xs, ys, radiusM, int16(res))
	if err != nil {
		return nil, fmt.Errorf("cells within: %w", err)
	}
	var i, cell int64
	_, err = pgx.ForEachRow(rows, []any{&i, &cell}, func() error {
		out[i-1] = append(out[i-1], cell)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cells within: %w", err)
	}
	return out, nil
}
