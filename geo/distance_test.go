package geo

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
)

func TestHaversine(t *testing.T) {
	oneDeg := EarthRadiusM * math.Pi / 180 // 111,195 m
	tests := []struct {
		name string
		a, b orb.Point
		want float64
		tol  float64
	}{
		{"same point", orb.Point{121.47, 31.23}, orb.Point{121.47, 31.23}, 0, 1e-9},
		{"1 deg lat", orb.Point{121, 31}, orb.Point{121, 32}, oneDeg, 1e-6},
		{"1 deg lng at equator", orb.Point{0, 0}, orb.Point{1, 0}, oneDeg, 1e-6},
		{"antipodes", orb.Point{0, 0}, orb.Point{180, 0}, math.Pi * EarthRadiusM, 1e-6},
		{"quarter meridian", orb.Point{10, 0}, orb.Point{10, 90}, math.Pi / 2 * EarthRadiusM, 1e-6},
		// People's Square to Lujiazui: a well-known ~2.9 km hop.
		{"people's square to lujiazui", orb.Point{121.4737, 31.2304}, orb.Point{121.5020, 31.2397}, 2882.4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Haversine(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.tol {
				t.Errorf("Haversine(%v, %v) = %.6f, want %.6f ± %v", tt.a, tt.b, got, tt.want, tt.tol)
			}
			if back := Haversine(tt.b, tt.a); back != got {
				t.Errorf("not symmetric: %v vs %v", got, back)
			}
		})
	}
}

func TestLocalProjectionAccuracy(t *testing.T) {
	origins := []orb.Point{{121.47, 31.23}, {116.40, 39.90}, {113.26, 23.13}, {126.63, 45.75}}
	for _, o := range origins {
		p := NewLocalProjection(o)
		worst := 0.0
		for _, r := range []float64{100, 1000, 5000, 10000, 20000} {
			for deg := 0; deg < 360; deg += 15 {
				a := float64(deg) * math.Pi / 180
				pt := p.ToLngLat(r*math.Sin(a), r*math.Cos(a))
				x, y := p.ToXY(pt)
				if math.Abs(x-r*math.Sin(a)) > 1e-6 || math.Abs(y-r*math.Cos(a)) > 1e-6 {
					t.Fatalf("origin %v: ToXY(ToLngLat(%v, %v)) = (%v, %v)", o, r*math.Sin(a), r*math.Cos(a), x, y)
				}
				rel := math.Abs(math.Hypot(x, y)-Haversine(o, pt)) / Haversine(o, pt)
				worst = math.Max(worst, rel)
			}
		}
		t.Logf("origin %v: worst relative distance error within 20 km %.2e", o, worst)
		if worst > 1e-3 {
			t.Errorf("origin %v: worst relative error %.4f%%, want < 0.1%%", o, worst*100)
		}
	}
}

func TestLocalProjectionAxes(t *testing.T) {
	o := orb.Point{121.47, 31.23}
	p := NewLocalProjection(o)
	tests := []struct {
		name         string
		pt           orb.Point
		wantX, wantY float64
	}{
		{"origin", o, 0, 0},
		{"north 0.01 deg", orb.Point{121.47, 31.24}, 0, 0.01 * EarthRadiusM * math.Pi / 180},
		{"east 0.01 deg", orb.Point{121.48, 31.23}, 0.01 * EarthRadiusM * math.Pi / 180 * math.Cos(31.23*math.Pi/180), 0},
		{"south-west", orb.Point{121.46, 31.22}, -0.01 * EarthRadiusM * math.Pi / 180 * math.Cos(31.23*math.Pi/180), -0.01 * EarthRadiusM * math.Pi / 180},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x, y := p.ToXY(tt.pt)
			if math.Abs(x-tt.wantX) > 1e-6 || math.Abs(y-tt.wantY) > 1e-6 {
				t.Errorf("ToXY(%v) = (%.6f, %.6f), want (%.6f, %.6f)", tt.pt, x, y, tt.wantX, tt.wantY)
			}
			if back := p.ToLngLat(x, y); math.Abs(back[0]-tt.pt[0]) > 1e-12 || math.Abs(back[1]-tt.pt[1]) > 1e-12 {
				t.Errorf("ToLngLat(%v, %v) = %v, want %v", x, y, back, tt.pt)
			}
		})
	}
}
