package ingest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// event is one accepted (ok) or rejected row.
type event struct {
	line int
	ok   bool
}

// checkPing asserts the invariants of an accepted ping.
func checkPing(t *testing.T, p model.Ping) {
	t.Helper()
	if math.IsNaN(p.Lat) || math.IsInf(p.Lat, 0) || math.IsNaN(p.Lng) || math.IsInf(p.Lng, 0) ||
		p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180 {
		t.Fatalf("accepted ping with bad coordinates %v, %v", p.Lat, p.Lng)
	}
	if len(p.Rider) != 64 {
		t.Fatalf("accepted ping with rider %q, want a 64-character pseudonym", p.Rider)
	}
	if p.Time.Before(defaultMinTime) || p.Time.After(time.Now().Add(25*time.Hour)) {
		t.Fatalf("accepted ping at %v, outside the window", p.Time)
	}
	for _, s := range []string{p.Platform, p.Status} {
		if len(s) > 128 || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			t.Fatalf("accepted ping with platform %q, status %q: not short valid UTF-8 text without NUL", p.Platform, p.Status)
		}
	}
}

// fuzzLimits are small enough for fuzzed inputs to pass them.
var fuzzLimits = Limits{MaxRecordBytes: 256, MaxFeatureBytes: 1024, MaxFieldBytes: 48, MaxIDBytes: 12, MaxColumns: 8}

// readEvents reads pings and returns every row event in order.
func readEvents(t *testing.T, data []byte, f Format, crs geo.CRS) ([]event, error) {
	return readEventsLimited(t, data, f, crs, Limits{})
}

func readEventsLimited(t *testing.T, data []byte, f Format, crs geo.CRS, lim Limits) ([]event, error) {
	var evs []event
	pz := testPZ(t)
	err := readPings(bytes.NewReader(data), "fuzz", f, pz, PingOptions{CRS: crs, Limits: lim},
		func(line int, p model.Ping) error {
			checkPing(t, p)
			evs = append(evs, event{line, true})
			return nil
		},
		func(r Reject) error {
			if r.Reason == "" || len(r.Raw) > maxRaw || r.File != "fuzz" {
				t.Fatalf("bad reject %+v", r)
			}
			evs = append(evs, event{r.Line, false})
			return nil
		})
	for i := 1; i < len(evs); i++ {
		if evs[i].line <= evs[i-1].line {
			t.Fatalf("row events out of order or repeated: %+v", evs)
		}
	}
	if len(evs) > 0 && evs[0].line < 1 {
		t.Fatalf("line %d < 1", evs[0].line)
	}
	return evs, err
}

// csvRecords counts the rows after the header as encoding/csv sees them
// (a syntax error is one row), or -1 when the header cannot be read.
func csvRecords(data []byte) int {
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return -1
	}
	n := 0
	for {
		_, err := r.Read()
		if err == io.EOF {
			return n
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return -1
		}
		n++
	}
}

func FuzzReadPingsCSV(f *testing.F) {
	f.Add([]byte(hdr + "r1,2024-05-01T08:00:00+08:00,31.23,121.47,mt,idle\n"))
	f.Add([]byte("\ufefflng,LAT,time,rider_id\r\n121.4,31.2,1714521600123,r\r\n0,0,1714521600,r\r\n"))
	f.Add([]byte(hdr + strings.Repeat("r", 20) + ",2024-05-01T08:00:00Z,31.2,121.4,mt," + strings.Repeat("s", 300) + "\n"))
	f.Add([]byte(hdr + "\"r,1\",2024-05-01T08:00:00.5Z,\"31.2\",121.4,\"m\"\"t\",\"a\nb\"\nx,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, crs := range []geo.CRS{geo.WGS84, geo.GCJ02} {
			evs, err := readEvents(t, data, CSV, crs)
			if err != nil {
				if len(evs) != 0 {
					t.Fatalf("file-level error %v after %d rows", err, len(evs))
				}
				continue
			}
			if want := csvRecords(data); len(evs) != want {
				t.Fatalf("got %d row events, want %d (one per row)", len(evs), want)
			}
		}
		// With small limits: a limit error only when a record (as
		// encoding/csv reads it) or the header passes one.
		_, err := readEventsLimited(t, data, CSV, geo.WGS84, fuzzLimits)
		longest, cols, name := csvLongestRecord(data)
		if errors.Is(err, ErrLimit) && longest <= fuzzLimits.MaxRecordBytes && cols <= fuzzLimits.MaxColumns && name <= fuzzLimits.MaxFieldBytes {
			t.Fatalf("limit error %v, but the longest record is %d bytes and the header %d columns, the longest name %d bytes", err, longest, cols, name)
		}
		if err == nil && longest > fuzzLimits.MaxRecordBytes+2 {
			t.Fatalf("no limit error (%v), but a record is %d bytes", err, longest)
		}
	})
}

// csvLongestRecord returns the length of the longest record as
// encoding/csv reads it (with its line end), the header's fields and the
// length of its longest name.
func csvLongestRecord(data []byte) (longest, cols, name int) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	var last int64
	for i := 0; ; i++ {
		rec, err := r.Read()
		if err == io.EOF {
			return longest, cols, name
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return longest, cols, name
		}
		if i == 0 {
			cols = len(rec)
			for _, f := range rec {
				name = max(name, len(f))
			}
		}
		longest = max(longest, int(r.InputOffset()-last))
		last = r.InputOffset()
	}
}

func FuzzReadPingsNDJSON(f *testing.F) {
	f.Add([]byte(`{"rider_id":"r1","ts":"2024-05-01T08:00:00+08:00","lat":31.23,"lng":121.47}` + "\n\n[1]\n"))
	f.Add([]byte(`{"rider_id":7,"ts":1714521600,"lat":"31.2","lon":"121.4"}` + "\r\n{\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := readEvents(t, data, NDJSON, geo.WGS84)
		if err != nil {
			t.Fatalf("NDJSON error %v, want rejects only", err)
		}
		want := 0
		for i, l := range bytes.Split(data, []byte("\n")) {
			if i == 0 {
				l = bytes.TrimPrefix(l, []byte("\ufeff"))
			}
			if len(bytes.TrimSpace(l)) > 0 {
				want++
			}
		}
		if len(evs) != want {
			t.Fatalf("got %d row events, want %d (one per non-blank line)", len(evs), want)
		}
		// With small limits: a limit error exactly when a line passes the
		// record limit; rejects otherwise.
		_, err = readEventsLimited(t, data, NDJSON, geo.WGS84, fuzzLimits)
		longest := 0
		for _, l := range bytes.Split(data, []byte("\n")) {
			longest = max(longest, len(bytes.TrimSpace(l)))
		}
		if (longest > fuzzLimits.MaxRecordBytes+3) && !errors.Is(err, ErrLimit) || longest <= fuzzLimits.MaxRecordBytes && err != nil {
			t.Fatalf("longest line %d bytes, limit %d: error %v", longest, fuzzLimits.MaxRecordBytes, err)
		}
	})
}

// geojsonFeatures counts the features of a well-formed FeatureCollection
// independently of readFeatures, or -1.
func geojsonFeatures(data []byte) int {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return -1
	}
	var fs []json.RawMessage
	if err := json.Unmarshal(top["features"], &fs); err != nil {
		return -1
	}
	return len(fs)
}

func FuzzReadGeoJSON(f *testing.F) {
	f.Add([]byte(collection(feat(poly(square), `{"code":"a","name":"x","level":"street","parent_code":"p","rider_id":"r","ts":1714521600,"id":"s","kind":"branch"}`))))
	f.Add([]byte(collection(feat(`{"type":"Point","coordinates":[121.4,31.2]}`, `{"code":"a","name":"x","level":"district","rider_id":"r","ts":"2024-05-01T08:00:00Z","id":1,"kind":"branch","amenities":["a"]}`), `7`)))
	f.Add([]byte(collection(feat(`{"type":"Point","coordinates":[121.4,31.2]}`, `{"rider_id":"a-rider-id-that-is-too-long","ts":1714521600,"note":"`+strings.Repeat("x", 60)+`"}`))))
	f.Add([]byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"MultiPolygon","coordinates":[[[[1,1],[2,1],[2,2],[1,1]]]]},"properties":{"code":"g","target":"2"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		type run struct {
			name string
			read func(ok func(n int), rej func(Reject) error) error
		}
		var cur []event
		accept := func(n int) { cur = append(cur, event{n, true}) }
		checkRing := func(mp orb.MultiPolygon) {
			for _, p := range mp {
				for _, r := range p {
					if len(r) < 4 || r[0] != r[len(r)-1] {
						t.Fatalf("accepted ring %v", r)
					}
					for _, v := range r {
						if !finite(v[0]) || !finite(v[1]) {
							t.Fatalf("accepted vertex %v", v)
						}
					}
				}
			}
		}
		runs := []run{
			{"pings", func(ok func(int), rej func(Reject) error) error {
				return readPings(bytes.NewReader(data), "fuzz", GeoJSON, testPZ(t), PingOptions{CRS: geo.GCJ02},
					func(n int, p model.Ping) error { checkPing(t, p); ok(n); return nil }, rej)
			}},
			{"areas", func(ok func(int), rej func(Reject) error) error {
				n := 0
				return ReadAreas(bytes.NewReader(data), "fuzz", GeoJSON, geo.BD09, func(a model.Area) error {
					checkRing(a.Geometry)
					if a.Code == "" || a.Name == "" || len(a.Geometry) == 0 {
						t.Fatalf("accepted area %+v", a)
					}
					n++
					ok(-n)
					return nil
				}, rej)
			}},
			{"grids", func(ok func(int), rej func(Reject) error) error {
				n := 0
				return ReadGrids(bytes.NewReader(data), "fuzz", GeoJSON, geo.WGS84, func(g model.Grid) error {
					checkRing(g.Geometry)
					if g.Code == "" || g.Target < 0 {
						t.Fatalf("accepted grid %+v", g)
					}
					n++
					ok(-n)
					return nil
				}, rej)
			}},
			{"sites", func(ok func(int), rej func(Reject) error) error {
				n := 0
				return ReadSites(bytes.NewReader(data), "fuzz", GeoJSON, SiteOptions{CRS: geo.GCJ02}, func(s model.Site) error {
					if !finite(s.Location[0]) || !finite(s.Location[1]) || s.ExtID == "" || s.Name == "" || s.Capacity < 0 {
						t.Fatalf("accepted site %+v", s)
					}
					n++
					ok(-n)
					return nil
				}, rej)
			}},
		}
		want := geojsonFeatures(data)
		for _, r := range runs {
			cur = cur[:0]
			err := r.read(accept, func(j Reject) error {
				if j.Reason == "" || len(j.Raw) > maxRaw {
					t.Fatalf("%s: bad reject %+v", r.name, j)
				}
				cur = append(cur, event{j.Line, false})
				return nil
			})
			// Accepted areas, grids and sites carry no feature number;
			// take it from their position among the events.
			for i := range cur {
				if cur[i].ok && cur[i].line < 0 {
					cur[i].line = i + 1
				}
				if cur[i].line != i+1 {
					t.Fatalf("%s: event %d is for feature %d, want every feature once in order: %+v", r.name, i, cur[i].line, cur)
				}
			}
			if err == nil && len(cur) != want {
				t.Fatalf("%s: got %d feature events, want %d", r.name, len(cur), want)
			}
			if err != nil && !strings.Contains(err.Error(), "malformed GeoJSON") {
				t.Fatalf("%s: unexpected error %v", r.name, err)
			}
		}
		// With small limits: a limit error only for input larger than the
		// feature limit; accepted pings are valid either way.
		evs, err := readEventsLimited(t, data, GeoJSON, geo.WGS84, fuzzLimits)
		if errors.Is(err, ErrLimit) && len(data) <= fuzzLimits.MaxFeatureBytes {
			t.Fatalf("limit error %v for %d bytes of input", err, len(data))
		}
		if err == nil && len(evs) != want {
			t.Fatalf("limited: got %d feature events, want %d", len(evs), want)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-05-01T08:00:00+08:00", "2024-05-01T08:00:00.123456789Z", "2024-02-29T23:59:59-23:59", "0001-01-01T00:00:00Z", "1714521600", "1714521600.5", "1714521600123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parseTime(s)
		got, ok := parseRFC3339Fast(s)
		if !ok {
			return
		}
		want, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatalf("fast path accepted %q, time.Parse: %v", s, err)
		}
		if !got.Equal(want) {
			t.Fatalf("%q: fast path %v, time.Parse %v", s, got, want)
		}
	})
}

// FuzzReadSitesCSV: no panic; every row is accepted or rejected exactly
// once; accepted sites have a known kind and status and finite coordinates.
func FuzzReadSitesCSV(f *testing.F) {
	f.Add([]byte("id,kind,status,name,capacity,amenities,lat,lng\nS1,rest_station,existing,驿站,10,water;charging,31.23,121.47\n"))
	f.Add([]byte("lat,lng,id,name,kind\n31.2,121.4,a,b,fuel_station\n31.2,121.4,a,b,fuel_station\n"))
	f.Add([]byte("\ufeffid,kind,name,lat,lng\r\n\"x,y\",candidate,\"q\"\"\",91,0\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := ReadSites(bytes.NewReader(data), "fuzz.csv", CSV, SiteOptions{CRS: geo.WGS84}, func(s model.Site) error {
			if _, err := model.ParseSiteKind(string(s.Kind)); err != nil {
				t.Fatalf("accepted site with kind %q", s.Kind)
			}
			if _, err := model.ParseSiteStatus(string(s.Status)); err != nil {
				t.Fatalf("accepted site with status %q", s.Status)
			}
			lng, lat := s.Location.Lon(), s.Location.Lat()
			if math.IsNaN(lng) || math.IsNaN(lat) || lat < -90 || lat > 90 || lng < -180 || lng > 180 {
				t.Fatalf("accepted site at %v,%v", lng, lat)
			}
			return nil
		}, func(Reject) error { return nil })
		_ = err // file-level errors (a bad header) are fine; accepted rows must be valid
		// With small limits: accepted sites keep within them.
		lim := fuzzLimits.OrDefault()
		ReadSites(bytes.NewReader(data), "fuzz.csv", CSV, SiteOptions{CRS: geo.WGS84, Limits: lim}, func(s model.Site) error {
			if len(s.ExtID) > lim.MaxIDBytes || len(s.Name) > lim.MaxFieldBytes || !utf8.ValidString(s.ExtID+s.Name) {
				t.Fatalf("accepted site %q, %q past the limits", s.ExtID, s.Name)
			}
			return nil
		}, func(Reject) error { return nil })
	})
}
