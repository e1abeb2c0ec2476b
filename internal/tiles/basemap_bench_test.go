package tiles

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/osm"
)

// BenchmarkBasemapTiles times basemap tiles (PostGIS ST_AsMVT over the
// demo's road network) beside activity tiles (our hexagon engine) over the
// same tile list, both without a tile cache, and reports the ratio: the
// basemap's cost relative to the main layer in the same run.
func BenchmarkBasemapTiles(b *testing.B) {
	st, tiles := benchCity(b)
	ctx := context.Background()
	city, err := demo.Generate(demo.Params{Seed: 1, Riders: 1, Days: 1})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := city.WriteRoads(&buf); err != nil {
		b.Fatal(err)
	}
	p := filepath.Join(b.TempDir(), demo.FileRoads)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	if _, err := (&osm.Importer{Store: st}).Import(ctx, p, false, nil); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.StopTimer()
	var base, act pass
	for range b.N {
		svc := New(st, Options{CacheBytes: -1})
		base.add(run(b, tiles, 1, serveTileFunc(ctx, svc, LayerBasemap)))
		act.add(run(b, tiles, 1, serveTileFunc(ctx, coldService(b, st), LayerActivity)))
	}
	reportPass(b, "basemap-", base)
	reportPass(b, "activity-", act)
	b.ReportMetric(base.rate()/act.rate(), "basemap/activity-ratio")
	b.ReportMetric(0, "ns/op")
	b.Logf("basemap %d tiles z11-16: %.0f tiles/s (p50 %.2f ms, p99 %.2f ms); activity %.0f tiles/s (p50 %.2f ms, p99 %.2f ms); basemap/activity %.2f",
		len(tiles), base.rate(), base.pct(0.5), base.pct(0.99), act.rate(), act.pct(0.5), act.pct(0.99), base.rate()/act.rate())
}

// serveTileFunc asks svc for one tile of layer l in-process (gzip) and fails on any status but 200 and 204: the
// request of the tile benchmarks (the viewer is the context's, none here).
func serveTileFunc(ctx context.Context, svc *Service, l Layer) func(maptile.Tile) error {
	return func(t maptile.Tile) error {
		r := httptest.NewRequestWithContext(ctx, "GET", "/tiles/x", nil)
		r.Header.Set("Accept-Encoding", "gzip")
		r.SetPathValue("layer", string(l))
		r.SetPathValue("z", strconv.Itoa(int(t.Z)))
		r.SetPathValue("x", strconv.Itoa(int(t.X)))
		r.SetPathValue("y", strconv.Itoa(int(t.Y))+".mvt")
		w := httptest.NewRecorder()
		if err := svc.serveTile(w, r); err != nil {
			return err
		}
		if w.Code != http.StatusOK && w.Code != http.StatusNoContent {
			return errStatus(w.Code)
		}
		return nil
	}
}

type errStatus int

func (e errStatus) Error() string { return "status " + strconv.Itoa(int(e)) }
