package geo_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"github.com/hexcover/hexcover/geo"
)

func mustEWKB(t testing.TB, g geom.T) []byte {
	b, err := ewkb.Marshal(g, binary.LittleEndian)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEWKBToGeoJSON(t *testing.T) {
	poly := geom.NewPolygonFlat(geom.XY, []float64{121.4, 31.2, 121.412345678, 31.2, 121.4, 31.3, 121.4, 31.2}, []int{8})
	cases := []struct {
		name string
		in   []byte
		want string
		err  string
	}{
		{"polygon", mustEWKB(t, poly.SetSRID(4326)), `{"type":"Polygon","coordinates":[[[121.4,31.2],[121.4123457,31.2],[121.4,31.3],[121.4,31.2]]]}`, ""},
		{"point", mustEWKB(t, geom.NewPointFlat(geom.XY, []float64{121.5, 31.25}).SetSRID(4326)), `{"type":"Point","coordinates":[121.5,31.25]}`, ""},
		{"null", nil, "", ""},
		{"web mercator", mustEWKB(t, geom.NewPointFlat(geom.XY, []float64{1.35e7, 3.6e6}).SetSRID(3857)), "", "SRID 3857"},
		{"no SRID", mustEWKB(t, geom.NewPointFlat(geom.XY, []float64{121.5, 31.25})), "", "SRID 0"},
		{"3D", mustEWKB(t, geom.NewPointFlat(geom.XYZ, []float64{121.5, 31.25, 4}).SetSRID(4326)), "", "2D"},
		{"garbage", []byte{1, 2, 3}, "", "EWKB"},
	}
	for _, c := range cases {
		got, err := geo.EWKBToGeoJSON(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err %v, want one about %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s: %s, %v; want %s", c.name, got, err, c.want)
		}
	}
}

func ExampleEWKBToGeoJSON() {
	// What PostGIS sends for ST_AsEWKB(ST_SetSRID(ST_MakePoint(121.5, 31.25), 4326)).
	b, _ := ewkb.Marshal(geom.NewPointFlat(geom.XY, []float64{121.5, 31.25}).SetSRID(4326), binary.LittleEndian)
	g, err := geo.EWKBToGeoJSON(b)
	fmt.Println(string(g), err)
	// Output: {"type":"Point","coordinates":[121.5,31.25]} <nil>
}
