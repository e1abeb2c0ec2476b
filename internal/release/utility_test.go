package release

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/httpkit"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/siting"
	"github.com/hexcover/hexcover/internal/store"
)

// requested reports whether -run names the test explicitly: reports that
// take minutes run only then.
func requested(name string) bool {
	f := flag.Lookup("test.run")
	return f != nil && strings.Contains(f.Value.String(), name)
}

// TestReleaseUtility reports what the release costs in accuracy on the demo
// city (2000 riders, 2 days; DEMO_RIDERS / DEMO_DAYS change it, and
// HEXCOVER_RELEASE_REPORT_DB names a database that already holds a demo
// city, whose release tables it rebuilds): median relative error of the
// released rider counts by cell size, rider-hours likewise, and the overlap
// of the top-10 gap zones and of the k=5 siting picks between released and
// exact figures. Run it by name:
//
//	go test -run TestReleaseUtility -v ./internal/release
func TestReleaseUtility(t *testing.T) {
	if !requested("TestReleaseUtility") {
		t.Skip("a report: run it by name (go test -run TestReleaseUtility -v ./internal/release)")
	}
	ctx := context.Background()
	var st *store.Store
	if url := os.Getenv("HEXCOVER_RELEASE_REPORT_DB"); url != "" {
		var err error
		if st, err = store.Open(ctx, url, store.Options{QueryTimeout: time.Minute}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`DELETE FROM release`, `DELETE FROM privacy_ledger`} {
			if _, err := st.Pool.Exec(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		p := demo.DefaultParams()
		fmt.Sscan(os.Getenv("DEMO_RIDERS"), &p.Riders)
		fmt.Sscan(os.Getenv("DEMO_DAYS"), &p.Days)
		st, _ = demotest.LoadDemo(t, p)
	}
	b := newBuilder(st)
	// RELEASE_PARAMS="mday=400 mnamed=100 clip=3 share=0.25,0.1,0.45,0.2" tries other parameters.
	for _, kv := range strings.Fields(os.Getenv("RELEASE_PARAMS")) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "mday":
			fmt.Sscan(v, &b.Params.MDay)
		case "mnamed":
			fmt.Sscan(v, &b.Params.MNamed)
		case "clip":
			fmt.Sscan(v, &b.Params.ClipHours)
		case "rho":
			fmt.Sscan(v, &b.Params.Rho)
		case "share":
			fmt.Sscan(strings.ReplaceAll(v, ",", " "), &b.Params.Share[0], &b.Params.Share[1], &b.Params.Share[2], &b.Params.Share[3])
		}
	}
	start := time.Now()
	rs, err := b.Update(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("build: %d days in %s (reading pings, bounding, noise, storing)", len(rs), time.Since(start).Round(time.Millisecond))
	d, err := LoadDomain(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	pr := b.Params
	t.Logf("parameters: ρ = %g per release (ε = %.2f at δ = 1e-6), budget %g; σ per (day, unit): rider-hours whole day %.2f h, named block %.2f h; riders whole day %.2f, named set %.2f; M day %d, named %d, areas %v; clip %g h; k %d",
		pr.Rho, Epsilon(pr.Rho, 1e-6), pr.Budget, pr.Sigma(FigureRiderHours, BlockDay), pr.Sigma(FigureRiderHours, BlockLunch),
		pr.Sigma(FigureRiders, SetDay), pr.Sigma(FigureRiders, SetLunch), pr.MDay, pr.MNamed, pr.MArea, pr.ClipHours, pr.K)

	// Exact, unbounded figures per day, and the released values.
	var exact []*DayInput
	for _, r := range rs {
		if r.Status != "released" {
			continue
		}
		pings, err := st.DayPings(ctx, dayStart(r.Day, 8*time.Hour), dayStart(r.Day, 8*time.Hour).Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		in := Compute(pings, d, pr)
		exact = append(exact, in)
		t.Logf("%s: %d rider-days, %d clipped (rider-hours), %d (rider-day, set, cell) presences beyond M", r.Day.Format(time.DateOnly), len(in.Riders), in.Clipped, in.Dropped)
	}
	days, _, err := st.PublishedRelease(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := Load(ctx, st, pr.K)
	if err != nil {
		t.Fatal(err)
	}
	buckets := []float64{1, 5, 10, 20, 50, 100, 200, 500, math.Inf(1)}
	for _, vname := range []string{"all", "lunch", "night", "weekday"} {
		vi := slices.IndexFunc(Lattice, func(v View) bool { return v.Name == vname })
		v := Lattice[vi]
		relR := make([][]float64, len(buckets)-1)
		var big, bigRH []float64
		var shownBelowK, hiddenAboveK, aboveK int
		for i, cell := range d.Cells {
			var ex, rel, exRH, relRH float64
			n := 0
			for j, dd := range days {
				if !v.Days.has(dd.Info.Day) {
					continue
				}
				n++
				ex += exact[j].ExactCounts[v.Set][i]
				for _, blk := range v.Blocks {
					exRH += exact[j].ExactSums[blk][i]
				}
				for _, c := range dd.Cells {
					if c.Cell != cell {
						continue
					}
					if c.Figure == FigureRiders && int(c.View) == v.Set {
						rel += c.Value
					}
					if c.Figure == FigureRiderHours && slices.Contains(v.Blocks, int(c.View)) {
						relRH += c.Value
					}
				}
			}
			if n == 0 {
				continue
			}
			ex /= float64(n)
			rel = math.Round(max(0, rel/float64(n)))
			_, shown := pub.Cells(vi, Res)[cell]
			if ex >= float64(pr.K) {
				aboveK++
				if !shown {
					hiddenAboveK++
				}
			} else if shown {
				shownBelowK++
			}
			if ex < 1 {
				continue
			}
			for k := range relR {
				if ex >= buckets[k] && ex < buckets[k+1] {
					relR[k] = append(relR[k], math.Abs(rel-ex)/ex)
				}
			}
			if ex >= 100 {
				big = append(big, math.Abs(rel-ex)/ex)
			}
			if exRH >= 10 {
				bigRH = append(bigRH, math.Abs(max(0, relRH)-exRH)/exRH)
			}
		}
		var curve []string
		for k, xs := range relR {
			if len(xs) > 0 {
				curve = append(curve, fmt.Sprintf("[%g,%g): %.1f%% (n=%d)", buckets[k], buckets[k+1], 100*median(xs), len(xs)))
			}
		}
		t.Logf("view %-8s riders per res-9 cell (mean per day), median relative error by exact size: %s", vname, strings.Join(curve, "  "))
		t.Logf("view %-8s res-9 cells ≥ 100 riders: median relative error %.1f%% (n=%d); rider-hours of cells ≥ 10 h: %.1f%% (n=%d); cells ≥ k hidden %d of %d, cells < k shown %d",
			vname, 100*median(big), len(big), 100*median(bigRH), len(bigRH), hiddenAboveK, aboveK, shownBelowK)
		if vname == "all" && len(big) > 0 && median(big) > 0.10 {
			t.Errorf("median relative error of res-9 cells with ≥ 100 riders = %.1f%%, target ≤ 10%%", 100*median(big))
		}
	}

	// Gap zones and siting: released against exact.
	eng := coverage.New(st, coverage.DefaultSettings(config.Default()))
	eng.UseRelease(CoverageSource{C: NewCurrent(st, pr.K)})
	ex, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{Name: "report", Role: model.RoleAdmin}, 10)
	if err != nil {
		t.Fatal(err)
	}
	rel, err := eng.Gaps(ctx, coverage.Params{}, model.Viewer{Name: "report", Role: model.RolePlanner}, 10)
	if err != nil {
		t.Fatal(err)
	}
	relCells := map[geo.Cell]bool{}
	for _, z := range rel.Zones {
		for _, c := range z.Cells {
			relCells[c] = true
		}
	}
	hit := 0
	for _, z := range ex.Zones {
		if slices.ContainsFunc(z.Cells, func(c geo.Cell) bool { return relCells[c] }) {
			hit++
		}
	}
	gapOverlap := float64(hit) / float64(max(1, len(ex.Zones)))
	t.Logf("top-10 gap zones: %d of %d exact zones meet a released top-10 zone (overlap %.2f); exact %d zones, released %d", hit, len(ex.Zones), gapOverlap, ex.ZoneCount, rel.ZoneCount)
	svc := siting.NewService(eng, 1)
	adminCtx := httpkit.WithViewer(ctx, model.Viewer{Name: "report", Role: model.RoleAdmin})
	exS, err := svc.Run(adminCtx, siting.Request{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	relS, err := svc.Run(ctx, siting.Request{K: 5})
	if err != nil {
		t.Fatal(err)
	}
	var exIDs, relIDs []string
	for _, p := range exS.Picks {
		exIDs = append(exIDs, p.ID)
	}
	for _, p := range relS.Picks {
		relIDs = append(relIDs, p.ID)
	}
	same := 0
	for _, id := range exIDs {
		if slices.Contains(relIDs, id) {
			same++
		}
	}
	siteOverlap := float64(same) / float64(max(1, len(exIDs)))
	t.Logf("k=5 siting: exact picks %v, released picks %v: overlap %.2f; covered after %.1f%% exact vs %.1f%% released", exIDs, relIDs, siteOverlap, exS.AfterPct, relS.AfterPct)
	if gapOverlap < 0.8 || siteOverlap < 0.8 {
		t.Errorf("overlap gap zones %.2f, siting %.2f; target ≥ 0.8", gapOverlap, siteOverlap)
	}
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
