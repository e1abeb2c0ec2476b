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
// city (the default demo: 1000 riders, 7 days; DEMO_RIDERS / DEMO_DAYS
// change it, and HEXCOVER_RELEASE_REPORT_DB names a database that already
// holds a demo city, whose release tables it rebuilds): median relative
// error of the released rider counts by cell size, rider-hours likewise, and
// the overlap of the top-10 gap zones and of the k=5 siting picks between
// released and exact figures. The figures depend on the noise drawn, so the
// release is built under RELEASE_KEYS noise keys (3) and the targets apply to
// the mean. Run it by name:
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
	} else {
		p := demo.DefaultParams()
		fmt.Sscan(os.Getenv("DEMO_RIDERS"), &p.Riders)
		fmt.Sscan(os.Getenv("DEMO_DAYS"), &p.Days)
		st, _ = demotest.LoadDemo(t, p)
	}
	b := newBuilder(st)
	keys := 3
	fmt.Sscan(os.Getenv("RELEASE_KEYS"), &keys)
	// RELEASE_PARAMS="mday=400 mnamed=100 clip=3 clipnamed=1.5 share=0.25,0.1,0.45,0.2 seed=x" tries other parameters (seed: another first noise key).
	seed := ""
	for _, kv := range strings.Fields(os.Getenv("RELEASE_PARAMS")) {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "mday":
			fmt.Sscan(v, &b.Params.MDay)
		case "mnamed":
			fmt.Sscan(v, &b.Params.MNamed)
		case "clip":
			fmt.Sscan(v, &b.Params.ClipHours)
		case "clipnamed":
			fmt.Sscan(v, &b.Params.ClipNamedHours)
		case "rho":
			fmt.Sscan(v, &b.Params.Rho)
		case "seed":
			seed = v
		case "share":
			fmt.Sscan(strings.ReplaceAll(v, ",", " "), &b.Params.Share[0], &b.Params.Share[1], &b.Params.Share[2], &b.Params.Share[3])
		}
	}
	var figs []utilityFigures
	for i := range max(1, keys) {
		b.Noise = NewNoise([]byte(demotest.Secret + seed + strings.Repeat("+", i)))
		figs = append(figs, measureUtility(t, ctx, st, b, i == 0))
	}
	m := summarize(t, figs)
	if m.err100 > 0.10 {
		t.Errorf("median relative error of res-9 cells with ≥ 100 riders = %.1f%% (mean over %d noise keys), target ≤ 10%%", 100*m.err100, len(figs))
	}
	if m.gap.meet < 0.8 || m.site < 0.8 {
		t.Errorf("overlap gap zones %.2f, siting %.2f (means over %d noise keys); target ≥ 0.8", m.gap.meet, m.site, len(figs))
	}
}

// BenchmarkReleaseDemo is make bench's report on the release: it loads the
// default demo city (1000 riders, 7 days) and builds its release under three
// noise keys, reporting the build time against the import of the same city
// and against reading the days' pings back from PostGIS (references measured
// in the same run; medians), and the utility figures (means over the keys).
func BenchmarkReleaseDemo(b *testing.B) {
	ctx := context.Background()
	for range b.N {
		start := time.Now()
		st, _ := demotest.LoadDemo(b, demo.DefaultParams())
		imp := time.Since(start)
		bl := newBuilder(st)
		var figs []utilityFigures
		for i := range 3 {
			bl.Noise = NewNoise([]byte(demotest.Secret + strings.Repeat("+", i)))
			figs = append(figs, measureUtility(b, ctx, st, bl, i == 0))
		}
		m := summarize(b, figs)
		var builds, reads []float64
		for _, f := range figs {
			builds = append(builds, f.build.Seconds())
			reads = append(reads, f.read.Seconds())
		}
		build, read := median(builds), median(reads)
		b.ReportMetric(imp.Seconds(), "import-s")
		b.ReportMetric(build, "release-s")
		b.ReportMetric(build/imp.Seconds(), "release/import")
		b.ReportMetric(build/read, "release/read-pings")
		b.ReportMetric(100*m.err100, "err100-%")
		b.ReportMetric(m.gap.meet, "gap-overlap")
		b.ReportMetric(m.gap.centre, "gap-centre")
		b.ReportMetric(m.site, "site-overlap")
		b.ReportMetric(m.siteLoss, "site-loss-pts")
	}
}

// utilityFigures are one build's figures.
type utilityFigures struct {
	build, read time.Duration // building every day's release; reading every day's pings (the reference)
	err100      float64       // whole week, res-9 cells with ≥ 100 riders: median relative error of riders
	errRH       float64       // whole week, res-9 cells with ≥ 10 rider-hours: median relative error
	gap         struct{ meet, centre, jaccard float64 }
	site        float64 // k = 5 siting picks in common
	siteLoss    float64 // percentage points of exact demand the released picks cover less than the exact picks
}

// summarize logs the means (and least) over the builds and returns the means.
func summarize(tb testing.TB, figs []utilityFigures) utilityFigures {
	var m utilityFigures
	minGap, minSite := 1.0, 1.0
	for _, f := range figs {
		m.err100 += f.err100 / float64(len(figs))
		m.errRH += f.errRH / float64(len(figs))
		m.gap.meet += f.gap.meet / float64(len(figs))
		m.gap.centre += f.gap.centre / float64(len(figs))
		m.gap.jaccard += f.gap.jaccard / float64(len(figs))
		m.site += f.site / float64(len(figs))
		m.siteLoss += f.siteLoss / float64(len(figs))
		minGap, minSite = min(minGap, f.gap.meet), min(minSite, f.site)
	}
	tb.Logf("over %d noise keys (means, least): riders of res-9 cells ≥ 100 riders %.1f%% error; rider-hours of cells ≥ 10 h %.1f%%; top-10 gap zones overlap %.2f (least %.2f), centre served %.2f, cells Jaccard %.2f; k=5 siting overlap %.2f (least %.2f), the released picks cover %.2f points less of the exact demand",
		len(figs), 100*m.err100, 100*m.errRH, m.gap.meet, minGap, m.gap.centre, m.gap.jaccard, m.site, minSite, m.siteLoss)
	return m
}

// measureUtility builds the release of every day of st afresh with b and
// compares what non-admins see with the exact figures; verbose logs every
// view's error curve and gap-zone overlap, else only the whole week's.
func measureUtility(tb testing.TB, ctx context.Context, st *store.Store, b *Builder, verbose bool) utilityFigures {
	var f utilityFigures
	for _, q := range []string{`DELETE FROM release`, `DELETE FROM privacy_ledger`} {
		if _, err := st.Pool.Exec(ctx, q); err != nil {
			tb.Fatal(err)
		}
	}
	start := time.Now()
	rs, err := b.Update(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	f.build = time.Since(start)
	d, err := LoadDomain(ctx, st)
	if err != nil {
		tb.Fatal(err)
	}
	pr := b.Params
	if verbose {
		tb.Logf("build: %d days in %s (reading pings, bounding, noise, storing)", len(rs), f.build.Round(time.Millisecond))
		tb.Logf("parameters: ρ = %g per release (ε = %.2f at δ = 1e-6), budget %g; σ per (day, unit): rider-hours whole day %.2f h, named block %.2f h; riders whole day %.2f, named set %.2f; M day %d, named %d, areas %v; clip %g h, named %g h; k %d",
			pr.Rho, Epsilon(pr.Rho, 1e-6), pr.Budget, pr.Sigma(FigureRiderHours, BlockDay), pr.Sigma(FigureRiderHours, BlockLunch),
			pr.Sigma(FigureRiders, SetDay), pr.Sigma(FigureRiders, SetLunch), pr.MDay, pr.MNamed, pr.MArea, pr.ClipHours, pr.ClipNamedHours, pr.K)
	}

	// Exact, unbounded figures per day, and the released values.
	var exact []*DayInput
	for _, r := range rs {
		if r.Status != "released" {
			continue
		}
		t0 := time.Now()
		pings, err := st.DayPings(ctx, dayStart(r.Day, pr.Offset), dayStart(r.Day, pr.Offset).Add(24*time.Hour))
		if err != nil {
			tb.Fatal(err)
		}
		f.read += time.Since(t0)
		in := Compute(pings, d, pr)
		exact = append(exact, in)
		if verbose {
			tb.Logf("%s: %d rider-days, %d clipped (rider-hours), %d (rider-day, set, cell) presences beyond M", r.Day.Format(time.DateOnly), len(in.Riders), in.Clipped, in.Dropped)
		}
	}
	days, _, err := st.PublishedRelease(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	pub, err := Load(ctx, st, pr.K)
	if err != nil {
		tb.Fatal(err)
	}
	// Released values by (day, figure, view, cell).
	type vk struct {
		day       int
		fig, view int16
		cell      int64
	}
	relv := map[vk]float64{}
	for j, dd := range days {
		for _, c := range dd.Cells {
			relv[vk{j, c.Figure, c.View, c.Cell}] = c.Value
		}
	}
	buckets := []float64{1, 5, 10, 20, 50, 100, 200, 500, math.Inf(1)}
	for _, vname := range []string{"all", "lunch", "night", "weekday"} {
		if !verbose && vname != "all" {
			continue
		}
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
				rel += relv[vk{j, FigureRiders, int16(v.Set), cell}]
				for _, blk := range v.Blocks {
					relRH += relv[vk{j, FigureRiderHours, int16(blk), cell}]
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
		tb.Logf("view %-8s riders per res-9 cell (mean per day), median relative error by exact size: %s", vname, strings.Join(curve, "  "))
		tb.Logf("view %-8s res-9 cells ≥ 100 riders: median relative error %.1f%% (n=%d); rider-hours of cells ≥ 10 h: %.1f%% (n=%d); cells ≥ k hidden %d of %d, cells < k shown %d",
			vname, 100*median(big), len(big), 100*median(bigRH), len(bigRH), hiddenAboveK, aboveK, shownBelowK)
		if vname == "all" {
			f.err100, f.errRH = median(big), median(bigRH)
		}
	}

	// Gap zones and siting: released against exact.
	eng := coverage.New(st, coverage.DefaultSettings(config.Default()))
	eng.UseRelease(CoverageSource{C: NewCurrent(st, pr.K)})
	for _, vname := range []string{"all", "lunch", "dinner", "night", "weekday"} {
		if !verbose && vname != "all" {
			continue
		}
		g, err := gapOverlaps(ctx, eng, vname)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Logf("view %-8s top-10 gap zones: %d of %d exact zones meet a released top-10 zone (overlap %.2f); %d have their centre within a released top-10 zone's service radius (%.2f); cells of the top 10 in common (Jaccard) %.2f; zones listed exact %d, released %d",
			vname, g.meet, g.n, g.Meet(), g.centre, g.Centre(), g.jaccard, g.exactZones, g.relZones)
		if vname == "all" {
			f.gap.meet, f.gap.centre, f.gap.jaccard = g.Meet(), g.Centre(), g.jaccard
		}
	}
	svc := siting.NewService(eng, 1)
	adminCtx := httpkit.WithViewer(ctx, model.Viewer{Name: "report", Role: model.RoleAdmin})
	exS, err := svc.Run(adminCtx, siting.Request{K: 5})
	if err != nil {
		tb.Fatal(err)
	}
	relS, err := svc.Run(ctx, siting.Request{K: 5})
	if err != nil {
		tb.Fatal(err)
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
	f.site = float64(same) / float64(max(1, len(exIDs)))
	// What the released picks are worth on the exact demand.
	var add []siting.AddSite
	for _, id := range relIDs {
		add = append(add, siting.AddSite{ID: id})
	}
	relOnExact, err := svc.Run(adminCtx, siting.Request{K: 5, Add: add})
	if err != nil {
		tb.Fatal(err)
	}
	f.siteLoss = exS.AfterPct - relOnExact.AfterPct
	tb.Logf("k=5 siting: exact picks %v, released picks %v: overlap %.2f; exact demand covered after the exact picks %.2f%%, after the released picks %.2f%% (released figures: %.1f%%)",
		exIDs, relIDs, f.site, exS.AfterPct, relOnExact.AfterPct, relS.AfterPct)
	return f
}

// gapOverlap compares the top-10 gap zones of a view, exact (admin) and
// released (planner).
type gapOverlap struct {
	n, meet, centre      int     // exact top-10 zones; those meeting a released one; those whose centre a released one serves
	jaccard              float64 // cells of the exact top 10 and of the released top 10: |∩| / |∪|
	exactZones, relZones int
}

// Meet is the share of the exact top-10 zones that share a cell with a
// released top-10 zone (the overlap).
func (g gapOverlap) Meet() float64 { return float64(g.meet) / float64(max(1, g.n)) }

// Centre is the stricter share of exact top-10 zones whose centre lies
// within the service radius of a released top-10 zone's centre: a station
// sited from the release would serve it.
func (g gapOverlap) Centre() float64 { return float64(g.centre) / float64(max(1, g.n)) }

func gapOverlaps(ctx context.Context, eng *coverage.Engine, view string) (gapOverlap, error) {
	var g gapOverlap
	var hours []int16
	if vi := slices.IndexFunc(Lattice, func(v View) bool { return v.Name == view }); vi >= 0 {
		hours = Lattice[vi].Hours
	}
	ex, err := eng.Gaps(ctx, coverage.Params{Hours: hours}, model.Viewer{Name: "report", Role: model.RoleAdmin}, 10)
	if err != nil {
		return g, err
	}
	rel, err := eng.Gaps(ctx, coverage.Params{Hours: hours}, model.Viewer{Name: "report", Role: model.RolePlanner}, 10)
	if err != nil {
		return g, err
	}
	g.n, g.exactZones, g.relZones = len(ex.Zones), ex.ZoneCount, rel.ZoneCount
	relCells, exCells := map[geo.Cell]bool{}, map[geo.Cell]bool{}
	for _, z := range rel.Zones {
		for _, c := range z.Cells {
			relCells[c] = true
		}
	}
	for _, z := range ex.Zones {
		for _, c := range z.Cells {
			exCells[c] = true
		}
		if slices.ContainsFunc(z.Cells, func(c geo.Cell) bool { return relCells[c] }) {
			g.meet++
		}
		if slices.ContainsFunc(rel.Zones, func(r coverage.GapZone) bool { return geo.Haversine(r.Centre, z.Centre) <= r.RadiusM }) {
			g.centre++
		}
	}
	both := 0
	for c := range exCells {
		if relCells[c] {
			both++
		}
	}
	g.jaccard = float64(both) / float64(max(1, len(exCells)+len(relCells)-both))
	return g, nil
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
