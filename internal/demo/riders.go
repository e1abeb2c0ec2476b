package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"time"
)

// Platforms and their share of riders.
var platforms = []struct {
	name, prefix string
	share        float64
}{
	{"meituan", "mt-", 0.55},
	{"eleme", "ele-", 0.30},
	{"sf", "sf-", 0.08},
	{"dada", "dd-", 0.07},
}

// Meal peaks, in seconds after midnight (the late peak runs past midnight).
type peak struct{ start, end float64 }

const hour = 3600.0

var peaks = [4]peak{
	{7 * hour, 9 * hour},     // breakfast 07:00–09:00
	{11 * hour, 13.5 * hour}, // lunch 11:00–13:30
	{17 * hour, 19.5 * hour}, // dinner 17:00–19:30
	{21 * hour, 25 * hour},   // late night 21:00–01:00
}

// shiftCombos are the sets of peaks a rider works, with their shares.
var shiftCombos = []struct {
	peaks []int
	share float64
}{
	{[]int{1, 2}, 0.45},
	{[]int{0, 1, 2}, 0.15},
	{[]int{1, 2, 3}, 0.15},
	{[]int{2, 3}, 0.12},
	{[]int{0, 1}, 0.08},
	{[]int{1, 3}, 0.05},
}

const maxWorkPerDay = 10 * hour

// riderPlan is what a rider does, drawn once per rider.
type riderPlan struct {
	radius float64 // work radius, metres
	noise  float64 // GPS noise, metres (standard deviation per axis)
	combo  int     // index into shiftCombos
	days   []bool  // active days
}

func (c *City) makeRiders() {
	var merchW []float64
	for _, cl := range c.Clusters {
		if cl.IsMerchant() {
			merchW = append(merchW, cl.Weight)
		}
	}
	merchCum := cumulative(merchW) // merchant clusters come first in Clusters
	platCum := make([]float64, len(platforms))
	for k, p := range platforms {
		platCum[k] = p.share
	}
	platCum = cumulative(platCum)
	comboCum := make([]float64, len(shiftCombos))
	for k, sc := range shiftCombos {
		comboCum[k] = sc.share
	}
	comboCum = cumulative(comboCum)
	idOffset := splitmix64(uint64(c.Params.Seed)) % 1e8

	c.Riders = make([]RawRider, c.Params.Riders)
	c.plans = make([]riderPlan, c.Params.Riders-c.Params.Couriers())
	for i := range c.plans {
		r := newRand(c.Params.Seed, streamRiderPlan, i)
		pl := platforms[pickWeighted(r, platCum)]
		// (48271·i + offset) mod 10⁸ is a bijection, so ids are unique.
		n := (uint64(i)*48271 + idOffset) % 1e8
		c.Riders[i] = RawRider{
			PlatformID: fmt.Sprintf("%s%08d", pl.prefix, n),
			Platform:   pl.name,
			Kind:       KindFood,
			Home:       pickWeighted(r, merchCum),
		}
		// Work radius: log-normal, median 2.2 km (mean about 2.4 km), most
		// under 3 km.
		radius := math.Min(5500, math.Max(800, 2200*math.Exp(0.4*r.NormFloat64())))
		plan := riderPlan{
			radius: radius,
			noise:  uniform(r, 3.5, 7),
			combo:  pickWeighted(r, comboCum),
			days:   make([]bool, c.Params.Days),
		}
		// Three in four riders work every day; the others two days in
		// three on weekdays and four in five at weekends, when more
		// orders come (docs/DEMO.md).
		everyDay := r.Float64() < 0.75
		active := false
		for d := range plan.days {
			p := 0.65
			if c.weekend(d) {
				p = 0.8
			}
			plan.days[d] = everyDay || r.Float64() < p
			active = active || plan.days[d]
		}
		if !active {
			plan.days[r.IntN(len(plan.days))] = true
		}
		c.plans[i] = plan
	}
}

// Pings streams every ping, rider by rider in rider order, each rider's pings
// in time order. Riders are generated in parallel, but fn is called from the
// calling goroutine in that order; Pings stops at the first error fn returns
// and returns it.
func (c *City) Pings(fn func(RawPing) error) error {
	workers := runtime.GOMAXPROCS(0)
	n := len(c.Riders)
	if workers > n {
		workers = n
	}
	pool := sync.Pool{New: func() any { s := make([]RawPing, 0, 2048); return &s }}
	type job struct {
		rider int
		out   chan *[]RawPing
	}
	jobs := make(chan job)
	pending := make(chan chan *[]RawPing, 4*workers)
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				buf := pool.Get().(*[]RawPing)
				*buf = c.riderPings(j.rider, (*buf)[:0])
				j.out <- buf
			}
		}()
	}
	go func() {
		defer close(pending)
		defer close(jobs)
		for i := range n {
			out := make(chan *[]RawPing, 1)
			select {
			case pending <- out:
			case <-done:
				return
			}
			select {
			case jobs <- job{i, out}:
			case <-done:
				return
			}
		}
	}()
	var err error
	for out := range pending {
		if err != nil {
			continue // draining: the rider may never have been dispatched
		}
		buf := <-out
		for _, p := range *buf {
			if err = fn(p); err != nil {
				close(done)
				break
			}
		}
		pool.Put(buf)
	}
	wg.Wait()
	return err
}

// sim is one rider's day-by-day simulation.
type sim struct {
	w     *world
	r     *rand.Rand
	rider RawRider
	plan  riderPlan
	out   []RawPing
	t     float64 // simulation clock, unix seconds
	next  int64   // time of the next ping, unix seconds
	pos   xy

	interval int   // mean ping interval, seconds
	end      int64 // end of the data period (unix seconds): later pings are not exported

	home             xy
	merch, res       []int // clusters within reach
	merchCum, resCum []float64
	clusters         []Cluster
}

// end is the end of the data period: midnight after the last day.
func (c *City) end() int64 { return c.day0.AddDate(0, 0, c.Params.Days).Unix() }

// weekend reports whether day d of the data is a Saturday or Sunday.
func (c *City) weekend(d int) bool {
	wd := c.day0.AddDate(0, 0, d).Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

func (c *City) riderPings(i int, out []RawPing) []RawPing {
	if i >= len(c.plans) {
		return c.courierPings(i, out)
	}
	s := &sim{
		w: c.world, r: newRand(c.Params.Seed, streamRiderMove, i),
		rider: c.Riders[i], plan: c.plans[i], out: out, clusters: c.Clusters,
		interval: c.Params.interval(), end: c.end(),
	}
	s.home = toXY(c.Clusters[s.rider.Home].Location)
	s.reach()
	day0 := c.day0.Unix()
	combo := shiftCombos[s.plan.combo].peaks
	for d, active := range s.plan.days {
		if !active {
			continue
		}
		base := float64(day0 + int64(d)*86400)
		// The day's shifts around the chosen peaks, at most maxWorkPerDay.
		type shift struct {
			start, end float64
			pk         peak
		}
		var shifts []shift
		total := 0.0
		weekend := c.weekend(d)
		for _, k := range combo {
			pk := peaks[k]
			// At weekends breakfast orders are few (most riders skip
			// that peak) and lunch and dinner run longer.
			if weekend && k == 0 && len(combo) > 1 && s.r.Float64() < 0.6 {
				continue
			}
			var pre, post float64
			if len(combo) == 2 {
				pre, post = uniform(s.r, 30, 75)*60, uniform(s.r, 0, 40)*60
			} else {
				pre, post = uniform(s.r, 10, 30)*60, uniform(s.r, 0, 15)*60
			}
			if weekend && (k == 1 || k == 2) {
				post += uniform(s.r, 10, 30) * 60
			}
			sh := shift{pk.start - pre, math.Min(pk.end+post, 25*hour), pk}
			total += sh.end - sh.start
			shifts = append(shifts, sh)
		}
		if over := total - maxWorkPerDay; over > 0 {
			shifts[len(shifts)-1].end -= over
		}
		spot := offset(s.r, s.home, 5, 40) // where he waits today
		if !s.w.containsXY(spot) {
			spot = s.home
		}
		for _, sh := range shifts {
			s.shift(base+sh.start, base+sh.end, base+sh.pk.start, base+sh.pk.end, spot)
		}
	}
	return s.out
}

// reach lists the merchant clusters and residences within the work radius.
func (s *sim) reach() {
	var mw, rw []float64
	for k, cl := range s.clusters {
		d := dist(toXY(cl.Location), s.home)
		switch {
		case cl.IsMerchant() && k != s.rider.Home && d <= s.plan.radius:
			s.merch = append(s.merch, k)
			mw = append(mw, cl.Weight)
		case cl.Kind == ClusterResidential && d <= s.plan.radius && d >= 150:
			// Orders come from households; nearby ones are often picked
			// up on foot or by the merchant, so farther ones weigh more
			// (by the square of the distance).
			s.res = append(s.res, k)
			rw = append(rw, cl.Weight*(d/s.plan.radius)*(d/s.plan.radius))
		}
	}
	if len(s.res) == 0 { // a tiny radius: the nearest compound will do
		best, bestD := -1, math.Inf(1)
		for k, cl := range s.clusters {
			if d := dist(toXY(cl.Location), s.home); cl.Kind == ClusterResidential && d < bestD {
				best, bestD = k, d
			}
		}
		s.res, rw = []int{best}, []float64{1}
	}
	if len(mw) > 0 {
		s.merchCum = cumulative(mw)
	}
	s.resCum = cumulative(rw)
}

const minute = 60.0

// shift simulates one shift: wait at the spot, deliver, come back, repeat.
func (s *sim) shift(start, end, peakStart, peakEnd float64, spot xy) {
	if start > s.t {
		s.t = start
	}
	if float64(s.next) < s.t {
		s.next = int64(math.Ceil(s.t))
	}
	s.pos = spot
	for s.t < end {
		var wait float64
		switch {
		case s.t < peakStart:
			wait = math.Min(peakStart-s.t, uniform(s.r, 5, 15)*minute)
		case s.t < peakEnd:
			wait = uniform(s.r, 3, 6) * minute
		default:
			wait = uniform(s.r, 6, 15) * minute
		}
		// Waiting riders stay put for at least three minutes: that is dwell.
		wait = math.Max(wait, 3*minute+uniform(s.r, 0, 60))
		if s.t+wait >= end {
			s.stay(end-s.t, "idle")
			break
		}
		s.stay(wait, "idle")
		for {
			s.deliver()
			// In the peak, often take the next order without going back.
			if s.t >= end || s.t > peakEnd || s.r.Float64() > 0.65 {
				break
			}
		}
		s.ride(spot, uniform(s.r, 15, 20)/3.6, "idle")
	}
}

// deliver rides to a merchant, waits for the order, rides it to a compound in
// the work radius and hands it over.
func (s *sim) deliver() {
	var m xy
	if s.merchCum == nil || s.r.Float64() < 0.35 {
		m = offset(s.r, s.home, 20, 120)
	} else {
		m = offset(s.r, toXY(s.clusters[s.merch[pickWeighted(s.r, s.merchCum)]].Location), 20, 120)
	}
	if !s.w.containsXY(m) {
		m = s.home
	}
	speed := uniform(s.r, 15, 20) / 3.6
	s.ride(m, speed, "delivering")
	s.stay(uniform(s.r, 1, 5)*minute, "waiting")
	res := toXY(s.clusters[s.res[pickWeighted(s.r, s.resCum)]].Location)
	door := offset(s.r, res, 0, 60)
	if !s.w.containsXY(door) {
		door = res
	}
	s.ride(door, speed, "delivering")
	s.stay(uniform(s.r, 1, 3)*minute, "delivering")
}

// stay keeps the rider where he is for d seconds.
func (s *sim) stay(d float64, status string) {
	end := s.t + d
	for float64(s.next) < end {
		s.emit(s.pos, status)
	}
	s.t = end
}

// ride takes the rider to b along an L-shaped path at speed m/s.
func (s *sim) ride(b xy, speed float64, status string) {
	a := s.pos
	c1, c2 := xy{b.X, a.Y}, xy{a.X, b.Y}
	if s.r.IntN(2) == 0 {
		c1, c2 = c2, c1
	}
	corner := c1
	if !s.w.containsXY(c1) {
		corner = c2
		if !s.w.containsXY(c2) {
			corner = lerp(a, b, 0.5) // straight across
		}
	}
	l1, l2 := dist(a, corner), dist(corner, b)
	dur := (l1 + l2) / speed
	end := s.t + dur
	for float64(s.next) < end {
		d := (float64(s.next) - s.t) * speed
		var p xy
		if d < l1 {
			p = lerp(a, corner, d/l1)
		} else if l2 > 0 {
			p = lerp(corner, b, math.Min(1, (d-l1)/l2))
		} else {
			p = b
		}
		s.emit(p, status)
	}
	s.t = end
	s.pos = b
}

// emit records a ping at s.next at p with GPS noise and advances s.next by
// the interval ± 10% (30 s ± 3 s by default). A ping the noise would put
// outside the district is recorded without noise, or not at all.
func (s *sim) emit(p xy, status string) {
	ts := s.next
	j := s.interval / 10
	s.next += int64(s.interval-j) + int64(s.r.IntN(2*j+1))
	lim := 3 * s.plan.noise
	nx := math.Max(-lim, math.Min(lim, s.r.NormFloat64()*s.plan.noise))
	ny := math.Max(-lim, math.Min(lim, s.r.NormFloat64()*s.plan.noise))
	if ts >= s.end {
		// The platform exports whole days: the last night's pings
		// after midnight are not in the data.
		return
	}
	lng, lat := round6(lng0+(p.X+nx)/mPerDegLng), round6(lat0+(p.Y+ny)/mPerDegLat)
	if !s.w.contains(lng, lat) {
		lng, lat = round6(lng0+p.X/mPerDegLng), round6(lat0+p.Y/mPerDegLat)
		if !s.w.contains(lng, lat) {
			return
		}
	}
	s.out = append(s.out, RawPing{
		PlatformID: s.rider.PlatformID, Platform: s.rider.Platform,
		Time: time.Unix(ts, 0).In(cst), Lat: lat, Lng: lng, Status: status,
	})
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func timeFromUnix(unix int64) time.Time { return time.Unix(unix, 0).In(cst) }
