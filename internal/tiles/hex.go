package tiles

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/errs"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// maxCellsPerTile refuses tiles that would list more cells than this (a
// zoom far too low for the data's extent); a city at its display
// resolutions stays in the low thousands.
const maxCellsPerTile = 60000

// tileQueryBound is the tile's bound with the buffer, cut to the data's
// bound; ok is false when they do not meet.
func (s *Service) tileQueryBound(t maptile.Tile, data orb.Bound) (orb.Bound, bool) {
	b := s.tileBound(t)
	b.Min[0], b.Max[0] = math.Max(b.Min[0], -180), math.Min(b.Max[0], 180)
	if !b.Intersects(data) {
		return orb.Bound{}, false
	}
	return orb.Bound{
		Min: orb.Point{math.Max(b.Min[0], data.Min[0]), math.Max(b.Min[1], data.Min[1])},
		Max: orb.Point{math.Min(b.Max[0], data.Max[0]), math.Min(b.Max[1], data.Max[1])},
	}, true
}

// checkCellCount refuses a query bound that would hold absurdly many
// cells of resolution res (a zoom far too low for the data's extent).
func checkCellCount(q orb.Bound, res int) error {
	area := geo.Haversine(q.Min, orb.Point{q.Max[0], q.Min[1]}) * geo.Haversine(q.Min, orb.Point{q.Min[0], q.Max[1]})
	edge := geo.EdgeLengthM(res)
	if est := area / (2.6 * edge * edge); est > maxCellsPerTile {
		return errs.E(errs.Invalid, "too many hexagons at this zoom for the data's extent; zoom in")
	}
	return nil
}

// cellsFor lists the cells at res whose boundary meets q, refusing
// absurdly many.
func cellsFor(q orb.Bound, res int) ([]int64, error) {
	// Estimate the count first: CellsInBound would compute them all.
	if err := checkCellCount(q, res); err != nil {
		return nil, err
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

// hexRow is one cell to draw: its stats and, when the in-memory index has
// it, its entry there (boundary, Web Mercator boundary, name).
type hexRow struct {
	stat store.HexStat
	cell *idxCell // nil when read from the database without the index
}

// hexScratch holds the buffers of one hexagon tile build.
type hexScratch struct {
	sel   []int32
	ids   []int64
	rows  []hexRow
	ring  orb.Ring
	tags  []uint32
	props []prop
}

var hexScratchPool = sync.Pool{New: func() any { return new(hexScratch) }}

// buildHex builds an activity or gaps tile; nil means no features. The
// cells meeting the tile come from an in-memory index: for non-admins that
// of the published release's view (its shown cells and released figures,
// built once per release version, resolution and view), otherwise that of
// the cells with activity (one per resolution and data version), whose
// whole-week stats it holds: such tiles need no database round trip. With
// an hours filter the exact stats of those cells are read by primary key.
func (s *Service) buildHex(ctx context.Context, l Layer, t maptile.Tile, f Filter, v model.Viewer, ver string, data orb.Bound) ([]byte, error) {
	q, ok := s.tileQueryBound(t, data)
	if !ok {
		return nil, nil
	}
	if l == LayerGaps {
		return s.buildGaps(ctx, t, f, v, q)
	}
	res := geo.DisplayRes(int(t.Z))
	released := s.released(l, v)
	if released {
		res = min(res, 9) // resolution 10 is not released
	}
	if err := checkCellCount(q, res); err != nil {
		return nil, err
	}
	sc := hexScratchPool.Get().(*hexScratch)
	defer func() {
		clear(sc.rows) // drop the pointers
		hexScratchPool.Put(sc)
	}()
	var err error
	if released {
		err = s.releasedRows(ctx, res, f.Hours, q, sc)
	} else {
		err = s.exactRows(ctx, l, res, f.Hours, v, ver, q, sc)
	}
	if err != nil || len(sc.rows) == 0 {
		return nil, err
	}
	// The release's figures are riders and rider-hours only.
	return s.encodeHex(l, t, f.Metric, sc, !released)
}

// releasedRows puts in sc.rows the shown cells of the release's view of
// hours at res that meet q, in cell order.
func (s *Service) releasedRows(ctx context.Context, res int, hours []int16, q orb.Bound, sc *hexScratch) error {
	idx, err := s.data.releasedIndex(ctx, s.o.Release, res, hours)
	if err != nil {
		return err
	}
	rows := sc.rows[:0]
	sc.sel = idx.query(q, sc.sel[:0])
	for _, k := range sc.sel {
		c := &idx.cells[k]
		rows = append(rows, hexRow{stat: c.stat, cell: c})
	}
	sc.rows = rows
	return nil
}

// exactRows puts in sc.rows the cells with activity at res that meet q,
// with their exact stats over hours (nil: the whole week), in cell order;
// outside the admin role only cells with at least MinRiders riders.
func (s *Service) exactRows(ctx context.Context, l Layer, res int, hours []int16, v model.Viewer, ver string, q orb.Bound, sc *hexScratch) error {
	actVer := ver
	idx, err := s.data.hexIndex(ctx, res, actVer, s.o.IndexCells)
	if err != nil {
		return err
	}
	rows := sc.rows[:0]
	keep := func(h *store.HexStat) bool { return v.Admin() || h.Riders >= s.o.MinRiders }
	switch {
	case idx != nil && len(hours) == 0:
		sc.sel = idx.query(q, sc.sel[:0])
		for _, k := range sc.sel {
			c := &idx.cells[k]
			if keep(&c.stat) {
				rows = append(rows, hexRow{stat: c.stat, cell: c})
			}
		}
	case idx != nil:
		vx, err := s.data.hexViews(ctx, res, actVer, idx)
		if err != nil {
			return err
		}
		sc.sel = idx.query(q, sc.sel[:0])
		if len(sc.sel) == 0 {
			return nil
		}
		if v := vx.view(hours); v >= 0 {
			// One of the rolled-up hour sets: exact figures from memory,
			// already in cell order.
			for _, k := range sc.sel {
				vs := vx.stat(int(k), v)
				if *vs == (activity.ViewStat{}) {
					continue // no activity in these hours
				}
				st := store.HexStat{Cell: idx.cells[k].stat.Cell, Pings: vs.Pings, Riders: int(vs.Riders),
					RiderSeconds: vs.RiderSeconds, DwellSeconds: vs.DwellSeconds}
				if keep(&st) {
					rows = append(rows, hexRow{stat: st, cell: &idx.cells[k]})
				}
			}
			sc.rows = rows
			return nil
		}
		hs, err := s.data.hourSums(ctx, res, actVer, idx, s.o.HourBytes)
		if err != nil {
			return err
		}
		if hs != nil {
			// Any other hour list: exact figures from the hour rows in
			// memory, in cell order.
			m := maskOf(hours)
			rm := hs.marks.Get().(*riderMarks)
			defer hs.marks.Put(rm)
			for _, k := range sc.sel {
				if st, ok := hs.stat(int(k), m, rm); ok && keep(&st) {
					rows = append(rows, hexRow{stat: st, cell: &idx.cells[k]})
				}
			}
			sc.rows = rows
			return nil
		}
		ids := sc.ids[:0]
		for _, k := range sc.sel {
			ids = append(ids, idx.cells[k].stat.Cell)
		}
		sc.ids = ids
		stats, err := s.st.HexStats(ctx, res, ids, hours)
		if err != nil {
			return err
		}
		for i := range stats {
			if keep(&stats[i]) {
				var c *idxCell
				if k := idx.find(stats[i].Cell); k >= 0 {
					c = &idx.cells[k]
				}
				rows = append(rows, hexRow{stat: stats[i], cell: c})
			}
		}
	default: // no index: list the tile's cells with H3
		cells, err := cellsFor(q, res)
		if err != nil || len(cells) == 0 {
			return err
		}
		stats, err := s.st.HexStats(ctx, res, cells, hours)
		if err != nil {
			return err
		}
		for i := range stats {
			if keep(&stats[i]) {
				rows = append(rows, hexRow{stat: stats[i]})
			}
		}
	}
	if idx == nil || len(hours) > 0 {
		// Rows from the database: draw them in cell order too, so a tile's
		// bytes do not depend on the plan.
		slices.SortFunc(rows, func(a, b hexRow) int { return cmp.Compare(a.stat.Cell, b.stat.Cell) })
	}
	sc.rows = rows
	return nil
}

// encodeHex encodes sc.rows as the tile's layer, gzipped; nil when no
// feature is left. exact adds the figures the release does not carry
// (pings, dwell).
func (s *Service) encodeHex(l Layer, t maptile.Tile, m model.Metric, sc *hexScratch, exact bool) ([]byte, error) {
	pr := s.projector(t)
	layer := getLayer(string(l))
	defer putLayer(layer)
	s.activityFeatures(sc.rows, m, pr, layer, sc, exact)
	if layer.count == 0 {
		return nil, nil
	}
	start := nowFunc()
	b, err := marshalGzip(layer)
	s.metrics.encode.WithLabelValues(string(l)).Observe(sinceSeconds(start))
	return b, err
}

// hexRing returns the cell's boundary in tile coordinates, in sc.ring:
// whole, not clipped, so a hexagon crossing a tile border is drawn with the
// same vertices from both sides. nil when it collapses at this zoom.
func (s *Service) hexRing(h *hexRow, pr projector, sc *hexScratch) orb.Ring {
	tr := sc.ring[:0]
	if c := h.cell; c != nil && pr.datum == "" { // merc is unshifted
		for _, p := range c.merc {
			tr = appendDistinct(tr, pr.gridUnit(p))
		}
	} else {
		for _, p := range s.cells.ring(h.stat.Cell) {
			tr = appendDistinct(tr, pr.grid(p))
		}
	}
	tr = finishRing(tr, true)
	if tr != nil {
		sc.ring = tr
	}
	return tr
}

// cellName is the "cell" property of a row.
func (h *hexRow) cellName() string {
	if h.cell != nil {
		return h.cell.name
	}
	return geo.Cell(h.stat.Cell).String()
}

// released reports whether a tile of layer l for v comes from the
// published release.
func (s *Service) released(l Layer, v model.Viewer) bool {
	return l.hex() && !v.Admin() && s.o.Release != nil
}

// activityFeatures encodes activity hexagons; exact adds the figures the
// release does not carry (pings, dwell).
func (s *Service) activityFeatures(rows []hexRow, m model.Metric, pr projector, layer *mvtLayer, sc *hexScratch, exact bool) {
	kCell, kPings, kRiders := layer.key("cell"), layer.key("pings"), layer.key("riders")
	kRH, kDwell, kDemand := layer.key("rider_hours"), layer.key("dwell_s"), layer.key("demand")
	for i := range rows {
		h := &rows[i]
		r := s.hexRing(h, pr, sc)
		if r == nil {
			continue
		}
		rh := h.stat.RiderSeconds / 3600
		demand := rh
		switch m {
		case model.MetricRiders:
			demand = float64(h.stat.Riders)
		case model.MetricPings:
			demand = float64(h.stat.Pings)
		case model.MetricDwell:
			demand = h.stat.DwellSeconds
		}
		if exact {
			sc.tags = append(sc.tags[:0],
				kCell, layer.uniqueValue(strVal(h.cellName())),
				kPings, layer.value(intVal(h.stat.Pings)),
				kRiders, layer.value(intVal(int64(h.stat.Riders))),
				kRH, layer.value(floatVal(rh)),
				kDwell, layer.value(floatVal(h.stat.DwellSeconds)),
				kDemand, layer.value(floatVal(demand)))
		} else {
			sc.tags = append(sc.tags[:0],
				kCell, layer.uniqueValue(strVal(h.cellName())),
				kRiders, layer.value(intVal(int64(h.stat.Riders))),
				kRH, layer.value(floatVal(rh)),
				kDemand, layer.value(floatVal(demand)))
		}
		layer.addRingTagged(r, sc.tags)
	}
}

// buildGaps builds a gaps tile: the gap cells the coverage package's one
// gap rule gives for the viewer, hours and metric (the GapSource), which are
// exactly the cells of the zones /api/gaps lists. They are cells of the
// demand resolution at every zoom, each with its zone's id and rank.
func (s *Service) buildGaps(ctx context.Context, t maptile.Tile, f Filter, v model.Viewer, q orb.Bound) ([]byte, error) {
	if s.o.Gaps == nil {
		return nil, nil
	}
	cells, err := s.o.Gaps.GapCells(ctx, f.Hours, f.Metric, v.Admin())
	if err != nil || len(cells) == 0 {
		return nil, err
	}
	sc := hexScratchPool.Get().(*hexScratch)
	defer hexScratchPool.Put(sc)
	pr := s.projector(t)
	layer := getLayer(string(LayerGaps))
	defer putLayer(layer)
	props := sc.props[:0]
	for _, g := range cells {
		ring := s.cells.ring(g.Cell)
		if ring == nil || !ring.Bound().Intersects(q) {
			continue
		}
		h := hexRow{stat: store.HexStat{Cell: g.Cell}}
		r := s.hexRing(&h, pr, sc)
		if r == nil {
			continue
		}
		props = append(props[:0],
			prop{"cell", strVal(h.cellName())}, prop{"demand", floatVal(g.Demand)},
			prop{"riders", intVal(g.Riders)}, prop{"zone", intVal(g.Zone)}, prop{"zone_rank", intVal(int64(g.ZoneRank))})
		if g.NearestM >= 0 {
			props = append(props, prop{"nearest_site_m", floatVal(math.Round(g.NearestM))})
		}
		layer.addRing(r, props)
	}
	clear(props)
	sc.props = props
	if layer.count == 0 {
		return nil, nil
	}
	start := nowFunc()
	b, err := marshalGzip(layer)
	s.metrics.encode.WithLabelValues(string(LayerGaps)).Observe(sinceSeconds(start))
	return b, err
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
