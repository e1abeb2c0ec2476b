package tiles

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

// The benchmark city: the demo city (seed 1, 2,000 riders, 2 days) loaded
// once per benchmark process, and a fixed list of activity tiles at zoom
// 11–16 over its data.
var (
	benchOnce  sync.Once
	benchStore *store.Store
	benchTiles []maptile.Tile
	benchErr   error
)

func benchCity(b *testing.B) (*store.Store, []maptile.Tile) {
	benchOnce.Do(func() {
		city, err := demo.Generate(demo.Params{Seed: 1, Riders: 2000, Days: 2})
		if err != nil {
			benchErr = err
			return
		}
		var ps []tilestest.Ping
		err = city.Pings(func(p demo.RawPing) error {
			ps = append(ps, tilestest.Ping{Rider: p.Platform + ":" + p.PlatformID, Time: p.Time, Lng: p.Lng, Lat: p.Lat})
			return nil
		})
		if err != nil {
			benchErr = err
			return
		}
		st := dbtest.New(b) // dropped when this first benchmark ends; later ones reload
		tilestest.LoadActivity(b, st, "demo.csv", ps)
		bound, _, err := st.DataBounds(context.Background(), "activity")
		if err != nil {
			benchErr = err
			return
		}
		b.Logf("demo city: %d pings, bounds %v", len(ps), bound)
		// Every tile at z11–16 whose centre is in the data's bound, 400
		// per zoom at most, spread evenly over the list.
		var list []maptile.Tile
		for z := maptile.Zoom(11); z <= 16; z++ {
			lo, hi := maptile.At(bound.Min, z), maptile.At(bound.Max, z)
			var zs []maptile.Tile
			for x := lo.X; x <= hi.X; x++ {
				for y := hi.Y; y <= lo.Y; y++ {
					zs = append(zs, maptile.New(x, y, z))
				}
			}
			step := max(1, len(zs)/400)
			for i := 0; i < len(zs) && i/step < 400; i += step {
				list = append(list, zs[i])
			}
		}
		benchStore, benchTiles = st, list
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore, benchTiles
}

func (s *Service) benchGet(ctx context.Context, t maptile.Tile) int {
	r := httptest.NewRequestWithContext(ctx, "GET", "/tiles/activity/x", nil)
	r.Header.Set("Accept-Encoding", "gzip")
	r.SetPathValue("layer", "activity")
	r.SetPathValue("z", strconv.Itoa(int(t.Z)))
	r.SetPathValue("x", strconv.Itoa(int(t.X)))
	r.SetPathValue("y", strconv.Itoa(int(t.Y))+".mvt")
	w := httptest.NewRecorder()
	if err := s.serveTile(w, r); err != nil {
		return 500
	}
	return w.Code
}

// report runs fn over every tile, b.N times, and reports tiles/s, the median
// and the 99th percentile latency.
func report(b *testing.B, tiles []maptile.Tile, fn func(maptile.Tile) error) {
	var lat []time.Duration
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for _, t := range tiles {
			t0 := time.Now()
			if err := fn(t); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t0))
		}
	}
	el := time.Since(start)
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/el.Seconds(), "tiles/s")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99_ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkActivityTiles compares this package (cold: no tile cache; warm:
// every tile cached) with the reference, a general PostGIS tile server's one
// ST_AsMVT query per tile (store.ReferenceMVT), over the same ≥ 500 tiles.
func BenchmarkActivityTiles(b *testing.B) {
	st, tiles := benchCity(b)
	ctx := context.Background()
	b.Logf("%d tiles", len(tiles))
	b.Run("ours-cold", func(b *testing.B) {
		svc := New(st, Options{CacheBytes: -1})
		svc.benchGet(ctx, tiles[0]) // versions and bounds
		report(b, tiles, func(t maptile.Tile) error {
			if c := svc.benchGet(ctx, t); c != http.StatusOK && c != http.StatusNoContent {
				b.Fatalf("tile %v: %d", t, c)
			}
			return nil
		})
	})
	b.Run("ours-warm", func(b *testing.B) {
		svc := New(st, Options{})
		for _, t := range tiles {
			svc.benchGet(ctx, t)
		}
		report(b, tiles, func(t maptile.Tile) error {
			svc.benchGet(ctx, t)
			return nil
		})
	})
	b.Run("reference", func(b *testing.B) {
		report(b, tiles, func(t maptile.Tile) error {
			_, err := st.ReferenceMVT(ctx, int(t.Z), int(t.X), int(t.Y), geo.DisplayRes(int(t.Z)), DefaultMinRiders)
			return err
		})
	})
}
