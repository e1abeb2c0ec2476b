package geo

import (
	"testing"

	"github.com/paulmach/orb"
	"github.com/twpayne/go-geom"
)

func TestGeomPolygonRoundTrip(t *testing.T) {
	square := orb.Ring{{121.4, 31.2}, {121.5, 31.2}, {121.5, 31.3}, {121.4, 31.3}, {121.4, 31.2}}
	hole := orb.Ring{{121.42, 31.22}, {121.42, 31.28}, {121.48, 31.28}, {121.48, 31.22}, {121.42, 31.22}}
	tests := []struct {
		name string
		in   orb.Polygon
	}{
		{"square", orb.Polygon{square}},
		{"square with hole", orb.Polygon{square, hole}},
		{"cell", CellPolygon(mustCell(t, 121.47, 31.23, 9))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := ToGeom(tt.in)
			if g.SRID() != 4326 || g.Layout() != geom.XY || g.NumLinearRings() != len(tt.in) {
				t.Fatalf("ToGeom: srid %d layout %v rings %d, want 4326 XY %d", g.SRID(), g.Layout(), g.NumLinearRings(), len(tt.in))
			}
			if got := FromGeom(g); !got.Equal(tt.in) {
				t.Errorf("FromGeom(ToGeom(p)) = %v, want %v", got, tt.in)
			}
		})
	}
}

func TestGeomEmptyAndNil(t *testing.T) {
	if g := ToGeom(nil); g.NumLinearRings() != 0 || !g.Empty() {
		t.Errorf("ToGeom(nil): %d rings, want empty", g.NumLinearRings())
	}
	if got := FromGeom(nil); got != nil {
		t.Errorf("FromGeom(nil) = %v, want nil", got)
	}
	if got := FromGeom(geom.NewPolygon(geom.XY)); got != nil {
		t.Errorf("FromGeom(empty) = %v, want nil", got)
	}
}

func TestFromGeomDropsZ(t *testing.T) {
	g := geom.NewPolygonFlat(geom.XYZ, []float64{0, 0, 5, 1, 0, 5, 1, 1, 5, 0, 0, 5}, []int{12})
	want := orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}
	if got := FromGeom(g); !got.Equal(want) {
		t.Errorf("FromGeom(XYZ) = %v, want %v", got, want)
	}
}

func TestPointsToGeom(t *testing.T) {
	tests := []struct {
		name string
		in   []orb.Point
	}{
		{"none", nil},
		{"one", []orb.Point{{121.47, 31.23}}},
		{"three", []orb.Point{{121.47, 31.23}, {121.5, 31.24}, {121.46, 31.2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mp := PointsToGeom(tt.in)
			if mp.SRID() != 4326 || mp.NumPoints() != len(tt.in) {
				t.Fatalf("srid %d, %d points; want 4326, %d", mp.SRID(), mp.NumPoints(), len(tt.in))
			}
			for i, want := range tt.in {
				c := mp.Point(i).Coords()
				if got := (orb.Point{c.X(), c.Y()}); got != want {
					t.Errorf("point %d = %v, want %v", i, got, want)
				}
			}
		})
	}
}
