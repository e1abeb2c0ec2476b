package geo_test

import (
	"fmt"

	"github.com/hexcover/hexcover/geo"
	"github.com/paulmach/orb"
)

func ExampleHaversine() {
	peoplesSquare := orb.Point{121.4737, 31.2304}
	lujiazui := orb.Point{121.5020, 31.2397}
	fmt.Printf("%.0f m\n", geo.Haversine(peoplesSquare, lujiazui))
	// Output:
	// 2883 m
}

func ExampleNewLocalProjection() {
	p := geo.NewLocalProjection(orb.Point{121.47, 31.23})
	x, y := p.ToXY(orb.Point{121.48, 31.24})
	fmt.Printf("%.1f m east, %.1f m north\n", x, y)
	// Output:
	// 950.8 m east, 1112.0 m north
}

func ExampleLocalProjection_ToXY() {
	p := geo.NewLocalProjection(orb.Point{121.47, 31.23})
	x, y := p.ToXY(orb.Point{121.47, 31.23 + 0.009})
	fmt.Printf("%.1f %.1f\n", x, y)
	// Output:
	// 0.0 1000.8
}

func ExampleLocalProjection_ToLngLat() {
	p := geo.NewLocalProjection(orb.Point{121.47, 31.23})
	pt := p.ToLngLat(1000, -500) // 1 km east, 500 m south
	fmt.Printf("%.6f %.6f\n", pt[0], pt[1])
	// Output:
	// 121.480517 31.225503
}
