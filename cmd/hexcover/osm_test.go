package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hexcover/hexcover/internal/dbtest"
)

// TestIngestOSMFromTheShell imports a tiny extract, again (a no-op), and a
// malformed one (one clear line, exit 1).
func TestIngestOSMFromTheShell(t *testing.T) {
	env := []string{"DATABASE_URL=" + dbtest.NewURL(t)}
	if _, stderr, code := hexcover(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", stderr)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "tiny.osm")
	if err := os.WriteFile(good, []byte(`<?xml version="1.0"?>
<osm version="0.6">
 <node id="1" lat="31.22" lon="121.40"/>
 <node id="2" lat="31.22" lon="121.41"><tag k="amenity" v="fuel"/><tag k="name" v="加油站一"/></node>
 <way id="3"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/><tag k="name" v="测试路"/></way>
</osm>
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, code := hexcover(t, env, "ingest", "osm", good)
	if code != 0 || !strings.Contains(out, "road 1") || !strings.Contains(out, "candidate sites: 1") {
		t.Fatalf("ingest osm: code %d\nstdout %s\nstderr %s", code, out, stderr)
	}
	out, _, code = hexcover(t, env, "ingest", "osm", good)
	if code != 0 || !strings.Contains(out, "already imported") {
		t.Errorf("second import: code %d, %s; want a no-op", code, out)
	}
	bad := filepath.Join(dir, "bad.osm")
	if err := os.WriteFile(bad, []byte("<?xml version=\"1.0\"?>\n<osm>\n<node id=\"1\" lat=\"x\" lon=\"1\"/>\n</osm>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code = hexcover(t, env, "ingest", "osm", bad)
	if code != 1 || !strings.Contains(stderr, "bad.osm line 3") || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
		t.Errorf("malformed: code %d, stderr %q; want exit 1 and one line naming file and line", code, stderr)
	}
}
