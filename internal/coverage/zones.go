package coverage

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// Gap zones are the unit /api/gaps lists, the gaps tile layer draws and the
// summary counts. They come from the one gap rule (GapCells) in two steps:
//
//  1. gap cells are grouped into connected uncovered areas (H3 neighbours);
//  2. each area is split into zones one station can serve: every cell
//     centre of a zone lies within radius r of the zone's centre, where r
//     is the smallest service radius among the kinds that could be sited
//     there (zoneRadius). The split is a greedy maximal covering, the
//     question a planner asks of a new station: the centre is the cell
//     centre of the area whose disc of radius r holds the most uncovered
//     demand not yet in a zone (ties: the lower cell), the zone is those
//     cells, and this repeats until every gap cell of the area is in a
//     zone. It is deterministic and needs no parameter but r.
//
// A zone may be cut out of the middle of an area, so its cells need not all
// be neighbours; they always fit in the one disc. With network coverage
// (HEXCOVER_COVERAGE=network) the disc is still measured in a straight line:
// a station at a zone's centre is not a stored site and has no catchment,
// and siting measures such points (cell centres, hand-added sites) by the
// radius too, so zones and picks agree (docs/ARCHITECTURE.md).

// zone is one gap zone of an analysis.
type zone struct {
	cells  []int // indexes into Analysis.Cells, ascending
	centre int   // the cell whose centre is the centre of the zone's disc
	radius float64
	span   float64 // the farthest cell centre from the centre, metres (≤ radius)
	demand float64
	id     geo.Cell // the zone's lowest cell
}

// zoneSet is the gap zones of an analysis, ranked: largest uncovered demand
// first, then by id.
type zoneSet struct {
	zones []zone
	of    []int32 // zone of each cell of the analysis, -1 for cells in none

	mu     sync.Mutex
	riders []int64 // distinct riders per zone, computed once on demand
	tiles  map[bool][]model.GapCell
}

// zoneCache holds the gap zones of an analysis, computed once.
type zoneCache struct {
	once sync.Once
	set  *zoneSet
}

// gapZones returns the analysis's gap zones.
func (a *Analysis) gapZones() *zoneSet {
	a.zc.once.Do(func() { a.zc.set = a.partition() })
	return a.zc.set
}

// components groups gap cells into connected components (indexes into
// a.Cells), each sorted, the components in order of their lowest index.
func (a *Analysis) components(gap []bool) [][]int {
	seen := make([]bool, len(a.Cells))
	var out [][]int
	for i := range a.Cells {
		if !gap[i] || seen[i] {
			continue
		}
		comp := []int{i}
		seen[i] = true
		for q := 0; q < len(comp); q++ {
			for _, nb := range geo.Neighbors(a.Cells[comp[q]].Cell) {
				j, ok := a.cellIdx[nb]
				if ok && gap[j] && !seen[j] {
					seen[j] = true
					comp = append(comp, j)
				}
			}
		}
		slices.Sort(comp)
		out = append(out, comp)
	}
	return out
}

// ZoneRadius is the radius r of the zones of a connected uncovered area:
// the smallest service radius among the kinds that could be sited there.
// A new rest station (the default kind of hand-added sites and cell-centre
// candidates, DefaultRadiusM) can go anywhere; a candidate or planned site
// of another kind counts where its radius reaches a cell of the area.
func (a *Analysis) zoneRadius(comp []int, member []int32, stamp int32) float64 {
	r := a.Settings.DefaultRadiusM
	for _, s := range a.Sites {
		if s.Status != "candidate" && s.Status != "planned" {
			continue
		}
		sr := a.Settings.Radius(s.Kind)
		if sr >= r {
			continue
		}
		reach := false
		a.Index.Within(s.Point, sr, func(i int) {
			if member[i] == stamp {
				reach = true
			}
		})
		if reach {
			r = sr
		}
	}
	return r
}

// partition splits the gap cells into zones one station can serve.
func (a *Analysis) partition() *zoneSet {
	zs := &zoneSet{of: make([]int32, len(a.Cells))}
	for i := range zs.of {
		zs.of[i] = -1
	}
	member := make([]int32, len(a.Cells)) // the component stamp of each gap cell
	taken := make([]bool, len(a.Cells))
	for n, comp := range a.components(a.GapCells()) {
		stamp := int32(n + 1)
		for _, i := range comp {
			member[i] = stamp
		}
		r := a.zoneRadius(comp, member, stamp)
		zs.zones = append(zs.zones, a.split(comp, member, stamp, taken, r)...)
	}
	slices.SortStableFunc(zs.zones, func(x, y zone) int {
		if c := cmp.Compare(y.demand, x.demand); c != 0 {
			return c
		}
		return cmp.Compare(uint64(x.id), uint64(y.id))
	})
	for z, zn := range zs.zones {
		for _, i := range zn.cells {
			zs.of[i] = int32(z)
		}
	}
	return zs
}

// split is the greedy maximal covering of one component by discs of
// radius r centred on its cell centres (lazy evaluation: a disc's uncovered
// demand only falls as zones are taken).
func (a *Analysis) split(comp []int, member []int32, stamp int32, taken []bool, r float64) []zone {
	covers := make([][]int, len(comp)) // the component's cells within r of each cell's centre, ascending
	h := &discHeap{}
	for n, i := range comp {
		a.Index.Within(a.Cells[i].Center, r, func(j int) {
			if member[j] == stamp {
				covers[n] = append(covers[n], j)
			}
		})
		slices.Sort(covers[n])
		var g float64
		for _, j := range covers[n] {
			g += a.Cells[j].Demand
		}
		h.items = append(h.items, disc{n: n, gain: g, cell: a.Cells[i].Cell})
	}
	heap.Init(h)
	gain := func(n int) float64 {
		var g float64
		for _, j := range covers[n] {
			if !taken[j] {
				g += a.Cells[j].Demand
			}
		}
		return g
	}
	left := len(comp)
	var out []zone
	for left > 0 && h.Len() > 0 {
		top := heap.Pop(h).(disc)
		g := gain(top.n)
		if g <= 0 {
			continue // every cell of its disc is in a zone (gap cells have demand > 0)
		}
		if g != top.gain {
			// Stale: put it back with its current value and look again.
			top.gain = g
			heap.Push(h, top)
			continue
		}
		c := comp[top.n]
		zn := zone{centre: c, radius: r, id: geo.Cell(math.MaxInt64)}
		for _, j := range covers[top.n] {
			if taken[j] {
				continue
			}
			taken[j] = true
			left--
			zn.cells = append(zn.cells, j)
			zn.demand += a.Cells[j].Demand
			zn.span = max(zn.span, geo.Haversine(a.Cells[c].Center, a.Cells[j].Center))
			if uint64(a.Cells[j].Cell) < uint64(zn.id) {
				zn.id = a.Cells[j].Cell
			}
		}
		out = append(out, zn)
	}
	return out
}

// disc is a candidate zone centre: the n-th cell of a component and the
// uncovered demand of its disc when last computed.
type disc struct {
	n    int
	gain float64
	cell geo.Cell
}

// discHeap orders discs by gain, largest first, then by lowest cell.
type discHeap struct{ items []disc }

func (h *discHeap) Len() int { return len(h.items) }
func (h *discHeap) Less(i, j int) bool {
	if h.items[i].gain != h.items[j].gain {
		return h.items[i].gain > h.items[j].gain
	}
	return uint64(h.items[i].cell) < uint64(h.items[j].cell)
}
func (h *discHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *discHeap) Push(x any)    { h.items = append(h.items, x.(disc)) }
func (h *discHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// zoneRiders returns the distinct riders of every zone: exact from the
// store, or for a released analysis the most riders of a zone's (shown)
// cells, a released lower bound (distinct riders do not add up).
func (a *Analysis) zoneRiders(ctx context.Context, e *Engine) ([]int64, error) {
	zs := a.gapZones()
	zs.mu.Lock()
	defer zs.mu.Unlock()
	if zs.riders != nil {
		return zs.riders, nil
	}
	riders := make([]int64, len(zs.zones))
	if a.Params.Released {
		for z, zn := range zs.zones {
			for _, i := range zn.cells {
				riders[z] = max(riders[z], a.Cells[i].Riders)
			}
		}
	} else {
		var cells []int64
		var groups []int32
		for z, zn := range zs.zones {
			for _, i := range zn.cells {
				cells = append(cells, int64(a.Cells[i].Cell))
				groups = append(groups, int32(z))
			}
		}
		m, err := e.st.DistinctRiders(ctx, a.Settings.DemandRes, a.Params.Hours, cells, groups)
		if err != nil {
			return nil, err
		}
		for z := range riders {
			riders[z] = m[int32(z)]
		}
	}
	zs.riders = riders
	return riders, nil
}

// listed returns the zones v may see, in rank order (indexes into the zone
// set): every zone for an admin; outside the admin role the zones with at
// least k distinct riders. A zone under k is dropped, not merged into a
// neighbour: a merged outline would draw a gap where there is none.
func (a *Analysis) listed(ctx context.Context, e *Engine, v model.Viewer) (list, suppressed []int, err error) {
	zs := a.gapZones()
	if v.Admin() {
		list = make([]int, len(zs.zones))
		for z := range list {
			list[z] = z
		}
		return list, nil, nil
	}
	riders, err := a.zoneRiders(ctx, e)
	if err != nil {
		return nil, nil, err
	}
	k := int64(a.Settings.MinRiders)
	for z := range zs.zones {
		if riders[z] < k {
			suppressed = append(suppressed, z)
		} else {
			list = append(list, z)
		}
	}
	return list, suppressed, nil
}

// areaShares returns the areas of a level the cells touch, by their share
// of the cells' demand, largest first (ties: lower index).
func (a *Analysis) areaShares(level string, cells []int) []int32 {
	w := map[int32]float64{}
	for _, i := range cells {
		var j int32
		switch level {
		case "district":
			j = a.Cells[i].District
		case "street":
			j = a.Cells[i].Street
		default:
			j = a.Cells[i].Community
		}
		if j >= 0 {
			w[j] += max(a.Cells[i].Demand, 1e-9)
		}
	}
	out := make([]int32, 0, len(w))
	for j := range w {
		out = append(out, j)
	}
	slices.SortFunc(out, func(x, y int32) int {
		if c := cmp.Compare(w[y], w[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	return out
}

// ZoneRef names a listed gap zone: its rank and id in /api/gaps for the
// same viewer, hours and metric, and its uncovered demand.
type ZoneRef struct {
	Rank   int     `json:"rank"`
	ID     string  `json:"id"`
	Demand float64 `json:"demand"`
	Cells  []int   `json:"-"` // indexes into Analysis.Cells
}

// ListedZones returns the zones /api/gaps lists for v, in rank order.
func (a *Analysis) ListedZones(ctx context.Context, e *Engine, v model.Viewer) ([]ZoneRef, error) {
	list, _, err := a.listed(ctx, e, v)
	if err != nil {
		return nil, err
	}
	zs := a.gapZones()
	out := make([]ZoneRef, len(list))
	for r, z := range list {
		zn := zs.zones[z]
		out[r] = ZoneRef{Rank: r + 1, ID: fmt.Sprintf("%x", uint64(zn.id)), Demand: zn.demand, Cells: zn.cells}
	}
	return out, nil
}

// ZoneCounts are the gap zones a viewer sees (those /api/gaps lists)
// counted by area.
type ZoneCounts struct {
	// ByArea counts each zone once, in the area of the level holding most
	// of its demand (index: Analysis.Areas[level]), so the counts add up to
	// Zones less the zones outside every area.
	ByArea map[int32]int
	Listed []bool // the cells of the listed zones (indexes of Analysis.Cells)
	Zones  int    // listed zones
	Cells  int    // their cells
}

// GapZonesByArea counts the gap zones v sees by the areas of a level.
func (a *Analysis) GapZonesByArea(ctx context.Context, e *Engine, v model.Viewer, level string) (*ZoneCounts, error) {
	list, _, err := a.listed(ctx, e, v)
	if err != nil {
		return nil, err
	}
	zs := a.gapZones()
	zc := &ZoneCounts{ByArea: map[int32]int{}, Listed: make([]bool, len(a.Cells)), Zones: len(list)}
	for _, z := range list {
		for _, i := range zs.zones[z].cells {
			zc.Listed[i] = true
			zc.Cells++
		}
		if js := a.areaShares(level, zs.zones[z].cells); len(js) > 0 {
			zc.ByArea[js[0]]++
		}
	}
	return zc, nil
}

// TileZones serves the gaps tile layer from the analysis /api/gaps lists
// for the same viewer, hours and metric: the tiles draw exactly the cells
// of the listed zones (demand-resolution cells, at every zoom), each with
// its zone's id and rank. It implements the tiles package's GapSource.
type TileZones struct{ Engine *Engine }

// GapCells implements tiles.GapSource. Non-admins get the published
// release's analysis (Params.Released) when the engine serves one.
func (z TileZones) GapCells(ctx context.Context, hours []int16, metric model.Metric, admin bool) ([]model.GapCell, error) {
	if metric != model.MetricRiders {
		metric = model.MetricRiderHours
	}
	v := viewerOf(admin)
	a, err := z.Engine.Analyze(ctx, z.Engine.ForViewer(Params{Hours: hours, Metric: metric}, v))
	if err != nil {
		return nil, err
	}
	zs := a.gapZones()
	zs.mu.Lock()
	cached, ok := zs.tiles[admin]
	zs.mu.Unlock()
	if ok {
		return cached, nil
	}
	list, _, err := a.listed(ctx, z.Engine, v)
	if err != nil {
		return nil, err
	}
	var out []model.GapCell
	for rank, zi := range list {
		zn := zs.zones[zi]
		for _, i := range zn.cells {
			c := a.Cells[i]
			near := -1.0
			for _, s := range a.Presence {
				if s.Status == "existing" {
					if d := geo.Haversine(c.Center, s.Point); near < 0 || d < near {
						near = d
					}
				}
			}
			out = append(out, model.GapCell{Cell: int64(c.Cell), Demand: c.Demand, Riders: c.Riders, Zone: int64(zn.id),
				ZoneRank: rank + 1, NearestM: near})
		}
	}
	slices.SortFunc(out, func(x, y model.GapCell) int { return cmp.Compare(x.Cell, y.Cell) })
	zs.mu.Lock()
	if zs.tiles == nil {
		zs.tiles = map[bool][]model.GapCell{}
	}
	zs.tiles[admin] = out
	zs.mu.Unlock()
	return out, nil
}

// viewerOf is an admin or a non-admin viewer.
func viewerOf(admin bool) model.Viewer {
	if admin {
		return model.Viewer{Name: "tiles", Role: model.RoleAdmin}
	}
	return model.Viewer{Name: "tiles"}
}
