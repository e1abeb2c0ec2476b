package ingest

import (
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

var testSecret = []byte("0123456789abcdef-test-secret")

func testPZ(t testing.TB) *Pseudonymizer {
	t.Helper()
	pz, err := NewPseudonymizer(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	return pz
}

type linePing struct {
	line int
	p    model.Ping
}

// collect reads pings and returns what was accepted and rejected.
func collect(t testing.TB, src string, f Format, o PingOptions) ([]linePing, []Reject, error) {
	t.Helper()
	var ok []linePing
	var rej []Reject
	err := readPings(strings.NewReader(src), "in."+string(f), f, testPZ(t), o,
		func(line int, p model.Ping) error { ok = append(ok, linePing{line, p}); return nil },
		func(r Reject) error { rej = append(rej, r); return nil })
	return ok, rej, err
}

type wantReject struct {
	line   int
	reason string // a substring of the reason
}

func checkRejects(t *testing.T, got []Reject, want []wantReject) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rejects %+v, want %d %+v", len(got), got, len(want), want)
	}
	for i, w := range want {
		if got[i].Line != w.line || !strings.Contains(got[i].Reason, w.reason) {
			t.Errorf("reject %d: got line %d reason %q, want line %d reason containing %q", i, got[i].Line, got[i].Reason, w.line, w.reason)
		}
		if got[i].File == "" {
			t.Errorf("reject %d has no file", i)
		}
	}
}

func lines(ps []linePing) []int {
	var out []int
	for _, p := range ps {
		out = append(out, p.line)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

const hdr = "rider_id,ts,lat,lng,platform,status\n"

func TestReadPingsCSVRejects(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		accepted []int
		rejects  []wantReject
	}{
		{"good row", hdr + "r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n", []int{2}, nil},
		{"too few fields", hdr + "r1,2024-05-01T08:00:00+08:00,31.23\n", nil, []wantReject{{2, "row has 3 fields, header has 6"}}},
		{"too many fields", hdr + "r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle,x\n", nil, []wantReject{{2, "row has 7 fields, header has 6"}}},
		{"empty rider", hdr + " ,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n", nil, []wantReject{{2, "empty rider_id"}}},
		{"bad lat", hdr + "r1,2024-05-01T08:00:00+08:00,abc,121.47,mt,\n", nil, []wantReject{{2, `lat "abc" is not a number`}}},
		{"NaN lat", hdr + "r1,2024-05-01T08:00:00+08:00,NaN,121.47,mt,\n", nil, []wantReject{{2, `lat "NaN" is not finite`}}},
		{"Inf lng", hdr + "r1,2024-05-01T08:00:00+08:00,31.2,+Inf,mt,\n", nil, []wantReject{{2, `lng "+Inf" is not finite`}}},
		{"empty lng", hdr + "r1,2024-05-01T08:00:00+08:00,31.2,,mt,\n", nil, []wantReject{{2, "empty lng"}}},
		{"lat range", hdr + "r1,2024-05-01T08:00:00+08:00,90.5,121.47,mt,\n", nil, []wantReject{{2, "lat 90.5 is outside [-90, 90]"}}},
		{"lng range", hdr + "r1,2024-05-01T08:00:00+08:00,31.2,-180.01,mt,\n", nil, []wantReject{{2, "lng -180.01 is outside [-180, 180]"}}},
		{"null island", hdr + "r1,2024-05-01T08:00:00+08:00,0,0.0,mt,\n", nil, []wantReject{{2, "null island"}}},
		{"bad ts", hdr + "r1,yesterday,31.2,121.4,mt,\n", nil, []wantReject{{2, `ts "yesterday" is not RFC 3339`}}},
		{"bad date", hdr + "r1,2024-02-30T08:00:00+08:00,31.2,121.4,mt,\n", nil, []wantReject{{2, `ts "2024-02-30T08:00:00+08:00" is not RFC 3339`}}},
		{"empty ts", hdr + "r1,,31.2,121.4,mt,\n", nil, []wantReject{{2, "empty ts"}}},
		{"ts too old", hdr + "r1,1999-12-31T23:59:59Z,31.2,121.4,mt,\n", nil, []wantReject{{2, `ts "1999-12-31T23:59:59Z" is outside the accepted window`}}},
		{"ts future", hdr + "r1,2999-01-01T00:00:00Z,31.2,121.4,mt,\n", nil, []wantReject{{2, "outside the accepted window"}}},
		{"bare quote", hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,m\"t,\nr2,2024-05-01T08:00:00Z,31.2,121.4,mt,\n", []int{3}, []wantReject{{2, "malformed CSV"}}},
		{"several rows", hdr +
			"r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n" +
			"r2,2024-05-01T08:00:00+08:00,91,121.47,mt,idle\n" +
			"\n" + // blank line: skipped, still counted
			"r3,1714521600,31.23,121.47,mt,idle\n" +
			"r4,1714521600123,0,0,mt,idle\n",
			[]int{2, 5}, []wantReject{{3, "lat 91"}, {6, "null island"}}},
		{"multi-line quoted field", hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt,\"a\nb\"\nr2,x,31.2,121.4,mt,\n", []int{2}, []wantReject{{4, `ts "x"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rej, err := collect(t, tt.in, CSV, PingOptions{})
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if got := lines(ok); !equalInts(got, tt.accepted) {
				t.Errorf("accepted lines: got %v, want %v", got, tt.accepted)
			}
			checkRejects(t, rej, tt.rejects)
		})
	}
}

func TestReadPingsCSVShapes(t *testing.T) {
	want := model.Ping{Platform: "mt", Time: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Lat: 31.23, Lng: 121.47, Status: "idle"}
	tests := []struct {
		name string
		in   string
	}{
		{"plain", hdr + "r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n"},
		{"BOM header", "\ufeff" + hdr + "r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n"},
		{"CRLF", strings.ReplaceAll(hdr+"r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n", "\n", "\r\n")},
		{"quoted fields", hdr + `"r1","2024-05-01T08:00:00+08:00","31.23","121.47","mt","idle"` + "\n"},
		{"other order", "lng,status,lat,platform,ts,rider_id\n121.47,idle,31.23,mt,2024-05-01T08:00:00+08:00,r1\n"},
		{"extra columns", "speed,rider_id,ts,lat,lng,platform,status,note\n12,r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle,\"a, \"\"b\"\"\"\n"},
		{"aliases and case", " Rider_ID ,TIMESTAMP,Latitude,Lon,Platform,Status\nr1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n"},
		{"alias time longitude", "rider_id,time,lat,longitude,platform,status\nr1,2024-05-01T00:00:00Z,31.23,121.47,mt,idle\n"},
		{"unix seconds", hdr + "r1,1714521600,31.23,121.47,mt,idle\n"},
		{"unix decimal", hdr + "r1,1714521600.000,31.23,121.47,mt,idle\n"},
		{"unix millis", hdr + "r1,1714521600000,31.23,121.47,mt,idle\n"},
		{"fraction", hdr + "r1,2024-05-01T08:00:00.000+08:00,31.23,121.47,mt,idle\n"},
		{"no trailing newline", hdr + "r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle"},
		{"default platform", "rider_id,ts,lat,lng,status\nr1,2024-05-01T08:00:00+08:00,31.23,121.47,idle\n"},
		{"spaces", hdr + "r1 , 2024-05-01T08:00:00+08:00 , 31.23 ,121.47 , mt , idle\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rej, err := collect(t, tt.in, CSV, PingOptions{Platform: "mt"})
			if err != nil || len(rej) != 0 || len(ok) != 1 {
				t.Fatalf("got %d pings, rejects %+v, error %v; want 1 ping", len(ok), rej, err)
			}
			got := ok[0].p
			w := want
			w.Rider = testPZ(t).Rider("mt", "r1")
			if !got.Time.Equal(w.Time) || got.Rider != w.Rider || got.Lat != w.Lat || got.Lng != w.Lng || got.Platform != w.Platform || got.Status != w.Status {
				t.Errorf("got %+v, want %+v", got, w)
			}
			if ok[0].line != 2 {
				t.Errorf("got line %d, want 2", ok[0].line)
			}
		})
	}
}

func TestReadPingsCSVHeader(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"no lat", "rider_id,ts,lng\nr1,2024-05-01T08:00:00Z,121.4\n", "lacks required column(s) lat"},
		{"no lat, no rider", "ts,lng,platform\n2024-05-01T08:00:00Z,121.4,mt\n", "rider_id, lat"},
		{"empty", "", "empty file"},
		{"twice", "rider_id,ts,lat,lng,lon\n", "column lng twice"},
		{"malformed header", "rider_id,\"ts,lat,lng\n", "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := ReadPings(strings.NewReader(tt.in), "x.csv", CSV, testPZ(t), PingOptions{},
				func(model.Ping) error { calls++; return nil }, func(Reject) error { calls++; return nil })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
			if calls != 0 {
				t.Errorf("got %d callbacks before the header error, want 0", calls)
			}
		})
	}
}

func TestReadPingsCallbackError(t *testing.T) {
	stop := errors.New("stop")
	in := hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt,\nr1,2024-05-01T08:00:00Z,31.2,121.4,mt,\n"
	n := 0
	err := ReadPings(strings.NewReader(in), "x.csv", CSV, testPZ(t), PingOptions{}, func(model.Ping) error { n++; return stop }, func(Reject) error { return nil })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("got error %v after %d pings, want %v after 1", err, n, stop)
	}
	err = ReadPings(strings.NewReader(hdr+"r1,x,31.2,121.4,mt,\n"), "x.csv", CSV, testPZ(t), PingOptions{}, func(model.Ping) error { return nil }, func(Reject) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("got error %v from a failing reject callback, want %v", err, stop)
	}
}

func TestReadPingsOptions(t *testing.T) {
	in := hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt,\nr2,2024-06-01T08:00:00Z,39.9,116.4,mt,\n"
	b := orb.Bound{Min: orb.Point{121, 31}, Max: orb.Point{122, 32}}
	ok, rej, err := collect(t, in, CSV, PingOptions{Bounds: &b})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(ok); !equalInts(got, []int{2}) {
		t.Errorf("accepted: got %v, want [2]", got)
	}
	checkRejects(t, rej, []wantReject{{3, "outside the configured area"}})

	ok, rej, err = collect(t, in, CSV, PingOptions{MinTime: time.Date(2024, 5, 15, 0, 0, 0, 0, time.UTC), MaxTime: time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(ok); !equalInts(got, []int{3}) {
		t.Errorf("accepted: got %v, want [3]", got)
	}
	checkRejects(t, rej, []wantReject{{2, "outside the accepted window 2024-05-15T00:00:00Z .. 2024-07-01T00:00:00Z"}})

	if err := ReadPings(strings.NewReader(in), "x.csv", CSV, testPZ(t), PingOptions{CRS: "gcj-02"}, func(model.Ping) error { return nil }, func(Reject) error { return nil }); err == nil {
		t.Error("got no error for an unknown CRS, want one")
	}
	if err := ReadPings(strings.NewReader(in), "x.csv", Format("xml"), testPZ(t), PingOptions{}, func(model.Ping) error { return nil }, func(Reject) error { return nil }); err == nil {
		t.Error("got no error for an unknown format, want one")
	}
}

// haversine is the great-circle distance in metres.
func haversine(a, b orb.Point) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dlat := (b[1] - a[1]) * rad
	dlng := (b[0] - a[0]) * rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a[1]*rad)*math.Cos(b[1]*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func TestReadPingsCRS(t *testing.T) {
	raw := orb.Point{121.4737, 31.2304} // People's Square, Shanghai
	in := hdr + "r1,2024-05-01T08:00:00Z,31.2304,121.4737,mt,\n"
	for _, tt := range []struct {
		crs      geo.CRS
		min, max float64
	}{
		{geo.WGS84, 0, 0},
		{"", 0, 0},
		{geo.GCJ02, 300, 700},
		{geo.BD09, 700, 1500},
	} {
		t.Run(string(tt.crs), func(t *testing.T) {
			ok, rej, err := collect(t, in, CSV, PingOptions{CRS: tt.crs})
			if err != nil || len(rej) > 0 || len(ok) != 1 {
				t.Fatalf("got %d pings, %v rejects, error %v", len(ok), rej, err)
			}
			d := haversine(raw, orb.Point{ok[0].p.Lng, ok[0].p.Lat})
			if d < tt.min || d > tt.max {
				t.Errorf("moved %.0f m from the raw coordinates, want %.0f..%.0f m", d, tt.min, tt.max)
			}
			if tt.crs == geo.GCJ02 {
				// Converting back lands on the input.
				x, y := geo.WGS84ToGCJ02(ok[0].p.Lng, ok[0].p.Lat)
				if d := haversine(raw, orb.Point{x, y}); d > 0.01 {
					t.Errorf("round trip is off by %g m, want < 1 cm", d)
				}
			}
		})
	}
}

func TestReadPingsNDJSON(t *testing.T) {
	in := "\ufeff" + `{"rider_id":"r1","ts":"2024-05-01T08:00:00+08:00","lat":31.23,"lng":121.47,"platform":"mt","status":"idle"}` + "\n" +
		"\n" +
		`{"rider_id":"r2","ts":1714521600,"lat":"31.23","lon":"121.47"}` + "\r\n" +
		`[1,2]` + "\n" +
		`null` + "\n" +
		`{"rider_id":"r3","ts":"x","lat":31,"lng":121}` + "\n" +
		`{"rider_id":"r4","ts":1714521600,"lat":true,"lng":121}` + "\n" +
		`{"rider_id":"r5",` + "\n" +
		`{"rider_id":42,"timestamp":1714521600000,"latitude":31.23,"longitude":121.47}` + "\n" +
		`{"rider_id":"r6","ts":1714521600,"lat":31.23}` + "\n" +
		"   \n" +
		`{"rider_id":"r7","ts":1714521600,"lat":31.23,"lng":121.47}`
	ok, rej, err := collect(t, in, NDJSON, PingOptions{Platform: "ele"})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(ok); !equalInts(got, []int{1, 3, 9, 12}) {
		t.Errorf("accepted lines: got %v, want [1 3 9 12]", got)
	}
	checkRejects(t, rej, []wantReject{
		{4, "not a JSON object"},
		{5, "not a JSON object"},
		{6, `ts "x"`},
		{7, "lat true is not a string or number"},
		{8, "invalid JSON"},
		{10, "empty lng"},
	})
	if len(ok) == 4 {
		pz := testPZ(t)
		for i, w := range []struct{ platform, id string }{{"mt", "r1"}, {"ele", "r2"}, {"ele", "42"}, {"ele", "r7"}} {
			if got := ok[i].p; got.Rider != pz.Rider(w.platform, w.id) || got.Platform != w.platform || got.Lat != 31.23 {
				t.Errorf("ping %d: got %+v, want rider %s/%s at lat 31.23", i, got, w.platform, w.id)
			}
		}
		if !ok[2].p.Time.Equal(time.Unix(1714521600, 0)) {
			t.Errorf("got time %v, want %v", ok[2].p.Time, time.Unix(1714521600, 0).UTC())
		}
	}
}

func TestReadPingsGeoJSON(t *testing.T) {
	in := `{"type":"FeatureCollection","name":"pings","features":[
 {"type":"Feature","geometry":{"type":"Point","coordinates":[121.47,31.23]},"properties":{"rider_id":"r1","ts":"2024-05-01T08:00:00+08:00","platform":"mt","status":"idle"}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[121.47,95]},"properties":{"rider_id":"r2","ts":"2024-05-01T08:00:00+08:00"}},
 {"type":"Feature","geometry":{"type":"LineString","coordinates":[[121.47,31.23],[121,31]]},"properties":{"rider_id":"r3","ts":"2024-05-01T08:00:00+08:00"}},
 {"type":"Feature","geometry":null,"properties":{"rider_id":"r4"}},
 42,
 {"type":"Feature","geometry":{"type":"Point","coordinates":[121.47,31.23,4.5]},"properties":{"rider_id":"r5","ts":1714521600}},
 {"type":"Feature","geometry":{"type":"Point","coordinates":[121.47,31.23]},"properties":null}
],"bbox":[0,0,1,1]}`
	ok, rej, err := collect(t, in, GeoJSON, PingOptions{Platform: "ele"})
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(ok); !equalInts(got, []int{1, 6}) {
		t.Errorf("accepted features: got %v, want [1 6]", got)
	}
	checkRejects(t, rej, []wantReject{
		{2, "lat 95 is outside"},
		{3, `geometry type is "LineString", want Point`},
		{4, "missing geometry"},
		{5, "not a JSON object"},
		{7, "empty rider_id"},
	})
	if len(ok) > 0 && (ok[0].p.Lng != 121.47 || ok[0].p.Lat != 31.23 || ok[0].p.Status != "idle") {
		t.Errorf("got %+v, want lng 121.47, lat 31.23, status idle", ok[0].p)
	}

	for _, bad := range []string{``, `[]`, `{"type":"Feature"}`, `{"type":"FeatureCollection"}`, `{"features":[{"type":"Feature"}`, `{"features":[]} x`, `{"features":{}}`, `{"features":[],"features":[]}`} {
		_, _, err := collect(t, bad, GeoJSON, PingOptions{})
		if err == nil || !strings.Contains(err.Error(), "malformed GeoJSON") {
			t.Errorf("%q: got error %v, want malformed GeoJSON", bad, err)
		}
	}
}

func TestPseudonymizer(t *testing.T) {
	if _, err := NewPseudonymizer([]byte("short")); err == nil || err.Error() != "HEXCOVER_SECRET must be at least 16 bytes" {
		t.Errorf("got error %v for a short secret, want HEXCOVER_SECRET must be at least 16 bytes", err)
	}
	pz := testPZ(t)
	other, _ := NewPseudonymizer([]byte("another secret of 16+ bytes"))
	a := pz.Rider("mt", "13800138000")
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	tests := []struct {
		name string
		got  model.RiderID
		same bool
	}{
		{"deterministic", pz.Rider("mt", "13800138000"), true},
		{"other platform", pz.Rider("ele", "13800138000"), false},
		{"other secret", other.Rider("mt", "13800138000"), false},
		{"other id", pz.Rider("mt", "13800138001"), false},
		{"separator matters", pz.Rider("mt1", "3800138000"), false},
	}
	for _, tt := range tests {
		if (tt.got == a) != tt.same {
			t.Errorf("%s: got %s vs %s, want same=%v", tt.name, tt.got, a, tt.same)
		}
		if !hex64.MatchString(string(tt.got)) {
			t.Errorf("%s: got %q, want 64 lowercase hex characters", tt.name, tt.got)
		}
	}
	if _, err := a.Key(); err != nil {
		t.Errorf("Key: %v", err)
	}

	// The raw id appears nowhere in what the reader hands on.
	in := hdr + "13800138000,2024-05-01T08:00:00Z,31.2,121.4,mt,idle\n"
	ok, _, err := collect(t, in, CSV, PingOptions{})
	if err != nil || len(ok) != 1 {
		t.Fatalf("got %d pings, error %v", len(ok), err)
	}
	p := ok[0].p
	for _, s := range []string{string(p.Rider), p.Platform, p.Status} {
		if strings.Contains(s, "13800138000") {
			t.Errorf("raw id found in output field %q", s)
		}
	}
	if p.Rider != a {
		t.Errorf("got rider %s, want %s", p.Rider, a)
	}
}

func TestPseudonymizerConcurrent(t *testing.T) {
	pz := testPZ(t)
	want := pz.Rider("mt", "r1")
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			ok := true
			for i := 0; i < 1000; i++ {
				ok = ok && pz.Rider("mt", "r1") == want
			}
			done <- ok
		}()
	}
	for g := 0; g < 4; g++ {
		if !<-done {
			t.Error("concurrent Rider gave a different pseudonym")
		}
	}
}

func TestRiderCacheBound(t *testing.T) {
	c := newRiderCache(testPZ(t))
	for i := 0; i < 10; i++ {
		c.rider("mt", strings.Repeat("x", i))
	}
	if len(c.m) != 10 {
		t.Errorf("got %d cached riders, want 10", len(c.m))
	}
	if got, want := c.rider("mt", "xx"), c.pz.Rider("mt", "xx"); got != want {
		t.Errorf("cached rider: got %s, want %s", got, want)
	}
}
