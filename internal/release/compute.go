package release

import (
	"cmp"
	"context"
	"math"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/store"
)

// A day is bounded rider by rider: a bounder turns one rider-day's pings
// (sorted by time) into its bounded contribution. The distinct-rider counts
// are whole numbers, so each worker adds them into its own partial and the
// partials are summed at the end in any order; the rider-hours are not, so
// each rider's sum terms are kept and added to the day's sums in rider
// order, which makes the result the same whatever the number of workers.

// partial holds the order-free part of a day's input: counts and tallies.
type partial struct {
	counts, exactCounts [NumSets][]float64
	areaCounts          [NumSets][3][]float64
	clipped, dropped    int
}

func newPartial(d *Domain) *partial {
	pa := &partial{}
	for s := range NumSets {
		pa.counts[s] = make([]float64, len(d.Cells))
		pa.exactCounts[s] = make([]float64, len(d.Cells))
		for l := range 3 {
			pa.areaCounts[s][l] = make([]float64, len(d.Codes[l]))
		}
	}
	return pa
}

// sumTerm is one rider-day's rider-hours of a block in a cell: exact and
// clipped.
type sumTerm struct {
	blk            int32
	i              int32
	exact, clipped float64
}

// cellTime is one rider-day's time in one domain cell (seconds).
type cellTime struct {
	i     int32
	day   float64
	named [NumBlocks]float64 // by named block; [BlockDay] unused
	// set is the time per hour set plus 1e-9 a ping, so a cell with a ping
	// of the set is > 0 even when its pings stand for no time.
	set [NumSets]float64
}

// areaTime is one rider-day's time per hour set in one area of a level.
type areaTime struct {
	a   int32
	set [NumSets]float64
}

type unitTime struct {
	i int32
	t float64
}

// bounder bounds rider-days of one day; each worker has its own.
type bounder struct {
	d     *Domain
	p     Params
	slot  []int32 // domain cell → 1 + index into cells; 0 when untouched
	cells []cellTime
	aslot [3][]int32 // area → 1 + index into areas[l]
	areas [3][]areaTime
	units []unitTime
	loc   cellCache
}

func newBounder(d *Domain, p Params) *bounder {
	b := &bounder{d: d, p: p, slot: make([]int32, len(d.Cells))}
	for l := range 3 {
		b.aslot[l] = make([]int32, len(d.Codes[l]))
	}
	return b
}

// setsOf are the hour sets of each local clock hour.
var setsOf = func() (out [24][]int) {
	for h := range 24 {
		out[h] = setsOfHour(h)
	}
	return out
}()

// rider bounds one rider-day's pings (one rider, sorted by time; pings
// outside the domain are ignored): it adds its counts and tallies to pa and
// appends its rider-hour terms to terms. ok is false when no ping is in the
// domain (the rider-day does not count).
func (b *bounder) rider(pings []store.DayPing, pa *partial, terms []sumTerm) (_ []sumTerm, ok bool) {
	d, p := b.d, b.p
	defer b.reset()
	for j := range pings {
		pg := &pings[j]
		w := lastPing
		if j+1 < len(pings) {
			if dt := time.Duration(pings[j+1].TS - pg.TS); dt <= maxGap {
				w = min(dt, pingCap)
			}
		}
		ci := b.loc.index(d, pg.Lng, pg.Lat)
		if ci < 0 {
			continue
		}
		hour := int((time.Duration(pg.TS) + p.Offset) / time.Hour % 24)
		if hour < 0 {
			hour += 24
		}
		sec := w.Seconds()
		k := b.slot[ci]
		if k == 0 {
			b.cells = append(b.cells, cellTime{i: int32(ci)})
			k = int32(len(b.cells))
			b.slot[ci] = k
		}
		c := &b.cells[k-1]
		c.day += sec
		if blk := namedBlockOfHour(hour); blk >= 0 {
			c.named[blk] += sec
		}
		sets := setsOf[hour]
		for _, s := range sets {
			// Presence counts even a ping standing for no time.
			c.set[s] += sec + 1e-9
		}
		for l := range 3 {
			a := d.Area[l][ci]
			if a < 0 {
				continue
			}
			k := b.aslot[l][a]
			if k == 0 {
				b.areas[l] = append(b.areas[l], areaTime{a: a})
				k = int32(len(b.areas[l]))
				b.aslot[l][a] = k
			}
			at := &b.areas[l][k-1]
			for _, s := range sets {
				at.set[s] += sec + 1e-9
			}
		}
	}
	if len(b.cells) == 0 {
		return terms, false
	}
	// Rider-hours: clip the whole-day vector (over cells) to L2 ≤
	// ClipHours and the named vector (over named block and cell) to
	// L2 ≤ ClipNamedHours.
	var norm, normNamed float64
	for i := range b.cells {
		c := &b.cells[i]
		h := c.day / 3600
		norm += h * h
		for blk := BlockBreakfast; blk < NumBlocks; blk++ {
			h := c.named[blk] / 3600
			normNamed += h * h
		}
	}
	scale, scaleNamed := 1.0, 1.0
	if norm = math.Sqrt(norm); norm > p.ClipHours {
		scale = p.ClipHours / norm
		pa.clipped++
	}
	if normNamed = math.Sqrt(normNamed); normNamed > p.ClipNamedHours {
		scaleNamed = p.ClipNamedHours / normNamed
	}
	for i := range b.cells {
		c := &b.cells[i]
		terms = append(terms, sumTerm{BlockDay, c.i, c.day / 3600, scale * c.day / 3600})
		for blk := BlockBreakfast; blk < NumBlocks; blk++ {
			// Adding 0 leaves a sum as it is: skip the blocks without time.
			if s := c.named[blk]; s != 0 {
				terms = append(terms, sumTerm{int32(blk), c.i, s / 3600, scaleNamed * s / 3600})
			}
		}
	}
	// Distinct riders: at most M units per level and hour set, those with
	// the most time (ties to the lowest unit).
	for s := range NumSets {
		b.units = b.units[:0]
		for i := range b.cells {
			if t := b.cells[i].set[s]; t > 0 {
				b.units = append(b.units, unitTime{b.cells[i].i, t})
			}
		}
		for _, u := range b.units {
			pa.exactCounts[s][u.i]++
		}
		pa.dropped += b.top(p.m(s), pa.counts[s])
		for l := range 3 {
			b.units = b.units[:0]
			for i := range b.areas[l] {
				if t := b.areas[l][i].set[s]; t > 0 {
					b.units = append(b.units, unitTime{b.areas[l][i].a, t})
				}
			}
			b.top(p.MArea[l], pa.areaCounts[s][l])
		}
	}
	return terms, true
}

// top counts the m units of b.units with the most time in add and returns
// how many it left out.
func (b *bounder) top(m int, add []float64) int {
	units := b.units
	dropped := 0
	if len(units) > m {
		slices.SortFunc(units, func(x, y unitTime) int {
			if c := cmp.Compare(y.t, x.t); c != 0 {
				return c
			}
			return cmp.Compare(x.i, y.i)
		})
		dropped = len(units) - m
		units = units[:m]
	}
	for _, u := range units {
		add[u.i]++
	}
	return dropped
}

// reset clears the rider-day's state for the next one.
func (b *bounder) reset() {
	for _, c := range b.cells {
		b.slot[c.i] = 0
	}
	b.cells = b.cells[:0]
	for l := range 3 {
		for _, a := range b.areas[l] {
			b.aslot[l][a.a] = 0
		}
		b.areas[l] = b.areas[l][:0]
	}
}

// newDayInput is an empty input over d.
func newDayInput(d *Domain) *DayInput {
	n := len(d.Cells)
	in := &DayInput{}
	for b := range NumBlocks {
		in.Sums[b] = make([]float64, n)
		in.ExactSums[b] = make([]float64, n)
	}
	return in
}

// addTerms adds rider-hour terms to the day's sums, in order.
func (in *DayInput) addTerms(terms []sumTerm) {
	for _, t := range terms {
		in.ExactSums[t.blk][t.i] += t.exact
		in.Sums[t.blk][t.i] += t.clipped
	}
}

// addPartial adds a worker's counts and tallies.
func (in *DayInput) addPartial(pa *partial) {
	if in.Counts[0] == nil {
		in.Counts, in.ExactCounts, in.AreaCounts = pa.counts, pa.exactCounts, pa.areaCounts
	} else {
		for s := range NumSets {
			addTo(in.Counts[s], pa.counts[s])
			addTo(in.ExactCounts[s], pa.exactCounts[s])
			for l := range 3 {
				addTo(in.AreaCounts[s][l], pa.areaCounts[s][l])
			}
		}
	}
	in.Clipped += pa.clipped
	in.Dropped += pa.dropped
}

func addTo(dst, src []float64) {
	for i, x := range src {
		dst[i] += x
	}
}

// Compute bounds each rider-day's contribution for one day's pings (any
// order; pings outside the domain are ignored). It holds the whole day: the
// release streams it (computeDay); this is the same computation on one
// goroutine.
func Compute(pings []store.DayPing, d *Domain, p Params) *DayInput {
	slices.SortStableFunc(pings, func(a, b store.DayPing) int {
		if c := cmp.Compare(a.Rider, b.Rider); c != 0 {
			return c
		}
		return cmp.Compare(a.TS, b.TS)
	})
	in := newDayInput(d)
	pa := newPartial(d)
	b := newBounder(d, p)
	var terms []sumTerm
	for lo := 0; lo < len(pings); {
		hi := lo
		for hi < len(pings) && pings[hi].Rider == pings[lo].Rider {
			hi++
		}
		var ok bool
		if terms, ok = b.rider(pings[lo:hi], pa, terms[:0]); ok {
			in.Riders = append(in.Riders, pings[lo].Rider)
			in.addTerms(terms)
		}
		lo = hi
	}
	in.addPartial(pa)
	return in
}

// chunk is a run of consecutive riders' pings handed to a worker, and what
// it made of them.
type chunk struct {
	seq    int
	riders []int64
	ends   []int // end of each rider's pings in pings
	pings  []store.DayPing
	kept   []int64 // riders with a ping in the domain
	terms  []sumTerm
}

// chunkPings is about how many pings a chunk holds (whole riders: more when
// one rider has more).
var chunkPings = 1 << 15

// computeDay is Compute over the pings from ≤ ts < to streamed from the
// store rider by rider: memory holds a few chunks of riders, not the day.
// Workers (one per core) bound the riders of a chunk; the chunks' rider-hour
// terms are added in rider order, so the result equals Compute's whatever
// the number of workers (≤ 0: one per core).
func computeDay(ctx context.Context, st *store.Store, from, to time.Time, d *Domain, p Params, workers int) (*DayInput, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	free := make(chan *chunk, 2*workers+2) // bounds the chunks in flight
	for range cap(free) {
		free <- &chunk{}
	}
	todo := make(chan *chunk, workers)
	done := make(chan *chunk, cap(free))
	parts := make([]*partial, workers)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(todo)
		var c *chunk
		seq := 0
		send := func() error {
			select {
			case todo <- c:
				c = nil
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		err := st.ForEachRiderDay(gctx, from, to, func(rider int64, pings []store.DayPing) error {
			if c == nil {
				select {
				case c = <-free:
				case <-gctx.Done():
					return gctx.Err()
				}
				c.seq, seq = seq, seq+1
				c.riders, c.ends, c.pings = c.riders[:0], c.ends[:0], c.pings[:0]
			}
			c.riders = append(c.riders, rider)
			c.pings = append(c.pings, pings...)
			c.ends = append(c.ends, len(c.pings))
			if len(c.pings) >= chunkPings {
				return send()
			}
			return nil
		})
		if err == nil && c != nil {
			err = send()
		}
		return err
	})
	var wg errgroup.Group
	for w := range workers {
		parts[w] = newPartial(d)
		wg.Go(func() error {
			b := newBounder(d, p)
			for c := range todo {
				c.kept, c.terms = c.kept[:0], c.terms[:0]
				lo := 0
				for k, hi := range c.ends {
					var ok bool
					if c.terms, ok = b.rider(c.pings[lo:hi], parts[w], c.terms); ok {
						c.kept = append(c.kept, c.riders[k])
					}
					lo = hi
				}
				done <- c // never blocks: done holds every chunk
			}
			return nil
		})
	}
	go func() {
		_ = wg.Wait()
		close(done)
	}()
	in := newDayInput(d)
	pending := map[int]*chunk{}
	next := 0
	for c := range done {
		pending[c.seq] = c
		for c := pending[next]; c != nil; c = pending[next] {
			delete(pending, next)
			next++
			in.Riders = append(in.Riders, c.kept...)
			in.addTerms(c.terms)
			free <- c
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, pa := range parts {
		in.addPartial(pa)
	}
	return in, nil
}

// cellCache finds the domain index of the cell of a ping without asking
// H3 when it can: a rider's next ping is mostly in the cell of the last one
// or a neighbour of it. A point counts as in a cell only when it lies
// inside the cell's hexagon by more than cellMargin; nearer to an edge, or
// in no neighbour, H3 says (geo.CellAt), so the answer is always H3's.
type cellCache struct {
	last   int32        // domain index of the last cell found, or -1
	shapes []*cellShape // by domain index, made when first needed
}

// cellMargin is how far inside its hexagon a point must be to be placed
// without H3, in degrees of latitude (~0.1 m): far more than how much a
// res-9 edge (a great-circle arc of ~200 m) bends away from a straight line
// in longitude and latitude (under a millimetre), and than rounding.
const cellMargin = 1e-6

// cellShape is a domain cell's hexagon as six half-planes in local
// coordinates x = (lng − lng0)·k, y = lat − lat0, and its neighbours in the
// domain. A point is inside by the margin when nx·x + ny·y ≥ c for all six.
type cellShape struct {
	lng0, lat0, k float64
	nx, ny, c     [6]float64
	ok            bool    // a plain hexagon (6 vertices, convex): usable
	nbrs          []int32 // neighbours' domain indices
}

func (cc *cellCache) shape(d *Domain, i int32) *cellShape {
	if cc.shapes == nil {
		cc.shapes = make([]*cellShape, len(d.Cells))
	}
	if s := cc.shapes[i]; s != nil {
		return s
	}
	s := &cellShape{}
	cc.shapes[i] = s
	c := geo.Cell(d.Cells[i])
	for _, n := range geo.Neighbors(c) {
		if j := d.Index(int64(n)); j >= 0 {
			s.nbrs = append(s.nbrs, int32(j))
		}
	}
	poly := geo.CellPolygon(c)
	if len(poly) != 1 || len(poly[0]) != 7 {
		return s // a pentagon, or a cell crossing an icosahedron edge
	}
	r := poly[0] // counter-clockwise, closed
	ctr := geo.CellCenter(c)
	s.lng0, s.lat0 = ctr[0], ctr[1]
	s.k = math.Cos(s.lat0 * math.Pi / 180)
	s.ok = true
	for e := range 6 {
		x0, y0 := (r[e][0]-s.lng0)*s.k, r[e][1]-s.lat0
		x1, y1 := (r[e+1][0]-s.lng0)*s.k, r[e+1][1]-s.lat0
		// Inward normal of a counter-clockwise edge: the edge turned left.
		nx, ny := -(y1 - y0), x1-x0
		l := math.Hypot(nx, ny)
		if !(l > 0) {
			s.ok = false
			return s
		}
		nx, ny = nx/l, ny/l
		s.nx[e], s.ny[e], s.c[e] = nx, ny, nx*x0+ny*y0+cellMargin
		// The centre and every vertex must be inside every edge: a convex
		// hexagon, counter-clockwise, is the meet of the six half-planes.
		if s.c[e] > -cellMargin {
			s.ok = false
			return s
		}
		for v := range 6 {
			if nx*(r[v][0]-s.lng0)*s.k+ny*(r[v][1]-s.lat0) < s.c[e]-cellMargin-1e-12 {
				s.ok = false
				return s
			}
		}
	}
	return s
}

func (s *cellShape) contains(lng, lat float64) bool {
	if !s.ok {
		return false
	}
	x, y := (lng-s.lng0)*s.k, lat-s.lat0
	for e := range 6 {
		if s.nx[e]*x+s.ny[e]*y < s.c[e] {
			return false
		}
	}
	return true
}

func (cc *cellCache) index(d *Domain, lng, lat float64) int {
	if cc.shapes != nil && cc.last >= 0 {
		s := cc.shape(d, cc.last)
		if s.contains(lng, lat) {
			return int(cc.last)
		}
		for _, n := range s.nbrs {
			if cc.shape(d, n).contains(lng, lat) {
				cc.last = n
				return int(n)
			}
		}
	}
	cell, err := geo.CellAt(lng, lat, Res)
	if err != nil {
		cc.last = -1
		return -1
	}
	i := d.Index(int64(cell))
	cc.last = int32(i)
	if i >= 0 {
		cc.shape(d, int32(i))
	}
	return i
}
