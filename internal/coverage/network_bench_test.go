package coverage_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/coverage"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/osm"
)

// BenchmarkCatchmentsDemo computes the network catchment of every site of
// the demo city (existing stations and candidates) from scratch with
// pgRouting, and reports it beside the radius analysis of the same data
// measured in the same run (network analysis time / radius analysis time),
// and the analysis with every catchment already cached.
func BenchmarkCatchmentsDemo(b *testing.B) {
	ctx := context.Background()
	st, city := demotest.LoadDemo(b, demotest.Params())
	var buf bytes.Buffer
	if err := city.WriteRoads(&buf); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), "roads.osm")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if _, err := (&osm.Importer{Store: st}).Import(ctx, p, false, nil); err != nil {
		b.Fatal(err)
	}
	set := coverage.DefaultSettings(config.Default())
	rset := set
	set.Network.Enabled = true
	var cold, warm, radius time.Duration
	sites := 0
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		if _, err := st.Pool.Exec(ctx, `DELETE FROM network_catchments`); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		a, err := coverage.New(st, set).Analyze(ctx, coverage.Params{})
		if err != nil {
			b.Fatal(err)
		}
		cold += time.Since(t0)
		if a.Network == nil {
			b.Fatal("no network: is pgRouting installed?")
		}
		sites = a.Network.Computed
		t0 = time.Now()
		if _, err := coverage.New(st, set).Analyze(ctx, coverage.Params{}); err != nil {
			b.Fatal(err)
		}
		warm += time.Since(t0)
		t0 = time.Now()
		if _, err := coverage.New(st, rset).Analyze(ctx, coverage.Params{}); err != nil {
			b.Fatal(err)
		}
		radius += time.Since(t0)
	}
	n := float64(b.N)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / n }
	b.ReportMetric(ms(cold), "network-cold-ms")
	b.ReportMetric(ms(warm), "network-cached-ms")
	b.ReportMetric(ms(radius), "radius-ms")
	b.ReportMetric(float64(sites), "sites")
	b.ReportMetric(0, "ns/op")
	b.Logf("catchments of %d demo sites and candidates: analysis %.0f ms computing them (pgRouting), %.0f ms cached, radius analysis %.0f ms; network/radius %.1fx cold, %.1fx cached",
		sites, ms(cold), ms(warm), ms(radius), ms(cold)/ms(radius), ms(warm)/ms(radius))
}
