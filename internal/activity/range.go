package activity

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
)

// rangeScratch holds the buffers rangeOf works in, reused from rider to
// rider by one goroutine: a rider's reservoir takes up to ~40 KB of them,
// which allocated afresh for every rider cost more than the range itself
// once the import's heap is near its limit.
type rangeScratch struct {
	samples []xyw
	ds      []distW
	pts     []orb.Point
}

// rangeOf computes a finished rider's Range (see Range for what is exact and
// what comes from the reservoir). sc may be nil.
func rangeOf(quantile float64, r *riderState, sc *rangeScratch) Range {
	if sc == nil {
		sc = new(rangeScratch)
	}
	g := Range{
		Rider:         r.id,
		RiderKey:      r.key,
		From:          time.Unix(0, r.firstT).UTC(),
		To:            time.Unix(0, r.lastT).UTC(),
		Days:          r.days,
		Pings:         r.n,
		ActiveSeconds: float64(r.activeNs) / 1e9,
		DwellSeconds:  float64(r.dwellNs) / 1e9,
	}
	sc.samples = r.appendSamples(sc.samples[:0])
	reservoir := sc.samples
	cx, cy := r.mx, r.my
	if r.sw > 0 {
		g.GyrationM = math.Sqrt(max(0, r.m2/r.sw))
	} else { // no time credited at all (DefaultPingSeconds 0): unweighted
		cx, cy = meanXY(reservoir)
	}
	g.Centroid = r.proj.ToLngLat(cx, cy)
	g.P90M, sc.ds = weightedQuantileDistance(reservoir, cx, cy, quantile, sc.ds)

	// Points strictly inside the octagon of the extreme points cannot be
	// hull vertices (Akl–Toussaint): leave them out of the hull's sort.
	oct := octagon(&r.ext)
	pts := sc.pts[:0]
	for _, p := range reservoir {
		if oct.inside(float64(p.x), float64(p.y)) {
			continue
		}
		pts = append(pts, r.proj.ToLngLat(float64(p.x), float64(p.y)))
	}
	for _, e := range r.ext {
		pts = append(pts, r.proj.ToLngLat(e[0], e[1]))
	}
	sc.pts = pts
	if h := geo.ConvexHull(pts); h != nil {
		// The hull's ring has room for twice the points it was built from;
		// the range keeps it until the commit: keep only its vertices.
		g.Hull = orb.Polygon{slices.Clone(h[0])}
	}

	g.Cells = make([]RangeCell, 0, len(r.cells))
	for _, rc := range r.cells {
		share := 0.0
		if r.activeNs > 0 {
			share = float64(rc.ns) / float64(r.activeNs)
		}
		g.Cells = append(g.Cells, RangeCell{
			Cell:         rc.cell,
			Share:        share,
			Seconds:      float64(rc.ns) / 1e9,
			DwellSeconds: float64(rc.dwellNs) / 1e9,
			Days:         int(rc.days),
		})
	}
	slices.SortFunc(g.Cells, func(a, b RangeCell) int {
		if c := cmp.Compare(b.Share, a.Share); c != 0 {
			return c
		}
		return cmp.Compare(a.Cell, b.Cell)
	})
	return g
}

func meanXY(pts []xyw) (float64, float64) {
	var sx, sy float64
	for _, p := range pts {
		sx += float64(p.x)
		sy += float64(p.y)
	}
	if len(pts) == 0 {
		return 0, 0
	}
	return sx / float64(len(pts)), sy / float64(len(pts))
}

type distW struct{ d, w float64 }

// weightedQuantileDistance returns the smallest distance d from (cx, cy) such
// that points within d carry at least a fraction q of the total weight (the
// weighted nearest rank). With no positive weight the points count equally.
// buf is scratch space, returned grown.
func weightedQuantileDistance(pts []xyw, cx, cy, q float64, buf []distW) (float64, []distW) {
	if len(pts) == 0 {
		return 0, buf
	}
	type dw = distW
	ds := slices.Grow(buf[:0], len(pts))[:len(pts)]
	total := 0.0
	for i, p := range pts {
		ds[i] = dw{math.Hypot(float64(p.x)-cx, float64(p.y)-cy), float64(p.w)}
		total += float64(p.w)
	}
	if !(total > 0) {
		for i := range ds {
			ds[i].w = 1
		}
		total = float64(len(ds))
	}
	slices.SortFunc(ds, func(a, b dw) int { return cmp.Compare(a.d, b.d) })
	target := q * total
	cum := 0.0
	for _, x := range ds {
		cum += x.w
		// Tolerate rounding in the running sum (e.g. q·total exactly reached).
		if cum >= target*(1-1e-12) && x.w > 0 || cum >= total {
			return x.d, ds
		}
	}
	return ds[len(ds)-1].d, ds
}

// octagonEdges are the edges of the convex polygon of a rider's extreme
// points (counter-clockwise), each as a point and a unit left normal.
type octagonEdges struct {
	n  int
	ax [8]float64
	ay [8]float64
	nx [8]float64
	ny [8]float64
}

// octagon orders the extreme points (min/max of x, y, x+y, x−y) counter-
// clockwise: min x, min x+y, min y, max x−y, max x, max x+y, max y, min x−y.
func octagon(e *[8][2]float64) octagonEdges {
	order := [8]int{0, 4, 2, 7, 1, 5, 3, 6}
	var o octagonEdges
	for i, k := range order {
		a, b := e[k], e[order[(i+1)%8]]
		dx, dy := b[0]-a[0], b[1]-a[1]
		l := math.Hypot(dx, dy)
		if !(l > 0) {
			continue
		}
		o.ax[o.n], o.ay[o.n] = a[0], a[1]
		o.nx[o.n], o.ny[o.n] = -dy/l, dx/l
		o.n++
	}
	return o
}

// inside reports whether (x, y) is inside the octagon by more than 1 mm
// from every edge (a conservative test: rounding cannot make a hull vertex
// look inside). A degenerate octagon (fewer than 3 edges) has no inside.
func (o *octagonEdges) inside(x, y float64) bool {
	if o.n < 3 {
		return false
	}
	for i := range o.n {
		if (x-o.ax[i])*o.nx[i]+(y-o.ay[i])*o.ny[i] <= 1e-3 {
			return false
		}
	}
	return true
}
