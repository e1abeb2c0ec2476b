package osm

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paulmach/osm"

	"github.com/hexcover/hexcover/internal/model"
)

// fixtureCity is a small extract around Changfeng park: a primary road and a
// residential street crossing it, an expressway, a footway closed to bikes,
// Suzhou Creek, a lake, a pond with an island (multipolygon), a park, a
// building, a railway, a place name, a fuel station, a charging station and
// a convenience store drawn as a building outline.
func fixtureCity() *osm.OSM {
	o := &osm.OSM{}
	node := func(id int64, lon, lat float64, tags ...string) {
		n := &osm.Node{ID: osm.NodeID(id), Lon: lon, Lat: lat, Visible: true}
		for i := 0; i+1 < len(tags); i += 2 {
			n.Tags = append(n.Tags, osm.Tag{Key: tags[i], Value: tags[i+1]})
		}
		o.Nodes = append(o.Nodes, n)
	}
	way := func(id int64, nodes []int64, tags ...string) {
		w := &osm.Way{ID: osm.WayID(id), Visible: true}
		for _, n := range nodes {
			w.Nodes = append(w.Nodes, osm.WayNode{ID: osm.NodeID(n)})
		}
		for i := 0; i+1 < len(tags); i += 2 {
			w.Tags = append(w.Tags, osm.Tag{Key: tags[i], Value: tags[i+1]})
		}
		o.Ways = append(o.Ways, w)
	}
	// A 0.001° grid of nodes: id = 1000 + 10*i + j at (121.40 + i/1000, 31.22 + j/1000).
	for i := 0; i < 10; i++ {
		for j := 0; j < 10; j++ {
			node(int64(1000+10*i+j), 121.40+float64(i)/1000, 31.22+float64(j)/1000)
		}
	}
	node(50, 121.4035, 31.2245, "amenity", "fuel", "name", "中国石化长风加油站", "name:en", "Sinopec Changfeng", "brand", "中国石化")
	node(51, 121.4065, 31.2215, "amenity", "charging_station")
	node(52, 121.4055, 31.2255, "place", "suburb", "name", "长风", "name:en", "Changfeng")
	node(53, 121.4015, 31.2285, "amenity", "restaurant", "name", "兰州拉面")
	row := func(j int) []int64 { // west → east along latitude row j
		var ids []int64
		for i := 0; i < 10; i++ {
			ids = append(ids, int64(1000+10*i+j))
		}
		return ids
	}
	col := func(i int) []int64 {
		var ids []int64
		for j := 0; j < 10; j++ {
			ids = append(ids, int64(1000+10*i+j))
		}
		return ids
	}
	way(100, row(5), "highway", "primary", "name", "金沙江路", "name:en", "Jinshajiang Road")
	way(101, col(5), "highway", "residential", "name", "枣阳路", "oneway", "yes")
	way(102, row(9), "highway", "motorway", "name", "中环路", "ref", "S20")
	way(103, col(8), "highway", "footway", "bicycle", "no")
	way(104, row(1), "waterway", "river", "name", "苏州河", "name:en", "Suzhou Creek")
	way(105, []int64{1002, 1003, 1013, 1012, 1002}, "natural", "water", "name", "小湖")
	way(106, []int64{1060, 1090, 1093, 1063, 1060}) // pond outer ring (untagged)
	way(107, []int64{1071, 1081, 1082, 1072, 1071}) // island
	way(108, []int64{1016, 1036, 1038, 1018, 1016}, "leisure", "park", "name", "长风公园", "name:en", "Changfeng Park")
	way(109, []int64{1043, 1044, 1054, 1053, 1043}, "building", "yes")
	way(110, col(0), "railway", "rail", "name", "沪宁铁路")
	way(111, []int64{1026, 1027, 1037, 1026}, "building", "retail", "shop", "convenience", "name", "全家")
	o.Relations = append(o.Relations, &osm.Relation{ID: 300, Visible: true,
		Tags:    osm.Tags{{Key: "type", Value: "multipolygon"}, {Key: "natural", Value: "water"}, {Key: "name", Value: "梦清园池"}},
		Members: osm.Members{{Type: osm.TypeWay, Ref: 106, Role: "outer"}, {Type: osm.TypeWay, Ref: 107, Role: "inner"}}})
	return o
}

func writeFixture(t testing.TB, dir, name string, o *osm.OSM) string {
	t.Helper()
	var buf bytes.Buffer
	switch {
	case strings.HasSuffix(name, ".pbf"):
		buf.Write(writePBF(t, o))
	case strings.HasSuffix(name, ".gz"):
		zw := gzip.NewWriter(&buf)
		if err := WriteXML(zw, o); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	default:
		if err := WriteXML(&buf, o); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type recorder struct {
	features []Feature
	edges    []Edge
	sites    []Site
}

func (r *recorder) Feature(_ context.Context, f Feature) error {
	r.features = append(r.features, f)
	return nil
}
func (r *recorder) Edge(_ context.Context, e Edge) error { r.edges = append(r.edges, e); return nil }
func (r *recorder) Site(_ context.Context, s Site) error { r.sites = append(r.sites, s); return nil }

func (r *recorder) find(typ string, id int64, layer string) *Feature {
	for i, f := range r.features {
		if f.OSMType == typ && f.OSMID == id && f.Layer == layer {
			return &r.features[i]
		}
	}
	return nil
}

func TestReadClassifiesEveryFormat(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"city.osm", "city.osm.gz", "city.osm.pbf"} {
		t.Run(name, func(t *testing.T) {
			p := writeFixture(t, dir, name, fixtureCity())
			var rec recorder
			st, err := Read(context.Background(), p, &rec, nil)
			if err != nil {
				t.Fatal(err)
			}
			if st.Nodes != 104 || st.Ways != 12 || st.Relations != 1 {
				t.Fatalf("read %d nodes, %d ways, %d relations; want 104, 12, 1", st.Nodes, st.Ways, st.Relations)
			}
			checks := []struct {
				typ         string
				id          int64
				layer, cls  string
				name, en    string
				area, parts bool
			}{
				{"way", 100, LayerRoad, "primary", "金沙江路", "Jinshajiang Road", false, false},
				{"way", 101, LayerRoad, "residential", "枣阳路", "", false, false},
				{"way", 102, LayerRoad, "motorway", "中环路", "", false, false},
				{"way", 103, LayerRoad, "footway", "", "", false, false},
				{"way", 104, LayerWater, "river", "苏州河", "Suzhou Creek", false, false},
				{"way", 105, LayerWater, "water", "小湖", "", true, false},
				{"relation", 300, LayerWater, "water", "梦清园池", "", true, true},
				{"way", 108, LayerPark, "park", "长风公园", "Changfeng Park", true, false},
				{"way", 109, LayerBuilding, "yes", "", "", true, false},
				{"way", 110, LayerRail, "rail", "沪宁铁路", "", false, false},
				{"node", 52, LayerPlace, "suburb", "长风", "Changfeng", false, false},
				{"node", 50, LayerPOI, "fuel", "中国石化长风加油站", "Sinopec Changfeng", false, false},
				{"node", 53, LayerPOI, "restaurant", "兰州拉面", "", false, false},
			}
			for _, c := range checks {
				f := rec.find(c.typ, c.id, c.layer)
				if f == nil {
					t.Errorf("%s %d: no %s feature", c.typ, c.id, c.layer)
					continue
				}
				if f.Class != c.cls || f.Name != c.name || f.NameEn != c.en || f.Area != c.area || f.Parts != c.parts {
					t.Errorf("%s %d: got class %q name %q/%q area %v parts %v; want %q %q/%q %v %v", c.typ, c.id,
						f.Class, f.Name, f.NameEn, f.Area, f.Parts, c.cls, c.name, c.en, c.area, c.parts)
				}
			}
			if f := rec.find("way", 102, LayerRoad); f == nil || f.Ref != "S20" || f.MinZoom > 6 {
				t.Errorf("motorway: %+v; want ref S20 drawn from z ≤ 6", f)
			}
			if f := rec.find("way", 103, LayerRoad); f == nil || f.MinZoom < 14 {
				t.Errorf("footway: %+v; want drawn only from z 14", f)
			}
			if f := rec.find("relation", 300, LayerWater); f != nil && len(f.Geometry.Bound().Max) == 0 {
				t.Errorf("pond: no geometry")
			}
			// Edges: every highway split at every node (4 roads × 9 segments).
			if len(rec.edges) != 36 {
				t.Errorf("got %d edges; want 36", len(rec.edges))
			}
			for _, e := range rec.edges {
				if e.LengthM < 90 || e.LengthM > 115 {
					t.Errorf("edge %d→%d is %.1f m; want ~95–111 m for 0.001°", e.Source, e.Target, e.LengthM)
					break
				}
			}
			// Sites: the fuel station, the charging station and the convenience store.
			want := map[string]struct {
				kind model.SiteKind
				am   string
				name string
			}{
				"osm:node/50": {model.KindFuelStation, "", "中国石化长风加油站"},
				"osm:node/51": {model.KindCandidate, "charging", "充电站"},
				"osm:way/111": {model.KindCandidate, "convenience_store", "全家"},
			}
			if len(rec.sites) != len(want) {
				t.Fatalf("got %d sites; want %d: %+v", len(rec.sites), len(want), rec.sites)
			}
			for _, s := range rec.sites {
				w, ok := want[s.Site.ExtID]
				if !ok {
					t.Errorf("unexpected site %s", s.Site.ExtID)
					continue
				}
				am := ""
				if len(s.Site.Amenities) > 0 {
					am = s.Site.Amenities[0]
				}
				if s.Site.Kind != w.kind || s.Site.Status != model.StatusCandidate || am != w.am || s.Site.Name != w.name {
					t.Errorf("%s: got %s/%s %q %v; want %s/candidate %q %q", s.Site.ExtID, s.Site.Kind, s.Site.Status,
						s.Site.Name, s.Site.Amenities, w.kind, w.name, w.am)
				}
			}
		})
	}
}

func TestReadRejectsMalformed(t *testing.T) {
	dir := t.TempDir()
	good := writeFixture(t, dir, "good.osm", fixtureCity())
	b, _ := os.ReadFile(good)
	cases := map[string][]byte{
		"truncated.osm":  b[:len(b)*2/3],
		"badnumber.osm":  []byte("<?xml version=\"1.0\"?>\n<osm version=\"0.6\">\n <node id=\"1\" lat=\"north\" lon=\"121.4\"/>\n</osm>\n"),
		"empty.osm":      {},
		"notosm.osm.pbf": []byte("PK\x03\x04 this is a zip file"),
		"nonodes.osm":    []byte("<?xml version=\"1.0\"?>\n<html><body>hello</body></html>\n"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(context.Background(), p, &recorder{}, nil)
			if err == nil {
				t.Fatal("read a malformed file without error")
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error %q does not name the file", err)
			}
			if name == "badnumber.osm" && !strings.Contains(err.Error(), "line 3") {
				t.Errorf("error %q does not give the line", err)
			}
			t.Log(err)
		})
	}
}
