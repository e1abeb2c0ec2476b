package tiles

import (
	"context"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
)

// maxCellsPerTile refuses tiles that would list more cells than this (a
// zoom far too low for the data's extent); a city at its display
// resolutions stays in the low thousands.
const maxCellsPerTile = 60000

// GapThreshold is the demand (rider-hours) a cell of resolution res needs to
// count as a gap, given the threshold at resolution 9: it scales with cell
// area, a factor of 7 per resolution (res 10: base/7, res 8: 7×base, res 7:
// 49×base), so a gap means the same demand density at every zoom.
func GapThreshold(baseRes9 float64, res int) float64 {
	return baseRes9 * math.Pow(7, float64(9-res))
}

// tileQueryBound is the tile's bound with the buffer, cut to the data's
// bound; ok is false when they do not meet.
func tileQueryBound(t maptile.Tile, data orb.Bound) (orb.Bound, bool) {
	b := t.Bound(float64(Buffer) / Extent)
	b.Min[0], b.Max[0] = math.Max(b.Min[0], -180), math.Min(b.Max[0], 180)
	if !b.Intersects(data) {
		return orb.Bound{}, false
	}
	return orb.Bound{
		Min: orb.Point{math.Max(b.Min[0], data.Min[0]), math.Max(b.Min[1], data.Min[1])},
		Max: orb.Point{math.Min(b.Max[0], data.Max[0]), math.Min(b.Max[1], data.Max[1])},
	}, true
}

// cellsFor lists the cells at res whose boundary meets q, refusing
// absurdly many.
func cellsFor(q orb.Bound, res int) ([]int64, error) {
	// Estimate the count first: CellsInBound would compute them all.
	area := geo.Haversine(q.Min, orb.Point{q.Max[0], q.Min[1]}) * geo.Haversine(q.Min, orb.Point{q.Min[0], q.Max[1]})
	edge := geo.EdgeLengthM(res)
	if est := area / (2.6 * edge * edge); est > maxCellsPerTile {
		return nil, server.BadRequest("too many hexagons at this zoom for the data's extent; zoom in")
	}
	cells, err := geo.CellsInBound(q, res)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(cells))
	for i, c := range cells {
		ids[i] = int64(c)
	}
	return ids, nil
}

// buildHex builds an activity or gaps tile; nil means no features.
func (s *Service) buildHex(ctx context.Context, l Layer, t maptile.Tile, f Filter, v Viewer, ver string, data orb.Bound) ([]byte, error) {
	q, ok := tileQueryBound(t, data)
	if !ok {
		return nil, nil
	}
	res := geo.DisplayRes(int(t.Z))
	cells, err := cellsFor(q, res)
	if err != nil || len(cells) == 0 {
		return nil, err
	}
	stats, err := s.st.HexStats(ctx, res, cells, f.Hours)
	if err != nil {
		return nil, err
	}
	keep := stats[:0]
	for _, h := range stats {
		if v.Admin || h.Riders >= s.o.MinRiders {
			keep = append(keep, h)
		}
	}
	stats = keep
	if len(stats) == 0 {
		return nil, nil
	}
	pr := newProjector(t)
	layer := newLayer(string(l))
	if l == LayerGaps {
		err = s.gapFeatures(ctx, res, stats, ver, pr, layer)
	} else {
		s.activityFeatures(stats, f.Metric, pr, layer)
	}
	if err != nil || layer.count == 0 {
		return nil, err
	}
	start := nowFunc()
	b, err := marshalGzip(layer)
	s.metrics.encode.WithLabelValues(string(l)).Observe(sinceSeconds(start))
	return b, err
}

// hexRing returns the cell's boundary in tile coordinates: whole, not
// clipped, so a hexagon crossing a tile border is drawn with the same
// vertices from both sides. nil when it collapses at this zoom.
func (s *Service) hexRing(cell int64, pr projector) orb.Ring {
	r := s.cells.ring(cell)
	tr := make(orb.Ring, 0, len(r))
	for _, p := range r {
		tr = appendDistinct(tr, pr.grid(p))
	}
	return finishRing(tr, true)
}

func (s *Service) activityFeatures(stats []store.HexStat, m Metric, pr projector, layer *mvtLayer) {
	props := make([]prop, 6)
	for _, h := range stats {
		r := s.hexRing(h.Cell, pr)
		if r == nil {
			continue
		}
		rh := h.RiderSeconds / 3600
		demand := rh
		switch m {
		case MetricRiders:
			demand = float64(h.Riders)
		case MetricPings:
			demand = float64(h.Pings)
		case MetricDwell:
			demand = h.DwellSeconds
		}
		props = append(props[:0],
			prop{"cell", strVal(geo.Cell(h.Cell).String())}, prop{"pings", intVal(h.Pings)},
			prop{"riders", intVal(int64(h.Riders))}, prop{"rider_hours", floatVal(rh)},
			prop{"dwell_s", floatVal(h.DwellSeconds)}, prop{"demand", floatVal(demand)})
		layer.addRing(r, props)
	}
}

// gapFeatures keeps the cells with demand at or above the threshold whose
// centre is outside the service radius of every existing presence site.
func (s *Service) gapFeatures(ctx context.Context, res int, stats []store.HexStat, ver string, pr projector, layer *mvtLayer) error {
	sites, err := s.data.presenceSites(ctx, s.kinds, ver)
	if err != nil {
		return err
	}
	min := GapThreshold(s.o.GapMinRiderHours, res)
	type gap struct {
		h       store.HexStat
		nearest float64
	}
	var gaps []gap
	var ids []geo.Cell
	for _, h := range stats {
		if h.RiderSeconds/3600 < min {
			continue
		}
		c := geo.CellCenter(geo.Cell(h.Cell))
		nearest, covered := math.Inf(1), false
		for _, st := range sites {
			d := geo.Haversine(c, st.Location)
			nearest = math.Min(nearest, d)
			if d <= s.o.Radii[st.Kind] {
				covered = true
				break
			}
		}
		if !covered {
			gaps = append(gaps, gap{h, nearest})
			ids = append(ids, geo.Cell(h.Cell))
		}
	}
	var zones map[geo.Cell]int64
	if s.o.Gaps != nil && len(ids) > 0 {
		if zones, err = s.o.Gaps.Zones(ctx, res, ids); err != nil {
			return err
		}
	}
	props := make([]prop, 5)
	for _, g := range gaps {
		r := s.hexRing(g.h.Cell, pr)
		if r == nil {
			continue
		}
		props = append(props[:0],
			prop{"cell", strVal(geo.Cell(g.h.Cell).String())}, prop{"demand", floatVal(g.h.RiderSeconds / 3600)},
			prop{"riders", intVal(int64(g.h.Riders))}, prop{"zone", intVal(zones[geo.Cell(g.h.Cell)])})
		if !math.IsInf(g.nearest, 1) {
			props = append(props, prop{"nearest_site_m", floatVal(math.Round(g.nearest))})
		}
		layer.addRing(r, props)
	}
	return nil
}

// cellCache keeps cell boundaries (lng/lat rings) so hot cells are not
// recomputed by H3 for every tile. It forgets everything when full.
type cellCache struct {
	mu  sync.RWMutex
	max int
	m   map[int64]orb.Ring
}

func newCellCache(max int) *cellCache { return &cellCache{max: max, m: map[int64]orb.Ring{}} }

func (c *cellCache) ring(cell int64) orb.Ring {
	c.mu.RLock()
	r, ok := c.m[cell]
	c.mu.RUnlock()
	if ok {
		return r
	}
	p := geo.CellPolygon(geo.Cell(cell))
	if p == nil {
		return nil
	}
	r = p[0]
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m)
	}
	c.m[cell] = r
	c.mu.Unlock()
	return r
}
