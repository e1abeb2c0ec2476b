package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/migrations"
)

// TestPingTracksRoundTrip writes pings through an import and reads them back
// through the pings view (decoded in SQL) exactly as quantized.
func TestPingTracksRoundTrip(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	load, _, err := st.BeginPings(ctx, "t.csv", "sha-t", "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 2, 23, 59, 0, 0, time.UTC)
	var in []store.PingRow
	for i := range 300 {
		tm, lat, lng := store.Quantize(t0.Add(time.Duration(i)*1234567*time.Microsecond), 31.2+float64(i%17)*1.234567e-4, 121.4-float64(i%5)*3.3e-5)
		st := []string{"", "idle", "delivering"}[i/100]
		in = append(in, store.PingRow{Rider: int64(1 + i%2), Time: tm, Lat: lat, Lng: lng, Status: st})
	}
	if err := load.Write(ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := load.Commit(ctx, store.Derived{Result: &activity.Result{}}, int64(len(in)), 0); err != nil {
		t.Fatal(err)
	}
	rows, err := st.Pool.Query(ctx, `SELECT rider, ts, lat, lng, status FROM pings ORDER BY rider, ts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var got store.PingRow
		if err := rows.Scan(&got.Rider, &got.Time, &got.Lat, &got.Lng, &got.Status); err != nil {
			t.Fatal(err)
		}
		want := in[(n%150)*2+n/150] // rider 1 holds the even pings, rider 2 the odd ones
		got.Time = got.Time.UTC()
		if got != want {
			t.Fatalf("ping %d = %+v, want %+v", n, got, want)
		}
		n++
	}
	if n != len(in) {
		t.Errorf("%d pings read back, want %d", n, len(in))
	}
	var segs int
	var bytes int64
	_ = st.Pool.QueryRow(ctx, `SELECT count(*), sum(pg_column_size(k.*)) FROM ping_tracks k`).Scan(&segs, &bytes)
	if segs != 4 { // two riders × two UTC days
		t.Errorf("%d track segments, want 4", segs)
	}
	if per := float64(bytes) / float64(n); per > 20 {
		t.Errorf("%.1f bytes a ping stored, want ≤ 20", per)
	}
}

// TestMigratePingsToTracks moves rows of the old pings table into tracks.
func TestMigratePingsToTracks(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.NewURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithLogger(goose.NopLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, 1); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE pings_20261102 PARTITION OF pings FOR VALUES FROM ('2026-11-02') TO ('2026-11-03')`,
		`INSERT INTO pings (rider, ts, lng, lat, cell, batch_id, status) VALUES
			(7, '2026-11-02 10:00:30.5+00', 121.4000001, 31.2, 1, 3, 'idle'),
			(7, '2026-11-02 10:00:00+00', 121.4, 31.2000002, 1, 3, ''),
			(7, '2026-11-02 10:01:00+00', 121.3999, 31.21, 1, 3, 'idle'),
			(8, '2026-11-02 11:00:00+00', 121.5, 31.3, 1, 3, 'delivering')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT string_agg(rider || ' ' || to_char(ts AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') || ' ' || lng || ' ' || lat || ' ' || status, ', ' ORDER BY rider, ts) FROM pings`
	var before, after string
	if err := pool.QueryRow(ctx, q).Scan(&before); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, q).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if before != after {
		t.Errorf("pings after the migration:\n%s\nwant\n%s", after, before)
	}
	var segs int
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM ping_tracks`).Scan(&segs)
	if segs != 2 {
		t.Errorf("%d track segments, want 2 (one per rider-day)", segs)
	}

}

// TestMigrateOutOfOrder: a database that holds every migration but the
// tracks (numbered earlier, landed later) gets them from Migrate.
func TestMigrateOutOfOrder(t *testing.T) {
	ctx := context.Background()
	u := dbtest.NewURL(t)
	pool, err := pgxpool.New(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	without := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") && !strings.HasPrefix(e.Name(), "00002_") {
			b, _ := fs.ReadFile(migrations.FS, e.Name())
			without[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, without, goose.WithLogger(goose.NopLogger()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, u, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate with 00002 missing below later ones: %v", err)
	}
	var ok bool
	if err := st.Pool.QueryRow(ctx, `SELECT to_regclass('public.ping_tracks') IS NOT NULL`).Scan(&ok); err != nil || !ok {
		t.Errorf("ping_tracks missing after an out-of-order migrate (err %v)", err)
	}
}

// writeTrackPings writes n pings of riders 1..riders, a minute apart,
// through load in batches of 50.
func writeTrackPings(t *testing.T, load *store.PingLoad, riders, n int) []store.PingRow {
	t.Helper()
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC)
	var in []store.PingRow
	for i := range n {
		tm, lat, lng := store.Quantize(t0.Add(time.Duration(i/riders)*time.Minute), 31.2+float64(i%23)*1e-4, 121.4+float64(i%7)*1e-4)
		in = append(in, store.PingRow{Rider: int64(1 + i%riders), Time: tm, Lat: lat, Lng: lng, Status: []string{"idle", "delivering"}[i/200%2]})
	}
	for i := 0; i < n; i += 50 {
		if err := load.Write(ctx, in[i:min(i+50, n)]); err != nil {
			return in[:i]
		}
	}
	return in
}

// TestTracksWrittenInBatches: with a small buffer the tracks are written in
// many batches by the background writer while the import goes on, and read
// back exactly; a batch PostgreSQL refuses fails the import and leaves no
// track behind.
func TestTracksWrittenInBatches(t *testing.T) {
	defer store.SetTrackBudget(store.SetTrackBudget(100))
	st := dbtest.New(t)
	ctx := context.Background()
	load, _, err := st.BeginPings(ctx, "t.csv", "sha-t", "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	in := writeTrackPings(t, load, 3, 1200)
	if err := load.Commit(ctx, store.Derived{Result: &activity.Result{}}, int64(len(in)), 0); err != nil {
		t.Fatal(err)
	}
	var n, segs, riderDays int
	if err := st.Pool.QueryRow(ctx, `SELECT sum(n), count(*), count(DISTINCT (rider, day)) FROM ping_tracks`).Scan(&n, &segs, &riderDays); err != nil {
		t.Fatal(err)
	}
	if n != len(in) || riderDays != 3 || segs < 12 {
		t.Errorf("%d pings in %d segments of %d rider-days, want %d pings in ≥ 12 segments (one per rider per buffer) of 3", n, segs, riderDays, len(in))
	}
	rows, err := st.Pool.Query(ctx, `SELECT rider, ts, lat, lng, status FROM pings ORDER BY ts, rider`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.PingRow, error) {
		var p store.PingRow
		err := r.Scan(&p.Rider, &p.Time, &p.Lat, &p.Lng, &p.Status)
		p.Time = p.Time.UTC()
		return p, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, in) {
		t.Errorf("pings read back differ from those written (%d vs %d)", len(got), len(in))
	}

	// Rider 2's segments break a constraint: the import fails, in a later
	// Write or at Commit, and Rollback leaves the tracks as they were.
	if _, err := st.Pool.Exec(ctx, fmt.Sprintf(`ALTER TABLE ping_tracks ADD CONSTRAINT no_rider_2 CHECK (rider <> 2 OR batch_id = %d)`, load.Batch().ID)); err != nil {
		t.Fatal(err)
	}
	load, _, err = st.BeginPings(ctx, "u.csv", "sha-u", "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	in = writeTrackPings(t, load, 3, 1200)
	err = load.Commit(ctx, store.Derived{Result: &activity.Result{}}, int64(len(in)), 0)
	if err == nil || !strings.Contains(err.Error(), "no_rider_2") {
		t.Fatalf("import whose tracks break a constraint: err %v, want the constraint's violation", err)
	}
	load.Rollback(ctx)
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM ping_tracks WHERE batch_id = $1`, load.Batch().ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("failed import left %d track segments (err %v)", n, err)
	}
}

// TestTracksCompressedWithLZ4: long tracks are TOASTed with lz4, also in a
// day partition an import creates.
func TestTracksCompressedWithLZ4(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	var lz4 bool
	if err := st.Pool.QueryRow(ctx, `SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil || !lz4 {
		t.Skipf("this PostgreSQL has no lz4 (%v)", err)
	}
	load, _, err := st.BeginPings(ctx, "t.csv", "sha-t", "wgs84", false)
	if err != nil {
		t.Fatal(err)
	}
	in := writeTrackPings(t, load, 1, 1400) // 1,400 pings: ~17 KB of arrays, past the TOAST threshold
	if err := load.Commit(ctx, store.Derived{Result: &activity.Result{}}, int64(len(in)), 0); err != nil {
		t.Fatal(err)
	}
	var how string
	if err := st.Pool.QueryRow(ctx, `SELECT pg_column_compression(dlat) || ' ' || pg_column_compression(dt_ms) FROM ping_tracks`).Scan(&how); err != nil {
		t.Fatal(err)
	}
	if how != "lz4 lz4" {
		t.Errorf("track arrays compressed with %q, want lz4", how)
	}
}
