package tiles

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec   // layer, result
	encode   *prometheus.HistogramVec // layer
	build    *prometheus.HistogramVec // layer
}

// Results of a tile request, the "result" label.
const (
	resultHit         = "hit"
	resultMiss        = "miss"
	resultNotModified = "304"
	resultOutside     = "outside" // 204 outside the data bounds
)

func newMetrics(reg *prometheus.Registry, c *lru) *metrics {
	buckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hexcover_tile_requests_total", Help: "Tile requests by layer and cache result (hit, miss, 304, outside).",
		}, []string{"layer", "result"}),
		encode: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hexcover_tile_encode_seconds", Help: "Time to project, clip, encode and gzip one tile.", Buckets: buckets,
		}, []string{"layer"}),
		build: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hexcover_tile_build_seconds", Help: "Time to compute one missing tile, database included.", Buckets: buckets,
		}, []string{"layer"}),
	}
	if reg != nil {
		reg.MustRegister(m.requests, m.encode, m.build,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "hexcover_tile_cache_bytes", Help: "Bytes held by the tile cache.",
			}, func() float64 { b, _ := c.stats(); return float64(b) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "hexcover_tile_cache_entries", Help: "Tiles held by the tile cache.",
			}, func() float64 { _, n := c.stats(); return float64(n) }))
	}
	return m
}
