package tiles

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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

// pass is the outcome of running over a tile list once or more.
type pass struct {
	n   int
	el  time.Duration
	lat []time.Duration
}

func (p *pass) add(q pass) {
	p.n += q.n
	p.el += q.el
	p.lat = append(p.lat, q.lat...)
}

func (p pass) rate() float64 { return float64(p.n) / p.el.Seconds() }

// pct returns the q-quantile latency in milliseconds.
func (p pass) pct(q float64) float64 {
	l := slices.Clone(p.lat)
	slices.Sort(l)
	i := min(len(l)-1, int(float64(len(l))*q))
	return float64(l[i].Microseconds()) / 1000
}

// run fetches every tile once with fn from clients goroutines, which take
// the next tile of the list in turn, timing each.
func run(b *testing.B, tiles []maptile.Tile, clients int, fn func(maptile.Tile) error) pass {
	lat := make([]time.Duration, len(tiles))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(tiles) {
					return
				}
				t0 := time.Now()
				if err := fn(tiles[i]); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	return pass{n: len(tiles), el: time.Since(start), lat: lat}
}

// reportPass reports a pass's tiles/s, p50 and p99 with the metric names
// scripts/bench.sh picks up (lines with "tiles/s", "ratio", "p50", "p99").
func reportPass(b *testing.B, prefix string, p pass) {
	b.ReportMetric(p.rate(), prefix+"tiles/s")
	b.ReportMetric(p.pct(0.5), prefix+"p50-ms")
	b.ReportMetric(p.pct(0.99), prefix+"p99-ms")
}

// report runs fn over every tile, b.N times, and reports tiles/s, the median
// and the 99th percentile latency.
func report(b *testing.B, tiles []maptile.Tile, fn func(maptile.Tile) error) {
	b.ResetTimer()
	var all pass
	for range b.N {
		all.add(run(b, tiles, 1, fn))
	}
	b.StopTimer()
	reportPass(b, "", all)
	b.ReportMetric(0, "ns/op")
}

// coldService is a service without a tile cache that has read the data
// versions and bounds but built nothing: its first tile of each resolution
// builds that resolution's in-memory index.
func coldService(b *testing.B, st *store.Store) *Service {
	svc := New(st, Options{CacheBytes: -1})
	ctx := context.Background()
	ver, err := svc.data.version(ctx, LayerActivity)
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := svc.data.dataBounds(ctx, LayerActivity, ver); err != nil {
		b.Fatal(err)
	}
	return svc
}

func (s *Service) mustGet(b *testing.B, ctx context.Context, t maptile.Tile) error {
	if c := s.benchGet(ctx, t); c != http.StatusOK && c != http.StatusNoContent {
		return fmt.Errorf("tile %v: %d", t, c)
	}
	return nil
}

func reference(ctx context.Context, st *store.Store) func(maptile.Tile) error {
	return func(t maptile.Tile) error {
		_, err := referenceMVT(ctx, st, int(t.Z), int(t.X), int(t.Y), geo.DisplayRes(int(t.Z)), DefaultMinRiders)
		return err
	}
}

// BenchmarkActivityTiles compares this package (cold: no tile cache, a new
// service for every pass, so the in-memory cell indexes are built inside
// the timing; warm: every tile cached) with the reference, a general
// PostGIS tile server's one ST_AsMVT query per tile (referenceMVT),
// over the same ≥ 500 tiles.
//
// "summary" alternates cold and reference passes in one run and reports
// both with their ratio (the machine is shared and noisy), and the time to
// build the cell indexes of resolutions 8–10; "z13-2clients" serves the
// zoom-13 tiles of the list again and again (≥ 500 requests) to 2
// concurrent clients from one service without a tile cache, and the
// reference the same way, for the p99 target.
func BenchmarkActivityTiles(b *testing.B) {
	st, tiles := benchCity(b)
	ctx := context.Background()
	b.Logf("%d tiles", len(tiles))
	b.Run("ours-cold", func(b *testing.B) {
		b.StopTimer()
		var all pass
		for range b.N {
			svc := coldService(b, st)
			all.add(run(b, tiles, 1, func(t maptile.Tile) error { return svc.mustGet(b, ctx, t) }))
		}
		reportPass(b, "", all)
		b.ReportMetric(0, "ns/op")
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
		report(b, tiles, reference(ctx, st))
	})
	b.Run("summary", func(b *testing.B) {
		b.StopTimer()
		var cold, ref, warm pass
		var index time.Duration
		for range b.N {
			svc := coldService(b, st)
			t0 := time.Now()
			for _, res := range []int{8, 9, 10} {
				ver, _ := svc.data.version(ctx, LayerActivity)
				if _, err := svc.data.hexIndex(ctx, res, ver, DefaultIndexCells); err != nil {
					b.Fatal(err)
				}
			}
			index += time.Since(t0)
			svc = coldService(b, st)
			cold.add(run(b, tiles, 1, func(t maptile.Tile) error { return svc.mustGet(b, ctx, t) }))
			ref.add(run(b, tiles, 1, reference(ctx, st)))
			wsvc := New(st, Options{})
			for _, t := range tiles {
				wsvc.benchGet(ctx, t)
			}
			warm.add(run(b, tiles, 1, func(t maptile.Tile) error { wsvc.benchGet(ctx, t); return nil }))
		}
		reportPass(b, "cold-", cold)
		reportPass(b, "ref-", ref)
		b.ReportMetric(warm.rate(), "warm-tiles/s")
		b.ReportMetric(cold.rate()/ref.rate(), "cold/ref-ratio")
		b.ReportMetric(float64(index.Microseconds())/1000/float64(b.N), "index-res8-10-ms")
		b.ReportMetric(0, "ns/op")
		b.Logf("cold %.0f tiles/s (p50 %.2f ms, p99 %.2f ms); reference %.0f tiles/s (p50 %.2f ms, p99 %.2f ms); ratio %.2f; warm %.0f tiles/s",
			cold.rate(), cold.pct(0.5), cold.pct(0.99), ref.rate(), ref.pct(0.5), ref.pct(0.99), cold.rate()/ref.rate(), warm.rate())
	})
	b.Run("z13-2clients", func(b *testing.B) {
		b.StopTimer()
		var z13 []maptile.Tile
		for _, t := range tiles {
			if t.Z == 13 {
				z13 = append(z13, t)
			}
		}
		// At least 500 tiles per measurement: p99 of fewer says little.
		rounds := max(1, (500+len(z13)-1)/len(z13))
		var ours, ref pass
		for range b.N {
			// One service, no tile cache: every request builds its tile;
			// the first also builds the resolution's cell index.
			svc := coldService(b, st)
			for range rounds {
				ours.add(run(b, z13, 2, func(t maptile.Tile) error { return svc.mustGet(b, ctx, t) }))
				ref.add(run(b, z13, 2, reference(ctx, st)))
			}
		}
		reportPass(b, "cold-", ours)
		reportPass(b, "ref-", ref)
		b.ReportMetric(ours.rate()/ref.rate(), "cold/ref-ratio")
		b.ReportMetric(0, "ns/op")
		b.Logf("z13, 2 clients, %d tiles × %d: cold %.0f tiles/s p99 %.2f ms; reference %.0f tiles/s p99 %.2f ms",
			len(z13), rounds*b.N, ours.rate(), ours.pct(0.99), ref.rate(), ref.pct(0.99))
	})
}

// referenceMVT builds an activity tile the way a general PostGIS tile server
// does — one ST_AsMVT(ST_AsMVTGeom(...)) query per tile, clipping and
// encoding in the database — with the same cells (resolution res, whole-week
// rows, at least minRiders distinct riders) and properties as internal/tiles.
// It is the reference of the tiles benchmark. It returns
// nil for a tile without features.
func referenceMVT(ctx context.Context, s *store.Store, z, x, y, res, minRiders int) ([]byte, error) {
	var b []byte
	err := s.Pool.QueryRow(ctx, `SELECT ST_AsMVT(q, 'activity', 4096, 'geom') FROM (
		SELECT ST_AsMVTGeom(ST_Transform(c.boundary, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom,
			to_hex(h.cell) AS cell, h.pings, h.riders, h.rider_seconds / 3600 AS rider_hours,
			h.dwell_seconds AS dwell_s, h.rider_seconds / 3600 AS demand
		FROM hex_activity h JOIN hex_cells c ON c.cell = h.cell
		WHERE h.res = $4 AND h.how = -1 AND h.riders >= $5
			AND c.boundary && ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326)) q`,
		z, x, y, int16(res), minRiders).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if len(b) == 0 {
		b = nil
	}
	return b, err
}
