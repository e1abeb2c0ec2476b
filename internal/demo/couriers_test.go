package demo

import (
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// weekCity is a week of a small city with couriers, and its pings by rider.
func weekCity(t *testing.T, p Params) (*City, map[string][]RawPing) {
	t.Helper()
	c, err := Generate(p)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]RawPing{}
	if err := c.Pings(func(r RawPing) error { by[r.PlatformID] = append(by[r.PlatformID], r); return nil }); err != nil {
		t.Fatal(err)
	}
	return c, by
}

func weekParams() Params {
	p := DefaultParams()
	p.Riders, p.Days, p.CourierShare = 300, 7, 0.5
	return p
}

func TestCouriers(t *testing.T) {
	c, by := weekCity(t, weekParams())
	if got, want := c.Params.Couriers(), 150; got != want {
		t.Fatalf("couriers = %d, want %d", got, want)
	}
	quadOf := map[int]int{}
	for g, q := range c.world.gridQuad {
		quadOf[g] = q
	}
	var shares []float64
	n := 0
	for i, r := range c.Riders {
		if r.Kind != KindCourier {
			if i >= len(c.plans) {
				t.Fatalf("rider %d: kind %q after the food riders, want courier", i, r.Kind)
			}
			continue
		}
		n++
		if len(r.Territory) < 1 || len(r.Territory) > 3 || r.Home != -1 {
			t.Fatalf("courier %s: territory %v, home %d; want 1–3 grids and no home cluster", r.PlatformID, r.Territory, r.Home)
		}
		for _, g := range r.Territory[1:] {
			if c.Grids[g].StreetCode != c.Grids[r.Territory[0]].StreetCode {
				t.Errorf("courier %s: territory %v spans streets", r.PlatformID, r.Territory)
			}
		}
		pings := by[r.PlatformID]
		days := map[string]bool{}
		in := 0
		for _, p := range pings {
			days[p.Time.Format(time.DateOnly)] = true
			if h := p.Time.Hour(); h < 7 || h >= 19 {
				t.Fatalf("courier %s: ping at %v, want working hours 07–19", r.PlatformID, p.Time)
			}
			for _, g := range r.Territory {
				if planar.MultiPolygonContains(c.Grids[g].Geometry, orb.Point{p.Lng, p.Lat}) {
					in++
					break
				}
			}
		}
		if len(days) < 4 || len(days) > 6 {
			t.Errorf("courier %s: out on %d of 7 days, want 4–6 (one rest day a week, rarely another)", r.PlatformID, len(days))
		}
		shares = append(shares, float64(in)/float64(len(pings)))
	}
	if n != 150 {
		t.Fatalf("couriers in Riders = %d, want 150", n)
	}
	slices.Sort(shares)
	if med := shares[len(shares)/2]; med < 0.75 {
		t.Errorf("median share of a courier's pings in his territory = %.2f, want at least 0.75", med)
	}
	// Every grid is someone's territory once there are as many couriers as
	// one company's territories.
	covered := map[int]bool{}
	for _, r := range c.Riders {
		for _, g := range r.Territory {
			covered[g] = true
		}
	}
	if len(covered) != len(c.Grids) {
		t.Errorf("grids in some territory = %d, want all %d", len(covered), len(c.Grids))
	}
}

func TestNoCouriersKeepsFoodRiders(t *testing.T) {
	p := smallParams()
	p.CourierShare = 0
	off, byOff := weekCity(t, p)
	for _, r := range off.Riders {
		if r.Kind != KindFood {
			t.Fatalf("rider %s is a %s with couriers off", r.PlatformID, r.Kind)
		}
	}
	p.CourierShare = 0.2
	on, byOn := weekCity(t, p)
	// The food riders are the same people doing the same things.
	for i := range on.plans {
		a, b := byOff[off.Riders[i].PlatformID], byOn[on.Riders[i].PlatformID]
		if !slices.Equal(a, b) {
			t.Fatalf("food rider %d: %d pings with couriers off, %d with couriers on; want the same", i, len(a), len(b))
		}
	}
}

func TestWeekendDiffers(t *testing.T) {
	c, by := weekCity(t, weekParams())
	// Per day: food riders' breakfast pings and couriers' pings after 17:00.
	breakfast := make([]int, 7)
	evening := make([]int, 7)
	for _, r := range c.Riders {
		for _, p := range by[r.PlatformID] {
			d := int(p.Time.Sub(c.day0).Hours() / 24)
			switch {
			case r.Kind == KindFood && p.Time.Hour() >= 7 && p.Time.Hour() < 9:
				breakfast[d]++
			case r.Kind == KindCourier && p.Time.Hour() >= 17:
				evening[d]++
			}
		}
	}
	wd := float64(breakfast[0]+breakfast[1]+breakfast[2]+breakfast[3]+breakfast[4]) / 5
	we := float64(breakfast[5]+breakfast[6]) / 2
	if we > 0.7*wd {
		t.Errorf("breakfast pings per weekend day %.0f, per weekday %.0f; want weekends clearly quieter", we, wd)
	}
	if evening[5]+evening[6] != 0 || evening[0] == 0 {
		t.Errorf("couriers' pings after 17:00 per day = %v, want some on weekdays and none at weekends", evening)
	}
}

func TestPingsWithinWholeDays(t *testing.T) {
	p := weekParams()
	p.Riders = 120
	c, by := weekCity(t, p)
	dates := map[string]bool{}
	end := c.day0.AddDate(0, 0, p.Days)
	for _, ps := range by {
		for _, r := range ps {
			if r.Time.Before(c.day0) || !r.Time.Before(end) {
				t.Fatalf("ping at %v, want within %v – %v", r.Time, c.day0, end)
			}
			dates[r.Time.Format(time.DateOnly)] = true
		}
	}
	if len(dates) != p.Days {
		t.Errorf("local dates with pings = %d, want %d (whole days, as platforms export them)", len(dates), p.Days)
	}
}
