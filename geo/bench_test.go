package geo

import (
	"math/rand/v2"
	"testing"

	"github.com/uber/h3-go/v4"
)

// benchRes is the base aggregation resolution (FIELD.md).
const benchRes = 10

// shanghaiSample returns a fixed pseudo-random sample of points over central
// Shanghai (lng 121.2–121.8, lat 31.0–31.45), the same on every run.
func shanghaiSample(n int) []h3.LatLng {
	r := rand.New(rand.NewPCG(31, 121))
	pts := make([]h3.LatLng, n)
	for i := range pts {
		pts[i] = h3.LatLng{Lat: 31.0 + 0.45*r.Float64(), Lng: 121.2 + 0.6*r.Float64()}
	}
	return pts
}

// BenchmarkLatLngToCellRaw measures bare h3.LatLngToCell (cgo) calls; the
// calls/s metric is what the project reports.
func BenchmarkLatLngToCellRaw(b *testing.B) {
	pts := shanghaiSample(4096)
	var sink h3.Cell
	n := 0
	for b.Loop() {
		c, err := h3.LatLngToCell(pts[n%len(pts)], benchRes)
		if err != nil {
			b.Fatal(err)
		}
		sink ^= c
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
	_ = sink
}

// BenchmarkCellAt measures CellAt, i.e. LatLngToCell plus input validation.
func BenchmarkCellAt(b *testing.B) {
	pts := shanghaiSample(4096)
	var sink Cell
	n := 0
	for b.Loop() {
		p := pts[n%len(pts)]
		c, err := CellAt(p.Lng, p.Lat, benchRes)
		if err != nil {
			b.Fatal(err)
		}
		sink ^= c
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "calls/s")
	_ = sink
}
