package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/hexcover/hexcover/geo"
)

// feature is one GeoJSON feature, its geometry not yet decoded.
type feature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties json.RawMessage `json:"properties"`
}

type geometry struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// readFeatures streams the features of a GeoJSON FeatureCollection, one at a
// time, without holding the collection in memory. fn gets each feature's
// number (index+1) and raw JSON. A feature that is valid JSON but not an
// object reaches fn too (its decoder rejects it); a syntax error anywhere,
// a top level that is not a FeatureCollection, or a missing "features"
// array is an error. So is a feature (or any other member of the top-level
// object) larger than lim.MaxFeatureBytes: it fails as soon as the limit is
// passed, without being read whole.
func readFeatures(src io.Reader, file string, lim Limits, fn func(n int, raw json.RawMessage) error) error {
	lr := &jsonLimiter{r: src}
	dec := json.NewDecoder(lr)
	n := 0
	inFeatures := false
	bad := func(err error) error {
		if errors.Is(err, errValueTooLarge) {
			what := "a member of the top-level object"
			if inFeatures {
				what = fmt.Sprintf("feature %d", n+1)
			}
			return newLimitError("ingest %s: %s is larger than %s (HEXCOVER_INGEST_MAX_FEATURE): not a GeoJSON file of this kind, or raise the limit",
				file, what, size(int64(lim.MaxFeatureBytes)))
		}
		return fmt.Errorf("ingest %s: malformed GeoJSON: %w", file, err)
	}
	// Each token or value read next may take at most MaxFeatureBytes.
	next := func() { lr.limit = dec.InputOffset() + int64(lim.MaxFeatureBytes) }
	next()
	tok, err := dec.Token()
	if err != nil {
		if err == io.EOF {
			return bad(errors.New("empty file"))
		}
		return bad(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return bad(errors.New("the top level is not an object"))
	}
	seenFeatures := false
	for next(); dec.More(); next() {
		tok, err := dec.Token()
		if err != nil {
			return bad(err)
		}
		key, _ := tok.(string)
		switch key {
		case "type":
			next()
			var t string
			if err := dec.Decode(&t); err != nil {
				return bad(fmt.Errorf("type: %w", err))
			}
			if t != "FeatureCollection" {
				return bad(fmt.Errorf("type is %q, want FeatureCollection", t))
			}
		case "features":
			if seenFeatures {
				return bad(errors.New("features given twice"))
			}
			seenFeatures = true
			next()
			tok, err := dec.Token()
			if err != nil {
				return bad(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				if tok == nil {
					continue // "features": null, no features
				}
				return bad(errors.New("features is not an array"))
			}
			inFeatures = true
			for next(); dec.More(); next() {
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					if errors.Is(err, errValueTooLarge) {
						return bad(err)
					}
					return bad(fmt.Errorf("feature %d: %w", n+1, err))
				}
				n++
				if err := fn(n, raw); err != nil {
					return err
				}
			}
			inFeatures = false
			if _, err := dec.Token(); err != nil { // ]
				return bad(err)
			}
		default:
			next()
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return bad(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil { // }
		return bad(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad(errors.New("data after the FeatureCollection"))
	}
	if !seenFeatures {
		return bad(errors.New("no features array"))
	}
	return nil
}

// decodeFeature decodes a feature's envelope and properties. A feature that
// is not valid UTF-8 (encoding/json would silently replace the bad bytes)
// or has a property value longer than lim.MaxFieldBytes is rejected.
func decodeFeature(raw json.RawMessage, lim Limits) (feature, props, string) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || t[0] != '{' {
		return feature{}, nil, "feature is not a JSON object"
	}
	if !utf8.Valid(t) {
		return feature{}, nil, "feature is not valid UTF-8"
	}
	var f feature
	if err := json.Unmarshal(raw, &f); err != nil {
		return feature{}, nil, "feature: " + err.Error()
	}
	if f.Type != "Feature" {
		return feature{}, nil, fmt.Sprintf("type is %q, want Feature", f.Type)
	}
	var p props
	if pt := bytes.TrimSpace(f.Properties); len(pt) > 0 && string(pt) != "null" {
		if pt[0] != '{' {
			return feature{}, nil, "properties is not an object"
		}
		if err := json.Unmarshal(pt, &p); err != nil {
			return feature{}, nil, "properties: " + err.Error()
		}
		for k, v := range p {
			if len(v) > lim.MaxFieldBytes {
				return feature{}, nil, fmt.Sprintf("property %s is %d bytes, longer than %d (%s)", shortJSON(quoteJSON(k)), len(v), lim.MaxFieldBytes, settingField)
			}
		}
	}
	return f, p, ""
}

// pointCoords returns the text of a Point geometry's longitude and latitude.
func pointCoords(raw json.RawMessage) (lng, lat string, why string) {
	var g geometry
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return "", "", "missing geometry"
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return "", "", "geometry: " + err.Error()
	}
	if g.Type != "Point" {
		return "", "", fmt.Sprintf("geometry type is %q, want Point", g.Type)
	}
	var c []json.RawMessage
	if err := json.Unmarshal(g.Coordinates, &c); err != nil || len(c) < 2 {
		return "", "", "Point coordinates are not [lng, lat]"
	}
	x, ok1 := jsonText(c[0])
	y, ok2 := jsonText(c[1])
	if !ok1 || !ok2 {
		return "", "", "Point coordinates are not numbers"
	}
	return x, y, ""
}

// areaGeometry decodes a Polygon or MultiPolygon, checks it (at least one
// polygon; rings of at least 4 positions, closed, finite, in range) and
// converts it vertex by vertex from crs to WGS-84.
func areaGeometry(raw json.RawMessage, crs geo.CRS) (orb.MultiPolygon, string) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return nil, "missing geometry"
	}
	var g geometry
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, "geometry: " + err.Error()
	}
	var mp [][][][]float64
	switch g.Type {
	case "Polygon":
		var p [][][]float64
		if err := json.Unmarshal(g.Coordinates, &p); err != nil {
			return nil, "Polygon coordinates: " + err.Error()
		}
		if len(p) > 0 {
			mp = [][][][]float64{p}
		}
	case "MultiPolygon":
		if err := json.Unmarshal(g.Coordinates, &mp); err != nil {
			return nil, "MultiPolygon coordinates: " + err.Error()
		}
	default:
		return nil, fmt.Sprintf("geometry type is %q, want Polygon or MultiPolygon", g.Type)
	}
	if len(mp) == 0 {
		return nil, "empty geometry"
	}
	convert := crs != "" && crs != geo.WGS84
	out := make(orb.MultiPolygon, len(mp))
	for i, poly := range mp {
		if len(poly) == 0 {
			return nil, fmt.Sprintf("polygon %d has no rings", i+1)
		}
		out[i] = make(orb.Polygon, len(poly))
		for j, ring := range poly {
			if len(ring) < 4 {
				return nil, fmt.Sprintf("polygon %d ring %d has %d positions, want at least 4", i+1, j+1, len(ring))
			}
			r := make(orb.Ring, len(ring))
			for k, pos := range ring {
				if len(pos) < 2 {
					return nil, fmt.Sprintf("polygon %d ring %d position %d has %d coordinates, want 2", i+1, j+1, k+1, len(pos))
				}
				x, y := pos[0], pos[1]
				if !finite(x) || !finite(y) || y < -90 || y > 90 || x < -180 || x > 180 {
					return nil, fmt.Sprintf("polygon %d ring %d position %d [%g, %g] is not a valid longitude, latitude", i+1, j+1, k+1, x, y)
				}
				r[k] = orb.Point{x, y}
			}
			if r[0] != r[len(r)-1] {
				return nil, fmt.Sprintf("polygon %d ring %d is not closed", i+1, j+1)
			}
			if convert {
				for k, p := range r {
					x, y := crs.ToWGS84(p[0], p[1])
					if !finite(x) || !finite(y) {
						return nil, fmt.Sprintf("polygon %d ring %d position %d does not convert from %s to WGS-84", i+1, j+1, k+1, crs)
					}
					r[k] = orb.Point{x, y}
				}
			}
			out[i][j] = r
		}
	}
	return out, ""
}

// geojsonReject is a reject for feature n.
func geojsonReject(file string, n int, why string, raw json.RawMessage) Reject {
	return Reject{File: file, Line: n, Reason: why, Raw: truncRaw(strings.TrimSpace(string(raw)))}
}

// needConvert validates crs ("" means WGS-84) and reports whether
// coordinates in it need converting to WGS-84.
func needConvert(file string, crs geo.CRS) (bool, error) {
	if crs == "" || crs == geo.WGS84 {
		return false, nil
	}
	if _, err := geo.ParseCRS(string(crs)); err != nil || strings.ToLower(string(crs)) != string(crs) {
		return false, fmt.Errorf("ingest %s: unknown coordinate system %q (want %s, %s or %s)", file, crs, geo.WGS84, geo.GCJ02, geo.BD09)
	}
	return true, nil
}
