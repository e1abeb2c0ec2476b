package tiles

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
)

// The hour rows in memory give, for any hour list, exactly the figures the
// database's rows give (store.HexStats): sums in the same order, distinct
// riders over the union of the rows' rider keys.
func TestHourSumsMatchStore(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	ver, err := e.svc.data.version(ctx, LayerActivity)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(14, 35000))
	lists := [][]int16{{15}, {11, 12}, {11, 12, 35, 36, 59, 60, 83, 84, 107, 108}}
	all := make([]int16, 168)
	for h := range all {
		all[h] = int16(h)
	}
	lists = append(lists, all)
	for range 12 {
		var l []int16
		for h := range int16(168) {
			if rng.IntN(6) == 0 {
				l = append(l, h)
			}
		}
		lists = append(lists, l)
	}
	for _, res := range displayRes {
		idx, err := e.svc.data.hexIndex(ctx, res, ver, DefaultIndexCells)
		if err != nil || idx == nil {
			t.Fatalf("res %d: index %v, %v", res, idx, err)
		}
		hs, err := e.svc.data.hourSums(ctx, res, ver, idx, DefaultHourBytes)
		if err != nil || hs == nil {
			t.Fatalf("res %d: hour sums %v, %v", res, hs, err)
		}
		ids := make([]int64, len(idx.cells))
		for k := range idx.cells {
			ids[k] = idx.cells[k].stat.Cell
		}
		rm := hs.marks.Get().(*riderMarks)
		multi := 0
		for li, hours := range lists {
			if li == 2 {
				rm.epoch = math.MaxUint32 - 3 // the marks wrap around within this list
			}
			want, err := e.st.HexStats(ctx, res, ids, hours)
			if err != nil {
				t.Fatal(err)
			}
			byCell := map[int64]store.HexStat{}
			for _, w := range want {
				byCell[w.Cell] = w
			}
			m := maskOf(hours)
			got := 0
			for k := range idx.cells {
				st, ok := hs.stat(k, m, rm)
				w, had := byCell[ids[k]]
				if ok != had || (ok && st != w) {
					t.Fatalf("res %d hours %v cell %x: %+v (%v), want %+v (%v)", res, hours, ids[k], st, ok, w, had)
				}
				if ok {
					got++
					if w.Riders > 1 && w.Riders < int(w.Pings) {
						multi++
					}
				}
			}
			if got != len(want) {
				t.Fatalf("res %d hours %v: %d cells, want %d", res, hours, got, len(want))
			}
		}
		hs.marks.Put(rm)
		if multi == 0 {
			t.Fatalf("res %d: no cell with several riders; the fixture tests nothing", res)
		}
	}
}

// A budget too small for the hour rows keeps none: the tile reads its rows
// from the database, with the same bytes.
func TestHourSumsBudget(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	small := New(e.st, Options{HourBytes: 1000})
	none := New(e.st, Options{HourBytes: -1})
	ver, _ := e.svc.data.version(ctx, LayerActivity)
	data, _, _ := e.svc.data.dataBounds(ctx, LayerActivity, ver)
	tile := maptile.At(centre, 15)
	f := Filter{Metric: model.MetricRiders, Hours: []int16{11, 12, 13, 35}}
	var tiles []string
	for _, svc := range []*Service{e.svc, small, none} {
		idx, err := svc.data.hexIndex(ctx, 10, ver, DefaultIndexCells)
		if err != nil || idx == nil {
			t.Fatal(idx, err)
		}
		hs, err := svc.data.hourSums(ctx, 10, ver, idx, svc.o.HourBytes)
		if err != nil || (hs == nil) != (svc != e.svc) {
			t.Fatalf("budget %d: hour sums %v, %v", svc.o.HourBytes, hs != nil, err)
		}
		b, err := svc.buildHex(ctx, LayerActivity, tile, f, model.Viewer{}, ver, data)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := gunzip(b)
		tiles = append(tiles, string(raw))
	}
	if len(tiles[0]) == 0 || tiles[0] != tiles[1] || tiles[0] != tiles[2] {
		t.Errorf("tiles differ: %d, %d and %d bytes", len(tiles[0]), len(tiles[1]), len(tiles[2]))
	}
	// A version the database no longer has: nothing kept under it.
	idx, _ := e.svc.data.hexIndex(ctx, 10, ver, DefaultIndexCells)
	if hs, err := e.svc.data.hourSums(ctx, 10, "activity:999", idx, DefaultHourBytes); err != nil || hs != nil {
		t.Fatalf("stale version: %v, %v", hs, err)
	}
}
