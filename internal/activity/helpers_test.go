package activity

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

var (
	cst    = time.FixedZone("CST", 8*3600)
	centre = orb.Point{121.4737, 31.2304} // People's Square, Shanghai
	proj   = geo.NewLocalProjection(centre)
)

// riderID returns a pseudonym-shaped id whose Key is n.
func riderID(n int64) model.RiderID {
	return model.RiderID(fmt.Sprintf("%016x%048x", uint64(n)<<1, 0))
}

// at returns the point x metres east and y metres north of centre.
func at(x, y float64) orb.Point { return proj.ToLngLat(x, y) }

// local returns a local (+08:00) time on Monday 2024-01-01 (a Monday) plus
// days, at hh:mm:ss.
func local(days, hh, mm, ss int) time.Time {
	return time.Date(2024, 1, 1+days, hh, mm, ss, 0, cst)
}

func ping(rider int64, t time.Time, pt orb.Point) model.Ping {
	return model.Ping{Rider: riderID(rider), Time: t, Lat: pt[1], Lng: pt[0]}
}

func cellAt(t testing.TB, pt orb.Point) int64 {
	t.Helper()
	c, err := CellOf(pt[1], pt[0], 10)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// run aggregates pings with one Aggregator and fails the test on any error.
func run(t testing.TB, s Settings, pings ...model.Ping) *Result {
	t.Helper()
	a := NewAggregator(s)
	for i, p := range pings {
		c, err := CellOf(p.Lat, p.Lng, s.BaseRes)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Add(p, c); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
	}
	return a.Finish()
}

// every returns pings of rider at pt every step from start through end.
func every(rider int64, pt orb.Point, start, end time.Time, step time.Duration) []model.Ping {
	var out []model.Ping
	for t := start; !t.After(end); t = t.Add(step) {
		out = append(out, ping(rider, t, pt))
	}
	return out
}

// total sums a field over the keys of one resolution with How ≥ 0.
func total(r *Result, res int8, f func(*Stat) float64) float64 {
	s := 0.0
	for k, st := range r.Stats {
		if k.Res == res && k.How >= 0 {
			s += f(st)
		}
	}
	return s
}

func secs(st *Stat) float64 { return st.RiderSeconds }

func near(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

// genStream returns a deterministic, time-sorted stream of pings of n riders
// over the given hours: riders ride around the centre, wait at spots (dwell),
// go offline now and then, and ping every 15–40 s with millisecond jitter.
func genStream(seed uint64, n int, hours float64) []model.Ping {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	type st struct {
		id         model.RiderID
		x, y       float64
		vx, vy     float64
		next       time.Time
		waitUntil  time.Time
		offlineTil time.Time
	}
	start := local(0, 6, 0, 0)
	end := start.Add(time.Duration(hours * float64(time.Hour)))
	rs := make([]*st, n)
	for i := range rs {
		h := rng.Uint64()
		rs[i] = &st{
			id:   model.RiderID(fmt.Sprintf("%016x%048x", h, 0)),
			x:    rng.NormFloat64() * 3000,
			y:    rng.NormFloat64() * 3000,
			next: start.Add(time.Duration(rng.IntN(60_000)) * time.Millisecond),
		}
	}
	var out []model.Ping
	for {
		// Next rider to ping (linear scan is fine for tests).
		var r *st
		for _, c := range rs {
			if r == nil || c.next.Before(r.next) {
				r = c
			}
		}
		if r.next.After(end) {
			break
		}
		t := r.next
		dt := time.Duration(15_000+rng.IntN(25_000)) * time.Millisecond
		switch {
		case t.Before(r.offlineTil):
		case t.Before(r.waitUntil):
			pt := at(r.x+rng.NormFloat64()*8, r.y+rng.NormFloat64()*8)
			out = append(out, model.Ping{Rider: r.id, Time: t, Lat: pt[1], Lng: pt[0]})
		default:
			if rng.Float64() < 0.1 {
				a := rng.Float64() * 2 * math.Pi
				v := 3 + rng.Float64()*3
				r.vx, r.vy = v*math.Cos(a)-r.x*1e-4, v*math.Sin(a)-r.y*1e-4
			}
			r.x += r.vx * dt.Seconds()
			r.y += r.vy * dt.Seconds()
			pt := at(r.x, r.y)
			out = append(out, model.Ping{Rider: r.id, Time: t, Lat: pt[1], Lng: pt[0]})
			switch u := rng.Float64(); {
			case u < 0.02:
				r.waitUntil = t.Add(time.Duration(2+rng.IntN(20)) * time.Minute)
			case u < 0.025:
				r.offlineTil = t.Add(time.Duration(5+rng.IntN(60)) * time.Minute)
			}
		}
		r.next = t.Add(dt)
	}
	return out
}

func batches(pings []model.Ping, size int) <-chan []model.Ping {
	ch := make(chan []model.Ping, 4)
	go func() {
		defer close(ch)
		for b := range slices.Chunk(pings, size) {
			ch <- b
		}
	}()
	return ch
}
