package ingest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	h3 "github.com/uber/h3-go/v4"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/activity"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/ingest"
	"github.com/hexcover/hexcover/internal/store"
)

const secret = "test-secret-0123456789abcdef"

type testPing struct {
	rider    string
	ts       time.Time
	lat, lng float64
}

// synthPings makes riders moving around central Shanghai, pinging every 30 s.
func synthPings(seed uint64, riders, perRider int) []testPing {
	r := rand.New(rand.NewPCG(seed, 7))
	start := time.Date(2026, 11, 2, 11, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var out []testPing
	for i := 0; i < riders; i++ {
		lat, lng := 31.23+r.Float64()*0.03, 121.40+r.Float64()*0.04
		t := start.Add(time.Duration(r.IntN(3600)) * time.Second)
		for j := 0; j < perRider; j++ {
			if r.IntN(4) > 0 { // move, or stay (dwell)
				lat += (r.Float64() - 0.5) * 0.002
				lng += (r.Float64() - 0.5) * 0.002
			}
			// Rounded as written to the file, so the test's own H3 cells match.
			out = append(out, testPing{fmt.Sprintf("r%03d", i), t, round6(lat), round6(lng)})
			t = t.Add(30 * time.Second)
		}
	}
	return out
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func writeCSV(t *testing.T, dir, name string, ps []testPing) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("rider_id,ts,lat,lng,platform\n")
	for _, p := range ps {
		fmt.Fprintf(&b, "%s,%s,%.6f,%.6f,meituan\n", p.rider, p.ts.Format(time.RFC3339), p.lat, p.lng)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func newLoader(t *testing.T, st *store.Store) *ingest.Loader {
	pz, err := ingest.NewPseudonymizer([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	return &ingest.Loader{Store: st, Pseudo: pz, Activity: activity.DefaultSettings()}
}

type cellAgg struct {
	pings  int64
	riders int64
}

// dbAgg reads hex_activity for all hours at a resolution.
func dbAgg(t *testing.T, st *store.Store, res int) map[int64]cellAgg {
	t.Helper()
	rows, err := st.Pool.Query(context.Background(), `SELECT cell, pings, riders FROM hex_activity WHERE res = $1 AND how = -1`, res)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]cellAgg{}
	for rows.Next() {
		var c int64
		var a cellAgg
		if err := rows.Scan(&c, &a.pings, &a.riders); err != nil {
			t.Fatal(err)
		}
		out[c] = a
	}
	return out
}

// expectAgg computes the same aggregates independently with h3-go.
func expectAgg(t *testing.T, ps []testPing, res int) map[int64]cellAgg {
	t.Helper()
	riders := map[int64]map[string]bool{}
	out := map[int64]cellAgg{}
	for _, p := range ps {
		c, err := h3.LatLngToCell(h3.NewLatLng(p.lat, p.lng), 10)
		if err != nil {
			t.Fatal(err)
		}
		if res < 10 {
			if c, err = c.Parent(res); err != nil {
				t.Fatal(err)
			}
		}
		k := int64(c)
		a := out[k]
		a.pings++
		out[k] = a
		if riders[k] == nil {
			riders[k] = map[string]bool{}
		}
		riders[k][p.rider] = true
	}
	for k, a := range out {
		a.riders = int64(len(riders[k]))
		out[k] = a
	}
	return out
}

func compareAgg(t *testing.T, label string, got, want map[int64]cellAgg) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d cells, want %d", label, len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		if g := got[k]; g != w && bad < 5 {
			bad++
			t.Errorf("%s: cell %x = %+v, want %+v", label, k, g, w)
		}
	}
}

// snapshot is a content checksum of every derived table.
func snapshot(t *testing.T, st *store.Store) string {
	t.Helper()
	var s string
	err := st.Pool.QueryRow(context.Background(), `SELECT
		(SELECT count(*) || ':' || coalesce(sum(pings), 0) || ':' || coalesce(sum(riders), 0) || ':' || coalesce(round(sum(rider_seconds)::numeric, 3), 0)
			|| ':' || coalesce(round(sum(dwell_seconds)::numeric, 3), 0) FROM hex_activity)
		|| '|' || (SELECT coalesce(sum(cardinality(rider_keys)), 0) FROM hex_activity) || '|' || (SELECT count(*) FROM pings) || '|' || (SELECT count(*) FROM riders)
		|| '|' || (SELECT count(*) || ':' || coalesce(round(sum(gyration_m)::numeric, 3), 0) || ':' || coalesce(sum(pings), 0) FROM rider_ranges)
		|| '|' || (SELECT coalesce(sum(cardinality(cells)), 0) FROM rider_ranges) || '|' || (SELECT count(*) FROM ingest_batches WHERE status = 'done')`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestImportPingsEndToEnd(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	ps := synthPings(1, 40, 120)
	path := writeCSV(t, dir, "day1.csv", ps)
	l := newLoader(t, st)

	sum, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsOK != int64(len(ps)) || sum.RowsRejected != 0 || sum.Skipped {
		t.Fatalf("summary = %+v, want %d rows ok", sum, len(ps))
	}
	// The import says where its time went, step by step, and the steps
	// account for no more than the whole.
	var names []string
	var spent time.Duration
	for _, p := range sum.Phases {
		names = append(names, p.Name)
		spent += p.Duration
	}
	if got := strings.Join(names, ","); got != "read,tracks,riders,aggregates,ranges,commit" || spent > sum.Duration {
		t.Errorf("phases %s adding up to %s of %s, want read,tracks,riders,aggregates,ranges,commit within the whole", got, spent, sum.Duration)
	}
	for _, res := range []int{10, 9, 8, 7} {
		compareAgg(t, fmt.Sprintf("res %d", res), dbAgg(t, st, res), expectAgg(t, ps, res))
	}
	var raw int
	if err := st.Pool.QueryRow(ctx, `SELECT count(*) FROM riders WHERE pid LIKE 'r0%'`).Scan(&raw); err != nil || raw != 0 {
		t.Errorf("raw rider ids stored: %d (err %v)", raw, err)
	}
	var nr, nranges int
	_ = st.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM riders), (SELECT count(*) FROM rider_ranges)`).Scan(&nr, &nranges)
	if nr != 40 || nranges != 40 {
		t.Errorf("riders = %d, ranges = %d, want 40 each", nr, nranges)
	}
	before := snapshot(t, st)

	// One rider's range as GeoJSON: a hull around its pings, plausible figures.
	var pid string
	var minLng, minLat, maxLng, maxLat float64
	if err := st.Pool.QueryRow(ctx, `SELECT r.pid, min(p.lng), min(p.lat), max(p.lng), max(p.lat) FROM riders r
		JOIN pings p ON p.rider = r.id GROUP BY r.pid ORDER BY r.pid LIMIT 1`).Scan(&pid, &minLng, &minLat, &maxLng, &maxLat); err != nil {
		t.Fatal(err)
	}
	fs, err := st.RiderRange(ctx, pid[:16])
	if err != nil || len(fs) != 1 {
		t.Fatalf("RiderRange = %d features, %v; want 1", len(fs), err)
	}
	rp := fs[0].Properties
	if rp.Rider != pid || rp.Pings != 120 || rp.Days != 1 || !(rp.GyrationM > 0) || rp.P90M < rp.GyrationM/4 {
		t.Errorf("range props = %+v", rp)
	}
	if rp.CentroidLng < minLng || rp.CentroidLng > maxLng || rp.CentroidLat < minLat || rp.CentroidLat > maxLat {
		t.Errorf("centroid %v,%v outside the rider's pings %v..%v, %v..%v", rp.CentroidLng, rp.CentroidLat, minLng, maxLng, minLat, maxLat)
	}
	if !strings.Contains(string(fs[0].Geometry), `"Polygon"`) {
		t.Errorf("range geometry = %s, want the hull polygon", fs[0].Geometry)
	}
	if _, err := st.RiderRange(ctx, "zz"); err == nil {
		t.Error("RiderRange of a malformed id succeeded")
	}

	// The same file again: a no-op that says so.
	sum2, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
	if err != nil {
		t.Fatal(err)
	}
	if !sum2.Skipped || sum2.BatchID != sum.BatchID {
		t.Errorf("re-import summary = %+v, want skipped as batch %d", sum2, sum.BatchID)
	}
	if got := snapshot(t, st); got != before {
		t.Errorf("re-import changed the database:\n got %s\nwant %s", got, before)
	}

	// --replace re-imports and gives the same content.
	sum3, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings, Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if sum3.Skipped || sum3.Replaced != sum.BatchID {
		t.Errorf("replace summary = %+v, want replaced batch %d", sum3, sum.BatchID)
	}
	if _, err := newLoader(t, st).Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, st); got != before {
		t.Errorf("replace + rebuild differs from the first import:\n got %s\nwant %s", got, before)
	}

	// Rebuild from stored pings equals the incremental aggregates.
	if _, err := newLoader(t, st).Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, st); got != before {
		t.Errorf("rebuild differs:\n got %s\nwant %s", got, before)
	}
}

func TestImportIncrementalAndOutOfOrder(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	day1 := synthPings(2, 30, 100)
	day2 := synthPings(3, 30, 100) // same rider ids, next day
	for i := range day2 {
		day2[i].ts = day2[i].ts.Add(24 * time.Hour)
	}
	p1 := writeCSV(t, dir, "d1.csv", day1)
	p2 := writeCSV(t, dir, "d2.csv", day2)
	// Both days in one file, shuffled: riders' pings out of time order.
	all := append(append([]testPing{}, day1...), day2...)
	shuffled := append([]testPing{}, all...)
	rand.New(rand.NewPCG(9, 9)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	p3 := writeCSV(t, dir, "both-shuffled.csv", shuffled)

	a := dbtest.New(t)
	la := newLoader(t, a)
	for _, p := range []string{p1, p2} {
		if _, err := la.Import(ctx, p, ingest.Options{Kind: ingest.KindPings}); err != nil {
			t.Fatal(err)
		}
	}
	// Incremental aggregates equal an independent computation over both days.
	for _, res := range []int{10, 7} {
		compareAgg(t, fmt.Sprintf("incremental res %d", res), dbAgg(t, a, res), expectAgg(t, all, res))
	}

	b := dbtest.New(t)
	lb := newLoader(t, b)
	sum, err := lb.Import(ctx, p3, ingest.Options{Kind: ingest.KindPings})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OutOfOrder {
		t.Errorf("shuffled file not detected as out of order: %+v", sum)
	}
	for _, res := range []int{10, 7} {
		compareAgg(t, fmt.Sprintf("shuffled res %d", res), dbAgg(t, b, res), expectAgg(t, all, res))
	}
	// A rebuild of the two per-day imports reproduces them exactly.
	snapA := snapshot(t, a)
	if _, err := la.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, a); got != snapA {
		t.Errorf("rebuild after two imports differs:\n got %s\nwant %s", got, snapA)
	}
	// Seconds and dwell agree between the two ways of loading the same pings.
	var secA, secB, dwA, dwB float64
	_ = a.Pool.QueryRow(ctx, `SELECT sum(rider_seconds), sum(dwell_seconds) FROM hex_activity WHERE res = 10 AND how = -1`).Scan(&secA, &dwA)
	_ = b.Pool.QueryRow(ctx, `SELECT sum(rider_seconds), sum(dwell_seconds) FROM hex_activity WHERE res = 10 AND how = -1`).Scan(&secB, &dwB)
	if math.Abs(secA-secB) > 1e-6 || math.Abs(dwA-dwB) > 1e-6 {
		t.Errorf("rider seconds %v vs %v, dwell %v vs %v: per-day files and one shuffled file disagree", secA, secB, dwA, dwB)
	}
	if dwA == 0 {
		t.Error("no dwell detected in pings that stay put for minutes")
	}
}

func TestImportFailureLeavesNothing(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	l := newLoader(t, st)
	good := writeCSV(t, dir, "good.csv", synthPings(4, 10, 50))
	if _, err := l.Import(ctx, good, ingest.Options{Kind: ingest.KindPings}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, st)

	// A gzip file cut off in the middle: rows were already copied when the
	// reader fails.
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	data, _ := os.ReadFile(writeCSV(t, dir, "big.csv", synthPings(5, 60, 400)))
	_, _ = zw.Write(data)
	_ = zw.Close()
	cut := filepath.Join(dir, "cut.csv.gz")
	if err := os.WriteFile(cut, buf.Bytes()[:buf.Len()*3/4], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Import(ctx, cut, ingest.Options{Kind: ingest.KindPings}); err == nil {
		t.Fatal("import of a truncated gzip file succeeded")
	}
	// A header lacking a required column fails before anything is written.
	nolat := filepath.Join(dir, "nolat.csv")
	_ = os.WriteFile(nolat, []byte("rider_id,ts,lng\na,2026-11-02T10:00:00+08:00,121.4\n"), 0o644)
	_, err := l.Import(ctx, nolat, ingest.Options{Kind: ingest.KindPings})
	if err == nil || !strings.Contains(err.Error(), "lat") {
		t.Fatalf("header without lat: err = %v, want one naming the missing column", err)
	}
	if got := snapshot(t, st); got != before {
		t.Errorf("failed imports changed the data:\n got %s\nwant %s", got, before)
	}
	var failed int
	_ = st.Pool.QueryRow(ctx, `SELECT count(*) FROM ingest_batches WHERE status = 'failed'`).Scan(&failed)
	if failed != 2 {
		t.Errorf("failed batches recorded = %d, want 2", failed)
	}
}

func TestImportRejectsFile(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "mixed.csv")
	content := "rider_id,ts,lat,lng\n" +
		"a,2026-11-02T10:00:00+08:00,31.23,121.40\n" +
		"b,not-a-time,31.23,121.40\n" +
		"c,2026-11-02T10:00:00+08:00,95,121.40\n" +
		"d,2026-11-02T10:00:30+08:00,31.231,121.401\n"
	_ = os.WriteFile(path, []byte(content), 0o644)
	l := newLoader(t, st)
	l.Limits.MaxRejectRate = 1 // half the rows are rejected
	sum, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings})
	if err != nil {
		t.Fatal(err)
	}
	if sum.RowsOK != 2 || sum.RowsRejected != 2 {
		t.Fatalf("summary = %+v, want 2 ok and 2 rejected", sum)
	}
	rej, err := os.ReadFile(sum.RejectsFile)
	if err != nil {
		t.Fatalf("rejects file: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(rej)), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "mixed.csv,3,") || !strings.Contains(lines[2], "mixed.csv,4,") {
		t.Errorf("rejects file =\n%s\nwant a header and lines 3 and 4 of mixed.csv", rej)
	}
}

func TestImportFeaturesAndCRS(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	dir := t.TempDir()
	// A site given in GCJ-02 lands ~480 m away in WGS-84.
	gcjLng, gcjLat := geo.WGS84ToGCJ02(121.47, 31.23)
	path := filepath.Join(dir, "sites.csv")
	_ = os.WriteFile(path, []byte(fmt.Sprintf("id,kind,status,name,capacity,amenities,lat,lng\nS1,rest_station,existing,驿站,10,water;charging,%.7f,%.7f\n", gcjLat, gcjLng)), 0o644)
	l := newLoader(t, st)
	sum, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindSites, CRS: geo.GCJ02})
	if err != nil || sum.RowsOK != 1 {
		t.Fatalf("import sites: %+v %v", sum, err)
	}
	var lng, lat float64
	var am []string
	if err := st.Pool.QueryRow(ctx, `SELECT ST_X(geom), ST_Y(geom), amenities FROM sites WHERE ext_id = 'S1'`).Scan(&lng, &lat, &am); err != nil {
		t.Fatal(err)
	}
	if math.Abs(lng-121.47) > 1e-6 || math.Abs(lat-31.23) > 1e-6 {
		t.Errorf("site stored at %v,%v, want 121.47,31.23 (converted from GCJ-02)", lng, lat)
	}
	sort.Strings(am)
	if strings.Join(am, ",") != "charging,water" {
		t.Errorf("amenities = %v", am)
	}
	v1, _ := st.DataVersion(ctx, "sites")
	// Re-importing is a no-op and leaves the data version alone.
	if s, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindSites, CRS: geo.GCJ02}); err != nil || !s.Skipped {
		t.Errorf("re-import: %+v %v, want skipped", s, err)
	}
	if v2, _ := st.DataVersion(ctx, "sites"); v2 != v1 {
		t.Errorf("sites version moved %d → %d on a no-op", v1, v2)
	}
}

// TestImportAtAnotherOffset imports and rebuilds with the local time at
// UTC−05:00: hours of week, rider days and range periods follow the setting,
// not Shanghai's +08:00.
func TestImportAtAnotherOffset(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	// Monday 2026-11-02 11:00–11:59 in Shanghai is 03:00 UTC, which is
	// Sunday 2026-11-01 22:00 at −05:00: hour of week 6×24+22 = 166.
	ps := synthPings(6, 5, 60)
	for i := range ps {
		ps[i].ts = time.Date(2026, 11, 2, 11, 0, 0, 0, time.FixedZone("CST", 8*3600)).Add(time.Duration(i%60) * 30 * time.Second)
	}
	path := writeCSV(t, t.TempDir(), "west.csv", ps)
	l := newLoader(t, st)
	l.Activity.UTCOffset = -5 * time.Hour
	if _, err := l.Import(ctx, path, ingest.Options{Kind: ingest.KindPings}); err != nil {
		t.Fatal(err)
	}
	check := func(label string) {
		t.Helper()
		var hows []int16
		var days []string
		var periods []string
		err := st.Pool.QueryRow(ctx, `SELECT
			(SELECT array_agg(DISTINCT how ORDER BY how) FROM hex_activity WHERE how >= 0),
			(SELECT array_agg(DISTINCT day::text) FROM rider_days),
			(SELECT array_agg(DISTINCT period) FROM rider_ranges)`).Scan(&hows, &days, &periods)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(hows) != "[166]" || fmt.Sprint(days) != "[2026-11-01]" || fmt.Sprint(periods) != "[2026-11-01]" {
			t.Errorf("%s at −05:00: hours %v, days %v, periods %v; want [166], [2026-11-01], [2026-11-01]", label, hows, days, periods)
		}
	}
	check("import")
	before := snapshot(t, st)
	if _, err := l.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	check("rebuild")
	if got := snapshot(t, st); got != before {
		t.Errorf("rebuild at −05:00 differs:\n got %s\nwant %s", got, before)
	}
}
