package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

var shanghai = orb.Point{121.47, 31.23}

// around returns points at the given (x, y) metre offsets from origin.
func around(origin orb.Point, xy ...[2]float64) []orb.Point {
	p := NewLocalProjection(origin)
	pts := make([]orb.Point, len(xy))
	for i, v := range xy {
		pts[i] = p.ToLngLat(v[0], v[1])
	}
	return pts
}

func TestCentroid(t *testing.T) {
	const s = 1000.0
	square := around(shanghai, [2]float64{s, s}, [2]float64{-s, s}, [2]float64{-s, -s}, [2]float64{s, -s})
	line := around(shanghai, [2]float64{0, 0}, [2]float64{4000, 0})
	tests := []struct {
		name string
		pts  []orb.Point
		w    []float64
		want orb.Point
	}{
		{"square", square, nil, shanghai},
		{"square equal weights", square, []float64{2, 2, 2, 2}, shanghai},
		{"weighted 1:3", line, []float64{1, 3}, around(shanghai, [2]float64{3000, 0})[0]},
		{"zero weight ignored", line, []float64{0, 1}, line[1]},
		{"negative and NaN ignored", line, []float64{-5, math.NaN()}, orb.Point{}},
		{"single", []orb.Point{shanghai}, nil, shanghai},
		{"empty", nil, nil, orb.Point{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Centroid(tt.pts, tt.w)
			if d := Haversine(got, tt.want); d > 0.01 || (tt.want == orb.Point{}) != (got == orb.Point{}) {
				t.Errorf("Centroid = %v, want %v (%.4f m off)", got, tt.want, d)
			}
		})
	}
}

func TestCentroidPanicsOnWeightLength(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Centroid with 2 points and 1 weight did not panic")
		}
	}()
	Centroid([]orb.Point{shanghai, shanghai}, []float64{1})
}

func TestRadiusOfGyration(t *testing.T) {
	const s = 1000.0
	square := around(shanghai, [2]float64{s, s}, [2]float64{-s, s}, [2]float64{-s, -s}, [2]float64{s, -s})
	const d = 4000.0
	line := around(shanghai, [2]float64{0, 0}, [2]float64{d, 0})
	tests := []struct {
		name string
		pts  []orb.Point
		w    []float64
		want float64
	}{
		{"square side 2s: s*sqrt2", square, nil, s * math.Sqrt2},
		{"square with weights", square, []float64{5, 5, 5, 5}, s * math.Sqrt2},
		{"two points: d/2", line, nil, d / 2},
		{"two points 1:3: d*sqrt3/4", line, []float64{1, 3}, d * math.Sqrt(3) / 4},
		{"single point", line[:1], nil, 0},
		{"empty", nil, nil, 0},
		{"all zero weights", line, []float64{0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RadiusOfGyration(tt.pts, tt.w)
			if math.Abs(got-tt.want) > 1e-3*tt.want+1e-9 {
				t.Errorf("RadiusOfGyration = %.3f m, want %.3f m (±0.1%%)", got, tt.want)
			}
		})
	}
}

func TestPercentileDistance(t *testing.T) {
	// Ten points 100, 200, ..., 1000 m north of the centre, shuffled.
	var offs [][2]float64
	for _, i := range []int{7, 2, 10, 4, 1, 9, 3, 6, 8, 5} {
		offs = append(offs, [2]float64{0, 100 * float64(i)})
	}
	pts := around(shanghai, offs...)
	tests := []struct {
		q    float64
		want float64
	}{
		{0, 100}, {0.05, 100}, {0.1, 100}, {0.11, 200}, {0.5, 500}, {0.9, 900}, {0.91, 1000},
		{1, 1000}, {-1, 100}, {2, 1000},
	}
	for _, tt := range tests {
		if got := PercentileDistance(pts, shanghai, tt.q); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("PercentileDistance(q=%v) = %.6f m, want %v m", tt.q, got, tt.want)
		}
	}
	if got := PercentileDistance(nil, shanghai, 0.5); got != 0 {
		t.Errorf("PercentileDistance(nil) = %v, want 0", got)
	}
	if got := PercentileDistance(pts[:1], pts[0], 0.9); got != 0 {
		t.Errorf("PercentileDistance(one point at centre) = %v, want 0", got)
	}
}

func TestConvexHull(t *testing.T) {
	sq := around(shanghai, [2]float64{-500, -500}, [2]float64{500, -500}, [2]float64{500, 500}, [2]float64{-500, 500})
	inner := around(shanghai, [2]float64{0, 0}, [2]float64{100, -200}, [2]float64{-300, 400})
	r := rand.New(rand.NewPCG(7, 7))
	var cloud []orb.Point
	for range 500 {
		a, d := r.Float64()*2*math.Pi, 3000*math.Sqrt(r.Float64())
		cloud = append(cloud, around(shanghai, [2]float64{d * math.Cos(a), d * math.Sin(a)})[0])
	}
	tests := []struct {
		name      string
		pts       []orb.Point
		wantVerts int // distinct vertices; -1: don't check
	}{
		{"square plus interior", append(slices.Clone(sq), inner...), 4},
		{"triangle", sq[:3], 3},
		{"500 points in a disc", cloud, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hull := ConvexHull(tt.pts)
			if len(hull) != 1 {
				t.Fatalf("ConvexHull has %d rings, want 1", len(hull))
			}
			ring := hull[0]
			if ring[0] != ring[len(ring)-1] || ring.Orientation() != orb.CCW {
				t.Errorf("ring closed %v, orientation %v; want closed, CCW", ring[0] == ring[len(ring)-1], ring.Orientation())
			}
			if tt.wantVerts >= 0 && len(ring)-1 != tt.wantVerts {
				t.Errorf("hull has %d vertices, want %d: %v", len(ring)-1, tt.wantVerts, ring)
			}
			for _, v := range ring {
				if !slices.Contains(tt.pts, v) {
					t.Errorf("hull vertex %v is not an input point", v)
				}
			}
			for _, p := range tt.pts {
				if !planar.RingContains(ring, p) {
					t.Errorf("input point %v outside hull", p)
				}
			}
		})
	}
}

func TestConvexHullDegenerate(t *testing.T) {
	a, b := shanghai, orb.Point{121.48, 31.24}
	var line, same []orb.Point
	for i := range 60 {
		line = append(line, orb.Point{121.47 + 0.001*float64(i), 31.23 + 0.0005*float64(i)})
		same = append(same, a)
	}
	tests := []struct {
		name string
		pts  []orb.Point
	}{
		{"nil", nil},
		{"one point", []orb.Point{a}},
		{"two points", []orb.Point{a, b}},
		{"two distinct of four", []orb.Point{a, b, a, b}},
		{"three collinear", line[:3]},
		{"60 collinear", line},
		{"60 identical", same},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ConvexHull(tt.pts); got != nil {
				t.Errorf("ConvexHull = %v, want nil (empty polygon)", got)
			}
		})
	}
}
