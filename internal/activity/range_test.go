package activity

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbgeo "github.com/paulmach/orb/geo"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

func TestRangeFourPoints(t *testing.T) {
	// Four pings 100 m E, N, W and S of the centre, each its own session (so
	// 30 s each), across local dates: Mon 23:00, Mon 23:30, Tue 00:10 (still
	// Monday in UTC), Wed 10:00 → 3 local dates (2 UTC dates).
	r := run(t, DefaultSettings(),
		ping(1, local(0, 23, 0, 0), at(100, 0)),
		ping(1, local(0, 23, 30, 0), at(0, 100)),
		ping(1, local(1, 0, 10, 0), at(-100, 0)),
		ping(1, local(2, 10, 0, 0), at(0, -100)),
	)
	if len(r.Ranges) != 1 {
		t.Fatalf("%d ranges, want 1", len(r.Ranges))
	}
	g := r.Ranges[0]
	if g.Rider != riderID(1) || g.RiderKey != 1 || g.Pings != 4 {
		t.Errorf("rider %q key %d pings %d, want %q 1 4", g.Rider, g.RiderKey, g.Pings, riderID(1))
	}
	if g.Days != 3 {
		t.Errorf("Days = %d, want 3 (local dates)", g.Days)
	}
	if !g.From.Equal(local(0, 23, 0, 0)) || !g.To.Equal(local(2, 10, 0, 0)) {
		t.Errorf("From–To = %v–%v", g.From, g.To)
	}
	if g.ActiveSeconds != 120 || g.DwellSeconds != 0 {
		t.Errorf("active %v dwell %v, want 120 and 0", g.ActiveSeconds, g.DwellSeconds)
	}
	if d := geo.Haversine(g.Centroid, centre); d > 0.01 {
		t.Errorf("centroid %v is %.3f m from the centre, want < 0.01", g.Centroid, d)
	}
	if !near(g.GyrationM, 100, 0.05) {
		t.Errorf("GyrationM = %v, want 100", g.GyrationM)
	}
	if !near(g.P90M, 100, 0.05) {
		t.Errorf("P90M = %v, want 100", g.P90M)
	}
	// The hull is the diamond with half-diagonals 100 m: 2·100·100 m² on our
	// sphere (R = 6371008.8 m); orb/geo.Area uses R = 6378137 m.
	if g.Hull == nil {
		t.Fatal("no hull")
	}
	scale := math.Pow(orb.EarthRadius/geo.EarthRadiusM, 2)
	if a := orbgeo.Area(g.Hull) / scale; !near(a, 20000, 2) {
		t.Errorf("hull area = %v m², want 20000", a)
	}
	checkCells(t, g)
}

func checkCells(t *testing.T, g Range) {
	t.Helper()
	sum, secs := 0.0, 0.0
	for i, c := range g.Cells {
		sum += c.Share
		secs += c.Seconds
		if i > 0 && c.Share > g.Cells[i-1].Share {
			t.Errorf("Cells not sorted by share: %v after %v", c.Share, g.Cells[i-1].Share)
		}
		if cellRes(c.Cell) != 9 {
			t.Errorf("cell %x is not res 9", c.Cell)
		}
		if c.Days < 1 {
			t.Errorf("cell %x has %d days", c.Cell, c.Days)
		}
	}
	if !near(sum, 1, 1e-9) {
		t.Errorf("shares sum to %v, want 1", sum)
	}
	if !near(secs, g.ActiveSeconds, 1e-6) {
		t.Errorf("cell seconds sum to %v, want ActiveSeconds %v", secs, g.ActiveSeconds)
	}
}

func TestRangeWeightedAndCollinear(t *testing.T) {
	// Pairs at ±10k m on the E–W axis, k = 1..10, 30 s each: the centroid is
	// the centre, gyration sqrt(Σ(10k)²/10) = sqrt(3850), P90 by weighted
	// nearest rank = 18th of 20 distances = 90 m; collinear, so no hull.
	var ps []model.Ping
	t0 := local(3, 8, 0, 0)
	for k := 1; k <= 10; k++ {
		for _, sgn := range []float64{1, -1} {
			ps = append(ps, ping(5, t0.Add(time.Duration(len(ps))*20*time.Minute), at(sgn*10*float64(k), 0)))
		}
	}
	g := run(t, DefaultSettings(), ps...).Ranges[0]
	if !near(g.GyrationM, math.Sqrt(3850), 0.05) {
		t.Errorf("GyrationM = %v, want %v", g.GyrationM, math.Sqrt(3850))
	}
	if !near(g.P90M, 90, 0.05) {
		t.Errorf("P90M = %v, want 90", g.P90M)
	}
	if g.Hull != nil {
		t.Errorf("Hull = %v, want nil for collinear points", g.Hull)
	}
	checkCells(t, g)

	// Weighted by time: 9 min at the centre, then 1 min 1 km east (30 s
	// pings; the last gets 30 s): 540 s at 0, 60 s at 1000 m.
	ps = every(6, at(0, 0), local(0, 12, 0, 0), local(0, 12, 8, 30), 30*time.Second)
	ps = append(ps, every(6, at(1000, 0), local(0, 12, 9, 0), local(0, 12, 9, 30), 30*time.Second)...)
	g = run(t, DefaultSettings(), ps...).Ranges[0]
	// Centroid at 100 m east; gyration sqrt(0.9·100² + 0.1·900²) = 300 m.
	if c := proj.ToLngLat(100, 0); geo.Haversine(g.Centroid, c) > 0.5 {
		t.Errorf("centroid %v is %.2f m from 100 m east", g.Centroid, geo.Haversine(g.Centroid, c))
	}
	if !near(g.GyrationM, 300, 0.5) {
		t.Errorf("GyrationM = %v, want 300", g.GyrationM)
	}
	// 90% of the time is at the centre, 100 m from the centroid.
	if !near(g.P90M, 100, 0.5) {
		t.Errorf("P90M = %v, want 100", g.P90M)
	}
	if g.DwellSeconds != 510 || g.ActiveSeconds != 600 {
		t.Errorf("dwell %v active %v, want 510 and 600", g.DwellSeconds, g.ActiveSeconds)
	}
	if len(g.Cells) != 2 || !near(g.Cells[0].Share, 0.9, 1e-12) || g.Cells[0].DwellSeconds != 510 {
		t.Errorf("cells = %+v, want 2 with 0.9 first holding 510 s dwell", g.Cells)
	}
	checkCells(t, g)
}

func TestRangeReservoir(t *testing.T) {
	// One rider with many more pings than the reservoir: gyration stays
	// exact (compared with geo.RadiusOfGyration over all points), the hull and
	// P90 are close and deterministic.
	s := DefaultSettings()
	s.ReservoirSize = 200
	stream := genStream(3, 1, 48)
	var pts [][2]float64
	var w []float64
	for i, p := range stream {
		pts = append(pts, [2]float64{p.Lng, p.Lat})
		if i+1 < len(stream) {
			gap := stream[i+1].Time.Sub(p.Time)
			switch {
			case gap > s.MaxGap:
				w = append(w, s.DefaultPingSeconds)
			default:
				w = append(w, min(gap, s.PingCap).Seconds())
			}
		} else {
			w = append(w, s.DefaultPingSeconds)
		}
	}
	if len(stream) < 2000 {
		t.Fatalf("stream has %d pings, want many", len(stream))
	}
	g1 := run(t, s, stream...).Ranges[0]
	g2 := run(t, s, stream...).Ranges[0]
	if !reflect.DeepEqual(g1, g2) {
		t.Error("range not deterministic")
	}
	orbPts := make([]orb.Point, len(pts))
	for i, p := range pts {
		orbPts[i] = orb.Point(p)
	}
	want := geo.RadiusOfGyration(orbPts, w)
	if !near(g1.GyrationM, want, want*1e-3) {
		t.Errorf("GyrationM = %v, want %v (all points)", g1.GyrationM, want)
	}
	wantC := geo.Centroid(orbPts, w)
	if d := geo.Haversine(g1.Centroid, wantC); d > 1 {
		t.Errorf("centroid %.2f m from the all-points centroid", d)
	}
	wantHull := orbgeo.Area(geo.ConvexHull(orbPts))
	if a := orbgeo.Area(g1.Hull); a > wantHull*1.001 || a < 0.8*wantHull {
		t.Errorf("hull area %v, all-points hull %v", a, wantHull)
	}
	t.Logf("pings %d: gyration %.1f m (exact %.1f), P90 %.1f m, hull %.2f km² (all points %.2f km²)",
		len(stream), g1.GyrationM, want, g1.P90M, orbgeo.Area(g1.Hull)/1e6, wantHull/1e6)
}
