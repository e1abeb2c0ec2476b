package coverage_test

import (
	"context"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/release"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

// The server warms the admin's analyses of the whole week and of every
// view of the release (tiles.Service.Warm); the cache keeps them all, so
// the first summary after an import finds the whole week's analysis
// instead of computing it again.
func TestCacheKeepsWarmedAnalyses(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	mon := time.Date(2026, 11, 2, 11, 0, 0, 0, time.FixedZone("CST", 8*3600))
	tilestest.LoadActivity(t, st, "a.csv", tilestest.Walk("a", mon, 30*time.Second, 120, [2]float64{121.40, 31.25}, [2]float64{121.41, 31.26}))
	eng := coverage.New(st, coverage.DefaultSettings(config.Default()))
	week, err := eng.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	views := 0
	for _, v := range release.Lattice {
		if v.Hours == nil {
			continue
		}
		if _, err := eng.Analyze(ctx, coverage.Params{Hours: v.Hours}); err != nil {
			t.Fatal(err)
		}
		views++
	}
	if views < 16 {
		t.Fatalf("%d views: the test no longer fills the former cache of 16", views)
	}
	again, err := eng.Analyze(ctx, coverage.Params{})
	if err != nil {
		t.Fatal(err)
	}
	if again != week {
		t.Errorf("the whole week's analysis was computed again after the %d views' analyses (cache of %d)", views, coverage.DefaultCacheEntries)
	}
}
