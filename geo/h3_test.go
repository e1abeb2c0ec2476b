package geo

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/uber/h3-go/v4"
)

func mustCell(t testing.TB, lng, lat float64, res int) Cell {
	t.Helper()
	c, err := CellAt(lng, lat, res)
	if err != nil {
		t.Fatalf("CellAt(%v, %v, %d): %v", lng, lat, res, err)
	}
	return c
}

func TestCellAt(t *testing.T) {
	tests := []struct {
		name     string
		lng, lat float64
		res      int
		wantErr  bool
	}{
		{"shanghai res 9", 121.47, 31.23, 9, false},
		{"res 0", 121.47, 31.23, 0, false},
		{"res 15", 121.47, 31.23, 15, false},
		{"north pole", 0, 90, 5, false},
		{"antimeridian", 180, 0, 5, false},
		{"nan lng", math.NaN(), 31.23, 9, true},
		{"nan lat", 121.47, math.NaN(), 9, true},
		{"inf", math.Inf(1), 31.23, 9, true},
		{"lat 91", 121.47, 91, 9, true},
		{"lng -181", -181, 31.23, 9, true},
		{"res -1", 121.47, 31.23, -1, true},
		{"res 16", 121.47, 31.23, 16, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := CellAt(tt.lng, tt.lat, tt.res)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CellAt(%v, %v, %d) = %v, %v; want error %v", tt.lng, tt.lat, tt.res, c, err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrInvalidInput) {
					t.Errorf("error %v does not wrap ErrInvalidInput", err)
				}
				return
			}
			if !c.IsValid() || c.Resolution() != tt.res {
				t.Errorf("CellAt = %v (valid %v, res %d), want a valid res %d cell", c, c.IsValid(), c.Resolution(), tt.res)
			}
			want, _ := h3.LatLngToCell(h3.LatLng{Lat: tt.lat, Lng: tt.lng}, tt.res)
			if c != want {
				t.Errorf("CellAt = %v, want h3's %v", c, want)
			}
		})
	}
}

func TestCellCenterAndPolygon(t *testing.T) {
	for res := 7; res <= 10; res++ {
		p := orb.Point{121.47, 31.23}
		c := mustCell(t, p[0], p[1], res)
		center := CellCenter(c)
		if d := Haversine(p, center); d > 1.5*EdgeLengthM(res) {
			t.Errorf("res %d: centre %v is %.0f m from %v, want within 1.5 edges (%.0f m)", res, center, d, p, 1.5*EdgeLengthM(res))
		}
		poly := CellPolygon(c)
		if len(poly) != 1 {
			t.Fatalf("res %d: %d rings, want 1", res, len(poly))
		}
		r := poly[0]
		if len(r) != 7 || r[0] != r[len(r)-1] {
			t.Errorf("res %d: ring has %d points, closed %v; want 7, closed", res, len(r), r[0] == r[len(r)-1])
		}
		if got := r.Orientation(); got != orb.CCW {
			t.Errorf("res %d: orientation %v, want CCW (%v)", res, got, orb.CCW)
		}
		if !planar.RingContains(r, center) || !planar.RingContains(r, p) {
			t.Errorf("res %d: polygon does not contain its centre %v or the point %v", res, center, p)
		}
		if back := mustCell(t, center[0], center[1], res); back != c {
			t.Errorf("res %d: CellAt(CellCenter(c)) = %v, want %v", res, back, c)
		}
	}
	if got := CellCenter(0); got != (orb.Point{}) {
		t.Errorf("CellCenter(0) = %v, want zero point", got)
	}
	if got := CellPolygon(0); got != nil {
		t.Errorf("CellPolygon(0) = %v, want nil", got)
	}
}

func TestCellPolygonPentagon(t *testing.T) {
	pents, err := h3.Pentagons(8)
	if err != nil {
		t.Fatal(err)
	}
	r := CellPolygon(pents[0])[0]
	// A pentagon at class III resolutions has 10 boundary vertices at most
	// (edge crossings of icosahedron faces); at least 5.
	if len(r) < 6 || r[0] != r[len(r)-1] {
		t.Errorf("pentagon ring has %d points, closed %v", len(r), r[0] == r[len(r)-1])
	}
}

func TestCellParent(t *testing.T) {
	c10 := mustCell(t, 121.47, 31.23, 10)
	tests := []struct {
		name string
		res  int
		want Cell
	}{
		{"res 9", 9, mustCell(t, 121.47, 31.23, 9)},
		{"res 7", 7, mustCell(t, 121.47, 31.23, 7)},
		{"same res", 10, c10},
		{"finer", 11, 0},
		{"negative", -1, 0},
	}
	if got := CellParent(0, 5); got != 0 {
		t.Errorf("CellParent(0, 5) = %v, want 0", got)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CellParent(c10, tt.res); got != tt.want {
				t.Errorf("CellParent(%v, %d) = %v, want %v", c10, tt.res, got, tt.want)
			}
		})
	}
}

func TestDisplayRes(t *testing.T) {
	tests := []struct{ z, want int }{
		{0, 7}, {5, 7}, {10, 7}, {11, 8}, {12, 9}, {13, 9}, {14, 10}, {18, 10}, {22, 10},
	}
	for _, tt := range tests {
		if got := DisplayRes(tt.z); got != tt.want {
			t.Errorf("DisplayRes(%d) = %d, want %d", tt.z, got, tt.want)
		}
	}
}

func TestEdgeLengthM(t *testing.T) {
	// FIELD.md's table (rounded): 1.41 km, 0.53 km, 0.20 km, 0.076 km.
	tests := []struct {
		res       int
		want, tol float64
	}{
		{7, 1410, 10}, {8, 530, 5}, {9, 200, 2}, {10, 76, 1}, {-1, 0, 0}, {16, 0, 0},
	}
	for _, tt := range tests {
		if got := EdgeLengthM(tt.res); math.Abs(got-tt.want) > tt.tol {
			t.Errorf("EdgeLengthM(%d) = %.2f, want %.0f ± %.0f", tt.res, got, tt.want, tt.tol)
		}
	}
}

func TestNeighbors(t *testing.T) {
	pents, err := h3.Pentagons(9)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    Cell
		want int
	}{
		{"hexagon", mustCell(t, 121.47, 31.23, 9), 6},
		{"pentagon", pents[0], 5},
		{"invalid", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Neighbors(tt.c)
			if len(got) != tt.want {
				t.Fatalf("Neighbors(%v) has %d cells, want %d: %v", tt.c, len(got), tt.want, got)
			}
			if !slices.IsSorted(got) {
				t.Errorf("Neighbors not sorted: %v", got)
			}
			for _, n := range got {
				if ok, err := tt.c.IsNeighbor(n); n == tt.c || err != nil || !ok {
					t.Errorf("%v is not a neighbour of %v (err %v)", n, tt.c, err)
				}
			}
		})
	}
}

func TestRingIntersectsBound(t *testing.T) {
	b := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{2, 2}}
	closed := func(pts ...orb.Point) orb.Ring { return append(orb.Ring(pts), pts[0]) }
	tests := []struct {
		name string
		r    orb.Ring
		want bool
	}{
		{"inside", closed(orb.Point{0.5, 0.5}, orb.Point{1.5, 0.5}, orb.Point{1, 1.5}), true},
		{"bound inside ring", closed(orb.Point{-1, -1}, orb.Point{3, -1}, orb.Point{3, 3}, orb.Point{-1, 3}), true},
		{"vertex inside", closed(orb.Point{1, 1}, orb.Point{3, 1}, orb.Point{3, 3}), true},
		{"edges cross only", closed(orb.Point{-1, 0.8}, orb.Point{3, 0.8}, orb.Point{3, 1.2}, orb.Point{-1, 1.2}), true},
		{"corner only", closed(orb.Point{2, 2}, orb.Point{3, 2}, orb.Point{3, 3}), true},
		{"disjoint", closed(orb.Point{3, 3}, orb.Point{4, 3}, orb.Point{4, 4}), false},
		// bboxes overlap, shapes do not: a thin triangle past the corner.
		{"bbox overlap only", closed(orb.Point{1.9, 3}, orb.Point{3, 1.9}, orb.Point{3, 3}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RingIntersectsBound(tt.r, b); got != tt.want {
				t.Errorf("RingIntersectsBound(%v, %v) = %v, want %v", tt.r, b, got, tt.want)
			}
		})
	}
}

// boundAround returns a bound of the given half-size in metres around p.
func boundAround(p orb.Point, halfX, halfY float64) orb.Bound {
	proj := NewLocalProjection(p)
	return orb.Bound{Min: proj.ToLngLat(-halfX, -halfY), Max: proj.ToLngLat(halfX, halfY)}
}

func TestCellsInBoundBruteForce(t *testing.T) {
	shanghai := orb.Point{121.47, 31.23}
	tests := []struct {
		name string
		res  int
		b    orb.Bound
	}{
		{"res 7 district", 7, boundAround(shanghai, 8000, 6000)},
		{"res 7 tiny", 7, boundAround(orb.Point{121.5, 31.25}, 50, 50)},
		{"res 8 street", 8, boundAround(orb.Point{121.44, 31.20}, 3000, 2000)},
		{"res 9 pudong", 9, boundAround(orb.Point{121.53, 31.22}, 1500, 1200)},
		{"res 9 thin strip", 9, boundAround(orb.Point{121.40, 31.28}, 2000, 10)},
		{"res 10 block", 10, boundAround(orb.Point{121.47, 31.23}, 600, 400)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CellsInBound(tt.b, tt.res)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
				t.Fatalf("result not sorted and unique")
			}

			// 1. Brute-force candidates: a generous grid disk, filtered by
			// the exact predicate, must equal the result.
			edge := EdgeLengthM(tt.res)
			diag := Haversine(tt.b.Min, tt.b.Max)
			k := int(diag/(math.Sqrt(3)*edge)) + 4
			disk, err := mustCell(t, tt.b.Center()[0], tt.b.Center()[1], tt.res).GridDisk(k)
			if err != nil {
				t.Fatal(err)
			}
			var want []Cell
			for _, c := range disk {
				if RingIntersectsBound(CellPolygon(c)[0], tt.b) {
					want = append(want, c)
				}
			}
			want = sortedUnique(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %d cells, brute force %d; missing %v, extra %v",
					len(got), len(want), minus(want, got), minus(got, want))
			}

			// 2. Dense sampling of the bound: every cell holding a sampled
			// point must be in the result.
			step := edge / 6
			proj := NewLocalProjection(tt.b.Min)
			w, h := proj.ToXY(tt.b.Max)
			sampled := map[Cell]bool{}
			for x := 0.0; x <= w+step; x += step {
				for y := 0.0; y <= h+step; y += step {
					pt := proj.ToLngLat(math.Min(x, w), math.Min(y, h))
					sampled[mustCell(t, pt[0], pt[1], tt.res)] = true
				}
			}
			for c := range sampled {
				if _, ok := slices.BinarySearch(got, c); !ok {
					t.Errorf("sampled cell %v (centre %v) missing from result", c, CellCenter(c))
				}
			}

			// 3. More than centre containment whenever cells straddle the edge.
			centres := 0
			for _, c := range got {
				if tt.b.Contains(CellCenter(c)) {
					centres++
				}
			}
			t.Logf("res %d: %d cells (%d sampled, %d with centre inside)", tt.res, len(got), len(sampled), centres)
			if centres >= len(got) {
				t.Errorf("every cell has its centre inside: %d of %d, want boundary cells too", centres, len(got))
			}
		})
	}
}

func minus(a, b []Cell) []Cell {
	var out []Cell
	for _, c := range a {
		if !slices.Contains(b, c) {
			out = append(out, c)
		}
	}
	return out
}

func TestCellsInBoundErrors(t *testing.T) {
	good := orb.Bound{Min: orb.Point{121.4, 31.2}, Max: orb.Point{121.5, 31.3}}
	tests := []struct {
		name string
		b    orb.Bound
		res  int
	}{
		{"res -1", good, -1},
		{"res 16", good, 16},
		{"nan", orb.Bound{Min: orb.Point{math.NaN(), 31.2}, Max: good.Max}, 9},
		{"inverted", orb.Bound{Min: good.Max, Max: good.Min}, 9},
		{"lat 95", orb.Bound{Min: good.Min, Max: orb.Point{121.5, 95}}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CellsInBound(tt.b, tt.res)
			if !errors.Is(err, ErrInvalidInput) {
				t.Errorf("CellsInBound(%v, %d) = %d cells, %v; want ErrInvalidInput", tt.b, tt.res, len(got), err)
			}
		})
	}
}

func TestCellsInPolygon(t *testing.T) {
	outer := boundAround(orb.Point{121.47, 31.23}, 3000, 2000).ToRing()
	hole := boundAround(orb.Point{121.47, 31.23}, 1000, 800).ToRing()
	hole.Reverse()
	tests := []struct {
		name string
		p    orb.Polygon
		res  int
	}{
		{"rectangle res 9", orb.Polygon{outer}, 9},
		{"with hole res 9", orb.Polygon{outer, hole}, 9},
		{"rectangle res 8", orb.Polygon{outer}, 8},
		{"cell res 10 in res 9 cell", CellPolygon(mustCell(t, 121.47, 31.23, 9)), 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CellsInPolygon(tt.p, tt.res)
			if err != nil {
				t.Fatal(err)
			}
			// Brute force: cells near the polygon whose centre is inside.
			b := tt.p.Bound()
			disk, _ := mustCell(t, b.Center()[0], b.Center()[1], tt.res).
				GridDisk(int(Haversine(b.Min, b.Max)/EdgeLengthM(tt.res)) + 2)
			var want []Cell
			for _, c := range disk {
				if planar.PolygonContains(tt.p, CellCenter(c)) {
					want = append(want, c)
				}
			}
			want = sortedUnique(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %d cells, brute force %d; missing %v, extra %v", len(got), len(want), minus(want, got), minus(got, want))
			}
		})
	}
	if got, err := CellsInPolygon(nil, 9); got != nil || err != nil {
		t.Errorf("CellsInPolygon(nil) = %v, %v; want nil, nil", got, err)
	}
	if _, err := CellsInPolygon(orb.Polygon{outer}, 16); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("res 16: error %v, want ErrInvalidInput", err)
	}
}
