package release

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/store"
)

// sameInput reports how got differs from want: riders, counts and tallies
// exactly, rider-hours within rel (0: bit for bit).
func sameInput(t *testing.T, what string, got, want *DayInput, rel float64) {
	t.Helper()
	if !slices.Equal(got.Riders, want.Riders) {
		t.Errorf("%s: %d riders, want %d (or another order)", what, len(got.Riders), len(want.Riders))
	}
	if got.Clipped != want.Clipped || got.Dropped != want.Dropped {
		t.Errorf("%s: clipped %d, dropped %d; want %d, %d", what, got.Clipped, got.Dropped, want.Clipped, want.Dropped)
	}
	eq := func(name string, g, w []float64, rel float64) {
		t.Helper()
		if len(g) != len(w) {
			t.Errorf("%s: %s has %d values, want %d", what, name, len(g), len(w))
			return
		}
		for i := range g {
			if g[i] != w[i] && !(rel > 0 && math.Abs(g[i]-w[i]) <= rel*math.Max(1, math.Abs(w[i]))) {
				t.Errorf("%s: %s[%d] = %v, want %v", what, name, i, g[i], w[i])
				return
			}
		}
	}
	for b := range NumBlocks {
		eq(fmt.Sprint("exact sums ", b), got.ExactSums[b], want.ExactSums[b], 0)
		eq(fmt.Sprint("sums ", b), got.Sums[b], want.Sums[b], rel)
	}
	for s := range NumSets {
		eq(fmt.Sprint("counts ", s), got.Counts[s], want.Counts[s], 0)
		eq(fmt.Sprint("exact counts ", s), got.ExactCounts[s], want.ExactCounts[s], 0)
		for l := range 3 {
			eq(fmt.Sprint("area counts ", s, l), got.AreaCounts[s][l], want.AreaCounts[s][l], 0)
		}
	}
}

// syntheticDay is a domain of 60 cells in areas of three levels and a day
// of riders wandering over them and 20 cells outside, pinging at irregular
// intervals (gaps over maxGap, bursts, pings off the cell centres), in
// random order. A rider's pings have distinct times: the reference sorted
// with an unstable sort, so its result for pings of equal time depended on
// the input order (Compute keeps them in input order).
func syntheticDay(t *testing.T, riders int, seed uint64) (*Domain, []store.DayPing, Params) {
	t.Helper()
	all := cellsAround(t, 80)
	d := &Domain{idx: map[int64]int32{}}
	in := slices.Clone(all[:60])
	slices.Sort(in)
	for i, c := range in {
		d.Cells = append(d.Cells, c)
		d.idx[c] = int32(i)
	}
	for l, n := range []int{2, 4, 7} {
		for j := range n {
			d.Codes[l] = append(d.Codes[l], fmt.Sprint(l, "-", j))
		}
		d.Area[l] = make([]int32, len(d.Cells))
		for i := range d.Area[l] {
			d.Area[l][i] = int32(i % n)
			if i%11 == 5 {
				d.Area[l][i] = -1 // no area of this level
			}
		}
	}
	p := DefaultParams(5)
	p.MDay, p.MNamed, p.MArea = 8, 3, [3]int{1, 2, 2}
	p.ClipHours, p.ClipNamedHours = 0.5, 0.25
	rng := rand.New(rand.NewPCG(seed, 7))
	start := dayStart(time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), p.Offset).UnixNano()
	var pings []store.DayPing
	for r := range riders {
		rider := int64(1000 + r*37)
		ts := start + rng.Int64N(int64(20*time.Hour))
		c := all[rng.IntN(len(all))]
		for ts < start+int64(24*time.Hour) && rng.IntN(400) > 0 {
			pt := geo.CellCenter(geo.Cell(c))
			// Off the centre: up to ~250 m, so some pings fall in a
			// neighbouring cell.
			lng, lat := pt[0]+(rng.Float64()-0.5)*0.005, pt[1]+(rng.Float64()-0.5)*0.004
			lng, lat = math.Round(lng*1e7)/1e7, math.Round(lat*1e7)/1e7
			pings = append(pings, store.DayPing{Rider: rider, TS: ts, Lat: lat, Lng: lng})
			switch rng.IntN(20) {
			case 0:
				ts += int64(time.Duration(1+rng.IntN(3600)) * time.Second) // a gap
			case 1:
				ts += int64(time.Duration(1+rng.IntN(1000)) * time.Millisecond) // a burst
			default:
				ts += int64(time.Duration(5+rng.IntN(90)) * time.Second)
			}
			if rng.IntN(6) == 0 {
				nb := geo.Neighbors(geo.Cell(c))
				c = int64(nb[rng.IntN(len(nb))])
			}
		}
	}
	rng.Shuffle(len(pings), func(i, j int) { pings[i], pings[j] = pings[j], pings[i] })
	return d, pings, p
}

// TestComputeMatchesReference: the rider-by-rider computation gives the
// figures the whole-day one did (counts, tallies and exact rider-hours bit
// for bit; clipped rider-hours to the last bits, where the reference summed
// each rider-day's norm in map order).
func TestComputeMatchesReference(t *testing.T) {
	for seed := range uint64(3) {
		d, pings, p := syntheticDay(t, 300, seed)
		want := computeReference(slices.Clone(pings), d, p)
		got := Compute(slices.Clone(pings), d, p)
		if want.Clipped == 0 || want.Dropped == 0 || len(want.Riders) < 250 {
			t.Fatalf("seed %d: the synthetic day exercises too little: %d riders, %d clipped, %d dropped", seed, len(want.Riders), want.Clipped, want.Dropped)
		}
		sameInput(t, fmt.Sprint("seed ", seed), got, want, 1e-12)
		// Compute is deterministic to the bit (the reference was not: it
		// summed norms in map order).
		sameInput(t, fmt.Sprint("seed ", seed, " again"), Compute(slices.Clone(pings), d, p), got, 0)
		// Default bounds too (few clipped, nothing dropped).
		q := DefaultParams(5)
		sameInput(t, fmt.Sprint("seed ", seed, " default params"), Compute(slices.Clone(pings), d, q), computeReference(slices.Clone(pings), d, q), 1e-12)
	}
}

// TestComputeDayStreamsAsCompute: the release's streamed, parallel
// computation over the stored pings equals Compute over the whole day read
// at once bit for bit, whatever the number of workers and the chunk size,
// and the reference to the last bits. The day has the demo's riders plus
// one rider whose two files are out of time order.
func TestComputeDayStreamsAsCompute(t *testing.T) {
	ctx := context.Background()
	st, _ := demotest.LoadDemo(t, smallCity())
	late := loneRider("late-rider", 121.40, 31.24, 12, 2)
	early := loneRider("late-rider", 121.41, 31.245, 9, 3)
	slices.Reverse(early)
	importPings(t, st, "late.csv", late)
	importPings(t, st, "early.csv", early)
	d, err := LoadDomain(ctx, st)
	if err != nil || d == nil {
		t.Fatalf("domain: %v", err)
	}
	p := DefaultParams(5)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	from, to := dayStart(day, p.Offset), dayStart(day, p.Offset).Add(24*time.Hour)
	pings, err := st.DayPings(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := Compute(slices.Clone(pings), d, p)
	if len(want.Riders) < 150 {
		t.Fatalf("%d rider-days, want the demo's", len(want.Riders))
	}
	ref := computeReference(slices.Clone(pings), d, p)
	sameInput(t, "Compute against the reference", want, ref, 1e-12)
	defer func(n int) { chunkPings = n }(chunkPings)
	for _, c := range []struct{ workers, chunk int }{{1, 1 << 15}, {2, 1 << 15}, {2, 1}, {3, 700}} {
		chunkPings = c.chunk
		got, err := computeDay(ctx, st, from, to, d, p, c.workers)
		if err != nil {
			t.Fatal(err)
		}
		sameInput(t, fmt.Sprintf("%d workers, chunks of %d pings", c.workers, c.chunk), got, want, 0)
	}
	// A cancelled context stops the stream.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := computeDay(cctx, st, from, to, d, p, 2); err == nil {
		t.Error("computeDay with a cancelled context succeeded")
	}
}

// TestCellCacheIsH3: the cell cache places points as H3 does, also points
// a few centimetres from an edge or a vertex and points outside the domain.
func TestCellCacheIsH3(t *testing.T) {
	d, _, _ := syntheticDay(t, 1, 0)
	rng := rand.New(rand.NewPCG(3, 4))
	var cc cellCache
	near, fast := 0, 0
	for range 200000 {
		c := geo.Cell(d.Cells[rng.IntN(len(d.Cells))])
		var lng, lat float64
		switch rng.IntN(3) {
		case 0: // anywhere around the cell
			pt := geo.CellCenter(c)
			lng, lat = pt[0]+(rng.Float64()-0.5)*0.01, pt[1]+(rng.Float64()-0.5)*0.008
		default: // on an edge, a vertex, or a few centimetres off one
			r := geo.CellPolygon(c)[0]
			e, f := rng.IntN(6), rng.Float64()
			if rng.IntN(4) == 0 {
				f = 0
			}
			lng, lat = r[e][0]+f*(r[e+1][0]-r[e][0]), r[e][1]+f*(r[e+1][1]-r[e][1])
			lng += (rng.Float64() - 0.5) * 4e-6 * float64(rng.IntN(3))
			lat += (rng.Float64() - 0.5) * 4e-6 * float64(rng.IntN(3))
			near++
		}
		if rng.IntN(2) == 0 {
			lng, lat = math.Round(lng*1e7)/1e7, math.Round(lat*1e7)/1e7
		}
		want := -1
		if h, err := geo.CellAt(lng, lat, Res); err == nil {
			want = d.Index(int64(h))
		}
		last := cc.last
		if got := cc.index(d, lng, lat); got != want {
			t.Fatalf("(%v, %v): cell cache says %d, H3 %d", lng, lat, got, want)
		} else if got >= 0 && got == int(last) {
			fast++
		}
	}
	if fast == 0 || near == 0 {
		t.Errorf("%d points near edges, %d placed in the last cell: the test exercises too little", near, fast)
	}
}
