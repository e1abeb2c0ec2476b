package demo

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Express couriers (快递员) work a fixed territory (片区) of a few adjacent
// grids of one street for their company, the same grids every day: a morning
// at the company's depot (网点) sorting parcels, rounds of doorsteps, parcel
// lockers and compound gates in the territory, lunch at one spot in it, and
// pick-ups in the late afternoon. They are out six days in seven during
// working hours. Each company divides the district into its own territories,
// so a grid is served by one courier per company; couriers are dealt to the
// companies' territories in turn, so every grid has a courier once there are
// as many couriers as territories of one company (about 120 for the demo's
// 307 grids). Every figure is documented in docs/DEMO.md.

// expressCompanies are the courier platforms, in the order their territories
// are filled.
var expressCompanies = []struct{ name, prefix string }{
	{"zto", "zto-"}, {"sf-express", "sfx-"}, {"yto", "yto-"}, {"jd-logistics", "jdl-"},
	{"sto", "sto-"}, {"yunda", "yd-"}, {"ems", "ems-"},
}

// Courier parameters (docs/DEMO.md).
const (
	territoryThreeShare = 0.4  // territories of three grids; the rest have two (or one where no neighbour is left)
	courierRestShare    = 0.03 // chance of an extra day off on a working day
	courierLongStop     = 0.2  // share of stops at a parcel locker or compound gate (6–12 min)
)

// courierPlan is what a courier does, drawn once per courier.
type courierPlan struct {
	quads   []int     // the territory's lattice quads, parallel to RawRider.Territory
	cum     []float64 // cumulative weight of each grid of the territory
	depot   xy        // the company's depot in his street
	lunch   xy        // where he eats, in his main grid
	restDay time.Weekday
	noise   float64
	start   float64 // minutes after 07:30 he reaches the depot on weekdays
}

// makeCouriers fills Riders[len(plans):] with couriers.
func (c *City) makeCouriers() {
	n := c.Params.Couriers()
	if n == 0 {
		return
	}
	w := c.world
	first := len(c.plans)
	idOffset := splitmix64(uint64(c.Params.Seed)) % 1e8
	quadGrid := make(map[int]int, len(w.gridQuad))
	for g, q := range w.gridQuad {
		quadGrid[q] = g
	}
	c.couriers = make([]courierPlan, 0, n)
	var terrs [][]int
	var company, roundOf []int
	var depots [][]xy // per round, per street
	for round := 0; len(terrs) < n; round++ {
		ts := c.territories(round, quadGrid)
		terrs = append(terrs, ts...)
		for range ts {
			company = append(company, round%len(expressCompanies))
			roundOf = append(roundOf, round)
		}
		depots = append(depots, c.depots(round))
	}
	for k := range n {
		i := first + k
		r := newRand(c.Params.Seed, streamCourierPlan, k)
		terr := slices.Clone(terrs[k])
		weights := make([]float64, len(terr))
		for g := range weights {
			weights[g] = uniform(r, 0.5, 1.5)
		}
		// The grid he spends most time in comes first.
		order := make([]int, len(terr))
		for g := range order {
			order[g] = g
		}
		slices.SortStableFunc(order, func(a, b int) int { return -cmpFloat(weights[a], weights[b]) })
		sortedTerr, sortedW := make([]int, len(terr)), make([]float64, len(terr))
		quads := make([]int, len(terr))
		for g, o := range order {
			sortedTerr[g], sortedW[g] = terr[o], weights[o]
			quads[g] = w.gridQuad[terr[o]]
		}
		co := expressCompanies[company[k]]
		n := (uint64(i)*48271 + idOffset) % 1e8
		c.Riders[i] = RawRider{
			PlatformID: fmt.Sprintf("%s%08d", co.prefix, n), Platform: co.name,
			Kind: KindCourier, Home: -1, Territory: sortedTerr,
		}
		rest := time.Weekday(r.IntN(7))
		switch x := r.Float64(); {
		case x < 0.45:
			rest = time.Sunday
		case x < 0.65:
			rest = time.Saturday
		}
		c.couriers = append(c.couriers, courierPlan{
			quads: quads, cum: cumulative(sortedW),
			depot:   depots[roundOf[k]][w.gridStreet[sortedTerr[0]]],
			lunch:   w.quadPoint(quads[0], uniform(r, 0.25, 0.75), uniform(r, 0.25, 0.75)),
			restDay: rest,
			noise:   uniform(r, 3.5, 7),
			start:   uniform(r, 0, 45),
		})
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// territories divides the grids into one company's territories: from each
// grid not yet taken (in a random order), grow a territory of two or three
// grids by adding neighbouring grids of the same street. The territories come
// in that random order.
func (c *City) territories(round int, quadGrid map[int]int) [][]int {
	w := c.world
	r := newRand(c.Params.Seed, streamTerritories, round)
	owner := make([]int, len(w.grids))
	for g := range owner {
		owner[g] = -1
	}
	var out [][]int
	for _, g := range r.Perm(len(w.grids)) {
		if owner[g] >= 0 {
			continue
		}
		size := 2
		if r.Float64() < territoryThreeShare {
			size = 3
		}
		t := []int{g}
		owner[g] = len(out)
		for len(t) < size {
			var cands []int
			for _, x := range t {
				for _, nq := range neighbours4(w.gridQuad[x]) {
					if gi, ok := quadGrid[nq]; ok && owner[gi] < 0 && w.gridStreet[gi] == w.gridStreet[g] && !slices.Contains(cands, gi) {
						cands = append(cands, gi)
					}
				}
			}
			if len(cands) == 0 {
				break
			}
			pick := cands[r.IntN(len(cands))]
			owner[pick] = len(out)
			t = append(t, pick)
		}
		out = append(out, t)
	}
	return out
}

// depots places one company's depot in each street, in one of its grids.
func (c *City) depots(round int) []xy {
	w := c.world
	r := newRand(c.Params.Seed, streamDepots, round)
	out := make([]xy, len(w.streets))
	for s := range w.streets {
		var gs []int
		for g, gs2 := range w.gridStreet {
			if gs2 == s {
				gs = append(gs, g)
			}
		}
		q := w.gridQuad[gs[r.IntN(len(gs))]]
		out[s] = w.quadPoint(q, uniform(r, 0.3, 0.7), uniform(r, 0.3, 0.7))
	}
	return out
}

// courierPings simulates courier i (an index into Riders) day by day.
func (c *City) courierPings(i int, out []RawPing) []RawPing {
	k := i - len(c.plans)
	cp := c.couriers[k]
	s := &sim{
		w: c.world, r: newRand(c.Params.Seed, streamCourierMove, k),
		rider: c.Riders[i], plan: riderPlan{noise: cp.noise}, out: out, clusters: c.Clusters,
		interval: c.Params.interval(), end: c.end(),
	}
	day0 := c.day0.Unix()
	for d := range c.Params.Days {
		wd := c.day0.AddDate(0, 0, d).Weekday()
		if wd == cp.restDay || s.r.Float64() < courierRestShare {
			continue
		}
		base := float64(day0 + int64(d)*86400)
		weekend := wd == time.Saturday || wd == time.Sunday
		// Weekdays: depot 07:30–08:15, rounds to lunch at about 12:00,
		// rounds to about 16:45, back to the depot, pick-ups to about
		// 18:30. Weekends: from about 08:30 to about 16:30, no pick-ups.
		arrive := 7.5*hour + cp.start*minute
		if weekend {
			arrive += hour
		}
		s.t = math.Max(s.t, base+arrive)
		if float64(s.next) < s.t {
			s.next = int64(math.Ceil(s.t))
		}
		s.pos = cp.depot
		s.stay(uniform(s.r, 30, 50)*minute, "waiting") // sorting the day's parcels
		s.round(cp, base+uniform(s.r, 11.5, 12.1)*hour)
		s.rideStraight(cp.lunch, uniform(s.r, 12, 18)/3.6, "idle")
		s.stay(uniform(s.r, 30, 50)*minute, "idle")
		if weekend {
			s.round(cp, base+uniform(s.r, 16.2, 16.8)*hour)
			continue
		}
		s.round(cp, base+uniform(s.r, 16.5, 17)*hour)
		s.rideStraight(cp.depot, uniform(s.r, 15, 20)/3.6, "delivering")
		s.stay(uniform(s.r, 15, 30)*minute, "waiting") // hand in the day's pick-ups, take the evening's
		s.round(cp, base+uniform(s.r, 18, 18.8)*hour)
	}
	return s.out
}

// round visits stops in the territory until the clock reaches until: a ride
// to a doorstep, locker or gate in one of its grids (by the grid's weight),
// then a stop there.
func (s *sim) round(cp courierPlan, until float64) {
	for s.t < until {
		q := cp.quads[pickWeighted(s.r, cp.cum)]
		stop := s.w.quadPoint(q, uniform(s.r, 0.08, 0.92), uniform(s.r, 0.08, 0.92))
		s.rideStraight(stop, uniform(s.r, 12, 18)/3.6, "delivering")
		d := uniform(s.r, 1.5, 4) * minute
		status := "delivering"
		if s.r.Float64() < courierLongStop {
			d, status = uniform(s.r, 6, 12)*minute, "waiting"
		}
		s.stay(math.Min(d, math.Max(until-s.t, 30)), status)
	}
}

// rideStraight takes the rider to b in a straight line at speed m/s (within
// a grid or between neighbouring grids: lanes, not arterials).
func (s *sim) rideStraight(b xy, speed float64, status string) {
	a := s.pos
	l := dist(a, b)
	if l == 0 {
		return
	}
	end := s.t + l/speed
	for float64(s.next) < end {
		s.emit(lerp(a, b, math.Min(1, (float64(s.next)-s.t)*speed/l)), status)
	}
	s.t = end
	s.pos = b
}
