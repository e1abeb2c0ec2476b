package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// Every point of a grid over China survives WGS-84 → GCJ-02 → WGS-84 to
// well under the 0.5 m the map needs, and is really moved on the way.
func TestDatumRoundTrip(t *testing.T) {
	worst := 0.0
	for lng := 74.0; lng <= 134; lng += 0.37 {
		for lat := 18.0; lat <= 53; lat += 0.29 {
			p := orb.Point{lng, lat}
			g := GCJ02.PointFromWGS84(p)
			if d := Haversine(p, g); d < 1 || d > 1500 {
				t.Fatalf("%v: shifted by %.1f m, want 1 m–1.5 km", p, d)
			}
			back := GCJ02.PointToWGS84(g)
			if d := Haversine(p, back); d > worst {
				worst = d
			}
		}
	}
	if worst > 0.5 {
		t.Errorf("round trip off by up to %.3f m, want < 0.5 m", worst)
	}
	t.Logf("worst round trip %.2g m", worst)
	// WGS-84 and points outside China do not move.
	for _, c := range []CRS{WGS84, "", GCJ02} {
		p := orb.Point{2.35, 48.85}
		if q := c.PointFromWGS84(p); q != p {
			t.Errorf("%q: Paris moved to %v", c, q)
		}
		if q := c.PointToWGS84(p); q != p {
			t.Errorf("%q: Paris moved back to %v", c, q)
		}
	}
	if WGS84.Shifted() || CRS("").Shifted() || !GCJ02.Shifted() || !BD09.Shifted() {
		t.Error("Shifted: want true only for gcj02 and bd09")
	}
}

// BoundToWGS84 holds the WGS-84 position of every point drawn inside the
// GCJ-02 bound (the data a map tile must read), and is not much larger.
func TestBoundToWGS84(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, b := range []orb.Bound{
		{Min: orb.Point{121.40, 31.20}, Max: orb.Point{121.41, 31.21}}, // a z13 tile in Shanghai
		{Min: orb.Point{121.0, 31.0}, Max: orb.Point{122.0, 32.0}},     // a z8 tile
		{Min: orb.Point{116.39, 39.90}, Max: orb.Point{116.3905, 39.9005}},
	} {
		w := GCJ02.BoundToWGS84(b)
		for range 2000 {
			p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
			if q := GCJ02.PointToWGS84(p); !w.Contains(q) {
				t.Fatalf("bound %v: %v is at %v in WGS-84, outside %v", b, p, q, w)
			}
		}
		// About as large as b (the shift barely changes sizes), and moved.
		if dw, db := w.Max[0]-w.Min[0], b.Max[0]-b.Min[0]; dw > db*1.01+3e-5 || dw < db*0.99 {
			t.Errorf("bound %v → %v: width %g, want about %g", b, w, dw, db)
		}
		if w.Contains(b.Center()) && b.Max[0]-b.Min[0] < 0.001 {
			t.Errorf("bound %v → %v: a small bound was not moved", b, w)
		}
	}
	b := orb.Bound{Min: orb.Point{121.40, 31.20}, Max: orb.Point{121.41, 31.21}}
	if WGS84.BoundToWGS84(b) != b {
		t.Error("wgs84 bound changed")
	}
}
