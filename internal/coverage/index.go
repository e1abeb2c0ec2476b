package coverage

import (
	"math"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
)

// Index is a spatial hash of points (cell centres) for radius queries: the
// points are bucketed on a square grid in a local equirectangular projection
// and every candidate is checked with the great-circle distance, so results
// are exactly "Haversine ≤ radius".
//
// Measured on the demo city (685 res-9 cells, 73 sites; BenchmarkRadius):
// building the index and running every site's query takes 0.2 ms in Go,
// against 11 ms for the same ST_DWithin query on geography in PostGIS with a
// GiST box pre-filter (the tests' cellsWithin; 96 ms without it). PostGIS also
// measures on the spheroid rather than the sphere H3 and this package use:
// 3 of 1,133 site-cell pairs differ, all within 0.5% of the radius.
type Index struct {
	pts    []orb.Point
	xy     [][2]float64 // projected, metres
	proj   geo.LocalProjection
	size   float64 // bucket edge, metres
	bucket map[[2]int32][]int32
}

// NewIndex indexes pts with square buckets of bucketM metres (0: 400 m,
// about two res-9 cells).
func NewIndex(pts []orb.Point, bucketM float64) *Index {
	if bucketM <= 0 {
		bucketM = 400
	}
	var origin orb.Point
	if len(pts) > 0 {
		origin = pts[0]
	}
	ix := &Index{pts: pts, proj: geo.NewLocalProjection(origin), size: bucketM, bucket: map[[2]int32][]int32{}}
	ix.xy = make([][2]float64, len(pts))
	for i, p := range pts {
		x, y := ix.proj.ToXY(p)
		ix.xy[i] = [2]float64{x, y}
		k := ix.key(x, y)
		ix.bucket[k] = append(ix.bucket[k], int32(i))
	}
	return ix
}

func (ix *Index) key(x, y float64) [2]int32 {
	return [2]int32{int32(math.Floor(x / ix.size)), int32(math.Floor(y / ix.size))}
}

// Within calls fn with the index of every point within radiusM metres
// (great-circle) of c, in no particular order.
func (ix *Index) Within(c orb.Point, radiusM float64, fn func(i int)) {
	if len(ix.pts) == 0 || radiusM < 0 {
		return
	}
	cx, cy := ix.proj.ToXY(c)
	// The projection's scale drifts slightly away from its origin (well
	// under 1% across a city): search and pre-filter with 2% slack, then
	// decide on the great-circle distance.
	rr := radiusM*1.02 + 1
	lo, hi := ix.key(cx-rr, cy-rr), ix.key(cx+rr, cy+rr)
	for bx := lo[0]; bx <= hi[0]; bx++ {
		for by := lo[1]; by <= hi[1]; by++ {
			for _, i := range ix.bucket[[2]int32{bx, by}] {
				dx, dy := ix.xy[i][0]-cx, ix.xy[i][1]-cy
				if dx*dx+dy*dy <= rr*rr && geo.Haversine(c, ix.pts[i]) <= radiusM {
					fn(int(i))
				}
			}
		}
	}
}
