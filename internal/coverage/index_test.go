package coverage

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
)

func TestIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]orb.Point, 3000)
	for i := range pts {
		pts[i] = orb.Point{121.30 + r.Float64()*0.25, 31.15 + r.Float64()*0.2}
	}
	for _, bucket := range []float64{0, 100, 1000, 5000} {
		ix := NewIndex(pts, bucket)
		for q := range 200 {
			c := orb.Point{121.28 + r.Float64()*0.3, 31.13 + r.Float64()*0.25}
			radius := []float64{0, 50, 500, 800, 1000, 3000}[q%6]
			var got, want []int
			ix.Within(c, radius, func(i int) { got = append(got, i) })
			for i, p := range pts {
				if geo.Haversine(c, p) <= radius {
					want = append(want, i)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("bucket %g: Within(%v, %g) = %d points, brute force %d", bucket, c, radius, len(got), len(want))
			}
		}
	}
	var none []int
	NewIndex(nil, 0).Within(orb.Point{121, 31}, 1000, func(i int) { none = append(none, i) })
	if len(none) != 0 {
		t.Errorf("empty index returned %v", none)
	}
}
