package tiles

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/config"
	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/model"
	"github.com/hexcover/hexcover/internal/server"
	"github.com/hexcover/hexcover/internal/store"
	"github.com/hexcover/hexcover/internal/tiles/tilestest"
)

var cst = time.FixedZone("CST", 8*3600)

// monday is Monday 2026-11-02 00:00 local: hour of week 0.
var monday = time.Date(2026, 11, 2, 0, 0, 0, 0, cst)

// centre is inside the busy cluster of the fixture.
var centre = orb.Point{121.40, 31.25}

// fixturePings: a busy cluster of 12 riders around centre at lunch (11:00–
// 13:00 Monday) and 6 of them again at 15:00, and a quiet spot of 2 riders
// (below k = 5) north-east of it.
func fixturePings() []tilestest.Ping {
	var ps []tilestest.Ping
	for i := range 12 {
		a := [2]float64{121.396 + 0.0007*float64(i%4), 31.246 + 0.0008*float64(i/4)}
		b := [2]float64{121.404 - 0.0006*float64(i%3), 31.254 - 0.0007*float64(i%5)}
		r := fmt.Sprintf("busy%02d", i)
		ps = append(ps, tilestest.Walk(r, monday.Add(11*time.Hour), 30*time.Second, 240, a, b)...)
		if i < 6 {
			ps = append(ps, tilestest.Walk(r, monday.Add(15*time.Hour), 30*time.Second, 60, b, a)...)
		}
	}
	for i := range 2 {
		p := [2]float64{121.430 + 0.0001*float64(i), 31.270}
		ps = append(ps, tilestest.Walk(fmt.Sprintf("quiet%d", i), monday.Add(11*time.Hour+30*time.Minute), 30*time.Second, 20, p, p)...)
	}
	return ps
}

type env struct {
	st  *store.Store
	svc *Service
	srv *httptest.Server
	reg *prometheus.Registry
	// bearer tokens of a planner (the default) and an admin
	planner, admin string
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	st := dbtest.New(t)
	tilestest.LoadActivity(t, st, "fixture.csv", fixturePings())
	tilestest.LoadFeatures(t, st, "fixture", fixtureAreas(), fixtureGrids(), fixtureSites())
	return newEnvOn(t, st, o)
}

func newEnvOn(t *testing.T, st *store.Store, o Options) *env {
	t.Helper()
	cfg := config.Default()
	if o.Registry == nil {
		o.Registry = prometheus.NewRegistry()
	}
	svc := New(st, o)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(cfg, st, log, fstest.MapFS{}, svc.Routes()...)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{st: st, svc: svc, srv: ts, reg: o.Registry, planner: "planner-token-0123456789", admin: "admin-token-0123456789"}
	ctx := context.Background()
	if _, err := st.CreateToken(ctx, "planner", "planner", nil, e.planner); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateToken(ctx, "admin", "admin", nil, e.admin); err != nil {
		t.Fatal(err)
	}
	return e
}

func square(lng, lat, d float64) orb.MultiPolygon {
	return orb.MultiPolygon{{{{lng, lat}, {lng + d, lat}, {lng + d, lat + d}, {lng, lat + d}, {lng, lat}}}}
}

func fixtureAreas() []model.Area {
	return []model.Area{
		{Code: "310104", Name: "徐汇区", NameEn: "Xuhui", Level: model.LevelDistrict, Geometry: square(121.39, 31.24, 0.05)},
		{Code: "310104001", Name: "天平路街道", NameEn: "Tianping Road", Level: model.LevelStreet, ParentCode: "310104", Geometry: square(121.39, 31.24, 0.02)},
	}
}

func fixtureGrids() []model.Grid {
	return []model.Grid{{Code: "G001", Name: "一号网格", CommunityCode: "C1", StreetCode: "310104001", DistrictCode: "310104",
		Manager: "王", Target: 3, Geometry: square(121.395, 31.245, 0.01)}}
}

func fixtureSites() []model.Site {
	return []model.Site{
		// covers the west half of the busy cluster (500 m)
		{ExtID: "S1", Kind: model.KindRestStation, Status: model.StatusExisting, Name: "驿站一", Capacity: 10,
			Amenities: []string{"water", "charging"}, Location: orb.Point{121.396, 31.25}},
		{ExtID: "S2", Kind: model.KindCandidate, Status: model.StatusCandidate, Name: "候选", Location: orb.Point{121.41, 31.26}},
	}
}

func (e *env) get(t *testing.T, path string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("Accept-Encoding", "gzip") // and not let the transport gunzip
	req.Header.Set("Authorization", "Bearer "+e.planner)
	if hdr["X-Test-Admin"] == "1" {
		req.Header.Set("Authorization", "Bearer "+e.admin)
	}
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// tileLayer fetches a tile and decodes its one layer; nil for 204.
func (e *env) tileLayer(t *testing.T, path string, hdr map[string]string) (*decLayer, *http.Response) {
	t.Helper()
	resp, b := e.get(t, path, hdr)
	switch resp.StatusCode {
	case http.StatusNoContent:
		return nil, resp
	case http.StatusOK:
	default:
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(strings.NewReader(string(b)))
		if err != nil {
			t.Fatal(err)
		}
		if b, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	ls, err := decodeTile(b)
	if err != nil {
		t.Fatalf("GET %s: decode: %v", path, err)
	}
	if len(ls) != 1 {
		t.Fatalf("GET %s: %d layers, want 1", path, len(ls))
	}
	for _, l := range ls {
		if l.Extent != Extent || l.Version != 2 {
			t.Errorf("layer %s extent %d version %d", l.Name, l.Extent, l.Version)
		}
		return l, resp
	}
	return nil, resp
}

func tilePath(layer string, t maptile.Tile, q string) string {
	p := fmt.Sprintf("/tiles/%s/%d/%d/%d.mvt", layer, t.Z, t.X, t.Y)
	if q != "" {
		p += "?" + q
	}
	return p
}

type agg struct {
	pings        int64
	riders       int64
	riderSeconds float64
	dwellSeconds float64
}

// storedAggregates reads the expected values straight from the tables:
// whole week, or recomputed over hows from hex_activity and hex_riders.
func storedAggregates(t *testing.T, st *store.Store, res int, hows []int16) map[string]agg {
	t.Helper()
	q := `SELECT cell, pings, riders::bigint, rider_seconds, dwell_seconds FROM hex_activity WHERE res = $1 AND how = -1`
	args := []any{res}
	if len(hows) > 0 {
		q = `SELECT a.cell, sum(a.pings)::bigint, (SELECT count(DISTINCT k) FROM hex_activity b, unnest(b.rider_keys) AS k
				WHERE b.res = $1 AND b.cell = a.cell AND b.how = ANY($2)), sum(a.rider_seconds), sum(a.dwell_seconds)
			FROM hex_activity a WHERE a.res = $1 AND a.how = ANY($2) GROUP BY a.cell`
		args = append(args, hows)
	}
	rows, err := st.Pool.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]agg{}
	for rows.Next() {
		var c int64
		var a agg
		if err := rows.Scan(&c, &a.pings, &a.riders, &a.riderSeconds, &a.dwellSeconds); err != nil {
			t.Fatal(err)
		}
		out[geo.Cell(c).String()] = a
	}
	return out
}

// expectedCells is the cells a hexagon tile must hold: those meeting the
// tile plus its buffer, with data and at least minRiders riders.
func expectedCells(t *testing.T, tile maptile.Tile, stored map[string]agg, minRiders int64) []string {
	t.Helper()
	cells, err := geo.CellsInBound(tile.Bound(float64(Buffer)/Extent), geo.DisplayRes(int(tile.Z)))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cells {
		if a, ok := stored[c.String()]; ok && a.riders >= minRiders {
			out = append(out, c.String())
		}
	}
	slices.Sort(out)
	return out
}

func featureCells(t *testing.T, l *decLayer) map[string]decFeature {
	t.Helper()
	out := map[string]decFeature{}
	if l == nil {
		return out
	}
	for _, f := range l.Features {
		c, _ := f.Props["cell"].(string)
		if _, dup := out[c]; dup {
			t.Errorf("cell %s twice in the tile", c)
		}
		out[c] = f
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func checkProps(t *testing.T, what string, f decFeature, want agg) {
	t.Helper()
	got := agg{pings: f.Props["pings"].(int64), riders: f.Props["riders"].(int64),
		riderSeconds: f.Props["rider_hours"].(float64) * 3600, dwellSeconds: f.Props["dwell_s"].(float64)}
	if got.pings != want.pings || got.riders != want.riders || !near(got.riderSeconds, want.riderSeconds) || !near(got.dwellSeconds, want.dwellSeconds) {
		t.Errorf("%s: got %+v, want %+v", what, got, want)
	}
}

func TestActivityTiles(t *testing.T) {
	e := newEnv(t, Options{})
	stored := map[int]map[string]agg{}
	for _, z := range []maptile.Zoom{11, 12, 13, 14, 15, 16} {
		tile := maptile.At(centre, z)
		res := geo.DisplayRes(int(z))
		if stored[res] == nil {
			stored[res] = storedAggregates(t, e.st, res, nil)
		}
		want := expectedCells(t, tile, stored[res], 5)
		l, _ := e.tileLayer(t, tilePath("activity", tile, ""), nil)
		got := featureCells(t, l)
		gotKeys := slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})
		if !slices.Equal(gotKeys, want) {
			t.Fatalf("z%d: cells\n got %v\nwant %v", z, gotKeys, want)
		}
		if len(want) == 0 {
			t.Fatalf("z%d: fixture gives no cells", z)
		}
		for c, f := range got {
			checkProps(t, fmt.Sprintf("z%d cell %s", z, c), f, stored[res][c])
			if f.Props["demand"].(float64) != f.Props["rider_hours"].(float64) {
				t.Errorf("z%d cell %s: demand %v != rider_hours %v", z, c, f.Props["demand"], f.Props["rider_hours"])
			}
			p, ok := f.Geom.(orb.Polygon)
			if !ok || len(p) != 1 || len(p[0]) < 7 {
				t.Errorf("z%d cell %s: geometry %v, want one hexagon ring", z, c, f.Geom)
			}
		}
	}
	// metric=riders puts the distinct riders in demand.
	tile := maptile.At(centre, 14)
	l, _ := e.tileLayer(t, tilePath("activity", tile, "metric=riders"), nil)
	for c, f := range featureCells(t, l) {
		if f.Props["demand"].(float64) != float64(f.Props["riders"].(int64)) {
			t.Errorf("metric=riders cell %s: demand %v riders %v", c, f.Props["demand"], f.Props["riders"])
		}
	}
}

func TestActivityHoursFilter(t *testing.T) {
	e := newEnv(t, Options{})
	tile := maptile.At(centre, 14)
	f, err := ParseFilter(map[string][]string{"hours": {"lunch"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Hours) != 21 || f.Hours[0] != 11 || f.Hours[3] != 35 {
		t.Fatalf("lunch = %v, want 11,12,13 of every day", f.Hours)
	}
	stored := storedAggregates(t, e.st, 10, f.Hours)
	want := expectedCells(t, tile, stored, 5)
	l, _ := e.tileLayer(t, tilePath("activity", tile, "hours=lunch"), nil)
	got := featureCells(t, l)
	if len(got) != len(want) || len(want) == 0 {
		t.Fatalf("hours=lunch: %d cells, want %d", len(got), len(want))
	}
	for _, c := range want {
		checkProps(t, "lunch cell "+c, got[c], stored[c])
	}
	// The afternoon only (hour 15 of Monday) has 6 riders in fewer cells.
	stored15 := storedAggregates(t, e.st, 10, []int16{15})
	l15, _ := e.tileLayer(t, tilePath("activity", tile, "hours=15"), nil)
	got15 := featureCells(t, l15)
	want15 := expectedCells(t, tile, stored15, 5)
	if len(got15) != len(want15) {
		t.Fatalf("hours=15: %d cells, want %d", len(got15), len(want15))
	}
	for _, c := range want15 {
		checkProps(t, "15h cell "+c, got15[c], stored15[c])
	}
	// Night has no data at all: 204.
	if l, resp := e.tileLayer(t, tilePath("activity", tile, "hours=night"), nil); l != nil || resp.StatusCode != 204 {
		t.Errorf("hours=night: status %d, want 204", resp.StatusCode)
	}
}

func TestPrivacySuppression(t *testing.T) {
	e := newEnv(t, Options{})
	quiet := maptile.At(orb.Point{121.4300, 31.2700}, 15)
	if l, resp := e.tileLayer(t, tilePath("activity", quiet, ""), nil); l != nil {
		t.Fatalf("non-admin sees %d cells of 2 riders (status %d)", len(l.Features), resp.StatusCode)
	}
	l, resp := e.tileLayer(t, tilePath("activity", quiet, ""), map[string]string{"X-Test-Admin": "1"})
	if l == nil {
		t.Fatal("admin sees no cells in the quiet spot")
	}
	for c, f := range featureCells(t, l) {
		if r := f.Props["riders"].(int64); r >= 5 {
			t.Errorf("quiet cell %s has %d riders", c, r)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("admin Cache-Control = %q, want private", cc)
	}
	// The same tile gets a different ETag for admin and public.
	busy := maptile.At(centre, 14)
	rp, _ := e.get(t, tilePath("activity", busy, ""), nil)
	ra, _ := e.get(t, tilePath("activity", busy, ""), map[string]string{"X-Test-Admin": "1"})
	if rp.Header.Get("ETag") == ra.Header.Get("ETag") {
		t.Error("admin and public tiles share an ETag")
	}
	if cc, v := rp.Header.Get("Cache-Control"), rp.Header.Get("Vary"); cc != "private, max-age=60" || !strings.Contains(v, "Authorization") || !strings.Contains(v, "Cookie") {
		t.Errorf("non-admin Cache-Control = %q, Vary = %q: want private, varying on the credentials", cc, v)
	}
}

func TestEmptyAndOutside(t *testing.T) {
	e := newEnv(t, Options{})
	// Inside the data bounds (between the two clusters) but no cells.
	empty := maptile.At(orb.Point{121.418, 31.262}, 16)
	if _, resp := e.tileLayer(t, tilePath("activity", empty, ""), nil); resp.StatusCode != 204 {
		t.Errorf("empty tile: %d, want 204", resp.StatusCode)
	}
	// Far away: 204 from the bounds, without building anything.
	far := maptile.At(orb.Point{2.35, 48.85}, 14)
	for range 3 {
		start := time.Now()
		resp, _ := e.get(t, tilePath("activity", far, ""), nil)
		if resp.StatusCode != 204 {
			t.Fatalf("outside tile: %d, want 204", resp.StatusCode)
		}
		if d := time.Since(start); d > 200*time.Millisecond {
			t.Errorf("outside tile took %v", d)
		}
	}
	if n := counter(t, e.reg, "hexcover_tile_requests_total", map[string]string{"layer": "activity", "result": "outside"}); n != 3 {
		t.Errorf("outside count = %v, want 3", n)
	}
	if n := counter(t, e.reg, "hexcover_tile_build_seconds", map[string]string{"layer": "activity"}); n != 1 {
		t.Errorf("tiles built = %v, want 1 (the empty one only)", n)
	}
}

// counter returns a counter's value or a histogram's sample count.
func counter(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if v, ok := labels[lp.GetName()]; ok && v != lp.GetValue() {
					continue next
				}
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			if m.Histogram != nil {
				return float64(m.Histogram.GetSampleCount())
			}
			if m.Gauge != nil {
				return m.Gauge.GetValue()
			}
		}
	}
	return 0
}

func TestBadRequests(t *testing.T) {
	e := newEnv(t, Options{})
	for _, p := range []string{
		"/tiles/nope/1/0/0.mvt", "/tiles/activity/23/0/0.mvt", "/tiles/activity/1/2/0.mvt", "/tiles/activity/1/0/2.mvt",
		"/tiles/activity/1/0/0.png", "/tiles/activity/1/0/0", "/tiles/activity/-1/0/0.mvt", "/tiles/activity/a/0/0.mvt",
		"/tiles/activity/1/+0/0.mvt", "/tiles/activity/14/0/0.mvt?hours=168", "/tiles/activity/14/0/0.mvt?hours=brunch",
		"/tiles/activity/14/0/0.mvt?hours=13-11", "/tiles/activity/14/0/0.mvt?metric=speed", "/tiles/activity/1/0",
		"/tiles/nope.json", "/tiles/activity.xml", "/tiles/activity.json?metric=x",
	} {
		resp, b := e.get(t, p, nil)
		var body map[string]string
		if resp.StatusCode != 400 || json.Unmarshal(b, &body) != nil || body["error"] == "" {
			t.Errorf("GET %s: %d %s, want 400 with a JSON error", p, resp.StatusCode, b)
		}
	}
	// Without a token: 401.
	if resp, _ := e.get(t, tilePath("activity", maptile.At(centre, 14), ""), map[string]string{"Authorization": ""}); resp.StatusCode != 401 {
		t.Errorf("no token: %d, want 401", resp.StatusCode)
	}
	// Unknown parameters are ignored.
	if resp, _ := e.get(t, tilePath("activity", maptile.At(centre, 14), "foo=bar"), nil); resp.StatusCode != 200 {
		t.Errorf("unknown parameter: %d, want 200", resp.StatusCode)
	}
}

func TestETagGzipAndInvalidation(t *testing.T) {
	e := newEnv(t, Options{})
	tile := maptile.At(centre, 14)
	path := tilePath("activity", tile, "")
	resp, gz := e.get(t, path, nil)
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || !strings.HasPrefix(etag, `"`) || resp.Header.Get("Content-Encoding") != "gzip" ||
		resp.Header.Get("Content-Type") != MVTContentType || !strings.Contains(resp.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("first GET: %d %v", resp.StatusCode, resp.Header)
	}
	// Without gzip the same tile comes plain.
	resp2, plain := e.get(t, path, map[string]string{"Accept-Encoding": ""})
	if resp2.Header.Get("Content-Encoding") != "" || resp2.Header.Get("ETag") != etag {
		t.Fatalf("plain GET: %v", resp2.Header)
	}
	unz, err := gunzip(gz)
	if err != nil || string(unz) != string(plain) {
		t.Fatalf("gunzipped body differs from the plain one (%v)", err)
	}
	if _, err := decodeTile(plain); err != nil {
		t.Fatal(err)
	}
	if acceptsGzip("gzip;q=0") || !acceptsGzip("br, gzip;q=0.5") || acceptsGzip("identity") {
		t.Error("acceptsGzip")
	}
	// 304 on If-None-Match, counted.
	resp3, b3 := e.get(t, path, map[string]string{"If-None-Match": etag})
	if resp3.StatusCode != 304 || len(b3) != 0 || resp3.Header.Get("ETag") != etag {
		t.Fatalf("If-None-Match: %d", resp3.StatusCode)
	}
	if n := counter(t, e.reg, "hexcover_tile_requests_total", map[string]string{"layer": "activity", "result": "304"}); n != 1 {
		t.Errorf("304 count %v", n)
	}
	if n := counter(t, e.reg, "hexcover_tile_requests_total", map[string]string{"layer": "activity", "result": "hit"}); n != 1 {
		t.Errorf("hit count %v", n)
	}
	before := featureCells(t, mustLayer(t, plain))

	// New data: 6 more riders in the busy cluster; Invalidate after the import.
	var more []tilestest.Ping
	for i := range 6 {
		more = append(more, tilestest.Walk(fmt.Sprintf("late%d", i), monday.Add(48*time.Hour+20*time.Hour), 30*time.Second, 120,
			[2]float64{121.397, 31.247}, [2]float64{121.403, 31.253})...)
	}
	tilestest.LoadActivity(t, e.st, "more.csv", more)
	e.svc.Invalidate()
	resp4, gz4 := e.get(t, path, map[string]string{"If-None-Match": etag})
	if resp4.StatusCode != 200 || resp4.Header.Get("ETag") == etag {
		t.Fatalf("after import: %d, ETag %s (old %s): stale", resp4.StatusCode, resp4.Header.Get("ETag"), etag)
	}
	unz4, _ := gunzip(gz4)
	after := featureCells(t, mustLayer(t, unz4))
	stored := storedAggregates(t, e.st, 10, nil)
	changed := false
	for c, f := range after {
		checkProps(t, "after import "+c, f, stored[c])
		if b, ok := before[c]; !ok || b.Props["riders"] != f.Props["riders"] {
			changed = true
		}
	}
	if !changed {
		t.Error("tile content did not change after the import")
	}
}

func mustLayer(t *testing.T, b []byte) *decLayer {
	t.Helper()
	ls, err := decodeTile(b)
	if err != nil {
		t.Fatal(err)
	}
	return ls["activity"]
}

func TestSeamlessHexagons(t *testing.T) {
	e := newEnv(t, Options{})
	a := maptile.At(centre, 15)
	b := maptile.New(a.X-1, a.Y, a.Z) // its west neighbour: the busy cells straddle that border
	la, _ := e.tileLayer(t, tilePath("activity", a, ""), map[string]string{"X-Test-Admin": "1"})
	lb, _ := e.tileLayer(t, tilePath("activity", b, ""), map[string]string{"X-Test-Admin": "1"})
	fa, fb := featureCells(t, la), featureCells(t, lb)
	shared := 0
	for c, f := range fa {
		g, ok := fb[c]
		if !ok {
			continue
		}
		shared++
		ra, rb := f.Geom.(orb.Polygon)[0], g.Geom.(orb.Polygon)[0]
		if len(ra) != len(rb) {
			t.Fatalf("cell %s: %d vs %d vertices", c, len(ra), len(rb))
		}
		for i := range ra {
			if ra[i][0]+Extent != rb[i][0] || ra[i][1] != rb[i][1] {
				t.Fatalf("cell %s vertex %d: %v in tile a, %v in tile b (want x + 4096)", c, i, ra[i], rb[i])
			}
		}
	}
	if shared == 0 {
		t.Fatal("no hexagon crosses the border between the two tiles")
	}
}

func TestSingleflightAndBusy(t *testing.T) {
	e := newEnv(t, Options{})
	tile := maptile.At(centre, 13)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, _ := e.get(t, tilePath("activity", tile, "hours=peak"), nil); resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if n := counter(t, e.reg, "hexcover_tile_build_seconds", map[string]string{"layer": "activity"}); n != 1 {
		t.Errorf("tile built %v times for 20 concurrent requests, want 1", n)
	}
	// Saturated: every worker slot held → 503 with Retry-After.
	slots := int64(e.svc.o.MaxConcurrent)
	if !e.svc.sem.TryAcquire(slots) {
		t.Fatal("tile worker slots taken")
	}
	resp, b := e.get(t, tilePath("activity", maptile.At(centre, 12), ""), nil)
	e.svc.sem.Release(slots)
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("saturated: %d %s, want 503 with Retry-After", resp.StatusCode, b)
	}
}

// gapSource is a GapSource over fixed cells, recording what it was asked.
type gapSource struct {
	cells []model.GapCell
	mu    sync.Mutex
	asked []string
}

func (g *gapSource) GapCells(_ context.Context, hours []int16, m model.Metric, admin bool) ([]model.GapCell, error) {
	g.mu.Lock()
	g.asked = append(g.asked, fmt.Sprintf("%v|%s|%t", hours, m, admin))
	g.mu.Unlock()
	return g.cells, nil
}

// The gaps layer draws exactly the GapSource's cells (the coverage
// package's one rule), at their own resolution at every zoom, with their
// figures, zone and rank; it decides nothing itself.
func TestGapsTile(t *testing.T) {
	src := &gapSource{}
	e := newEnv(t, Options{Gaps: src})
	stored := storedAggregates(t, e.st, 9, nil)
	var cells []string
	for c := range stored {
		cells = append(cells, c)
	}
	slices.Sort(cells)
	if len(cells) < 3 {
		t.Fatalf("fixture: %d res-9 cells", len(cells))
	}
	for n, c := range cells[:3] {
		src.cells = append(src.cells, model.GapCell{Cell: mustCell(t, c), Demand: float64(n) + 2.5, Riders: int64(n + 5),
			Zone: 11, ZoneRank: n + 1, NearestM: float64(100 * n)})
	}
	src.cells[2].NearestM = -1
	for _, z := range []maptile.Zoom{10, 12, 15} {
		tile := maptile.At(centre, z)
		l, _ := e.tileLayer(t, tilePath("gaps", tile, "hours=lunch&metric=pings"), nil)
		if l == nil {
			t.Fatalf("z%d: no gaps", z)
		}
		got := featureCells(t, l)
		for n, gc := range src.cells {
			f, ok := got[cells[n]]
			if !ok {
				// Only cells meeting the tile are drawn.
				if geo.CellPolygon(geo.Cell(gc.Cell)).Bound().Intersects(tile.Bound(float64(Buffer) / Extent)) {
					t.Errorf("z%d: cell %s missing", z, cells[n])
				}
				continue
			}
			if f.Props["demand"].(float64) != gc.Demand || f.Props["riders"].(int64) != gc.Riders ||
				f.Props["zone"].(int64) != 11 || f.Props["zone_rank"].(int64) != int64(n+1) {
				t.Errorf("z%d cell %s: %v", z, cells[n], f.Props)
			}
			if _, has := f.Props["nearest_site_m"]; has != (gc.NearestM >= 0) {
				t.Errorf("z%d cell %s: nearest_site_m %v", z, cells[n], f.Props)
			}
		}
		if len(got) > len(src.cells) {
			t.Errorf("z%d: %d cells drawn, the source has %d", z, len(got), len(src.cells))
		}
	}
	// The planner's tiles ask for the non-admin view, the hours and the
	// analysable metric (pings analyse as rider-hours).
	src.mu.Lock()
	asked := slices.Clone(src.asked)
	src.mu.Unlock()
	if len(asked) == 0 || asked[0] != "[11 12 13 35 36 37 59 60 61 83 84 85 107 108 109 131 132 133 155 156 157]|rider_hours|false" {
		t.Errorf("asked %v", asked)
	}
}

// Without a GapSource the gaps layer is empty: there is no second rule.
func TestGapsTileNoSource(t *testing.T) {
	e := newEnv(t, Options{})
	resp, b := e.get(t, tilePath("gaps", maptile.At(centre, 14), ""), nil)
	if resp.StatusCode != 204 {
		t.Errorf("gaps without a source: %d %q, want 204", resp.StatusCode, b)
	}
}

func TestFeatureLayers(t *testing.T) {
	e := newEnv(t, Options{})
	for _, z := range []maptile.Zoom{8, 12, 15} {
		tile := maptile.At(centre, z)
		areas, _ := e.tileLayer(t, tilePath("areas", tile, "hours=lunch"), nil)
		if areas == nil || len(areas.Features) != 2 {
			t.Fatalf("z%d areas: %+v", z, areas)
		}
		for _, f := range areas.Features {
			if f.Props["code"] == "310104" && (f.Props["name"] != "徐汇区" || f.Props["name_en"] != "Xuhui" || f.Props["level"] != "district") {
				t.Errorf("district props %v", f.Props)
			}
			if _, ok := f.Geom.(orb.Polygon); !ok {
				t.Errorf("area geometry %T", f.Geom)
			}
			// Clipped to the tile plus buffer.
			for _, r := range f.Geom.(orb.Polygon) {
				for _, p := range r {
					if p[0] < -Buffer || p[0] > Extent+Buffer || p[1] < -Buffer || p[1] > Extent+Buffer {
						t.Fatalf("z%d: vertex %v outside the buffer", z, p)
					}
				}
			}
		}
		grids, _ := e.tileLayer(t, tilePath("grids", tile, ""), nil)
		if grids == nil || len(grids.Features) != 1 || grids.Features[0].Props["manager"] != "王" || grids.Features[0].Props["target"] != int64(3) {
			t.Fatalf("z%d grids: %+v", z, grids)
		}
		sites, _ := e.tileLayer(t, tilePath("sites", maptile.At(orb.Point{121.396, 31.25}, z), ""), nil)
		if sites == nil {
			t.Fatalf("z%d: no sites", z)
		}
		for _, f := range sites.Features {
			if _, ok := f.Geom.(orb.Point); !ok {
				t.Errorf("site geometry %T", f.Geom)
			}
			if f.Props["id"] == "S1" && (f.Props["amenities"] != "water,charging" || f.Props["capacity"] != int64(10) || f.Props["kind"] != "rest_station") {
				t.Errorf("site S1 props %v", f.Props)
			}
		}
	}
	// The district polygon at z15: a tile inside it has the polygon as the
	// buffered square.
	tile := maptile.At(orb.Point{121.43, 31.28}, 15)
	areas, _ := e.tileLayer(t, tilePath("areas", tile, ""), nil)
	if areas == nil || len(areas.Features) != 1 {
		t.Fatalf("inside-district tile: %+v", areas)
	}
	if a := surveyor(areas.Features[0].Geom.(orb.Polygon)[0]); a != float64((Extent+2*Buffer)*(Extent+2*Buffer)) {
		t.Errorf("clipped district area %v, want the buffered tile", a)
	}
}

func TestTileJSON(t *testing.T) {
	e := newEnv(t, Options{PublicURL: "https://maps.example.org/"})
	resp, b := e.get(t, "/tiles/activity.json?hours=lunch&metric=riders&x=1", map[string]string{"X-Forwarded-Proto": "http", "Host": "evil.example"})
	if resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	var tj TileJSON
	if err := json.Unmarshal(b, &tj); err != nil {
		t.Fatal(err)
	}
	wantURL := "https://maps.example.org/tiles/activity/{z}/{x}/{y}.mvt?hours=11-13%2C35-37%2C59-61%2C83-85%2C107-109%2C131-133%2C155-157&metric=riders"
	if tj.TileJSON != "3.0.0" || len(tj.Tiles) != 1 || tj.Tiles[0] != wantURL || tj.MinZoom != 0 || tj.MaxZoom != 16 {
		t.Errorf("tilejson %+v\nwant tile URL %s", tj, wantURL)
	}
	if tj.Bounds[0] > 121.396 || tj.Bounds[2] < 121.43 || tj.Bounds[1] > 31.246 || tj.Bounds[3] < 31.27 {
		t.Errorf("bounds %v do not hold the data", tj.Bounds)
	}
	if len(tj.VectorLayers) != 1 || tj.VectorLayers[0].ID != "activity" || tj.VectorLayers[0].Fields["riders"] != "Number" ||
		tj.VectorLayers[0].Fields["cell"] != "String" || !strings.Contains(tj.Name, "Rider activity") || !strings.Contains(tj.Name, "骑手") {
		t.Errorf("tilejson %+v", tj)
	}
	if cc, v := resp.Header.Get("Cache-Control"), resp.Header.Get("Vary"); !strings.HasPrefix(cc, "private") || !strings.Contains(v, "Cookie") {
		t.Errorf("tilejson Cache-Control %q Vary %q: want private, varying on the credentials", cc, v)
	}
	// Without HEXCOVER_PUBLIC_URL the URLs are root-relative, never from Host.
	e2 := newEnv(t, Options{})
	_, b = e2.get(t, "/tiles/sites.json", map[string]string{"Host": "evil.example"})
	if err := json.Unmarshal(b, &tj); err != nil || tj.MaxZoom != 22 || !strings.HasPrefix(tj.Tiles[0], "/tiles/sites/") {
		t.Errorf("sites tilejson %s (%v)", b, err)
	}
}

// The in-memory index lists exactly the cells with data that geo.CellsInBound
// lists, for bounds of every size around the fixture; at a version the
// database has moved past it is not used, and tiles still come out right.
func TestHexIndex(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	ver, err := e.svc.data.version(ctx, LayerActivity)
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []int{7, 8, 9, 10} {
		idx, err := e.svc.data.hexIndex(ctx, res, ver, DefaultIndexCells)
		if err != nil || idx == nil {
			t.Fatalf("res %d: index %v, %v", res, idx, err)
		}
		stored := storedAggregates(t, e.st, res, nil)
		if len(idx.cells) != len(stored) {
			t.Fatalf("res %d: %d cells in the index, %d stored", res, len(idx.cells), len(stored))
		}
		for i := range idx.cells {
			c := &idx.cells[i]
			a := stored[c.name]
			if c.stat.Pings != a.pings || int64(c.stat.Riders) != a.riders || c.stat.RiderSeconds != a.riderSeconds || idx.find(c.stat.Cell) != i {
				t.Fatalf("res %d cell %s: %+v, want %+v", res, c.name, c.stat, a)
			}
		}
		for i := range 400 {
			// Boxes from 20 m to 8 km around the fixture.
			w := 0.0002 * math.Pow(1.02, float64(i%200))
			cx := 121.39 + 0.05*float64((i*37)%101)/100
			cy := 31.24 + 0.04*float64((i*53)%97)/96
			q := orb.Bound{Min: orb.Point{cx - w, cy - w*0.7}, Max: orb.Point{cx + w, cy + w*0.7}}
			cells, err := geo.CellsInBound(q, res)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, c := range cells {
				if _, ok := stored[c.String()]; ok {
					want = append(want, c.String())
				}
			}
			var got []string
			for _, k := range idx.query(q, nil) {
				got = append(got, idx.cells[k].name)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("res %d bound %v:\n got %v\nwant %v", res, q, got, want)
			}
		}
	}
	// A version the database no longer has: no index, nothing kept.
	if idx, err := e.svc.data.hexIndex(ctx, 10, "activity:999", DefaultIndexCells); err != nil || idx != nil {
		t.Fatalf("stale version: index %v, %v", idx, err)
	}
	e.svc.data.mu.Lock()
	_, kept := e.svc.data.hex[10]
	e.svc.data.mu.Unlock()
	if !kept {
		t.Error("the index of the current version was not kept")
	}
	// Without an index (H3 and the database, as before) the tile is the same.
	tile := maptile.At(centre, 15)
	data, _, err := e.svc.data.dataBounds(ctx, LayerActivity, ver)
	if err != nil {
		t.Fatal(err)
	}
	for _, hours := range [][]int16{nil, {11, 12}} {
		f := Filter{Metric: model.MetricRiderHours, Hours: hours}
		with, err := e.svc.buildHex(ctx, LayerActivity, tile, f, model.Viewer{}, ver, data)
		if err != nil {
			t.Fatal(err)
		}
		e.svc.data.mu.Lock()
		e.svc.data.hex[10] = hexEntry{ver: ver} // as if too many cells to keep
		e.svc.data.mu.Unlock()
		without, err := e.svc.buildHex(ctx, LayerActivity, tile, f, model.Viewer{}, ver, data)
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Invalidate()
		a, _ := gunzip(with)
		b, _ := gunzip(without)
		if len(a) == 0 || string(a) != string(b) {
			t.Errorf("hours %v: tile with the index (%d bytes) differs from the tile without (%d bytes)", hours, len(a), len(b))
		}
	}
}

// A service whose cell budget is too small for a resolution serves it as
// before, from H3 and the database, with the same bytes.
func TestHexIndexBudget(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	small := New(e.st, Options{IndexCells: 5})
	tile := maptile.At(centre, 15)
	for _, svc := range []*Service{e.svc, small} {
		ver, err := svc.data.version(ctx, LayerActivity)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := svc.data.hexIndex(ctx, 10, ver, svc.o.IndexCells)
		if err != nil || (idx == nil) != (svc == small) {
			t.Fatalf("budget %d: index %v, %v", svc.o.IndexCells, idx != nil, err)
		}
	}
	ver, _ := e.svc.data.version(ctx, LayerActivity)
	data, _, _ := e.svc.data.dataBounds(ctx, LayerActivity, ver)
	f := Filter{Metric: model.MetricRiderHours}
	a, err := e.svc.buildHex(ctx, LayerActivity, tile, f, model.Viewer{}, ver, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := small.buildHex(ctx, LayerActivity, tile, f, model.Viewer{}, ver, data)
	if err != nil {
		t.Fatal(err)
	}
	ra, _ := gunzip(a)
	rb, _ := gunzip(b)
	if len(ra) == 0 || string(ra) != string(rb) {
		t.Errorf("tile with the index (%d bytes) differs from the tile without (%d bytes)", len(ra), len(rb))
	}
}

func mustCell(t *testing.T, s string) int64 {
	t.Helper()
	var c uint64
	if _, err := fmt.Sscanf(s, "%x", &c); err != nil {
		t.Fatal(err)
	}
	return int64(c)
}
