package tiles

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/store"
)

// DefaultIndexCells is the default of Options.IndexCells: about 350 bytes a
// cell, 70 MB at most. The demo city needs about 25,000.
const DefaultIndexCells = 200000

// hexIndex holds the cells of one resolution that have activity at one data
// version: their whole-week stats, boundaries and names, and a uniform
// lng/lat grid of buckets over their centres to find the cells meeting a
// tile without asking H3 or the database.
type hexIndex struct {
	version int64 // activity data version
	res     int
	cells   []idxCell // ascending by cell id

	// The grid: bucket (i, j) covers lng [minLng + i·step, +step) and lat
	// [minLat + j·step, +step); a cell is in the bucket of its bound's centre.
	minLng, minLat, step float64
	nx, ny               int
	start                []int32 // bucket b holds order[start[b]:start[b+1]]
	order                []int32 // indices into cells, ascending within a bucket
	// halfW, halfH are the largest half-width and half-height of a cell's
	// bound: a cell meets q only if its centre is within them of q.
	halfW, halfH float64
}

type idxCell struct {
	stat store.HexStat
	*cellGeom
}

// cellGeom is what drawing a cell needs that never changes: its boundary
// and name. Shared by every index holding the cell (geomCache).
type cellGeom struct {
	bound orb.Bound
	ring  orb.Ring    // lng/lat boundary, closed, as geo.CellPolygon gives it
	merc  []orb.Point // the same vertices through unit (Web Mercator)
	name  string      // the cell's hex id, the "cell" property
}

// geomCache keeps the geometry of the cells indexed so far: an index of a
// new data version or of another released view reuses it instead of asking
// H3 again. It forgets everything when it holds more than max cells.
type geomCache struct {
	mu  sync.Mutex
	max int
	m   map[int64]*cellGeom
}

func newGeomCache(max int) *geomCache { return &geomCache{max: max, m: map[int64]*cellGeom{}} }

// get returns the geometry of each cell (nil for an invalid cell).
func (g *geomCache) get(cells []int64) []*cellGeom {
	out := make([]*cellGeom, len(cells))
	var missing []int
	g.mu.Lock()
	for i, c := range cells {
		if cg, ok := g.m[c]; ok {
			out[i] = cg
		} else {
			missing = append(missing, i)
		}
	}
	g.mu.Unlock()
	if len(missing) == 0 {
		return out
	}
	npts := 0
	polys := make([]orb.Ring, len(missing))
	for j, i := range missing {
		if p := geo.CellPolygon(geo.Cell(cells[i])); p != nil {
			polys[j] = p[0]
			npts += len(p[0])
		}
	}
	// One backing array for the new boundaries.
	pts := make([]orb.Point, 0, npts)
	mercs := make([]orb.Point, 0, npts)
	geoms := make([]cellGeom, len(missing))
	for j, i := range missing {
		r := polys[j]
		if r == nil {
			continue // not a valid cell: never drawn
		}
		off := len(pts)
		pts = append(pts, r...)
		ring := orb.Ring(pts[off:len(pts):len(pts)])
		for _, p := range r {
			mercs = append(mercs, unit(p))
		}
		geoms[j] = cellGeom{bound: ring.Bound(), ring: ring, merc: mercs[off:len(mercs):len(mercs)], name: geo.Cell(cells[i]).String()}
		out[i] = &geoms[j]
	}
	g.mu.Lock()
	if len(g.m)+len(missing) > g.max {
		clear(g.m)
	}
	for _, i := range missing {
		if out[i] != nil {
			g.m[cells[i]] = out[i]
		}
	}
	g.mu.Unlock()
	return out
}

// buildHexIndex indexes the stats of one resolution (ascending by cell, as
// the store returns them), with their geometry from geoms.
func buildHexIndex(res int, version int64, stats []store.HexStat, geoms *geomCache) *hexIndex {
	x := &hexIndex{version: version, res: res, cells: make([]idxCell, 0, len(stats))}
	ids := make([]int64, len(stats))
	for i, h := range stats {
		ids[i] = h.Cell
	}
	gs := geoms.get(ids)
	var sumW float64
	data := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for i, h := range stats {
		g := gs[i]
		if g == nil {
			continue // not a valid cell: never drawn
		}
		b := g.bound
		x.cells = append(x.cells, idxCell{stat: h, cellGeom: g})
		x.halfW = math.Max(x.halfW, (b.Max[0]-b.Min[0])/2)
		x.halfH = math.Max(x.halfH, (b.Max[1]-b.Min[1])/2)
		sumW += b.Max[0] - b.Min[0]
		data = data.Union(b)
	}
	n := len(x.cells)
	if n == 0 {
		return x
	}
	// Buckets about two cells wide, at most a few per cell.
	x.step = 2 * sumW / float64(n)
	if !(x.step > 0) {
		x.step = 1
	}
	x.minLng, x.minLat = data.Min[0], data.Min[1]
	for {
		x.nx = int((data.Max[0]-data.Min[0])/x.step) + 1
		x.ny = int((data.Max[1]-data.Min[1])/x.step) + 1
		if x.nx*x.ny <= 4*n+1024 {
			break
		}
		x.step *= 2
	}
	nb := x.nx * x.ny
	x.start = make([]int32, nb+1)
	bucketOf := make([]int32, n)
	for i := range x.cells {
		c := x.cells[i].bound.Center()
		b := x.bucket(x.col(c[0]), x.row(c[1]))
		bucketOf[i] = int32(b)
		x.start[b+1]++
	}
	for b := range nb {
		x.start[b+1] += x.start[b]
	}
	x.order = make([]int32, n)
	fill := slices.Clone(x.start[:nb])
	for i, b := range bucketOf { // ascending i: ascending cell within a bucket
		x.order[fill[b]] = int32(i)
		fill[b]++
	}
	return x
}

func (x *hexIndex) col(lng float64) int {
	return min(max(int(math.Floor((lng-x.minLng)/x.step)), 0), x.nx-1)
}

func (x *hexIndex) row(lat float64) int {
	return min(max(int(math.Floor((lat-x.minLat)/x.step)), 0), x.ny-1)
}

func (x *hexIndex) bucket(i, j int) int { return j*x.nx + i }

// query appends to dst the indices of the cells whose boundary meets q
// (the exact test geo.CellsInBound applies), ascending by cell id.
func (x *hexIndex) query(q orb.Bound, dst []int32) []int32 {
	if len(x.cells) == 0 {
		return dst
	}
	i0, i1 := x.col(q.Min[0]-x.halfW), x.col(q.Max[0]+x.halfW)
	j0, j1 := x.row(q.Min[1]-x.halfH), x.row(q.Max[1]+x.halfH)
	n0 := len(dst)
	for j := j0; j <= j1; j++ {
		b0, b1 := x.bucket(i0, j), x.bucket(i1, j)
		for _, k := range x.order[x.start[b0]:x.start[b1+1]] {
			c := &x.cells[k]
			if c.bound.Intersects(q) && geo.RingIntersectsBound(c.ring, q) {
				dst = append(dst, k)
			}
		}
	}
	slices.Sort(dst[n0:])
	return dst
}

// find returns the index of cell, or -1.
func (x *hexIndex) find(cell int64) int {
	i, ok := slices.BinarySearchFunc(x.cells, cell, func(c idxCell, id int64) int {
		switch {
		case c.stat.Cell < id:
			return -1
		case c.stat.Cell > id:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	return i
}

// hexIndex returns the in-memory index of resolution res at the activity
// data version ver ("activity:N"), built once; nil when the resolution's
// cells do not fit in what is left of budget (cells kept over all
// resolutions) or the database has moved past ver: the caller then lists
// the tile's cells with H3 and reads their rows by key, as before.
func (d *dataState) hexIndex(ctx context.Context, res int, ver string, budget int) (*hexIndex, error) {
	d.mu.Lock()
	if x, ok := d.hex[res]; ok && x.ver == ver {
		d.mu.Unlock()
		return x.idx, nil
	}
	d.mu.Unlock()
	if budget <= 0 {
		return nil, nil
	}
	v, err, _ := d.sf.Do("hex:"+strconv.Itoa(res)+":"+ver, func() (any, error) {
		d.mu.Lock()
		gen := d.gen
		left := budget
		for r, x := range d.hex {
			if r != res && x.ver == ver && x.idx != nil {
				left -= len(x.idx.cells)
			}
		}
		d.mu.Unlock()
		var (
			stats   []store.HexStat
			version int64
			ok      bool
			err     error
		)
		if left > 0 {
			stats, version, ok, err = d.st.WholeWeekHexStats(ctx, res, left)
			if err != nil {
				return nil, fmt.Errorf("activity of resolution %d: %w", res, err)
			}
			if "activity:"+strconv.FormatInt(version, 10) != ver {
				// The data changed after ver was read: remember nothing
				// under ver, and let this tile ask the database.
				return (*hexIndex)(nil), nil
			}
		}
		var idx *hexIndex
		if ok {
			idx = buildHexIndex(res, version, stats, d.geoms)
		}
		d.mu.Lock()
		if d.gen == gen {
			if old, had := d.hex[res]; !had || old.ver != ver || old.idx == nil {
				d.hex[res] = hexEntry{ver: ver, idx: idx}
			}
		}
		d.mu.Unlock()
		return idx, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*hexIndex), nil
}

// hexEntry is the index of one resolution at one version; idx nil means
// too many cells to keep.
type hexEntry struct {
	ver string
	idx *hexIndex
}

// hexViews holds the exact rollups of the fixed hour sets (store.HexViews)
// of the cells of one hexIndex: stats[k·n + v] is cell k's figures over
// view v. The zero value (no rollups) has no views.
type hexViews struct {
	keys  []string // the views' hours, as activity.FormatHours writes them
	n     int
	stats []activity.ViewStat
}

// view returns the index of the view whose hours are exactly hours, or -1.
func (x *hexViews) view(hours []int16) int {
	if x == nil || len(x.keys) == 0 {
		return -1
	}
	return slices.Index(x.keys, activity.FormatHours(hours))
}

func (x *hexViews) stat(k, v int) *activity.ViewStat { return &x.stats[k*x.n+v] }

// alignViews lays the rollups out by the index's cells (both ascending);
// an indexed cell without a rollup row has none of the views' hours.
func alignViews(idx *hexIndex, hv store.HexViews) *hexViews {
	x := &hexViews{n: len(hv.Views)}
	if x.n == 0 {
		return x
	}
	for _, hs := range hv.Views {
		x.keys = append(x.keys, activity.FormatHours(hs))
	}
	x.stats = make([]activity.ViewStat, len(idx.cells)*x.n)
	j := 0
	for k := range idx.cells {
		c := idx.cells[k].stat.Cell
		for j < len(hv.Cells) && hv.Cells[j] < c {
			j++
		}
		if j < len(hv.Cells) && hv.Cells[j] == c {
			copy(x.stats[k*x.n:(k+1)*x.n], hv.Stats[j*x.n:(j+1)*x.n])
		}
	}
	return x
}

// viewsEntry is the rollups of one resolution at one activity version; a
// miss (none stored for it yet) is asked again after viewsRetry.
type viewsEntry struct {
	ver string
	x   *hexViews
	at  time.Time
}

// viewsRetry is how long tiles go without rollups before asking again:
// they are written just after an import commits (store.RefreshHexViews).
const viewsRetry = 2 * time.Second

// hexViews returns the rollups of resolution res aligned with idx (the
// index of activity version ver), read once; with none of version ver
// stored, an empty one (every hour list then merges rows in the database).
func (d *dataState) hexViews(ctx context.Context, res int, ver string, idx *hexIndex) (*hexViews, error) {
	d.mu.Lock()
	if e, ok := d.views[res]; ok && e.ver == ver && (e.x.n > 0 || time.Since(e.at) < viewsRetry) {
		d.mu.Unlock()
		return e.x, nil
	}
	d.mu.Unlock()
	v, err, _ := d.sf.Do("views:"+strconv.Itoa(res)+":"+ver, func() (any, error) {
		d.mu.Lock()
		gen := d.gen
		d.mu.Unlock()
		hv, version, err := d.st.LoadHexViews(ctx, res)
		if err != nil {
			return nil, fmt.Errorf("hour-set rollups of resolution %d: %w", res, err)
		}
		x := &hexViews{}
		if "activity:"+strconv.FormatInt(version, 10) == ver && idx.version == version {
			x = alignViews(idx, hv)
		}
		d.mu.Lock()
		if d.gen == gen {
			d.views[res] = viewsEntry{ver: ver, x: x, at: time.Now()}
		}
		d.mu.Unlock()
		return x, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*hexViews), nil
}
