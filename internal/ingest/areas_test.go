package ingest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

const square = `[[[121.40,31.20],[121.50,31.20],[121.50,31.30],[121.40,31.30],[121.40,31.20]]]`

func feat(geom, props string) string {
	return fmt.Sprintf(`{"type":"Feature","geometry":%s,"properties":%s}`, geom, props)
}

func poly(coords string) string { return `{"type":"Polygon","coordinates":` + coords + `}` }

func collection(fs ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(fs, ",\n") + `]}`
}

func TestReadAreas(t *testing.T) {
	in := collection(
		feat(poly(square), `{"code":"310115","name":"浦东新区","name_en":"Pudong","level":"district"}`),
		feat(`{"type":"MultiPolygon","coordinates":[`+square+`,`+square+`]}`, `{"code":310115001,"name":"潍坊新村街道","level":"Street","parent_code":"310115"}`),
		feat(poly(square), `{"name":"x","level":"district"}`),
		feat(poly(square), `{"code":"a","level":"district"}`),
		feat(poly(square), `{"code":"b","name":"x","level":"city"}`),
		feat(poly(square), `{"code":"c","name":"x","level":"street"}`),
		feat(poly(`[[[121.4,31.2],[121.5,31.2],[121.4,31.2]]]`), `{"code":"d","name":"x","level":"district"}`),
		feat(poly(`[[[121.4,31.2],[121.5,31.2],[121.5,31.3],[121.4,31.3]]]`), `{"code":"e","name":"x","level":"district"}`),
		feat(poly(`[]`), `{"code":"f","name":"x","level":"district"}`),
		feat(poly(`[[[121.4,31.2],[121.5,31.2],[121.5,1e999],[121.4,31.2]]]`), `{"code":"g","name":"x","level":"district"}`),
		feat(`null`, `{"code":"h","name":"x","level":"district"}`),
		feat(`{"type":"Point","coordinates":[121.4,31.2]}`, `{"code":"i","name":"x","level":"district"}`),
		feat(poly(square), `{"code":"310115","name":"again","level":"district"}`),
		feat(poly(`[[[121.4,31.2],[121.5,31.2],[121.5,91],[121.4,31.2]]]`), `{"code":"j","name":"x","level":"district"}`),
		feat(poly(square), `{"code":["k"],"name":"x","level":"district"}`),
		feat(poly(square), `{"code":"l","name":"社区","level":"community","parent_code":"310115001"}`),
	)
	var got []model.Area
	var rej []Reject
	err := ReadAreas(strings.NewReader(in), "areas.geojson", GeoJSON, geo.WGS84,
		func(a model.Area) error { got = append(got, a); return nil },
		func(r Reject) error { rej = append(rej, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	checkRejects(t, rej, []wantReject{
		{3, "missing code"},
		{4, "missing name"},
		{5, `unknown area level "city"`},
		{6, "street without parent_code"},
		{7, "has 3 positions, want at least 4"},
		{8, "ring 1 is not closed"},
		{9, "empty geometry"},
		{10, "Polygon coordinates"},
		{11, "missing geometry"},
		{12, `geometry type is "Point"`},
		{13, `duplicate code "310115" (first seen on line 1)`},
		{14, "is not a valid longitude, latitude"},
		{15, `code ["k"] is not a string or number`},
	})
	if len(got) != 3 {
		t.Fatalf("got %d areas, want 3", len(got))
	}
	want := []model.Area{
		{Code: "310115", Name: "浦东新区", NameEn: "Pudong", Level: model.LevelDistrict},
		{Code: "310115001", Name: "潍坊新村街道", Level: model.LevelStreet, ParentCode: "310115"},
		{Code: "l", Name: "社区", Level: model.LevelCommunity, ParentCode: "310115001"},
	}
	for i, w := range want {
		g := got[i]
		if g.Code != w.Code || g.Name != w.Name || g.NameEn != w.NameEn || g.Level != w.Level || g.ParentCode != w.ParentCode {
			t.Errorf("area %d: got %+v, want %+v", i, g, w)
		}
	}
	if n := len(got[0].Geometry); n != 1 {
		t.Errorf("Polygon → MultiPolygon: got %d polygons, want 1", n)
	}
	if n := len(got[1].Geometry); n != 2 {
		t.Errorf("MultiPolygon: got %d polygons, want 2", n)
	}
	if p := got[0].Geometry[0][0][1]; p != (orb.Point{121.5, 31.2}) {
		t.Errorf("vertex: got %v, want [121.5 31.2]", p)
	}

	if err := ReadAreas(strings.NewReader(in), "areas.csv", CSV, geo.WGS84, func(model.Area) error { return nil }, func(Reject) error { return nil }); err == nil {
		t.Error("areas from CSV: got no error, want one")
	}
}

func TestReadAreasCRS(t *testing.T) {
	in := collection(feat(poly(square), `{"code":"a","name":"x","level":"district"}`))
	var got model.Area
	err := ReadAreas(strings.NewReader(in), "a.geojson", GeoJSON, geo.GCJ02, func(a model.Area) error { got = a; return nil }, func(r Reject) error { return fmt.Errorf("reject %+v", r) })
	if err != nil {
		t.Fatal(err)
	}
	ring := got.Geometry[0][0]
	in0 := []orb.Point{{121.40, 31.20}, {121.50, 31.20}, {121.50, 31.30}, {121.40, 31.30}, {121.40, 31.20}}
	for i, p := range ring {
		x, y := geo.GCJ02.ToWGS84(in0[i][0], in0[i][1])
		if p != (orb.Point{x, y}) {
			t.Errorf("vertex %d: got %v, want %v", i, p, orb.Point{x, y})
		}
	}
	if ring[0] != ring[len(ring)-1] {
		t.Errorf("converted ring is not closed: %v vs %v", ring[0], ring[len(ring)-1])
	}
	if d := haversine(orb.Point{121.4, 31.2}, ring[0]); d < 300 || d > 700 {
		t.Errorf("GCJ-02 vertex moved %.0f m, want 300..700 m", d)
	}
}

func TestReadGrids(t *testing.T) {
	in := collection(
		feat(poly(square), `{"code":"G1","name":"一网格","community_code":"C1","street_code":"S1","district_code":"D1","manager":"王","target":3}`),
		feat(poly(square), `{"code":"G2","name":"二网格","target":"2"}`),
		feat(poly(square), `{"code":"G3","name":"三网格"}`),
		feat(poly(square), `{"code":"G4","target":-1}`),
		feat(poly(square), `{"code":"G5","target":1.5}`),
		feat(poly(square), `{"code":"G6","target":"many"}`),
		feat(poly(square), `{"name":"no code"}`),
		feat(poly(square), `{"code":"G1"}`),
		feat(poly(`[[[121.4,31.2],[121.5,31.2],[121.5,31.3],[121.4,31.2]],[[1,1],[1,2]]]`), `{"code":"G9"}`),
		feat(poly(square), `{"code":"G10","target":4.0}`),
	)
	var got []model.Grid
	var rej []Reject
	err := ReadGrids(strings.NewReader(in), "grids.geojson", GeoJSON, "", func(g model.Grid) error { got = append(got, g); return nil }, func(r Reject) error { rej = append(rej, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	checkRejects(t, rej, []wantReject{
		{4, "target -1 is negative"},
		{5, `target "1.5" is not an integer`},
		{6, `target "many" is not an integer`},
		{7, "missing code"},
		{8, `duplicate code "G1" (first seen on line 1)`},
		{9, "ring 2 has 2 positions"},
	})
	want := []model.Grid{
		{Code: "G1", Name: "一网格", CommunityCode: "C1", StreetCode: "S1", DistrictCode: "D1", Manager: "王", Target: 3},
		{Code: "G2", Name: "二网格", Target: 2},
		{Code: "G3", Name: "三网格"},
		{Code: "G10", Target: 4},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d grids, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		g.Geometry = nil
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("grid %d: got %+v, want %+v", i, g, w)
		}
		if len(got[i].Geometry) != 1 {
			t.Errorf("grid %d: got %d polygons, want 1", i, len(got[i].Geometry))
		}
	}
}

func TestReadSitesGeoJSON(t *testing.T) {
	pt := func(x, y float64) string { return fmt.Sprintf(`{"type":"Point","coordinates":[%g,%g]}`, x, y) }
	in := collection(
		feat(pt(121.47, 31.23), `{"id":"S1","kind":"rest_station","status":"existing","name":"人民广场驿站","capacity":20,"amenities":["water","charging"]}`),
		feat(pt(121.48, 31.24), `{"id":2,"kind":"fuel_station","name":"中石化","capacity":"5","amenities":"water; toilet,meals"}`),
		feat(pt(121.48, 31.24), `{"id":"S3","kind":"castle","name":"x"}`),
		feat(pt(121.48, 31.24), `{"id":"S4","kind":"branch","status":"demolished","name":"x"}`),
		feat(pt(121.48, 31.24), `{"kind":"branch","name":"x"}`),
		feat(pt(121.48, 31.24), `{"id":"S6","kind":"branch"}`),
		feat(pt(121.48, 31.24), `{"id":"S7","kind":"branch","name":"x","capacity":-2}`),
		feat(pt(0, 0), `{"id":"S8","kind":"branch","name":"x"}`),
		feat(pt(200, 31), `{"id":"S9","kind":"branch","name":"x"}`),
		feat(pt(121.48, 31.24), `{"id":"S1","kind":"branch","name":"again"}`),
		feat(pt(121.48, 31.24), `{"id":"S11","kind":"branch","name":"x","amenities":{"a":1}}`),
		feat(poly(square), `{"id":"S12","kind":"branch","name":"x"}`),
	)
	var got []model.Site
	var rej []Reject
	err := ReadSites(strings.NewReader(in), "sites.geojson", GeoJSON, SiteOptions{DefaultStatus: model.StatusPlanned},
		func(s model.Site) error { got = append(got, s); return nil }, func(r Reject) error { rej = append(rej, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	checkRejects(t, rej, []wantReject{
		{3, `unknown site kind "castle"`},
		{4, `unknown site status "demolished"`},
		{5, "missing id"},
		{6, "missing name"},
		{7, "capacity -2 is negative"},
		{8, "null island"},
		{9, "lng 200 is outside"},
		{10, `duplicate id "S1" (first seen on line 1)`},
		{11, "amenities"},
		{12, `geometry type is "Polygon", want Point`},
	})
	want := []string{
		`{0 S1 rest_station existing 人民广场驿站 20 [water charging]  [121.47 31.23]}`,
		`{0 2 fuel_station planned 中石化 5 [water toilet meals]  [121.48 31.24]}`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sites, want %d", len(got), len(want))
	}
	for i := range want {
		if s := fmt.Sprint(got[i]); s != want[i] {
			t.Errorf("site %d: got %s, want %s", i, s, want[i])
		}
	}
}

func TestReadSitesCSV(t *testing.T) {
	in := "\ufeffName,ID,Kind,Lng,Lat,Capacity,Amenities,Status,extra\r\n" +
		"人民广场驿站,S1,rest_station,121.47,31.23,20,water;charging,existing,x\r\n" +
		"\"Jing'an, \"\"branch\"\"\",S2,branch,121.45,31.22,,,,\r\n" +
		"x,S3,branch,121.45,31.22,many,,,\r\n" +
		"x,S1,branch,121.45,31.22,,,,\r\n" +
		"x,S5,branch,121.45\r\n" +
		"x,S6,branch,east,31.22,,,,\r\n"
	var got []model.Site
	var rej []Reject
	err := ReadSites(strings.NewReader(in), "sites.csv", CSV, SiteOptions{},
		func(s model.Site) error { got = append(got, s); return nil }, func(r Reject) error { rej = append(rej, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	checkRejects(t, rej, []wantReject{
		{4, `capacity "many" is not an integer`},
		{5, `duplicate id "S1" (first seen on line 2)`},
		{6, "row has 4 fields, header has 9"},
		{7, `lng "east" is not a number`},
	})
	want := []string{
		`{0 S1 rest_station existing 人民广场驿站 20 [water charging]  [121.47 31.23]}`,
		`{0 S2 branch existing Jing'an, "branch" 0 []  [121.45 31.22]}`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %d sites, want %d", len(got), len(want))
	}
	for i := range want {
		if s := fmt.Sprint(got[i]); s != want[i] {
			t.Errorf("site %d: got %s, want %s", i, s, want[i])
		}
	}
	if len(rej) > 2 && rej[1].Raw != "x,S1,branch,121.45,31.22,,,," {
		t.Errorf("raw: got %q, want the row", rej[1].Raw)
	}

	err = ReadSites(strings.NewReader("id,kind,name,lat\n"), "sites.csv", CSV, SiteOptions{}, func(model.Site) error { return nil }, func(Reject) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "lng") {
		t.Errorf("header without lng: got %v, want an error naming lng", err)
	}
	err = ReadSites(strings.NewReader(""), "sites.ndjson", NDJSON, SiteOptions{}, func(model.Site) error { return nil }, func(Reject) error { return nil })
	if err == nil {
		t.Error("sites from NDJSON: got no error, want one")
	}
}

func TestReadSitesOpeningHours(t *testing.T) {
	in := "id,kind,name,lng,lat,opening_hours\n" +
		"S1,service_center,党群服务中心,121.40,31.25,09:00-17:00\n" +
		"S2,rest_station,驿站,121.41,31.25,\n" +
		"S3,service_center,x,121.42,31.25,9-17\n" +
		"S4,service_center,y,121.43,31.25,Mo-Fr 09:00-17:00; Sa 10:00-14:00\n"
	var got []model.Site
	var rej []Reject
	err := ReadSites(strings.NewReader(in), "sites.csv", CSV, SiteOptions{},
		func(s model.Site) error { got = append(got, s); return nil }, func(r Reject) error { rej = append(rej, r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].OpeningHours != "09:00-17:00" || got[1].OpeningHours != "" || got[2].OpeningHours != "Mo-Fr 09:00-17:00; Sa 10:00-14:00" {
		t.Errorf("sites %+v", got)
	}
	if len(rej) != 1 || rej[0].Line != 4 || !strings.Contains(rej[0].Reason, "HH:MM") {
		t.Errorf("rejects %+v, want line 4 on its opening hours", rej)
	}
	gj := `{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"Point","coordinates":[121.4,31.25]},
		"properties":{"id":"G1","kind":"service_center","name":"n","opening_hours":"08:00-20:00"}}]}`
	got = nil
	if err := ReadSites(strings.NewReader(gj), "sites.geojson", GeoJSON, SiteOptions{},
		func(s model.Site) error { got = append(got, s); return nil }, func(r Reject) error { t.Errorf("reject %+v", r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].OpeningHours != "08:00-20:00" {
		t.Errorf("geojson: %+v", got)
	}
}
