package tiles

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/hexcover/hexcover/internal/dbtest"
	"github.com/hexcover/hexcover/internal/demo"
	"github.com/hexcover/hexcover/internal/demo/demotest"
	"github.com/hexcover/hexcover/internal/osm"
	"github.com/hexcover/hexcover/internal/store"
)

// loadDemoRoads imports the demo city's road network (an OSM extract)
// through the OSM importer.
func loadDemoRoads(t *testing.T, st *store.Store) *demo.City {
	t.Helper()
	city, err := demo.Generate(demotest.Params())
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), demo.FileRoads)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriter(f)
	if err := city.WriteRoads(bw); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if _, err := (&osm.Importer{Store: st}).Import(context.Background(), p, false, nil); err != nil {
		t.Fatal(err)
	}
	return city
}

// TestBasemapOnDemo: at every zoom the map uses (9–16), the basemap tile at
// a bridge over the demo's creek carries roads and water; minor roads drop
// out at low zoom; labels carry Chinese and English names.
func TestBasemapOnDemo(t *testing.T) {
	st := dbtest.New(t)
	city := loadDemoRoads(t, st)
	e := newEnvOn(t, st, Options{})

	// A bridge: where a road crosses the creek.
	roads := city.Roads()
	var bridge orb.Point
	for _, w := range roads.Ways {
		if w.Tags.Find("bridge") == "yes" {
			for _, n := range roads.Nodes {
				if n.ID == w.Nodes[len(w.Nodes)/2].ID {
					bridge = orb.Point{n.Lon, n.Lat}
				}
			}
			break
		}
	}
	if bridge == (orb.Point{}) {
		t.Fatal("the demo has no bridge")
	}
	for z := 9; z <= 16; z++ {
		tile := maptile.At(bridge, maptile.Zoom(z))
		resp, b := e.get(t, tilePath("basemap", tile, ""), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("z%d: status %d", z, resp.StatusCode)
		}
		ls, err := mvt.UnmarshalGzipped(b)
		if err != nil {
			t.Fatalf("z%d: %v", z, err)
		}
		count := map[string]int{}
		classes := map[string]bool{}
		names := map[string]string{}
		for _, l := range ls {
			count[l.Name] = len(l.Features)
			for _, f := range l.Features {
				if l.Name == "road" {
					classes[f.Properties.MustString("class", "")] = true
					if n := f.Properties.MustString("name", ""); n != "" {
						names[n] = f.Properties.MustString("name_en", "")
					}
				}
			}
		}
		t.Logf("z%d: %v, %d bytes gzipped", z, count, len(b))
		if count["road"] == 0 || count["water"] == 0 {
			t.Errorf("z%d: %d roads, %d water features; want both", z, count["road"], count["water"])
		}
		if z <= 11 && classes["residential"] {
			t.Errorf("z%d: residential streets drawn; want only major roads at low zoom", z)
		}
		if z >= 12 && !classes["residential"] {
			t.Errorf("z%d: no residential streets; want them from z 12", z)
		}
		for zh, en := range names {
			if en == "" {
				t.Errorf("z%d: road %s has no English name", z, zh)
			}
			break
		}
	}
	// TileJSON lists the basemap's layers.
	resp, b := e.get(t, "/tiles/basemap.json", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tilejson: %d", resp.StatusCode)
	}
	var tj TileJSON
	if err := json.Unmarshal(b, &tj); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, l := range tj.VectorLayers {
		ids[l.ID] = true
	}
	for _, want := range []string{"water", "park", "building", "rail", "road", "place", "poi"} {
		if !ids[want] {
			t.Errorf("tilejson: no vector layer %q (have %v)", want, ids)
		}
	}
	if tj.Bounds[0] > bridge[0] || tj.Bounds[2] < bridge[0] {
		t.Errorf("tilejson bounds %v do not hold the city", tj.Bounds)
	}
	// Outside the extract: 204.
	if resp, _ := e.get(t, "/tiles/basemap/12/0/0.mvt", nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("outside the extract: status %d; want 204", resp.StatusCode)
	}
}
