package geo_test

import (
	"fmt"

	"github.com/hexcover/hexcover/geo"
	"github.com/paulmach/orb"
)

func ExampleCellAt() {
	c, err := geo.CellAt(121.47, 31.23, 9)
	fmt.Println(c, err)
	_, err = geo.CellAt(121.47, 31.23, 16)
	fmt.Println(err)
	// Output:
	// 89309959d57ffff <nil>
	// cell at: resolution 16 outside 0..15: invalid input
}

func ExampleCellCenter() {
	c, _ := geo.CellAt(121.47, 31.23, 9)
	p := geo.CellCenter(c)
	fmt.Printf("%.6f %.6f\n", p[0], p[1])
	// Output:
	// 121.468281 31.230205
}

func ExampleCellPolygon() {
	c, _ := geo.CellAt(121.47, 31.23, 9)
	ring := geo.CellPolygon(c)[0]
	fmt.Println(len(ring), ring[0] == ring[len(ring)-1], ring.Orientation() == orb.CCW)
	// Output:
	// 7 true true
}

func ExampleCellParent() {
	c, _ := geo.CellAt(121.47, 31.23, 10)
	fmt.Println(geo.CellParent(c, 7))
	// Output:
	// 87309959dffffff
}

func ExampleDisplayRes() {
	for _, z := range []int{9, 11, 13, 16} {
		fmt.Print(geo.DisplayRes(z), " ")
	}
	fmt.Println()
	// Output:
	// 7 8 9 10
}

func ExampleCellsInBound() {
	b := orb.Bound{Min: orb.Point{121.46, 31.22}, Max: orb.Point{121.48, 31.24}}
	cells, _ := geo.CellsInBound(b, 8)
	fmt.Println(len(cells))
	// Output:
	// 13
}

func ExampleCellsInPolygon() {
	b := orb.Bound{Min: orb.Point{121.46, 31.22}, Max: orb.Point{121.48, 31.24}}
	cells, _ := geo.CellsInPolygon(b.ToPolygon(), 8)
	fmt.Println(len(cells))
	// Output:
	// 10
}

func ExampleNeighbors() {
	c, _ := geo.CellAt(121.47, 31.23, 9)
	fmt.Println(len(geo.Neighbors(c)))
	// Output:
	// 6
}

func ExampleEdgeLengthM() {
	for res := 7; res <= 10; res++ {
		fmt.Printf("res %d: %.1f m\n", res, geo.EdgeLengthM(res))
	}
	// Output:
	// res 7: 1406.5 m
	// res 8: 531.4 m
	// res 9: 200.8 m
	// res 10: 75.9 m
}

func ExampleRingIntersectsBound() {
	c, _ := geo.CellAt(121.4737, 31.2304, 10)
	ring := geo.CellPolygon(c)[0]
	ctr := geo.CellCenter(c)
	near := orb.Bound{Min: ctr, Max: orb.Point{ctr[0] + 0.01, ctr[1] + 0.01}}
	far := orb.Bound{Min: orb.Point{121.0, 31.0}, Max: orb.Point{121.1, 31.1}}
	fmt.Println(geo.RingIntersectsBound(ring, near), geo.RingIntersectsBound(ring, far))
	// Output: true false
}
