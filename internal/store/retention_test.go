package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

func TestDropPingsBefore(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	d0 := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	days := []time.Time{d0, d0.Add(24 * time.Hour), d0.Add(48 * time.Hour)}
	if err := st.EnsurePartitions(ctx, days); err != nil {
		t.Fatal(err)
	}
	load, _, err := st.BeginPings(ctx, "r.csv", "sha-r", "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range days {
		if err := load.Write(ctx, []store.PingRow{{Rider: int64(i), Time: d.Add(time.Hour), Lng: 121.4, Lat: 31.2}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := load.Commit(ctx, store.Derived{Result: &activity.Result{}}, 3, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Pool.Exec(ctx, `INSERT INTO hex_activity (res, cell, how, pings, rider_seconds, dwell_seconds, rider_keys) VALUES (10, 1, -1, 3, 1, 0, '{1}')`); err != nil {
		t.Fatal(err)
	}
	dropped, err := st.DropPingsBefore(ctx, d0.Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(dropped) != 2 || dropped[0] != "ping_tracks_20261001" || dropped[1] != "ping_tracks_20261002" {
		t.Errorf("dropped %v, want the partitions of Oct 1 and 2", dropped)
	}
	var n, agg int
	_ = st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM pings), (SELECT count(*) FROM hex_activity)`).Scan(&n, &agg)
	if n != 1 || agg != 1 {
		t.Errorf("after retention: %d pings (want 1), %d aggregates (want 1 kept)", n, agg)
	}
	if again, err := st.DropPingsBefore(ctx, d0.Add(48*time.Hour)); err != nil || len(again) != 0 {
		t.Errorf("second run dropped %v (%v), want nothing", again, err)
	}
}
