package ingest

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// endless yields prefix, then body repeated forever, counting what it gave.
type endless struct {
	prefix, body []byte
	pos          int
	n            int64
}

func (e *endless) Read(p []byte) (int, error) {
	k := 0
	for k < len(p) {
		var src []byte
		if e.pos < len(e.prefix) {
			src = e.prefix[e.pos:]
		} else {
			src = e.body[(e.pos-len(e.prefix))%len(e.body):]
		}
		c := copy(p[k:], src)
		k += c
		e.pos += c
	}
	e.n += int64(k)
	return k, nil
}

// TestReadersStopAtRecordCap: a record, line or feature that never ends
// fails the file once the cap is passed; the reader consumes at most the
// cap plus its buffers, so it never holds more than that.
func TestReadersStopAtRecordCap(t *testing.T) {
	lim := Limits{MaxRecordBytes: 4 << 10, MaxFeatureBytes: 64 << 10}.OrDefault()
	const slack = 256 << 10 // the readers' buffers
	cases := []struct {
		name, want string
		f          Format
		in         *endless
		read       func(io.Reader) error
	}{
		{"CSV line", "line 3: a record is longer than 4 KiB (HEXCOVER_INGEST_MAX_RECORD)", CSV,
			&endless{prefix: []byte(hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt,\nr"), body: []byte("aaaaaaaa")}, nil},
		{"CSV quoted field over many lines", "line 3: a record is longer than 4 KiB", CSV,
			&endless{prefix: []byte(hdr + "\n\"r"), body: []byte("a\n")}, nil},
		{"CSV after a bare quote", "line 3: a record is longer than 4 KiB", CSV,
			&endless{prefix: []byte(hdr + "r\"1,\"x\n\"r"), body: []byte("a\n")}, nil},
		{"NDJSON line", "line 2: the line is longer than 4 KiB (HEXCOVER_INGEST_MAX_RECORD)", NDJSON,
			&endless{prefix: []byte(`{"rider_id":"r1"}` + "\n" + `{"rider_id":"`), body: []byte("aaaaaaaa")}, nil},
		{"GeoJSON property", "feature 2 is larger than 64 KiB (HEXCOVER_INGEST_MAX_FEATURE)", GeoJSON,
			&endless{prefix: []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":null},{"type":"Feature","properties":{"rider_id":"`), body: []byte("aaaaaaaa")}, nil},
		{"GeoJSON coordinates", "feature 1 is larger than 64 KiB", GeoJSON,
			&endless{prefix: []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[1`), body: []byte("11111111")}, nil},
		{"GeoJSON member before the features", "a member of the top-level object is larger than 64 KiB", GeoJSON,
			&endless{prefix: []byte(`{"type":"FeatureCollection","name":"`), body: []byte("aaaaaaaa")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := readPings(c.in, "in", c.f, testPZ(t), PingOptions{Limits: lim},
				func(int, model.Ping) error { return nil }, func(Reject) error { return nil })
			if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got error %v, want the limit error %q", err, c.want)
			}
			if max := int64(lim.MaxFeatureBytes) + slack; c.in.n > max {
				t.Errorf("the reader consumed %d bytes before failing, want at most %d", c.in.n, max)
			}
		})
	}
	// Sites (CSV and GeoJSON), areas and grids share the readers.
	site := &endless{prefix: []byte("id,kind,name,lat,lng\nx"), body: []byte("abcdefgh")}
	err := ReadSites(site, "s.csv", CSV, SiteOptions{Limits: lim}, func(model.Site) error { return nil }, func(Reject) error { return nil })
	if !errors.Is(err, ErrLimit) || site.n > int64(lim.MaxRecordBytes)+slack {
		t.Errorf("sites CSV: error %v after %d bytes, want a limit error", err, site.n)
	}
	area := &endless{prefix: []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"name":"`), body: []byte("普陀区")}
	err = readAreas(area, "a.geojson", GeoJSON, geo.WGS84, lim, func(model.Area) error { return nil }, func(Reject) error { return nil })
	if !errors.Is(err, ErrLimit) || area.n > int64(lim.MaxFeatureBytes)+slack {
		t.Errorf("areas: error %v after %d bytes, want a limit error", err, area.n)
	}
}

// TestRecordCapKeepsShorterRecords: records up to the cap (also quoted,
// multi-line, and after syntax errors) read as before.
func TestRecordCapKeepsShorterRecords(t *testing.T) {
	lim := Limits{MaxRecordBytes: 256}
	long := strings.Repeat("x", 200)
	in := "rider_id,ts,lat,lng,platform,note\n" +
		"r1,2024-05-01T08:00:00Z,31.2,121.4,mt," + long[:150] + "\n" +
		"\"r2\",2024-05-01T08:00:00Z,31.2,121.4,\"m\"\"t\",\"" + long[:50] + "\n" + long[:50] + "\"\n" +
		"r\"3,x\n" + // a bare quote: rejected, the rest of the line skipped
		"r4,2024-05-01T08:00:00Z,31.2,121.4,mt,\"a\"b\n" + // text after a closing quote
		"r5,2024-05-01T08:00:00Z,31.2,121.4,mt,\"" + long + "\"\r\n"
	var ok []linePing
	var rej []Reject
	err := readPings(strings.NewReader(in), "in.csv", CSV, testPZ(t), PingOptions{Limits: lim},
		func(line int, p model.Ping) error { ok = append(ok, linePing{line, p}); return nil },
		func(r Reject) error { rej = append(rej, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if got := lines(ok); !equalInts(got, []int{2, 3, 7}) {
		t.Errorf("accepted lines %v, want [2 3 7]", got)
	}
	checkRejects(t, rej, []wantReject{{5, "malformed CSV"}, {6, "malformed CSV"}})

	// One byte more than the cap fails.
	hdr := "rider_id,ts,lat,lng,platform,note\n"
	over := hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt," + strings.Repeat("x", 256-38+1) + "\n"
	_, _, err = collect(t, over, CSV, PingOptions{Limits: lim})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("a record of 257 bytes: got %v, want a limit error", err)
	}
	exact := hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt," + strings.Repeat("x", 256-38) + "\n"
	if ok, _, err := collect(t, exact, CSV, PingOptions{Limits: lim}); err != nil || len(ok) != 1 {
		t.Errorf("a record of exactly 256 bytes: %d pings, error %v; want it read", len(ok), err)
	}
}

// TestFieldCaps: fields, ids and properties over their caps, invalid UTF-8
// and NUL characters reject their row with its line, in every format.
func TestFieldCaps(t *testing.T) {
	rider300 := strings.Repeat("r", 300)
	long := strings.Repeat("x", 5000)
	o := PingOptions{Limits: Limits{MaxIDBytes: 128, MaxFieldBytes: 4096}}
	t.Run("CSV", func(t *testing.T) {
		in := hdr +
			rider300 + ",2024-05-01T08:00:00Z,31.2,121.4,mt,\n" +
			"r1,2024-05-01T08:00:00Z,31.2,121.4,mt," + long + "\n" +
			"r\xff,2024-05-01T08:00:00Z,31.2,121.4,mt,\n" +
			"r1,2024-05-01T08:00:00Z,31.2,121.4,m\x00t,\n" +
			"r1,2024-05-01T08:00:00Z,31.2,121.4,mt,\xc3\x28\n" +
			strings.Repeat("r", 128) + ",2024-05-01T08:00:00Z,31.2,121.4,mt,idle\n"
		ok, rej, err := collect(t, in, CSV, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(ok); !equalInts(got, []int{7}) {
			t.Errorf("accepted lines %v, want [7]", got)
		}
		checkRejects(t, rej, []wantReject{
			{2, "rider_id is 300 bytes, longer than 128 (HEXCOVER_INGEST_MAX_ID)"},
			{3, "status is 5000 bytes, longer than 4096 (HEXCOVER_INGEST_MAX_FIELD)"},
			{4, "rider_id is not valid UTF-8"},
			{5, "platform holds a NUL character"},
			{6, "status is not valid UTF-8"},
		})
	})
	t.Run("CSV columns", func(t *testing.T) {
		wide := strings.TrimSuffix(hdr, "\n") + strings.Repeat(",x", 300) + "\n"
		_, _, err := collect(t, wide, CSV, o)
		if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "306 columns, more than 256 (HEXCOVER_INGEST_MAX_COLUMNS)") {
			t.Errorf("got %v, want the columns limit", err)
		}
	})
	t.Run("NDJSON", func(t *testing.T) {
		in := `{"rider_id":"` + rider300 + `","ts":1714521600,"lat":31.2,"lng":121.4}` + "\n" +
			`{"rider_id":"r1","ts":1714521600,"lat":31.2,"lng":121.4,"status":"` + long + `"}` + "\n" +
			`{"rider_id":"r` + "\xff" + `","ts":1714521600,"lat":31.2,"lng":121.4}` + "\n" +
			`{"rider_id":"r1","ts":1714521600,"lat":31.2,"lng":121.4,"platform":"m\u0000t"}` + "\n" +
			`{"rider_id":"r1","ts":1714521600,"lat":31.2,"lng":121.4}` + "\n"
		ok, rej, err := collect(t, in, NDJSON, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(ok); !equalInts(got, []int{5}) {
			t.Errorf("accepted lines %v, want [5]", got)
		}
		checkRejects(t, rej, []wantReject{
			{1, "rider_id is 300 bytes, longer than 128"},
			{2, "status is 5002 bytes, longer than 4096"},
			{3, "line is not valid UTF-8"},
			{4, "platform holds a NUL character"},
		})
	})
	t.Run("GeoJSON", func(t *testing.T) {
		pt := `{"type":"Point","coordinates":[121.4,31.2]}`
		in := collection(
			feat(pt, `{"rider_id":"`+rider300+`","ts":1714521600}`),
			feat(pt, `{"rider_id":"r1","ts":1714521600,"note":"`+long+`"}`),
			feat(pt, `{"rider_id":"r`+"\xff"+`","ts":1714521600}`),
			feat(pt, `{"rider_id":"r1","ts":1714521600,"status":"\u0000"}`),
			feat(pt, `{"rider_id":"r1","ts":1714521600}`),
		)
		ok, rej, err := collect(t, in, GeoJSON, o)
		if err != nil {
			t.Fatal(err)
		}
		if got := lines(ok); !equalInts(got, []int{5}) {
			t.Errorf("accepted features %v, want [5]", got)
		}
		checkRejects(t, rej, []wantReject{
			{1, "rider_id is 300 bytes, longer than 128"},
			{2, `property "note" is 5002 bytes, longer than 4096`},
			{3, "feature is not valid UTF-8"},
			{4, "status holds a NUL character"},
		})
	})
	t.Run("areas, grids and sites", func(t *testing.T) {
		var rej []Reject
		collectRej := func(r Reject) error { rej = append(rej, r); return nil }
		areas := collection(
			feat(poly(square), `{"code":"`+rider300+`","name":"x","level":"district"}`),
			feat(poly(square), `{"code":"a","name":"\u0000","level":"district"}`),
		)
		if err := ReadAreas(strings.NewReader(areas), "a", GeoJSON, geo.WGS84, func(model.Area) error { return nil }, collectRej); err != nil {
			t.Fatal(err)
		}
		grids := collection(feat(poly(square), `{"code":"g","manager":"`+long[:4000]+"\xff"+`"}`))
		if err := ReadGrids(strings.NewReader(grids), "g", GeoJSON, geo.WGS84, func(model.Grid) error { return nil }, collectRej); err != nil {
			t.Fatal(err)
		}
		sites := "id,kind,name,lat,lng\n" + rider300 + ",branch,x,31.2,121.4\ns2,branch,\"a\xffb\",31.2,121.4\n"
		if err := ReadSites(strings.NewReader(sites), "s", CSV, SiteOptions{}, func(model.Site) error { return nil }, collectRej); err != nil {
			t.Fatal(err)
		}
		checkRejects(t, rej, []wantReject{
			{1, "code is 300 bytes, longer than 128"},
			{2, "name holds a NUL character"},
			{1, "feature is not valid UTF-8"},
			{2, "id is 300 bytes, longer than 128"},
			{3, "name is not valid UTF-8"},
		})
	})
}

// gzipMembers writes a gzip file of header, then body n times, as
// concatenated gzip members: a file of a few hundred KiB can hold GiBs.
func gzipMembers(t *testing.T, path string, header string, body []byte, n int) {
	t.Helper()
	var member bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	var out bytes.Buffer
	zw = gzip.NewWriter(&out)
	zw.Write([]byte(header))
	zw.Close()
	for i := 0; i < n; i++ {
		out.Write(member.Bytes())
	}
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSourceLimits: a gzip bomb fails on its ratio once past 16 MiB; any
// file fails past MaxFileBytes.
func TestSourceLimits(t *testing.T) {
	dir := t.TempDir()
	bomb := filepath.Join(dir, "bomb.csv.gz")
	row := []byte("r1,2024-05-01T08:00:00Z,31.2,121.4\n")
	gzipMembers(t, bomb, "rider_id,ts,lat,lng\n", bytes.Repeat(row, (1<<20)/len(row)), 1024) // 1 GiB
	src, err := OpenContext(t.Context(), bomb, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	n, err := io.Copy(io.Discard, src)
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "HEXCOVER_INGEST_MAX_RATIO") {
		t.Fatalf("got %v after %d bytes, want the ratio limit", err, n)
	}
	if n > 17<<20 {
		t.Errorf("read %d bytes of the bomb, want it stopped just past 16 MiB", n)
	}

	plain := filepath.Join(dir, "big.csv")
	os.WriteFile(plain, bytes.Repeat(row, 100), 0o644)
	for _, c := range []struct {
		max  int64
		fail bool
	}{{int64(len(row)) * 100, false}, {int64(len(row))*100 - 1, true}} {
		src, err := OpenContext(t.Context(), plain, Limits{MaxFileBytes: c.max})
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(io.Discard, src)
		src.Close()
		if !c.fail && src.SHA256() == "" {
			t.Error("a file read to its end has no SHA-256")
		}
		if c.fail != errors.Is(err, ErrLimit) || c.fail && !strings.Contains(err.Error(), "HEXCOVER_INGEST_MAX_BYTES") {
			t.Errorf("MaxFileBytes %d: got %v, want failure %v", c.max, err, c.fail)
		}
	}
}

// BenchmarkCSVLimiter: the record scanner under the CSV reader, alone, on
// a typical pings file (its cost beside the parse, in MB/s).
func BenchmarkCSVLimiter(b *testing.B) {
	data := pingsCSV(50_000)
	b.SetBytes(int64(len(data)))
	buf := make([]byte, 64<<10)
	for b.Loop() {
		l := newCSVLimiter(bytes.NewReader(data), "bench", 64<<10)
		for {
			if _, err := l.Read(buf); err != nil {
				break
			}
		}
	}
}
