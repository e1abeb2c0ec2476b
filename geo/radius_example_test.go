package geo_test

import (
	"fmt"

	"github.com/hexcover/hexcover/geo"
	"github.com/paulmach/orb"
)

// square returns the corners of a square of side 2s metres around c.
func square(c orb.Point, s float64) []orb.Point {
	p := geo.NewLocalProjection(c)
	return []orb.Point{p.ToLngLat(s, s), p.ToLngLat(-s, s), p.ToLngLat(-s, -s), p.ToLngLat(s, -s)}
}

func ExampleCentroid() {
	pts := []orb.Point{{121.46, 31.22}, {121.48, 31.22}, {121.48, 31.24}}
	c := geo.Centroid(pts, []float64{1, 1, 2})
	fmt.Printf("%.4f %.4f\n", c[0], c[1])
	// Output:
	// 121.4750 31.2300
}

func ExampleRadiusOfGyration() {
	pts := square(orb.Point{121.47, 31.23}, 1000) // side 2 km
	fmt.Printf("%.0f m\n", geo.RadiusOfGyration(pts, nil))
	// Output:
	// 1414 m
}

func ExamplePercentileDistance() {
	c := orb.Point{121.47, 31.23}
	p := geo.NewLocalProjection(c)
	var pts []orb.Point
	for _, d := range []float64{400, 100, 300, 200, 2500} {
		pts = append(pts, p.ToLngLat(0, d))
	}
	fmt.Printf("median %.0f m, p80 %.0f m, max %.0f m\n",
		geo.PercentileDistance(pts, c, 0.5), geo.PercentileDistance(pts, c, 0.8), geo.PercentileDistance(pts, c, 1))
	// Output:
	// median 300 m, p80 400 m, max 2500 m
}

func ExampleConvexHull() {
	pts := []orb.Point{{0, 0}, {2, 0}, {1, 1}, {2, 2}, {0, 2}}
	fmt.Println(geo.ConvexHull(pts))
	fmt.Println(geo.ConvexHull([]orb.Point{{0, 0}, {1, 1}, {2, 2}}) == nil)
	// Output:
	// [[[0 0] [2 0] [2 2] [0 2] [0 0]]]
	// true
}
