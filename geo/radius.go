package geo

import (
	"cmp"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Centroid returns the weighted mean position of pts, averaged in a local
// projection (metres, not degrees). w gives one weight per point; nil means
// equal weights. Points whose weight is not positive (including NaN) are
// ignored. With no positively weighted point it returns the zero Point.
// It panics if w is non-nil and len(w) != len(pts).
func Centroid(pts []orb.Point, w []float64) orb.Point {
	c, ok := centroid(pts, w)
	if !ok {
		return orb.Point{}
	}
	return c
}

func centroid(pts []orb.Point, w []float64) (orb.Point, bool) {
	if w != nil && len(w) != len(pts) {
		panic("geo: Centroid: len(w) != len(pts)")
	}
	var proj LocalProjection
	var sx, sy, sw float64
	found := false
	for i, pt := range pts {
		wi := weight(w, i)
		if !(wi > 0) {
			continue
		}
		if !found {
			proj = NewLocalProjection(pt)
			found = true
		}
		x, y := proj.ToXY(pt)
		sx += wi * x
		sy += wi * y
		sw += wi
	}
	if !found {
		return orb.Point{}, false
	}
	return proj.ToLngLat(sx/sw, sy/sw), true
}

func weight(w []float64, i int) float64 {
	if w == nil {
		return 1
	}
	return w[i]
}

// RadiusOfGyration returns sqrt(Σ wᵢ·dᵢ² / Σ wᵢ) in metres, dᵢ being the
// great-circle distance of point i from the weighted Centroid. Weights follow
// Centroid's rules; with no positively weighted point it returns 0.
func RadiusOfGyration(pts []orb.Point, w []float64) float64 {
	c, ok := centroid(pts, w)
	if !ok {
		return 0
	}
	var s, sw float64
	for i, pt := range pts {
		wi := weight(w, i)
		if !(wi > 0) {
			continue
		}
		d := Haversine(c, pt)
		s += wi * d * d
		sw += wi
	}
	return math.Sqrt(s / sw)
}

// PercentileDistance returns the q-quantile, by nearest rank, of the
// great-circle distances in metres from center to pts: the smallest distance
// d such that at least a fraction q of the points are within d. q is clamped
// to [0, 1] (q = 0 gives the minimum, 1 the maximum). No points give 0.
func PercentileDistance(pts []orb.Point, center orb.Point, q float64) float64 {
	if len(pts) == 0 {
		return 0
	}
	d := make([]float64, len(pts))
	for i, pt := range pts {
		d[i] = Haversine(center, pt)
	}
	slices.Sort(d)
	q = math.Max(0, math.Min(1, q)) // NaN clamps to 0
	rank := max(1, int(math.Ceil(q*float64(len(d)))))
	return d[min(rank, len(d))-1]
}

// ConvexHull returns the convex hull of pts as a polygon with one closed,
// counter-clockwise ring of input points, computed in lng/lat degrees (fine
// at city scale). Points lying on a hull edge are not vertices.
//
// Degenerate input (fewer than 3 distinct points, or all points collinear
// within floating-point tolerance) has no area and gives an empty (nil)
// polygon; callers wanting a shape for it should buffer the points.
//
// It uses Andrew's monotone chain rather than go-geom's xy.ConvexHull, which
// in v1.7.0 leaves input points outside the hull for some inputs of more
// than 50 points and adds a spurious (0, 0) vertex for duplicated input.
func ConvexHull(pts []orb.Point) orb.Polygon {
	if len(pts) < 3 {
		return nil
	}
	ps := slices.Clone(pts)
	slices.SortFunc(ps, func(a, b orb.Point) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	ps = slices.Compact(ps)
	if len(ps) < 3 {
		return nil
	}
	// Lower hull left to right, then upper hull right to left; a
	// non-left turn pops, which drops collinear points.
	hull := make(orb.Ring, 0, 2*len(ps)+1)
	for _, pass := range [2]bool{false, true} {
		start := len(hull)
		for i := range ps {
			p := ps[i]
			if pass {
				p = ps[len(ps)-1-i]
			}
			for len(hull) >= start+2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
				hull = hull[:len(hull)-1]
			}
			hull = append(hull, p)
		}
		hull = hull[:len(hull)-1] // the last point starts the other chain
	}
	if len(hull) < 3 {
		return nil
	}
	hull = append(hull, hull[0])
	// Reject slivers that are collinear but for rounding.
	b := hull.Bound()
	extent := math.Max(b.Max[0]-b.Min[0], b.Max[1]-b.Min[1])
	if math.Abs(planar.Area(hull)) <= 1e-9*extent*extent {
		return nil
	}
	return orb.Polygon{hull}
}
