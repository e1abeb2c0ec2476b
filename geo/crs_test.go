package geo

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// chinaSample returns a deterministic pseudo-random sample of 20,000 points
// in the part of the OutOfChina box that covers mainland China and its coast.
func chinaSample() []orb.Point {
	r := rand.New(rand.NewPCG(2024, 31))
	pts := make([]orb.Point, 20000)
	for i := range pts {
		pts[i] = orb.Point{73.5 + r.Float64()*61.5, 18 + r.Float64()*35.5}
	}
	return pts
}

func TestOutOfChina(t *testing.T) {
	tests := []struct {
		name     string
		lng, lat float64
		want     bool
	}{
		{"shanghai", 121.47, 31.23, false},
		{"beijing", 116.40, 39.90, false},
		{"urumqi", 87.62, 43.83, false},
		{"london", -0.1276, 51.5072, true},
		{"tokyo", 139.69, 35.69, true},
		{"sydney", 151.21, -33.87, true},
		{"null island", 0, 0, true},
		{"west edge", 72.004, 30, false},
		{"just west", 72.0039, 30, true},
		{"north edge", 100, 55.8271, false},
		{"just north", 100, 55.8272, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OutOfChina(tt.lng, tt.lat); got != tt.want {
				t.Errorf("OutOfChina(%v, %v) = %v, want %v", tt.lng, tt.lat, got, tt.want)
			}
		})
	}
}

// Published vectors. eviltransform: github.com/googollee/eviltransform
// go/transform_test.go; coordtransform: github.com/wandergis/coordtransform
// test/app.js; gcoord: github.com/hujiulong/gcoord test/unit/crs.
func TestWGS84ToGCJ02Published(t *testing.T) {
	tests := []struct {
		name             string
		lng, lat         float64
		wantLng, wantLat float64
		source           string
	}{
		{"shanghai", 121.5272106, 31.1774276, 121.531541859215, 31.17530398364597, "eviltransform"},
		{"shenzhen", 113.912316, 22.543847, 113.9171764808363, 22.540796131694766, "eviltransform"},
		{"beijing", 116.377817, 39.911954, 116.38404722455657, 39.91334545536069, "eviltransform"},
		{"tiananmen", 116.404, 39.915, 116.41024449916938, 39.91640428150164, "coordtransform"},
		{"123,45", 123, 45, 123.00607541, 45.00197815, "gcoord"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotLng, gotLat := WGS84ToGCJ02(tt.lng, tt.lat)
			if math.Abs(gotLng-tt.wantLng) > 1e-6 || math.Abs(gotLat-tt.wantLat) > 1e-6 {
				t.Errorf("WGS84ToGCJ02(%v, %v) = (%.10f, %.10f), want (%.10f, %.10f) from %s",
					tt.lng, tt.lat, gotLng, gotLat, tt.wantLng, tt.wantLat, tt.source)
			}
		})
	}
}

func TestGCJ02ToWGS84Published(t *testing.T) {
	// eviltransform's vectors read backwards: our inverse must land within
	// 1 cm of the WGS-84 point (eviltransform itself asks 5 m / 0.5 m).
	tests := []struct {
		name             string
		gcjLng, gcjLat   float64
		wantLng, wantLat float64
	}{
		{"shanghai", 121.531541859215, 31.17530398364597, 121.5272106, 31.1774276},
		{"shenzhen", 113.9171764808363, 22.540796131694766, 113.912316, 22.543847},
		{"beijing", 116.38404722455657, 39.91334545536069, 116.377817, 39.911954},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lng, lat := GCJ02ToWGS84(tt.gcjLng, tt.gcjLat)
			if d := Haversine(orb.Point{lng, lat}, orb.Point{tt.wantLng, tt.wantLat}); d > 0.01 {
				t.Errorf("GCJ02ToWGS84(%v, %v) = (%.10f, %.10f), want (%.10f, %.10f): %.4f m off",
					tt.gcjLng, tt.gcjLat, lng, lat, tt.wantLng, tt.wantLat, d)
			}
		})
	}
}

func TestBD09Published(t *testing.T) {
	tests := []struct {
		name             string
		f                func(float64, float64) (float64, float64)
		lng, lat         float64
		wantLng, wantLat float64
		source           string
	}{
		{"gcj->bd tiananmen", GCJ02ToBD09, 116.404, 39.915, 116.41036949371029, 39.92133699351021, "coordtransform"},
		{"gcj->bd 123,45", GCJ02ToBD09, 123, 45, 123.00636499, 45.00636899, "gcoord"},
		{"wgs->bd 123,45", WGS84ToBD09, 123, 45, 123.0124491, 45.0083293, "gcoord"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotLng, gotLat := tt.f(tt.lng, tt.lat)
			if math.Abs(gotLng-tt.wantLng) > 1e-6 || math.Abs(gotLat-tt.wantLat) > 1e-6 {
				t.Errorf("got (%.10f, %.10f), want (%.10f, %.10f) from %s",
					gotLng, gotLat, tt.wantLng, tt.wantLat, tt.source)
			}
		})
	}
}

func TestBD09ToGCJ02VersusClosedForm(t *testing.T) {
	// coordtransform's closed-form BD09ToGCJ02(116.404, 39.915). Ours adds
	// correction steps, so it differs by a few centimetres and round-trips
	// better.
	const bdLng, bdLat = 116.404, 39.915
	closed := orb.Point{116.39762729119315, 39.90865673957631}
	lng, lat := BD09ToGCJ02(bdLng, bdLat)
	got := orb.Point{lng, lat}
	if d := Haversine(got, closed); d > 0.3 {
		t.Errorf("BD09ToGCJ02 = %v, %.3f m from published closed form %v, want < 0.3 m", got, d, closed)
	}
	bd := orb.Point{bdLng, bdLat}
	rtOurs := Haversine(bd, orb.Point(must2(GCJ02ToBD09(lng, lat))))
	rtClosed := Haversine(bd, orb.Point(must2(GCJ02ToBD09(closed[0], closed[1]))))
	t.Logf("round-trip error: ours %.2e m, closed form %.2e m", rtOurs, rtClosed)
	if rtOurs > 0.001 || rtOurs >= rtClosed {
		t.Errorf("round trip: ours %.3g m, closed form %.3g m; want ours < 1 mm and < closed form", rtOurs, rtClosed)
	}
}

func must2(a, b float64) [2]float64 { return [2]float64{a, b} }

func TestRoundTrips(t *testing.T) {
	tests := []struct {
		name     string
		forward  func(float64, float64) (float64, float64)
		backward func(float64, float64) (float64, float64)
		maxM     float64
	}{
		{"wgs->gcj->wgs", WGS84ToGCJ02, GCJ02ToWGS84, 0.01},
		{"wgs->bd->wgs", WGS84ToBD09, BD09ToWGS84, 0.01},
		{"gcj->bd->gcj", GCJ02ToBD09, BD09ToGCJ02, 0.01},
	}
	pts := chinaSample()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			worst, worstAt := 0.0, orb.Point{}
			for _, p := range pts {
				back := orb.Point(must2(tt.backward(tt.forward(p[0], p[1]))))
				if d := Haversine(p, back); d > worst {
					worst, worstAt = d, p
				}
			}
			t.Logf("%d points, worst round trip %.2e m at %v", len(pts), worst, worstAt)
			if worst > tt.maxM {
				t.Errorf("worst round trip %.4f m at %v, want <= %v m", worst, worstAt, tt.maxM)
			}
		})
	}
}

func TestOneStepInverseIsWorse(t *testing.T) {
	var worstOne, worstOurs float64
	for _, p := range chinaSample() {
		g := must2(WGS84ToGCJ02(p[0], p[1]))
		one := Haversine(p, orb.Point(must2(gcjOneStepInverse(g[0], g[1]))))
		ours := Haversine(p, orb.Point(must2(GCJ02ToWGS84(g[0], g[1]))))
		worstOne, worstOurs = math.Max(worstOne, one), math.Max(worstOurs, ours)
	}
	t.Logf("worst error: one-step %.3f m, iterated %.2e m", worstOne, worstOurs)
	if worstOne < 2 {
		t.Errorf("one-step worst error %.3f m, want > 2 m (FIELD.md: up to ~5 m)", worstOne)
	}
	if worstOurs > 0.01 || worstOurs*100 > worstOne {
		t.Errorf("iterated worst error %.3g m, want < 1 cm and 100x better than one-step %.3g m", worstOurs, worstOne)
	}
}

func TestGCJOffsetShanghai(t *testing.T) {
	p := orb.Point{121.47, 31.23}
	g := orb.Point(must2(WGS84ToGCJ02(p[0], p[1])))
	d := Haversine(p, g)
	t.Logf("GCJ-02 offset at %v: %.1f m to %v", p, d, g)
	if d < 200 || d > 700 {
		t.Errorf("offset = %.1f m, want a few hundred metres (200..700)", d)
	}
}

func TestOutsideChinaUnchanged(t *testing.T) {
	pts := []orb.Point{{-0.1276, 51.5072}, {139.69, 35.69}, {-74.006, 40.7128}, {151.21, -33.87}, {0, 0}}
	funcs := []struct {
		name string
		f    func(float64, float64) (float64, float64)
	}{
		{"WGS84ToGCJ02", WGS84ToGCJ02},
		{"GCJ02ToWGS84", GCJ02ToWGS84},
	}
	for _, fn := range funcs {
		for _, p := range pts {
			if got := orb.Point(must2(fn.f(p[0], p[1]))); got != p {
				t.Errorf("%s(%v) = %v, want unchanged", fn.name, p, got)
			}
		}
	}
	// BD-09 is a shift of GCJ-02 applied everywhere, but the round trip holds.
	for _, p := range pts {
		if got := orb.Point(must2(BD09ToWGS84(WGS84ToBD09(p[0], p[1])))); Haversine(got, p) > 0.01 {
			t.Errorf("BD09 round trip of %v = %v, want within 1 cm", p, got)
		}
	}
}

func TestParseCRS(t *testing.T) {
	tests := []struct {
		in      string
		want    CRS
		wantErr bool
	}{
		{"wgs84", WGS84, false},
		{"WGS84", WGS84, false},
		{" Gcj02 ", GCJ02, false},
		{"BD09", BD09, false},
		{"", "", true},
		{"gcj-02", "", true},
		{"epsg:4326", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseCRS(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParseCRS(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, ErrUnknownCRS) {
					t.Errorf("error %v does not wrap ErrUnknownCRS", err)
				}
				if !strings.Contains(err.Error(), "wgs84, gcj02, bd09") {
					t.Errorf("error %q does not list the valid values", err)
				}
			}
		})
	}
}

func TestCRSConversions(t *testing.T) {
	p := orb.Point{121.47, 31.23}
	gcj := orb.Point(must2(WGS84ToGCJ02(p[0], p[1])))
	bd := orb.Point(must2(WGS84ToBD09(p[0], p[1])))
	tests := []struct {
		crs CRS
		in  orb.Point // coordinate of p in crs
	}{
		{WGS84, p},
		{GCJ02, gcj},
		{BD09, bd},
	}
	for _, tt := range tests {
		t.Run(string(tt.crs), func(t *testing.T) {
			if got := orb.Point(must2(tt.crs.FromWGS84(p[0], p[1]))); got != tt.in {
				t.Errorf("%s.FromWGS84(%v) = %v, want %v", tt.crs, p, got, tt.in)
			}
			got := orb.Point(must2(tt.crs.ToWGS84(tt.in[0], tt.in[1])))
			if d := Haversine(got, p); d > 0.01 {
				t.Errorf("%s.ToWGS84(%v) = %v, want %v (%.4f m off)", tt.crs, tt.in, got, p, d)
			}
		})
	}
	if got := orb.Point(must2(CRS("bogus").ToWGS84(p[0], p[1]))); got != p {
		t.Errorf("unknown CRS ToWGS84 = %v, want unchanged %v", got, p)
	}
}
