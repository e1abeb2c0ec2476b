package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/ingest"
)

func runDemo(ctx context.Context, e *env, args []string) error {
	p := demo.DefaultParams()
	fs := newFlags(e, "demo", "[--seed N] [--riders N] [--days N] [--out DIR] [--if-empty]",
		"generate the synthetic demo city (a Shanghai inner district) and load it, or write its files with --out")
	fs.Int64Var(&p.Seed, "seed", p.Seed, "random seed; the same seed gives the same city")
	fs.IntVar(&p.Riders, "riders", p.Riders, "number of riders")
	fs.IntVar(&p.Days, "days", p.Days, "number of days of pings")
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
		for _, f := range files {
			fmt.Fprintln(e.stdout, f)
		}
		fmt.Fprintf(e.stderr, "demo city (seed %d, %d riders, %d days) written to %s in %s\n", p.Seed, p.Riders, p.Days, *out, time.Since(start).Round(time.Millisecond))
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
	if *ifEmpty {
		m, err := st.Meta(ctx)
		if err != nil {
			return err
		}
		if !m.Empty || m.Counts["pings"] > 0 {
			fmt.Fprintln(e.stdout, "database already holds data; demo not loaded")
			return nil
		}
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
	l := &ingest.Loader{Store: st, Pseudo: pz, Activity: activity.DefaultSettings(), Log: e.log}
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
	if err := createDemoTokens(ctx, e, st, "street:"+city.Grids[0].StreetCode); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo city loaded (seed %d, %d riders, %d days) in %s\n", p.Seed, p.Riders, p.Days, time.Since(start).Round(time.Millisecond))
	return nil
}
