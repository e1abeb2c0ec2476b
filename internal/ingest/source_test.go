package ingest

import (
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexcover/hexcover/internal/model"
)

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		name, explicit string
		want           Format
		err            bool
	}{
		{"pings.csv", "", CSV, false},
		{"PINGS.CSV.GZ", "", CSV, false},
		{"/a/b/pings.ndjson", "", NDJSON, false},
		{"pings.jsonl.gz", "", NDJSON, false},
		{"areas.geojson", "", GeoJSON, false},
		{"areas.json.gz", "", GeoJSON, false},
		{"pings.txt", "", "", true},
		{"pings.gz", "", "", true},
		{"pings.txt", "csv", CSV, false},
		{"pings.csv", "NDJSON", NDJSON, false},
		{"pings.csv", "xml", "", true},
	}
	for _, tt := range tests {
		got, err := DetectFormat(tt.name, tt.explicit)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("DetectFormat(%q, %q) = %q, %v; want %q, error %v", tt.name, tt.explicit, got, err, tt.want, tt.err)
		}
	}
}

// sha256sum returns the sha256sum of a file, using the command when it is
// installed.
func sha256sum(t *testing.T, path string) string {
	t.Helper()
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	out, err := exec.Command("sha256sum", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	content := pingsCSV(20_000)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(content)
	zw.Close()
	gzBytes := gz.Bytes()
	files := map[string][]byte{
		"plain.csv":     content,
		"packed.csv.gz": gzBytes,
		"packed.csv":    gzBytes, // detected by magic bytes, not by name
		"plain.csv.gz":  content, // a name does not make it gzip
		"empty.csv":     nil,
		"one.csv":       {0x1f},
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, raw := range files {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.SHA256() != "" {
				t.Errorf("SHA256 before EOF: got %q, want empty", s.SHA256())
			}
			got, err := io.ReadAll(s)
			if err != nil {
				t.Fatal(err)
			}
			want := raw
			if bytes.Equal(raw, gzBytes) {
				want = content
			}
			if !bytes.Equal(got, want) {
				t.Errorf("content: got %d bytes, want %d", len(got), len(want))
			}
			if got, want := s.SHA256(), sha256sum(t, path); got != want {
				t.Errorf("SHA256: got %s, want %s", got, want)
			}
			if got, want := s.BytesRead(), int64(len(raw)); got != want {
				t.Errorf("BytesRead: got %d, want %d", got, want)
			}
			if got, want := s.Size(), int64(len(raw)); got != want {
				t.Errorf("Size: got %d, want %d", got, want)
			}
			if s.Name != path {
				t.Errorf("Name: got %q, want %q", s.Name, path)
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "missing.csv")); err == nil {
		t.Error("Open of a missing file: got no error, want one")
	}
	if _, err := Open(dir); err == nil {
		t.Error("Open of a directory: got no error, want one")
	}
}

func TestOpenGzipPings(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(hdr + "r1,2024-05-01T08:00:00Z,31.2,121.4,mt,\nr2,bad,31.2,121.4,mt,\n"))
	zw.Close()
	path := filepath.Join(dir, "pings.csv.gz")
	os.WriteFile(path, gz.Bytes(), 0o644)
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := DetectFormat(s.Name, "")
	if err != nil {
		t.Fatal(err)
	}
	var ok, rej int
	err = ReadPings(s, s.Name, f, testPZ(t), PingOptions{}, func(model.Ping) error { ok++; return nil }, func(r Reject) error {
		rej++
		if r.Line != 3 || r.File != path {
			t.Errorf("got reject %+v, want line 3 of %s", r, path)
		}
		return nil
	})
	if err != nil || ok != 1 || rej != 1 {
		t.Errorf("got %d pings, %d rejects, error %v; want 1, 1, nil", ok, rej, err)
	}
	if got, want := s.SHA256(), sha256sum(t, path); got != want {
		t.Errorf("SHA256: got %s, want %s", got, want)
	}
}

func TestRejectWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewRejectWriter(&b)
	long := strings.Repeat("é", 600) // 1,200 bytes
	for _, r := range []Reject{
		{File: "a.csv", Line: 2, Reason: `lat "x" is not a number`, Raw: `r1,"a, b",x`},
		{File: "a.csv", Line: 9, Reason: "long", Raw: long},
	} {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"file", "line", "reason", "raw"},
		{"a.csv", "2", `lat "x" is not a number`, `r1,"a, b",x`},
		{"a.csv", "9", "long", strings.Repeat("é", 500)},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records, want %d", len(recs), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if recs[i][j] != want[i][j] {
				t.Errorf("record %d field %d: got %q, want %q", i, j, recs[i][j], want[i][j])
			}
		}
	}

	var empty bytes.Buffer
	w = NewRejectWriter(&empty)
	w.Flush()
	if got := empty.String(); got != "file,line,reason,raw\n" {
		t.Errorf("no rejects: got %q, want the header only", got)
	}
}

func TestRawRow(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{[]string{"a", "b", ""}, "a,b,"},
		{[]string{"a,b", `say "hi"`, " x"}, `"a,b","say ""hi"""," x"`},
		{[]string{strings.Repeat("x", 2000)}, strings.Repeat("x", 1000)},
	}
	for _, tt := range tests {
		if got := rawRow(tt.in); got != tt.want {
			t.Errorf("rawRow(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
