package osm

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadXML: any bytes given as an .osm file either read or fail with an
// error that names the file; never a panic.
func FuzzReadXML(f *testing.F) {
	var good bytes.Buffer
	if err := WriteXML(&good, fixtureCity()); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:len(good.Bytes())/2])
	f.Add([]byte(`<osm><node id="1" lat="91" lon="0"/></osm>`))
	f.Add([]byte(`<osm><node id="1" lat="1" lon="1"/><way id="2"><nd ref="1"/><nd ref="1"/><nd ref="1"/><nd ref="1"/><tag k="building" v="yes"/></way></osm>`))
	f.Add([]byte(`<osm><relation id="3"><member type="way" ref="9" role="outer"/><tag k="type" v="multipolygon"/><tag k="natural" v="water"/></relation></osm>`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		p := filepath.Join(dir, "fuzz.osm")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Read(context.Background(), p, &recorder{}, nil); err != nil && !bytes.Contains([]byte(err.Error()), []byte("fuzz.osm")) {
			t.Fatalf("error %q does not name the file", err)
		}
	})
}
