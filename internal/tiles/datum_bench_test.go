package tiles

import (
	"context"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
)

// BenchmarkDatumTiles times activity tiles drawn shifted into GCJ-02
// (HEXCOVER_BASEMAP_DATUM=gcj02: every vertex shifted, no cached Mercator
// ring) beside the same tiles in WGS-84 in the same run, without a tile
// cache, and reports the ratio. The shifted run asks for the tiles the
// shifted data falls in (each WGS-84 tile's centre, shifted).
func BenchmarkDatumTiles(b *testing.B) {
	st, tiles := benchCity(b)
	ctx := context.Background()
	shifted := make([]maptile.Tile, len(tiles))
	for i, t := range tiles {
		shifted[i] = maptile.At(geo.GCJ02.PointFromWGS84(t.Center()), t.Z)
	}
	b.ResetTimer()
	b.StopTimer()
	var plain, gcj pass
	for range b.N {
		plain.add(run(b, tiles, 1, serveTileFunc(ctx, coldService(b, st), LayerActivity)))
		svc := coldService(b, st)
		svc.o.Datum = geo.GCJ02
		gcj.add(run(b, shifted, 1, serveTileFunc(ctx, svc, LayerActivity)))
	}
	reportPass(b, "wgs84-", plain)
	reportPass(b, "gcj02-", gcj)
	b.ReportMetric(gcj.rate()/plain.rate(), "gcj02/wgs84-ratio")
	b.ReportMetric(0, "ns/op")
	b.Logf("activity %d tiles z11-16: WGS-84 %.0f tiles/s (p50 %.2f ms, p99 %.2f ms); shifted into GCJ-02 %.0f tiles/s (p50 %.2f ms, p99 %.2f ms); gcj02/wgs84 %.2f",
		len(tiles), plain.rate(), plain.pct(0.5), plain.pct(0.99), gcj.rate(), gcj.pct(0.5), gcj.pct(0.99), gcj.rate()/plain.rate())
}
