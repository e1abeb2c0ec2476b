package geo_test

import (
	"fmt"

	"github.com/hexcover/hexcover/geo"
	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

func ExampleToGeom() {
	p := orb.Polygon{{{121.4, 31.2}, {121.5, 31.2}, {121.5, 31.3}, {121.4, 31.2}}}
	g := geo.ToGeom(p)
	fmt.Println(g.SRID(), g.NumLinearRings(), g.NumCoords())
	// Output:
	// 4326 1 4
}

func ExampleFromGeom() {
	g := geom.NewPolygonFlat(geom.XY, []float64{0, 0, 1, 0, 1, 1, 0, 0}, []int{8})
	fmt.Println(geo.FromGeom(g))
	// Output:
	// [[[0 0] [1 0] [1 1] [0 0]]]
}

func ExamplePointsToGeom() {
	mp := geo.PointsToGeom([]orb.Point{{121.47, 31.23}, {121.5, 31.24}})
	fmt.Println(mp.SRID(), mp.NumPoints(), mp.Point(1).Coords())
	// Output:
	// 4326 2 [121.5 31.24]
}
