package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
)

// TestForEachRiderDay: the release's stream gives each rider's pings of the
// range once, riders in order, each rider's pings in time order even when
// two imports wrote them out of order across two UTC days, and exactly the
// pings the pings view (decoded in SQL) holds in the range.
func TestForEachRiderDay(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	// A local day at +8 h: 2026-11-01 16:00 UTC to 2026-11-02 16:00 UTC.
	from := time.Date(2026, 11, 1, 16, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	write := func(name string, rows []store.PingRow) {
		t.Helper()
		load, _, err := st.BeginPings(ctx, name, "sha-"+name, "wgs84", false)
		if err != nil {
			t.Fatal(err)
		}
		if err := load.Write(ctx, rows); err != nil {
			t.Fatal(err)
		}
		if err := load.Commit(ctx, store.Derived{Result: &activity.Result{}}, int64(len(rows)), 0); err != nil {
			t.Fatal(err)
		}
	}
	ping := func(rider int64, tm time.Time, i int) store.PingRow {
		tm, lat, lng := store.Quantize(tm, 31.2+float64(i%13)*1.1e-4, 121.4+float64(i%7)*2.3e-5)
		return store.PingRow{Rider: rider, Time: tm, Lat: lat, Lng: lng}
	}
	// Batch a: riders 7, 3 and 5 from 15:00 UTC on the 1st to 17:00 on the
	// 2nd (both UTC days and both ends of the range), a ping every 7 min,
	// written newest first for rider 5.
	var a []store.PingRow
	for _, r := range []int64{7, 3, 5} {
		var rows []store.PingRow
		for i := range 26 * 60 / 7 {
			rows = append(rows, ping(r, from.Add(-time.Hour+time.Duration(i)*7*time.Minute+1234*time.Millisecond), i))
		}
		if r == 5 {
			slices.Reverse(rows)
		}
		a = append(a, rows...)
	}
	write("a.csv", a)
	// Batch b: rider 7 again, earlier in the day than most of batch a
	// (its segment is stored after them), and rider 9 only outside the range.
	var b []store.PingRow
	for i := range 40 {
		b = append(b, ping(7, from.Add(2*time.Hour+time.Duration(i)*3*time.Minute+500*time.Millisecond), 100+i))
		b = append(b, ping(9, to.Add(time.Duration(i)*time.Minute), i))
	}
	write("b.csv", b)

	type p struct {
		rider    int64
		ts       int64
		lat, lng float64
	}
	var want []p
	rows, err := st.Pool.Query(ctx, `SELECT rider, ts, lat, lng FROM pings WHERE ts >= $1 AND ts < $2 ORDER BY rider, ts`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var x p
		var ts time.Time
		if err := rows.Scan(&x.rider, &ts, &x.lat, &x.lng); err != nil {
			t.Fatal(err)
		}
		x.ts = ts.UnixNano()
		want = append(want, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var got []p
	var riders []int64
	err = st.ForEachRiderDay(ctx, from, to, func(rider int64, pings []store.DayPing) error {
		riders = append(riders, rider)
		for _, pg := range pings {
			if pg.Rider != rider {
				t.Errorf("rider %d's pings hold one of rider %d", rider, pg.Rider)
			}
			got = append(got, p{pg.Rider, pg.TS, pg.Lat, pg.Lng})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(riders, []int64{3, 5, 7}) {
		t.Errorf("riders %v, want [3 5 7] once each, in order", riders)
	}
	if len(want) != 3*(24*60/7+1)+40 || !slices.Equal(got, want) {
		t.Errorf("%d pings streamed, want the %d of the pings view in the range, in (rider, time) order", len(got), len(want))
	}
	all, err := st.DayPings(ctx, from, to)
	if err != nil || len(all) != len(want) {
		t.Errorf("DayPings: %d pings (err %v), want %d", len(all), err, len(want))
	}
	// An error from fn stops the scan and comes back.
	stop := errors.New("stop")
	calls := 0
	err = st.ForEachRiderDay(ctx, from, to, func(int64, []store.DayPing) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("fn's error: got %v after %d calls, want it after 1", err, calls)
	}
}
