package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

func TestTileQueries(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	if _, ok, err := st.DataBounds(ctx, "activity"); err != nil || ok {
		t.Fatalf("bounds of an empty database: ok %v err %v", ok, err)
	}
	cst := time.FixedZone("CST", 8*3600)
	mon := time.Date(2026, 11, 2, 11, 0, 0, 0, cst)
	var ps []tilestest.Ping
	for i, r := range []string{"a", "b", "c"} {
		ps = append(ps, tilestest.Walk(r, mon.Add(time.Duration(i)*time.Hour), 30*time.Second, 100,
			[2]float64{121.40, 31.25}, [2]float64{121.402, 31.251})...)
	}
	tilestest.LoadActivity(t, st, "a.csv", ps)
	sq := func(lng, lat float64) orb.MultiPolygon {
		return orb.MultiPolygon{{{{lng, lat}, {lng + 0.01, lat}, {lng + 0.01, lat + 0.01}, {lng, lat + 0.01}, {lng, lat}}}}
	}
	tilestest.LoadFeatures(t, st, "f",
		[]model.Area{{Code: "A1", Name: "甲", NameEn: "Jia", Level: model.LevelStreet, Geometry: sq(121.39, 31.24)}},
		[]model.Grid{{Code: "G1", Name: "网格", Manager: "李", Target: 2, Geometry: sq(121.39, 31.24)}},
		[]model.Site{
			{ExtID: "S1", Kind: model.KindRestStation, Status: model.StatusExisting, Name: "站", Amenities: []string{"water", "meals"}, Location: orb.Point{121.40, 31.25}},
			{ExtID: "S2", Kind: model.KindRestStation, Status: model.StatusPlanned, Name: "计划", Location: orb.Point{121.41, 31.25}},
			{ExtID: "S3", Kind: model.KindCandidate, Status: model.StatusExisting, Name: "候选", Location: orb.Point{121.42, 31.25}},
		})

	b, ok, err := st.DataBounds(ctx, "activity")
	if err != nil || !ok || !b.Contains(orb.Point{121.401, 31.2505}) {
		t.Fatalf("activity bounds %v ok %v err %v", b, ok, err)
	}
	// HexStats: whole week and over hours, against the rows themselves.
	cells, err := geo.CellsInBound(b, 10)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(cells))
	for i, c := range cells {
		ids[i] = int64(c)
	}
	all, err := st.HexStats(ctx, 10, ids, nil)
	if err != nil || len(all) == 0 {
		t.Fatalf("HexStats: %d rows, %v", len(all), err)
	}
	hows := []int16{11, 12} // riders a and b only
	some, err := st.HexStats(ctx, 10, ids, hows)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range some {
		var riders int
		var rs float64
		err := st.Pool.QueryRow(ctx, `SELECT (SELECT count(DISTINCT k) FROM hex_activity, unnest(rider_keys) k
			WHERE res = 10 AND cell = $1 AND how = ANY($2)), (SELECT sum(rider_seconds) FROM hex_activity WHERE res = 10 AND cell = $1 AND how = ANY($2))`,
			h.Cell, hows).Scan(&riders, &rs)
		if err != nil {
			t.Fatal(err)
		}
		if h.Riders != riders || h.Riders > 2 || rs != h.RiderSeconds {
			t.Errorf("cell %x: riders %d seconds %v, want %d %v (≤ 2 riders)", h.Cell, h.Riders, h.RiderSeconds, riders, rs)
		}
	}
	// WholeWeekHexStats: every whole-week row of the resolution, in cell
	// order, with the activity version of the same snapshot.
	ww, ver, ok, err := st.WholeWeekHexStats(ctx, 10, 100000)
	if err != nil || !ok || len(ww) != len(all) {
		t.Fatalf("WholeWeekHexStats: %d rows ok %v err %v; want %d", len(ww), ok, err, len(all))
	}
	vs, err := st.DataVersions(ctx)
	if err != nil || ver != vs["activity"] {
		t.Errorf("WholeWeekHexStats version %d, want %d (%v)", ver, vs["activity"], err)
	}
	byCell := map[int64]store.HexStat{}
	for _, h := range all {
		byCell[h.Cell] = h
	}
	for i, h := range ww {
		if i > 0 && ww[i-1].Cell >= h.Cell {
			t.Fatalf("WholeWeekHexStats not in cell order at %d", i)
		}
		if byCell[h.Cell] != h {
			t.Errorf("WholeWeekHexStats cell %x: %+v, HexStats %+v", h.Cell, h, byCell[h.Cell])
		}
	}
	if ww, _, ok, err := st.WholeWeekHexStats(ctx, 10, len(all)-1); err != nil || ok || ww != nil {
		t.Errorf("WholeWeekHexStats over the limit: %d rows ok %v err %v; want none", len(ww), ok, err)
	}
	if ww, ver2, ok, err := st.WholeWeekHexStats(ctx, 12, 10); err != nil || !ok || len(ww) != 0 || ver2 != ver {
		t.Errorf("WholeWeekHexStats of an empty resolution: %d rows ok %v version %d err %v", len(ww), ok, ver2, err)
	}
	maxAll := 0
	for _, h := range all {
		maxAll = max(maxAll, h.Riders)
	}
	if maxAll != 3 {
		t.Errorf("whole week: most riders in a cell %d, want 3", maxAll)
	}

	env := orb.Bound{Min: orb.Point{121.3, 31.2}, Max: orb.Point{121.5, 31.3}}
	for layer, n := range map[string]int{"areas": 1, "grids": 1, "sites": 3} {
		fs, err := st.FeaturesInBound(ctx, layer, env, 0, 100)
		if err != nil || len(fs) != n {
			t.Fatalf("%s: %d features, %v; want %d", layer, len(fs), err, n)
		}
	}
	fs, _ := st.FeaturesInBound(ctx, "sites", env, 0, 100)
	if fs[0].Properties["amenities"] != "water,meals" || fs[0].Properties["id"] != "S1" || fs[0].Geometry.(orb.Point) != (orb.Point{121.40, 31.25}) {
		t.Errorf("site S1: %+v", fs[0])
	}
	if fs, _ := st.FeaturesInBound(ctx, "areas", orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}, 0, 100); len(fs) != 0 {
		t.Errorf("areas far away: %d", len(fs))
	}
	if fs, err := st.FeaturesInBound(ctx, "grids", env, 0.001, 100); err != nil || len(fs) != 1 {
		t.Errorf("simplified grids: %d, %v", len(fs), err)
	}
	if _, err := st.FeaturesInBound(ctx, "riders", env, 0, 100); err == nil {
		t.Error("unknown feature layer accepted")
	}
	pres, err := st.PresenceSites(ctx, []string{"rest_station", "service_center"})
	if err != nil || len(pres) != 1 || pres[0].ExtID != "S1" {
		t.Errorf("presence sites %+v, %v; want S1 only", pres, err)
	}
}
