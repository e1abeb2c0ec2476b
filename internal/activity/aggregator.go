package activity

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

const (
	hourNs = int64(time.Hour)
	dayNs  = int64(24 * time.Hour)
)

// cellHow packs an H3 cell index and an hour of week (-1..167) into one
// uint64 (a fast map key): a cell index has bit 63 zero, mode bits 59–62 equal
// to 1 and bits 56–58 zero, so bits 56–63 are free to hold how+1.
type cellHow uint64

func packCellHow(cell int64, how int16) cellHow {
	return cellHow(uint64(cell)&(1<<56-1) | uint64(uint8(how+1))<<56)
}

func (k cellHow) cell() int64 { return int64(uint64(k)&(1<<56-1) | h3ModeCell<<h3ModeShift) }
func (k cellHow) how() int16  { return int16(uint64(k)>>56) - 1 }

// acc is the additive part of a Stat, in integer nanoseconds so that sums do
// not depend on the order they are made in.
type acc struct {
	pings   int64
	riderNs int64
	dwellNs int64
}

// Aggregator consumes pings and aggregates them; see the package doc for the
// definitions. Each rider's pings must arrive in non-decreasing time order;
// riders may be interleaved (as in a time-sorted file). It is not safe for
// concurrent use; AggregateParallel shards riders over several of them.
//
// Memory is O(base cell-hours) for the statistics plus, per rider, O(1) state
// for the open session and dwell run, its presence set of base cell-hours, its
// RangeRes cells, and a reservoir of at most Settings.ReservoirSize points.
type Aggregator struct {
	s        Settings
	err      error // invalid settings
	finished bool

	resolutions                            []int // deduplicated Settings.Resolutions
	offset, maxGap, pingCap, defPing, dmin int64
	radius2                                float64

	stats   map[cellHow]int32 // index into accs (and keys, mark)
	accs    []acc
	keys    []cellHow // the key of each accs entry
	mark    []int32   // ord of the rider last recorded present in each accs entry
	riders  map[int64]*riderState
	nextOrd int32
	last    *riderState // the rider of the previous ping
	pings   int64
}

// NewAggregator returns an empty Aggregator. If s is invalid, Add returns the
// validation error.
func NewAggregator(s Settings) *Aggregator {
	a := &Aggregator{
		s:      s,
		err:    s.Validate(),
		stats:  make(map[cellHow]int32),
		riders: make(map[int64]*riderState),
	}
	if a.err != nil {
		return a
	}
	a.s.Resolutions = slices.Clone(s.Resolutions)
	a.resolutions = slices.Compact(slices.Sorted(slices.Values(s.Resolutions)))
	a.offset = int64(s.UTCOffset)
	a.maxGap = int64(s.MaxGap)
	a.pingCap = int64(s.PingCap)
	a.defPing = int64(math.Round(s.DefaultPingSeconds * 1e9))
	a.dmin = int64(s.DwellMinDuration)
	a.radius2 = s.DwellRadiusM * s.DwellRadiusM
	return a
}

type xyw struct{ x, y, w float32 }

// resChunk is the number of reservoir points per allocation: the reservoir
// grows a chunk at a time instead of by append's doubling, which left up to a
// third of its capacity unused and copied it as it grew.
const resChunk = 64

// rangeCell is the rider's time in one RangeRes cell.
type rangeCell struct {
	cell        int64
	ns, dwellNs int64
	days        int32
	lastDate    int32 // local day number (days since 1970-01-01)
}

// noDate is a lastDate no ping has.
const noDate = math.MinInt32

// riderState is everything kept per rider.
type riderState struct {
	id  model.RiderID
	key int64

	proj geo.LocalProjection // around the first ping

	n             int64
	firstT, lastT int64 // unix nanoseconds

	// The last ping, whose rider seconds are credited when the next arrives.
	px, py float64
	pcell  int64
	pidx   int32 // accs index of (pcell, its how)
	prc    int32 // index in cells of the ping's RangeRes cell

	// The open dwell run: anchor position, cell and start.
	ax, ay float64
	acell  int64
	arc    int32 // index in cells
	aT0    int64

	days     int
	lastDate int64

	// West's weighted running mean and sum of squares, weights in seconds.
	sw, mx, my, m2 float64

	ext [8][2]float64 // extreme points: min/max of x, y, x+y, x−y

	// The reservoir's points in chunks of resChunk (the last one possibly
	// shorter), in sample order: point i is in chunk i/resChunk at
	// i%resChunk. While every point can be, they are held packed in 8 bytes
	// (packPoint) in reservoir; from the first that cannot, as xyw in wide.
	reservoir [][]uint64
	wide      [][]xyw
	isWide    bool
	nres      int32 // points in the reservoir
	seen      int64
	rng       uint64

	// The quantized position (1e-7°) of the first ping, the base of the
	// packed points, and of the last ping, with whether it is exact.
	lat0, lng0 int32
	plat, plng int32
	pexact     bool

	activeNs, dwellNs int64

	// The RangeRes cells in order of first ping, and an open-addressing
	// index of them (index+1, 0 empty; a power of two long, at most three
	// quarters full): no map and no pointer per cell.
	cells   []rangeCell
	cellIdx []int32

	// present lists the accs indices where the rider is present: possibly
	// with duplicates (when riders interleave), compacted (sorted, distinct)
	// whenever it grows past compactAt, so it stays O(distinct).
	present     []int32
	compactAt   int
	ord         int32 // 1.. in order of first ping; Aggregator.mark value
	lastPresent cellHow
	lastIdx     int32
}

// Add consumes one ping. cell is the ping's H3 cell at Settings.BaseRes,
// computed by the caller (CellOf). It returns an error wrapping ErrOutOfOrder
// if the ping is earlier than the rider's previous one, and an error for a
// malformed rider id or cell; the ping is then ignored and the aggregator
// stays usable.
func (a *Aggregator) Add(p model.Ping, cell int64) error {
	if a.err != nil {
		return a.err
	}
	key, err := p.Rider.Key()
	if err != nil {
		return fmt.Errorf("activity: %w", err)
	}
	return a.add(&p, key, cell)
}

func (a *Aggregator) add(p *model.Ping, key, cell int64) error {
	if a.finished {
		return ErrFinished
	}
	if cellRes(cell) != a.s.BaseRes {
		return fmt.Errorf("activity: rider %d: %#x is not an H3 cell at resolution %d", key, cell, a.s.BaseRes)
	}
	t := p.Time.UnixNano()
	r := a.last
	if r == nil || r.key != key {
		r = a.riders[key]
	}
	if r == nil {
		a.nextOrd++
		r = &riderState{
			id:          p.Rider,
			key:         key,
			proj:        geo.NewLocalProjection(orb.Point{p.Lng, p.Lat}),
			firstT:      t,
			rng:         uint64(key),
			prc:         -1,
			present:     make([]int32, 0, 16),
			compactAt:   64,
			ord:         a.nextOrd,
			lastPresent: ^cellHow(0),
		}
		a.riders[key] = r
		a.last = r
		a.record(r, t, cell, 0, 0)
		r.setQuantized(p)
		r.lat0, r.lng0 = r.plat, r.plng
		a.startRun(r)
		return nil
	}
	a.last = r
	if t < r.lastT {
		return fmt.Errorf("%w %d: %s is before its previous ping at %s", ErrOutOfOrder, key,
			p.Time.UTC().Format(time.RFC3339Nano), time.Unix(0, r.lastT).UTC().Format(time.RFC3339Nano))
	}
	gap := t - r.lastT
	w := min(gap, a.pingCap)
	if gap > a.maxGap {
		w = a.defPing
	}
	a.credit(r, w)
	x, y := r.proj.ToXY(orb.Point{p.Lng, p.Lat})
	dx, dy := x-r.ax, y-r.ay
	brk := gap > a.maxGap || dx*dx+dy*dy > a.radius2
	if brk {
		a.closeRun(r)
	}
	a.record(r, t, cell, x, y)
	r.setQuantized(p)
	if brk {
		a.startRun(r)
	}
	return nil
}

// setQuantized records p's position in 1e-7° and whether that is exact
// (imports quantize pings so: store.Quantize).
func (r *riderState) setQuantized(p *model.Ping) {
	la, okLa := e7(p.Lat)
	ln, okLn := e7(p.Lng)
	r.plat, r.plng, r.pexact = la, ln, okLa && okLn
}

// e7 returns v in units of 1e-7 and whether converting back gives v exactly.
func e7(v float64) (int32, bool) {
	f := math.Round(v * 1e7)
	if !(f >= math.MinInt32 && f <= math.MaxInt32) {
		return 0, false
	}
	q := int32(f)
	return q, float64(q)/1e7 == v
}

// A packed reservoir point: the last ping's position as 1e-7° offsets from
// the first ping (23 bits each, signed: ±0.42°) and its weight in whole
// milliseconds (18 bits: < 262 s). Its xyw is recomputed from these exactly
// as it was computed from the ping (the same float64 position, projected).
const (
	packPosBits = 23
	packWBits   = 64 - 2*packPosBits
)

// packPoint packs the last ping with weight w ns, if it can be exactly.
func (r *riderState) packPoint(w int64) (uint64, bool) {
	if !r.pexact || w%1e6 != 0 || w < 0 || w/1e6 >= 1<<packWBits {
		return 0, false
	}
	dla, dln := int64(r.plat)-int64(r.lat0), int64(r.plng)-int64(r.lng0)
	const lim = 1 << (packPosBits - 1)
	if dla < -lim || dla >= lim || dln < -lim || dln >= lim {
		return 0, false
	}
	const m = 1<<packPosBits - 1
	return uint64(dla)&m | (uint64(dln)&m)<<packPosBits | uint64(w/1e6)<<(2*packPosBits), true
}

// unpackPoint returns the xyw that v was packed from.
func (r *riderState) unpackPoint(v uint64) xyw {
	dla := int64(v<<(64-packPosBits)) >> (64 - packPosBits)
	dln := int64(v<<(64-2*packPosBits)) >> (64 - packPosBits)
	w := int64(v>>(2*packPosBits)) * 1e6
	x, y := r.proj.ToXY(orb.Point{float64(int64(r.lng0)+dln) / 1e7, float64(int64(r.lat0)+dla) / 1e7})
	return xyw{float32(x), float32(y), float32(float64(w) / 1e9)}
}

// widen turns the packed reservoir into full points.
func (r *riderState) widen() {
	r.isWide = true
	r.wide = make([][]xyw, len(r.reservoir))
	for i, c := range r.reservoir {
		wc := make([]xyw, len(c), cap(c))
		for j, v := range c {
			wc[j] = r.unpackPoint(v)
		}
		r.wide[i] = wc
	}
	r.reservoir = nil
}

// chunkAppend appends v as point n of a chunked reservoir of at most size.
func chunkAppend[T any](cs [][]T, n, size int, v T) [][]T {
	if n%resChunk == 0 {
		cs = append(cs, make([]T, 0, min(resChunk, size-n)))
	}
	last := len(cs) - 1
	cs[last] = append(cs[last], v)
	return cs
}

// statIdx returns the accs index of (cell, how) and marks the rider present
// there.
func (a *Aggregator) statIdx(r *riderState, cell int64, how int16) int32 {
	k := packCellHow(cell, how)
	if k == r.lastPresent {
		return r.lastIdx
	}
	idx, ok := a.stats[k]
	if !ok {
		idx = int32(len(a.accs))
		a.accs = append(a.accs, acc{})
		a.keys = append(a.keys, k)
		a.mark = append(a.mark, 0)
		a.stats[k] = idx
	}
	if a.mark[idx] != r.ord {
		a.mark[idx] = r.ord
		r.present = append(r.present, idx)
		if len(r.present) > r.compactAt {
			r.compactPresent()
		}
	}
	r.lastPresent, r.lastIdx = k, idx
	return idx
}

// compactPresent sorts and deduplicates r.present.
func (r *riderState) compactPresent() {
	slices.Sort(r.present)
	r.present = slices.Compact(r.present)
	r.compactAt = max(64, 2*len(r.present))
}

// record makes the ping at t the rider's last one.
func (a *Aggregator) record(r *riderState, t, cell int64, x, y float64) {
	local := t + a.offset
	how := howOfHour(floorDiv(local, hourNs))
	idx := a.statIdx(r, cell, how)
	a.accs[idx].pings++
	a.pings++

	date := floorDiv(local, dayNs)
	if r.n == 0 || date != r.lastDate {
		r.days++
		r.lastDate = date
	}
	rk := parentCell(cell, a.s.RangeRes)
	ri := r.prc
	if ri < 0 || rk != r.cells[ri].cell {
		ri = r.rangeCellOf(rk)
	}
	if rc := &r.cells[ri]; rc.lastDate != int32(date) {
		rc.days++
		rc.lastDate = int32(date)
	}

	if r.n == 0 {
		for i := range r.ext {
			r.ext[i] = [2]float64{x, y}
		}
	} else {
		e := &r.ext
		if x < e[0][0] {
			e[0] = [2]float64{x, y}
		}
		if x > e[1][0] {
			e[1] = [2]float64{x, y}
		}
		if y < e[2][1] {
			e[2] = [2]float64{x, y}
		}
		if y > e[3][1] {
			e[3] = [2]float64{x, y}
		}
		if x+y < e[4][0]+e[4][1] {
			e[4] = [2]float64{x, y}
		}
		if x+y > e[5][0]+e[5][1] {
			e[5] = [2]float64{x, y}
		}
		if x-y < e[6][0]-e[6][1] {
			e[6] = [2]float64{x, y}
		}
		if x-y > e[7][0]-e[7][1] {
			e[7] = [2]float64{x, y}
		}
	}

	r.n++
	r.lastT = t
	r.px, r.py = x, y
	r.pcell, r.pidx = cell, idx
	r.prc = ri
}

// rangeCellOf returns the index in r.cells of RangeRes cell c, adding it.
func (r *riderState) rangeCellOf(c int64) int32 {
	if 4*(len(r.cells)+1) > 3*len(r.cellIdx) {
		n := max(8, 2*len(r.cellIdx))
		r.cellIdx = make([]int32, n)
		for i := range r.cells {
			r.cellIdx[r.cellSlot(r.cells[i].cell)] = int32(i) + 1
		}
	}
	j := r.cellSlot(c)
	if i := r.cellIdx[j]; i > 0 {
		return i - 1
	}
	if len(r.cells) == cap(r.cells) { // grow by half, not append's double
		cells := make([]rangeCell, len(r.cells), len(r.cells)+max(4, len(r.cells)/2))
		copy(cells, r.cells)
		r.cells = cells
	}
	r.cells = append(r.cells, rangeCell{cell: c, lastDate: noDate})
	r.cellIdx[j] = int32(len(r.cells))
	return int32(len(r.cells) - 1)
}

// cellSlot returns the slot of r.cellIdx that holds c or the empty slot
// where it goes (linear probing).
func (r *riderState) cellSlot(c int64) int {
	mask := len(r.cellIdx) - 1
	j := int((uint64(c) * 0x9e3779b97f4a7c15) >> 40)
	for {
		j &= mask
		i := r.cellIdx[j]
		if i == 0 || r.cells[i-1].cell == c {
			return j
		}
		j++
	}
}

// credit gives the rider's last ping the w nanoseconds it stands for.
func (a *Aggregator) credit(r *riderState, w int64) {
	if w > 0 {
		start := r.lastT + a.offset
		h := floorDiv(start, hourNs)
		if (h+1)*hourNs-start >= w {
			a.accs[r.pidx].riderNs += w // the common case: within the ping's hour
		} else {
			for w := w; w > 0; {
				h := floorDiv(start, hourNs)
				part := min((h+1)*hourNs-start, w)
				a.accs[a.statIdx(r, r.pcell, howOfHour(h))].riderNs += part
				start += part
				w -= part
			}
		}
		r.activeNs += w
		r.cells[r.prc].ns += w
		// West's weighted incremental mean and sum of squared deviations.
		wf := float64(w) / 1e9
		r.sw += wf
		dx, dy := r.px-r.mx, r.py-r.my
		r.mx += dx * wf / r.sw
		r.my += dy * wf / r.sw
		r.m2 += wf * (dx*(r.px-r.mx) + dy*(r.py-r.my))
	}
	// Reservoir sampling (Vitter's algorithm R), deterministic per rider.
	pt := xyw{float32(r.px), float32(r.py), float32(float64(w) / 1e9)}
	r.seen++
	if n := int(r.nres); n < a.s.ReservoirSize {
		if !r.isWide {
			if v, ok := r.packPoint(w); ok {
				r.reservoir = chunkAppend(r.reservoir, n, a.s.ReservoirSize, v)
				r.nres++
				return
			}
			r.widen()
		}
		r.wide = chunkAppend(r.wide, n, a.s.ReservoirSize, pt)
		r.nres++
	} else if j := splitmix(&r.rng) % uint64(r.seen); j < uint64(r.nres) {
		if !r.isWide {
			if v, ok := r.packPoint(w); ok {
				r.reservoir[j/resChunk][j%resChunk] = v
				return
			}
			r.widen()
		}
		r.wide[j/resChunk][j%resChunk] = pt
	}
}

// appendSamples appends the reservoir's points to out, in sample order.
func (r *riderState) appendSamples(out []xyw) []xyw {
	for _, c := range r.wide {
		out = append(out, c...)
	}
	for _, c := range r.reservoir {
		for _, v := range c {
			out = append(out, r.unpackPoint(v))
		}
	}
	return out
}

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// startRun makes the rider's last ping the anchor of a new dwell run.
func (a *Aggregator) startRun(r *riderState) {
	r.ax, r.ay = r.px, r.py
	r.acell, r.arc, r.aT0 = r.pcell, r.prc, r.lastT
}

// closeRun ends the open dwell run at the rider's last ping.
func (a *Aggregator) closeRun(r *riderState) {
	d := r.lastT - r.aT0
	if d < a.dmin || d <= 0 {
		return
	}
	start := r.aT0 + a.offset
	for w := d; w > 0; {
		h := floorDiv(start, hourNs)
		part := min((h+1)*hourNs-start, w)
		a.accs[a.statIdx(r, r.acell, howOfHour(h))].dwellNs += part
		start += part
		w -= part
	}
	r.dwellNs += d
	r.cells[r.arc].dwellNs += d
}

func (a *acc) add(v acc) {
	a.pings += v.pings
	a.riderNs += v.riderNs
	a.dwellNs += v.dwellNs
}

func (a acc) stat() Stat {
	return Stat{Pings: a.pings, RiderSeconds: float64(a.riderNs) / 1e9, DwellSeconds: float64(a.dwellNs) / 1e9}
}

// Finish closes every rider's open session and dwell run and returns the
// result. The Aggregator cannot be used afterwards.
func (a *Aggregator) Finish() *Result {
	if a.err != nil {
		return &Result{Stats: map[Key]*Stat{}}
	}
	return buildResult(a.s, a.resolutions, 0, a.finish())
}

// finish closes the riders' open sessions and dwell runs (which may add
// entries) and hands the state over; ranges are computed by buildResult.
func (a *Aggregator) finish() partial {
	a.finished = true
	p := partial{riders: make([]*riderState, 0, len(a.riders))}
	for _, r := range a.riders {
		a.credit(r, a.defPing)
		a.closeRun(r)
		r.compactPresent()
		p.riders = append(p.riders, r)
	}
	p.keys, p.accs, p.pings = a.keys, a.accs, a.pings
	a.riders, a.stats, a.accs, a.keys, a.mark, a.last = nil, nil, nil, nil, nil, nil
	return p
}

// AddKeyed is Add for a caller that already has the rider's key
// (p.Rider.Key()); p is not retained.
func (a *Aggregator) AddKeyed(p *model.Ping, key, cell int64) error {
	if a.err != nil {
		return a.err
	}
	return a.add(p, key, cell)
}
