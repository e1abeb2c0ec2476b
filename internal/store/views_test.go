package store_test

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

// TestHexViews: the rollups of hour sets equal the merge of the hour rows
// HexStats does, at every resolution; they belong to one activity version
// and are not offered once the activity has changed.
func TestHexViews(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	cst := time.FixedZone("CST", 8*3600)
	mon := time.Date(2026, 11, 2, 11, 0, 0, 0, cst)
	var ps []tilestest.Ping
	for i, r := range []string{"a", "b", "c", "d"} {
		ps = append(ps, tilestest.Walk(r, mon.Add(time.Duration(i)*time.Hour+time.Duration(i)*24*time.Hour), 30*time.Second, 150,
			[2]float64{121.40 + 0.001*float64(i), 31.25}, [2]float64{121.403, 31.252})...)
	}
	tilestest.LoadActivity(t, st, "a.csv", ps)
	// Nothing refreshed yet: no rollups offered.
	if hv, _, err := st.LoadHexViews(ctx, 10); err != nil || hv.Views != nil {
		t.Fatalf("before a refresh: views %v, err %v", hv.Views, err)
	}
	lunch, _ := activity.ParseHours("lunch")
	noon, _ := activity.ParseHours("12,36")
	weekend, _ := activity.ParseHours("weekend")
	views := [][]int16{lunch, noon, weekend}
	info, err := st.RefreshHexViews(ctx, views)
	if err != nil || info.Skipped || info.Cells == 0 || info.Keys == 0 {
		t.Fatalf("refresh: %+v, %v", info, err)
	}
	if again, err := st.RefreshHexViews(ctx, views); err != nil || !again.Skipped {
		t.Fatalf("second refresh of the same version: %+v, %v; want skipped", again, err)
	}
	// WarmViewSets keeps every set (the whole week's and each view's) in
	// one pass: the distinct riders below come from what it kept, since
	// the stored sets are wiped right after it.
	if n, err := st.WarmViewSets(ctx); err != nil || n != 1+len(views) {
		t.Fatalf("WarmViewSets = %d, %v; want %d sets", n, err, 1+len(views))
	}
	if _, err := st.Pool.Exec(ctx, `UPDATE hex_views SET week_set = NULL, rider_sets = NULL`); err != nil {
		t.Fatal(err)
	}
	for _, res := range []int{7, 8, 9, 10} {
		hv, ver, err := st.LoadHexViews(ctx, res)
		if err != nil || ver != info.ActivityVersion || len(hv.Views) != len(views) || len(hv.Cells) == 0 {
			t.Fatalf("res %d: %d views, %d cells, version %d (want %d), err %v", res, len(hv.Views), len(hv.Cells), ver, info.ActivityVersion, err)
		}
		for v, hs := range views {
			want, err := st.HexStats(ctx, res, hv.Cells, hs)
			if err != nil {
				t.Fatal(err)
			}
			byCell := map[int64]int{}
			for i, h := range want {
				byCell[h.Cell] = i
			}
			for i, c := range hv.Cells {
				got := hv.Stats[i*len(views)+v]
				j, ok := byCell[c]
				if !ok {
					if got != (activity.ViewStat{}) {
						t.Errorf("res %d view %d cell %x: %+v, want nothing", res, v, c, got)
					}
					continue
				}
				w := want[j]
				if got.Pings != w.Pings || int(got.Riders) != w.Riders || got.RiderSeconds != w.RiderSeconds || got.DwellSeconds != w.DwellSeconds {
					t.Errorf("res %d view %d cell %x: %+v, want %+v", res, v, c, got, w)
				}
			}
		}
	}
	// CoverageCells of a rolled-up hour set reads the rollups and gives
	// what the merge gives (with the rollups stale, below, it merges).
	for i, hs := range views {
		fromViews, err := st.CoverageCells(ctx, 9, hs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Pool.Exec(ctx, `UPDATE hex_views_state SET activity_version = -1`); err != nil {
			t.Fatal(err)
		}
		merged, err := st.CoverageCells(ctx, 9, hs)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Pool.Exec(ctx, `UPDATE hex_views_state SET activity_version = $1`, info.ActivityVersion); err != nil {
			t.Fatal(err)
		}
		if (i == 0 && len(merged) == 0) || !slices.Equal(fromViews, merged) {
			t.Errorf("CoverageCells(%v): from the rollups %+v, merged %+v", hs, fromViews, merged)
		}
	}
	// DistinctRiders and DistinctRidersIn of the whole week or a rolled-up
	// hour set unite the rollups' rider sets: the same counts as the merge.
	all, err := st.CoverageCells(ctx, 9, nil)
	if err != nil || len(all) < 2 {
		t.Fatalf("cells: %d, %v", len(all), err)
	}
	var cells []int64
	var groups []int32
	for i, c := range all {
		cells, groups = append(cells, c.Cell), append(groups, int32(i%2))
	}
	type counts struct {
		groups map[int32]int64
		all    int64
	}
	count := func(hs []int16) counts {
		t.Helper()
		g, err := st.DistinctRiders(ctx, 9, hs, cells, groups)
		if err != nil {
			t.Fatal(err)
		}
		n, err := st.DistinctRidersIn(ctx, 9, hs)
		if err != nil {
			t.Fatal(err)
		}
		return counts{g, n}
	}
	for _, hs := range [][]int16{nil, lunch, noon, weekend} {
		fromSets := count(hs)
		if _, err := st.Pool.Exec(ctx, `UPDATE hex_views_state SET activity_version = -1`); err != nil {
			t.Fatal(err)
		}
		merged := count(hs)
		if _, err := st.Pool.Exec(ctx, `UPDATE hex_views_state SET activity_version = $1`, info.ActivityVersion); err != nil {
			t.Fatal(err)
		}
		if fromSets.all != merged.all || !maps.Equal(fromSets.groups, merged.groups) {
			t.Errorf("distinct riders over %v: from the sets %+v, merged %+v", hs, fromSets, merged)
		}
		if hs == nil && (merged.all != 4 || len(merged.groups) != 2) {
			t.Errorf("whole week: %+v, want 4 riders in 2 groups", merged)
		}
	}
	// A new import changes the activity version: the old rollups are not
	// offered until refreshed.
	tilestest.LoadActivity(t, st, "b.csv", tilestest.Walk("e", mon.Add(time.Hour), 30*time.Second, 50, [2]float64{121.40, 31.25}, [2]float64{121.401, 31.25}))
	if hv, _, err := st.LoadHexViews(ctx, 10); err != nil || hv.Views != nil {
		t.Fatalf("after an import: views %v, err %v; want none", hv.Views, err)
	}
	if info2, err := st.RefreshHexViews(ctx, views); err != nil || info2.Skipped || info2.ActivityVersion <= info.ActivityVersion {
		t.Fatalf("refresh after an import: %+v, %v", info2, err)
	}
	if hv, _, err := st.LoadHexViews(ctx, 10); err != nil || hv.Views == nil {
		t.Fatalf("after the refresh: views %v, err %v", hv.Views, err)
	}
}
