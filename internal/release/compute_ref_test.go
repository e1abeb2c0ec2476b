package release

import (
	"cmp"
	"math"
	"slices"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/store"
)

// computeReference is Compute as it was before the release streamed the
// day (commit f98aae0), kept to check the streamed computation against: it
// sums a rider-day's L2 norms in map order, so its clipped sums may differ
// from Compute's in the last bits.
func computeReference(pings []store.DayPing, d *Domain, p Params) *DayInput {
	n := len(d.Cells)
	in := &DayInput{}
	for b := range NumBlocks {
		in.Sums[b] = make([]float64, n)
		in.ExactSums[b] = make([]float64, n)
	}
	for s := range NumSets {
		in.Counts[s] = make([]float64, n)
		in.ExactCounts[s] = make([]float64, n)
		for l := range 3 {
			in.AreaCounts[s][l] = make([]float64, len(d.Codes[l]))
		}
	}
	slices.SortFunc(pings, func(a, b store.DayPing) int {
		if c := cmp.Compare(a.Rider, b.Rider); c != 0 {
			return c
		}
		return cmp.Compare(a.TS, b.TS)
	})
	type key struct{ a, i int32 }
	secs := map[key]float64{}                  // (named block, cell) → seconds
	daySecs := map[int32]float64{}             // cell → seconds
	setTime := map[key]float64{}               // (set, cell) → seconds
	areaTime := [3]map[key]float64{{}, {}, {}} // (set, area) → seconds
	var units []struct {
		i int32
		t float64
	}
	for lo := 0; lo < len(pings); {
		hi := lo
		for hi < len(pings) && pings[hi].Rider == pings[lo].Rider {
			hi++
		}
		rider := pings[lo].Rider
		clear(secs)
		clear(daySecs)
		clear(setTime)
		for l := range areaTime {
			clear(areaTime[l])
		}
		for j := lo; j < hi; j++ {
			pg := &pings[j]
			w := lastPing
			if j+1 < hi {
				if dt := time.Duration(pings[j+1].TS - pg.TS); dt <= maxGap {
					w = min(dt, pingCap)
				}
			}
			cell, err := geo.CellAt(pg.Lng, pg.Lat, Res)
			if err != nil {
				continue
			}
			ci := d.Index(int64(cell))
			if ci < 0 {
				continue
			}
			hour := int((time.Duration(pg.TS) + p.Offset) / time.Hour % 24)
			if hour < 0 {
				hour += 24
			}
			sec := w.Seconds()
			daySecs[int32(ci)] += sec
			if blk := namedBlockOfHour(hour); blk >= 0 {
				secs[key{int32(blk), int32(ci)}] += sec
			}
			for _, s := range setsOfHour(hour) {
				// Presence counts even a ping standing for no time.
				setTime[key{int32(s), int32(ci)}] += sec + 1e-9
				for l := range 3 {
					if a := d.Area[l][ci]; a >= 0 {
						areaTime[l][key{int32(s), a}] += sec + 1e-9
					}
				}
			}
		}
		lo = hi
		if len(daySecs) == 0 {
			continue
		}
		in.Riders = append(in.Riders, rider)
		// Rider-hours: clip the whole-day vector (over cells) to L2 ≤
		// ClipHours and the named vector (over named block and cell) to
		// L2 ≤ ClipNamedHours.
		var norm, normNamed float64
		for i, s := range daySecs {
			h := s / 3600
			norm += h * h
			in.ExactSums[BlockDay][i] += h
		}
		for k, s := range secs {
			h := s / 3600
			normNamed += h * h
			in.ExactSums[k.a][k.i] += h
		}
		scale, scaleNamed := 1.0, 1.0
		if norm = math.Sqrt(norm); norm > p.ClipHours {
			scale = p.ClipHours / norm
			in.Clipped++
		}
		if normNamed = math.Sqrt(normNamed); normNamed > p.ClipNamedHours {
			scaleNamed = p.ClipNamedHours / normNamed
		}
		for i, s := range daySecs {
			in.Sums[BlockDay][i] += scale * s / 3600
		}
		for k, s := range secs {
			in.Sums[k.a][k.i] += scaleNamed * s / 3600
		}
		// Distinct riders: at most M units per level and hour set, those
		// with the most time (ties to the lowest unit).
		top := func(m int, t map[key]float64, set int32, add []float64, exact []float64) {
			units = units[:0]
			for k, v := range t {
				if k.a == set {
					units = append(units, struct {
						i int32
						t float64
					}{k.i, v})
				}
			}
			if exact != nil {
				for _, u := range units {
					exact[u.i]++
				}
			}
			slices.SortFunc(units, func(x, y struct {
				i int32
				t float64
			}) int {
				if c := cmp.Compare(y.t, x.t); c != 0 {
					return c
				}
				return cmp.Compare(x.i, y.i)
			})
			if len(units) > m {
				if exact != nil {
					in.Dropped += len(units) - m
				}
				units = units[:m]
			}
			for _, u := range units {
				add[u.i]++
			}
		}
		for s := range NumSets {
			top(p.m(s), setTime, int32(s), in.Counts[s], in.ExactCounts[s])
			for l := range 3 {
				top(p.MArea[l], areaTime[l], int32(s), in.AreaCounts[s][l], nil)
			}
		}
	}
	return in
}
