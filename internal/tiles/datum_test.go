package tiles

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/geo"
)

// lngLatOf returns the position of tile coordinates (x, y) of tile t.
func lngLatOf(t maptile.Tile, x, y float64) orb.Point {
	n := float64(uint64(1) << t.Z)
	wx := (float64(t.X) + x/Extent) / n
	wy := (float64(t.Y) + y/Extent) / n
	lat := math.Atan(math.Sinh(math.Pi*(1-2*wy))) * 180 / math.Pi
	return orb.Point{wx*360 - 180, lat}
}

// Under HEXCOVER_BASEMAP_DATUM=gcj02 a site is drawn where a GCJ-02 basemap
// has its street, and reading the drawn position back through the inverse
// gives its WGS-84 location; hexagons are drawn with shifted vertices and
// stay seamless across tile borders.
func TestDatumShiftedTiles(t *testing.T) {
	e := newEnv(t, Options{Datum: geo.GCJ02})
	s1 := orb.Point{121.396, 31.25} // fixtureSites' S1
	g1 := geo.GCJ02.PointFromWGS84(s1)
	if d := geo.Haversine(s1, g1); d < 300 {
		t.Fatalf("GCJ-02 shift in Shanghai %.0f m; the test needs a visible one", d)
	}
	for _, z := range []maptile.Zoom{12, 16} {
		tile := maptile.At(g1, z)
		sites, _ := e.tileLayer(t, tilePath("sites", tile, ""), nil)
		var got orb.Point
		found := false
		if sites != nil {
			for _, f := range sites.Features {
				if f.Props["id"] == "S1" {
					p := f.Geom.(orb.Point)
					got, found = lngLatOf(tile, p[0], p[1]), true
				}
			}
		}
		if !found {
			t.Fatalf("z%d: S1 is not in the tile at its GCJ-02 position %v", z, g1)
		}
		unitM := geo.Haversine(lngLatOf(tile, 0, 0), lngLatOf(tile, 1, 0)) // one tile unit in metres
		if d := geo.Haversine(got, g1); d > 1.5*unitM {
			t.Errorf("z%d: S1 drawn %.2f m from its GCJ-02 position (a tile unit is %.2f m)", z, d, unitM)
		}
		if back := geo.GCJ02.PointToWGS84(got); geo.Haversine(back, s1) > 1.5*unitM+0.5 {
			t.Errorf("z%d: S1 read back at %v, %.2f m from %v", z, back, geo.Haversine(back, s1), s1)
		}
	}
	// At z16 the tile of S1's WGS-84 position is another tile, without it.
	if w, g := maptile.At(s1, 16), maptile.At(g1, 16); w != g {
		if sites, _ := e.tileLayer(t, tilePath("sites", w, ""), nil); sites != nil {
			for _, f := range sites.Features {
				if f.Props["id"] == "S1" {
					t.Errorf("S1 also drawn in the tile of its unshifted position")
				}
			}
		}
	}

	// Hexagons: every drawn vertex is a shifted cell vertex, on the grid.
	admin := map[string]string{"X-Test-Admin": "1"}
	a := maptile.At(geo.GCJ02.PointFromWGS84(centre), 15)
	la, _ := e.tileLayer(t, tilePath("activity", a, ""), admin)
	if la == nil || len(la.Features) == 0 {
		t.Fatal("no activity hexagons at the shifted position of the busy cluster")
	}
	pr := newProjector(a)
	for _, f := range la.Features {
		cell := mustCell(t, f.Props["cell"].(string))
		want := map[orb.Point]bool{}
		for _, p := range geo.CellPolygon(geo.Cell(cell))[0] {
			want[pr.grid(geo.GCJ02.PointFromWGS84(p))] = true
		}
		for _, p := range f.Geom.(orb.Polygon)[0] {
			if !want[p] {
				t.Fatalf("cell %s: vertex %v is not a shifted cell vertex %v", f.Props["cell"], p, want)
			}
		}
	}
	// Seamless: a hexagon in two neighbouring tiles has the same vertices
	// in both, 4096 units apart.
	shared := 0
	for _, z := range []maptile.Zoom{15, 16, 14} {
		c := maptile.At(geo.GCJ02.PointFromWGS84(centre), z)
		for _, pair := range [][2]maptile.Tile{{maptile.New(c.X-1, c.Y, z), c}, {c, maptile.New(c.X+1, c.Y, z)}} {
			l0, _ := e.tileLayer(t, tilePath("activity", pair[0], ""), admin)
			l1, _ := e.tileLayer(t, tilePath("activity", pair[1], ""), admin)
			if l0 == nil || l1 == nil {
				continue
			}
			f0, f1 := featureCells(t, l0), featureCells(t, l1)
			for cell, f := range f0 {
				g, ok := f1[cell]
				if !ok {
					continue
				}
				shared++
				r0, r1 := f.Geom.(orb.Polygon)[0], g.Geom.(orb.Polygon)[0]
				if len(r0) != len(r1) {
					t.Fatalf("z%d cell %s: %d vs %d vertices", z, cell, len(r0), len(r1))
				}
				for i := range r0 {
					if r0[i][0] != r1[i][0]+Extent || r0[i][1] != r1[i][1] {
						t.Fatalf("z%d cell %s vertex %d: %v in the west tile, %v in the east one", z, cell, i, r0[i], r1[i])
					}
				}
			}
		}
	}
	if shared == 0 {
		t.Fatal("no shifted hexagon crosses a border between two tiles")
	}

	// The datum is part of the tile keys and ETags: a restart under another
	// datum never revalidates a tile drawn in the old one.
	if plain := New(e.st, Options{}); plain.datumKey() != "" || e.svc.datumKey() != "&datum=gcj02" {
		t.Errorf("datumKey: %q (wgs84) and %q (gcj02)", plain.datumKey(), e.svc.datumKey())
	}
}
