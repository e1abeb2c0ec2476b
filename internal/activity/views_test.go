package activity

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestViewRoller compares the rollup of random cells with a direct union
// of each view's rows.
func TestViewRoller(t *testing.T) {
	lunch, _ := ParseHours("lunch")
	weekend, _ := ParseHours("weekend")
	peakWd, _ := ParseHours("peak:weekday")
	views := [][]int16{lunch, weekend, peakWd, {3}}
	r, err := NewViewRoller(views)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	type row struct {
		how    int16
		pings  int64
		rs, ds float64
		keys   []int64
	}
	for cell := range 200 {
		var rows []row
		for range rng.IntN(30) {
			rw := row{how: int16(rng.IntN(HoursPerWeek+1) - 1), pings: int64(rng.IntN(100)), rs: rng.Float64() * 100, ds: rng.Float64()}
			for range rng.IntN(40) {
				rw.keys = append(rw.keys, rng.Int64N(300)<<20) // sparse keys, shared between cells
			}
			slices.Sort(rw.keys)
			rw.keys = slices.Compact(rw.keys)
			rows = append(rows, rw)
		}
		r.Start(cell%2 == 0)
		for _, rw := range rows {
			r.Add(rw.how, rw.pings, rw.rs, rw.ds, rw.keys)
		}
		got := r.Stats()
		for v, hs := range views {
			var want ViewStat
			set := map[int64]bool{}
			for _, rw := range rows {
				if !slices.Contains(hs, rw.how) {
					continue
				}
				want.Pings += rw.pings
				want.RiderSeconds += rw.rs
				want.DwellSeconds += rw.ds
				for _, k := range rw.keys {
					set[k] = true
				}
			}
			want.Riders = int32(len(set))
			if got[v] != want {
				t.Fatalf("cell %d view %d: %+v, want %+v", cell, v, got[v], want)
			}
			if _, sets := r.Sets(); cell%2 == 0 && sets[v].GetCardinality() != uint64(want.Riders) {
				t.Fatalf("cell %d view %d: set of %d riders, want %d", cell, v, sets[v].GetCardinality(), want.Riders)
			}
		}
	}
	if _, err := NewViewRoller([][]int16{{5, 3}}); err == nil {
		t.Error("unsorted view accepted")
	}
	if _, err := NewViewRoller([][]int16{{}}); err == nil {
		t.Error("empty view accepted")
	}
	if k := ViewsKey([][]int16{{1, 2, 3}, {5}}); k != FormatHours([]int16{1, 2, 3})+";"+FormatHours([]int16{5}) {
		t.Errorf("ViewsKey = %q", k)
	}
}
