package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/ingest"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	workers := tuneImport()
	p := demo.DefaultParams()
	fs := newFlags(e, "demo", "[--seed N] [--riders N] [--days N] [--start DATE] [--couriers-share F] [--ping-interval D] [--service-hours H] [--out DIR] [--if-empty]",
		"generate the synthetic demo city (a Shanghai inner district) and load it, or write its files with --out")
	fs.Int64Var(&p.Seed, "seed", p.Seed, "random seed; the same seed gives the same city")
	fs.IntVar(&p.Riders, "riders", p.Riders, "number of riders")
	fs.IntVar(&p.Days, "days", p.Days, "number of days of pings (from --start)")
	fs.Func("start", "first day, YYYY-MM-DD (default: the Monday whole weeks before this week that the days need, so they end before today)", func(v string) error {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return fmt.Errorf("want a date YYYY-MM-DD, got %q", v)
		}
		p.Start = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, time.UTC) // a time on that date in Asia/Shanghai too
		return nil
	})
	fs.Float64Var(&p.CourierShare, "couriers-share", p.CourierShare, "share of the riders who are express couriers with fixed territories (0 = food-delivery riders only)")
	fs.DurationVar(&p.PingInterval, "ping-interval", p.PingInterval, "mean time between two pings of a rider")
	fs.StringVar(&p.ServiceHours, "service-hours", p.ServiceHours, `opening hours of every 党群服务中心, e.g. "09:00-17:00" (default: always open)`)
	out := fs.String("out", "", "write the city as import files into this directory instead of loading it")
	ifEmpty := fs.Bool("if-empty", false, "load only when the database holds no data yet (used by make run)")
	e.cfg.BindFlags(fs)
	if pos, err := parse(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", pos[0])}
	}
	if err := p.Validate(); err != nil {
		return usageError{err.Error()}
	}
	if p.Start.IsZero() {
		p.Start = demo.DefaultStart(time.Now(), p.Days)
	}
	start := time.Now()
	if *out != "" {
		city, err := demo.Generate(p)
		if err != nil {
			return err
		}
		files, err := city.WriteFiles(*out)
		if err != nil {
			return err
		}
		if files, err = writeDemoRoads(city, *out, files); err != nil {
			return err
		}
		for _, f := range files {
			fmt.Fprintln(e.stdout, f)
		}
		fmt.Fprintf(e.stderr, "demo city (%s) written to %s in %s\n", describe(p), *out, time.Since(start).Round(time.Millisecond))
		return nil
	}

	st, err := openReadyAllowNoPostGIS(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	m, err := st.Meta(ctx)
	if err != nil {
		return err
	}
	empty := m.Empty && m.Counts["pings"] == 0
	if *ifEmpty && !empty {
		fmt.Fprintln(e.stdout, "database already holds data; demo not loaded")
		return nil
	}
	// The database counts as demo-only (HEXCOVER_DEMO_LOGIN may serve it)
	// when it was empty or demo-only before this load.
	wasDemo, err := st.IsDemo(ctx)
	if err != nil {
		return err
	}
	city, err := demo.Generate(p)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "hexcover-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if _, err := city.WriteFiles(dir); err != nil {
		return err
	}
	pz, err := ingest.NewPseudonymizer([]byte(e.cfg.DemoSecret()))
	if err != nil {
		return err
	}
	l := &ingest.Loader{Store: st, Pseudo: pz, Activity: e.activitySettings(), Log: e.log, Workers: workers}
	steps := []struct{ kind, file string }{
		{ingest.KindAreas, "areas.geojson"}, {ingest.KindGrids, "grids.geojson"},
		{ingest.KindSites, "sites.geojson"}, {ingest.KindPings, "pings.csv"},
	}
	for _, s := range steps {
		sum, err := l.Import(ctx, filepath.Join(dir, s.file), ingest.Options{Kind: s.kind, CRS: geo.WGS84, Progress: newProgress(e.stderr)})
		if err != nil {
			return fmt.Errorf("load demo %s: %w", s.kind, err)
		}
		if sum.RowsRejected > 0 {
			return fmt.Errorf("load demo %s: %d rows rejected; the generator and the importer disagree", s.kind, sum.RowsRejected)
		}
		printSummary(e.stdout, sum)
	}
	if err := loadDemoRoads(ctx, e, st, city, dir); err != nil {
		return err
	}
	if err := publishRelease(ctx, e, st, e.stdout); err != nil {
		return err
	}
	if err := createDemoTokens(ctx, e, st, "street:"+city.Grids[0].StreetCode); err != nil {
		return err
	}
	if empty || wasDemo {
		if err := st.MarkDemo(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "demo city loaded (%s) in %s\n", describe(p), time.Since(start).Round(time.Millisecond))
	return nil
}

// describe says which demo city p is, in one line.
func describe(p demo.Params) string {
	return fmt.Sprintf("seed %d, %d riders of whom %d express couriers, %d days from %s, a ping every %s",
		p.Seed, p.Riders, p.Couriers(), p.Days, p.Start.Format("2006-01-02"), p.PingIntervalOrDefault())
}
