package release

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/store"
)

// activitySnapshot is hex_activity's sums and rider sets per row.
type activityRow struct {
	pings     int64
	rs, ds    float64
	riderKeys string
}

func snapshot(t *testing.T, st *store.Store) map[[3]int64]activityRow {
	t.Helper()
	rows, err := st.Pool.Query(context.Background(), `SELECT res, cell, how, pings, rider_seconds, dwell_seconds, rider_keys::text FROM hex_activity`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[3]int64]activityRow{}
	for rows.Next() {
		var res, how int16
		var cell int64
		var r activityRow
		if err := rows.Scan(&res, &cell, &how, &r.pings, &r.rs, &r.ds, &r.riderKeys); err != nil {
			t.Fatal(err)
		}
		out[[3]int64{int64(res), cell, int64(how)}] = r
	}
	return out
}

func countWhere(t *testing.T, st *store.Store, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := st.Pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestForgetUndoesTheRider: forgetting a rider leaves the aggregates
// exactly as they were before the rider was imported, no table names the
// rider any more, and the day is released again without them.
func TestForgetUndoesTheRider(t *testing.T) {
	ctx := context.Background()
	st, _ := demotest.LoadDemo(t, smallCity())
	d, err := LoadDomain(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, st)
	c := geo.CellCenter(geo.Cell(d.Cells[len(d.Cells)/2]))
	importPings(t, st, "lone.csv", loneRider("forget-me", c[0], c[1], 1, 3))
	b := newBuilder(st)
	if _, err := b.Update(ctx); err != nil {
		t.Fatal(err)
	}
	pz, _ := ingest.NewPseudonymizer([]byte(demotest.Secret))
	rid := pz.Rider("", "forget-me")
	key, _ := rid.Key()
	if n := countWhere(t, st, `SELECT count(*) FROM privacy_ledger WHERE rider = $1`, key); n != 1 {
		t.Fatalf("ledger rows of the lone rider = %d, want 1", n)
	}
	tr, found, err := st.ForgetRider(ctx, key)
	if err != nil || !found {
		t.Fatalf("forget: %v, found %t", err, found)
	}
	if _, err := (&ingest.Loader{Store: st, Activity: activity.DefaultSettings()}).Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if tr.Pings != 360 || len(tr.Days) != 1 {
		t.Errorf("forgot %d pings over %v, want 360 over one day", tr.Pings, tr.Days)
	}
	for _, q := range []string{
		`SELECT count(*) FROM ping_tracks WHERE rider = $1`, `SELECT count(*) FROM rider_days WHERE rider = $1`,
		`SELECT count(*) FROM rider_ranges WHERE rider = $1`, `SELECT coalesce(sum(cardinality(cells)), 0) FROM rider_ranges WHERE rider = $1`,
		`SELECT count(*) FROM privacy_ledger WHERE rider = $1`, `SELECT count(*) FROM assignments WHERE rider = $1`,
		`SELECT count(*) FROM riders WHERE id = $1`, `SELECT count(*) FROM hex_activity WHERE $1 = ANY(rider_keys)`,
	} {
		if n := countWhere(t, st, q, key); n != 0 {
			t.Errorf("%s = %d after forget, want 0", q, n)
		}
	}
	after := snapshot(t, st)
	if len(after) != len(before) {
		t.Errorf("hex_activity has %d rows after forget, %d before the rider", len(after), len(before))
	}
	for k, a := range before {
		g, ok := after[k]
		if !ok || g.pings != a.pings || g.riderKeys != a.riderKeys || math.Abs(g.rs-a.rs) > 1e-6 || math.Abs(g.ds-a.ds) > 1e-6 {
			t.Fatalf("hex_activity %v = %+v after forget, %+v before the rider", k, g, a)
		}
	}
	rs, err := b.Days(ctx, tr.Days, true)
	if err != nil || len(rs) != 1 || rs[0].Status != "released" || rs[0].Redrawn == 0 {
		t.Fatalf("re-release after forget = %v, %v; want one release redrawing the rider's values", rs, err)
	}
	// Forgetting again finds nobody.
	if _, found, err := st.ForgetRider(ctx, key); err != nil || found {
		t.Errorf("second forget: found %t, %v; want not found", found, err)
	}
}

// TestRetentionDropsRiderTraces: after the retention period nothing names a
// rider; the aggregates keep their sums and the published releases stay.
func TestRetentionDropsRiderTraces(t *testing.T) {
	ctx := context.Background()
	st, _ := demotest.LoadDemo(t, smallCity())
	b := newBuilder(st)
	if _, err := b.Update(ctx); err != nil {
		t.Fatal(err)
	}
	sums := countWhere(t, st, `SELECT sum(pings)::bigint FROM hex_activity WHERE res = 10 AND how = -1`)
	cutoff := time.Date(2026, 11, 6, 0, 0, 0, 0, time.UTC) // after the city's day (and its spill past midnight)
	if _, err := st.DropPingsBefore(ctx, cutoff); err != nil {
		t.Fatal(err)
	}
	tr, err := st.DropRiderTracesBefore(ctx, cutoff, 8*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Riders == 0 || tr.RiderDays == 0 || tr.KeysStripped == 0 || tr.Ledger == 0 {
		t.Errorf("retention removed %+v, want riders, days, ledger and keys", tr)
	}
	for _, q := range []string{`SELECT count(*) FROM ping_tracks`, `SELECT count(*) FROM rider_days`, `SELECT count(*) FROM rider_ranges`,
		`SELECT coalesce(sum(cardinality(cells)), 0) FROM rider_ranges`, `SELECT count(*) FROM privacy_ledger`, `SELECT count(*) FROM riders`,
		`SELECT count(*) FROM hex_activity WHERE cardinality(rider_keys) > 0`} {
		if n := countWhere(t, st, q); n != 0 {
			t.Errorf("%s = %d after retention, want 0", q, n)
		}
	}
	if got := countWhere(t, st, `SELECT sum(pings)::bigint FROM hex_activity WHERE res = 10 AND how = -1`); got != sums {
		t.Errorf("aggregate pings = %d after retention, want %d (counts stay)", got, sums)
	}
	if rs, err := b.Update(ctx); err != nil || len(rs) != 0 {
		t.Errorf("update after retention = %v, %v; want nothing (releases stay)", rs, err)
	}
	if n := countWhere(t, st, `SELECT count(*) FROM release WHERE status = 'current'`); n == 0 {
		t.Error("retention withdrew the published releases")
	}
}
