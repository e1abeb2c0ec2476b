package geo

import (
	"encoding/json"
	"fmt"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// SRIDWGS84 is the EPSG code of WGS-84 longitude/latitude, the only
// reference system hexcover stores.
const SRIDWGS84 = 4326

// GeoJSONDecimals is the precision of GeoJSON coordinates served: 7
// decimals, about 1 cm.
const GeoJSONDecimals = 7

// EWKBToGeoJSON turns a PostGIS geometry scanned as EWKB (ST_AsEWKB) into a
// GeoJSON geometry with GeoJSONDecimals decimals. It refuses a geometry
// whose SRID is not 4326, so a wrong reference system is an error, not a
// map drawn in the sea. Empty input (SQL NULL) gives nil.
//
// This is go-geom's job in hexcover: it reads EWKB with its SRID and writes
// every GeoJSON geometry type, where orb reads only plain WKB.
func EWKBToGeoJSON(b []byte) (json.RawMessage, error) {
	if len(b) == 0 {
		return nil, nil
	}
	g, err := ewkb.Unmarshal(b)
	if err != nil {
		return nil, fmt.Errorf("geo: EWKB: %w", err)
	}
	if srid := g.SRID(); srid != SRIDWGS84 {
		return nil, fmt.Errorf("geo: geometry has SRID %d, want %d (WGS-84)", srid, SRIDWGS84)
	}
	if g.Layout() != geom.XY {
		return nil, fmt.Errorf("geo: geometry layout %v, want 2D", g.Layout())
	}
	out, err := geojson.Marshal(g, geojson.EncodeGeometryWithMaxDecimalDigits(GeoJSONDecimals))
	if err != nil {
		return nil, fmt.Errorf("geo: GeoJSON: %w", err)
	}
	return out, nil
}
