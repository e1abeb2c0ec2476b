package store_test

import (
	"context"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/dbtest"
)

func TestCoverageQueries(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	a, err := geo.CellAt(121.40, 31.23, 9)
	if err != nil {
		t.Fatal(err)
	}
	b := geo.Neighbors(a)[0]
	far, _ := geo.CellAt(121.45, 31.26, 9)
	for _, c := range []geo.Cell{a, b, far} {
		ctr := geo.CellCenter(c)
		poly, _ := wkb.Marshal(geo.CellPolygon(c))
		if _, err := st.Pool.Exec(ctx, `INSERT INTO hex_cells (cell, res, parent7, center, boundary)
			VALUES ($1, 9, 0, ST_SetSRID(ST_MakePoint($2, $3), 4326), ST_SetSRID(ST_GeomFromWKB($4), 4326))`,
			int64(c), ctr[0], ctr[1], poly); err != nil {
			t.Fatal(err)
		}
	}
	// Cell a: rider 1 and 2 at how 11, riders 2 and 3 at how 12; b: rider 4 at how 11; far: rider 1 at how 100.
	rows := []struct {
		c    geo.Cell
		how  int16
		rs   float64
		keys []int64
	}{
		{a, 11, 3600, []int64{1, 2}}, {a, 12, 1800, []int64{2, 3}}, {a, -1, 5400, []int64{1, 2, 3}},
		{b, 11, 600, []int64{4}}, {b, -1, 600, []int64{4}},
		{far, 100, 60, []int64{1}}, {far, -1, 60, []int64{1}},
	}
	for _, r := range rows {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO hex_activity (res, cell, how, pings, rider_seconds, dwell_seconds, rider_keys)
			VALUES (9, $1, $2, 10, $3, 0, $4)`, int64(r.c), r.how, r.rs, r.keys); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.CoverageCells(ctx, 9, []int16{11, 12})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Cell != min(int64(a), int64(b)) {
		t.Fatalf("CoverageCells(11,12) = %+v", got)
	}
	for _, c := range got {
		want := map[int64][2]float64{int64(a): {5400, 3}, int64(b): {600, 1}}[c.Cell]
		if c.RiderSeconds != want[0] || float64(c.Riders) != want[1] || c.Pings != map[int64]int64{int64(a): 20, int64(b): 10}[c.Cell] {
			t.Errorf("cell %x: %+v, want rider seconds %g riders %g (union, not sum)", c.Cell, c, want[0], want[1])
		}
	}
	whole, err := st.CoverageCells(ctx, 9, nil)
	if err != nil || len(whole) != 3 {
		t.Fatalf("CoverageCells(all) = %+v, %v", whole, err)
	}
	n, err := st.DistinctRiders(ctx, 9, nil, []int64{int64(a), int64(b), int64(far), int64(far)}, []int32{0, 0, 0, 1})
	if err != nil || n[0] != 4 || n[1] != 1 {
		t.Errorf("DistinctRiders = %v, %v; want {0: 4, 1: 1}", n, err)
	}
	n, err = st.DistinctRiders(ctx, 9, []int16{11}, []int64{int64(a), int64(b)}, []int32{7, 7})
	if err != nil || n[7] != 3 {
		t.Errorf("DistinctRiders(how 11) = %v, %v; want {7: 3}", n, err)
	}
	u, err := st.DissolveCells(ctx, []int64{int64(a), int64(b), int64(far)}, []int32{0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := u[0].Geometry.(orb.Polygon); !ok {
		t.Errorf("two neighbours dissolve to %T, want one Polygon", u[0].Geometry)
	}
	if u[0].AreaKm2 < 0.15 || u[0].AreaKm2 > 0.25 || u[1].AreaKm2 < 0.07 || u[1].AreaKm2 > 0.13 {
		t.Errorf("areas %.3f, %.3f km², want about 0.2 and 0.1", u[0].AreaKm2, u[1].AreaKm2)
	}
	v1, err := st.CoverageVersion(ctx)
	if err != nil || v1 == "" {
		t.Fatalf("CoverageVersion = %q, %v", v1, err)
	}
}
