package ingest

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/model"
)

// ReadAreas streams the administrative areas of a GeoJSON FeatureCollection:
// properties code, name, name_en, level (district, street or community) and
// parent_code, with a Polygon or MultiPolygon geometry in crs. A feature
// lacking code or name, with an unknown level, an empty or invalid geometry,
// or a street without parent_code is rejected; a code seen before in the
// file is rejected too.
func ReadAreas(src io.Reader, file string, f Format, crs geo.CRS, fn func(model.Area) error, rej func(Reject) error) error {
	return readAreas(src, file, f, crs, Limits{}, fn, rej)
}

// readAreas is ReadAreas with limits (zero fields mean the defaults).
func readAreas(src io.Reader, file string, f Format, crs geo.CRS, lim Limits, fn func(model.Area) error, rej func(Reject) error) error {
	lim = lim.OrDefault()
	if f != GeoJSON {
		return fmt.Errorf("ingest %s: areas are read from GeoJSON, not %q", file, f)
	}
	if _, err := needConvert(file, crs); err != nil {
		return err
	}
	seen := make(map[string]int)
	return readFeatures(src, file, lim, func(n int, raw json.RawMessage) error {
		a, why := area(raw, crs, lim)
		if why == "" {
			if at, dup := seen[a.Code]; dup {
				why = fmt.Sprintf("duplicate code %q (first seen on line %d)", a.Code, at)
			} else {
				seen[a.Code] = n
			}
		}
		if why != "" {
			return rej(geojsonReject(file, n, why, raw))
		}
		return fn(a)
	})
}

func area(raw json.RawMessage, crs geo.CRS, lim Limits) (model.Area, string) {
	f, p, why := decodeFeature(raw, lim)
	if why != "" {
		return model.Area{}, why
	}
	var a model.Area
	var level string
	for _, kv := range []struct {
		key string
		dst *string
		id  bool
	}{{"code", &a.Code, true}, {"name", &a.Name, false}, {"name_en", &a.NameEn, false}, {"level", &level, true}, {"parent_code", &a.ParentCode, true}} {
		s, why := p.text(kv.key, kv.id, lim)
		if why != "" {
			return model.Area{}, why
		}
		*kv.dst = s
	}
	if a.Code == "" {
		return model.Area{}, "missing code"
	}
	if a.Name == "" {
		return model.Area{}, "missing name"
	}
	lv, err := model.ParseAreaLevel(strings.ToLower(level))
	if err != nil {
		return model.Area{}, "level: " + err.Error()
	}
	a.Level = lv
	if a.Level == model.LevelStreet && a.ParentCode == "" {
		return model.Area{}, "street without parent_code"
	}
	a.Geometry, why = areaGeometry(f.Geometry, crs)
	if why != "" {
		return model.Area{}, why
	}
	return a, ""
}

// ReadGrids streams the community grids of a GeoJSON FeatureCollection:
// properties code, name, community_code, street_code, district_code,
// manager and target (an integer ≥ 0, default 0; a numeric string is
// accepted), with a Polygon or MultiPolygon geometry in crs. A feature
// lacking code, with a bad target or an empty or invalid geometry, or with
// a code seen before in the file is rejected.
func ReadGrids(src io.Reader, file string, f Format, crs geo.CRS, fn func(model.Grid) error, rej func(Reject) error) error {
	return readGrids(src, file, f, crs, Limits{}, fn, rej)
}

// readGrids is ReadGrids with limits (zero fields mean the defaults).
func readGrids(src io.Reader, file string, f Format, crs geo.CRS, lim Limits, fn func(model.Grid) error, rej func(Reject) error) error {
	lim = lim.OrDefault()
	if f != GeoJSON {
		return fmt.Errorf("ingest %s: grids are read from GeoJSON, not %q", file, f)
	}
	if _, err := needConvert(file, crs); err != nil {
		return err
	}
	seen := make(map[string]int)
	return readFeatures(src, file, lim, func(n int, raw json.RawMessage) error {
		g, why := grid(raw, crs, lim)
		if why == "" {
			if at, dup := seen[g.Code]; dup {
				why = fmt.Sprintf("duplicate code %q (first seen on line %d)", g.Code, at)
			} else {
				seen[g.Code] = n
			}
		}
		if why != "" {
			return rej(geojsonReject(file, n, why, raw))
		}
		return fn(g)
	})
}

func grid(raw json.RawMessage, crs geo.CRS, lim Limits) (model.Grid, string) {
	f, p, why := decodeFeature(raw, lim)
	if why != "" {
		return model.Grid{}, why
	}
	var g model.Grid
	for _, kv := range []struct {
		key string
		dst *string
		id  bool
	}{{"code", &g.Code, true}, {"name", &g.Name, false}, {"community_code", &g.CommunityCode, true}, {"street_code", &g.StreetCode, true}, {"district_code", &g.DistrictCode, true}, {"manager", &g.Manager, false}} {
		s, why := p.text(kv.key, kv.id, lim)
		if why != "" {
			return model.Grid{}, why
		}
		*kv.dst = s
	}
	if g.Code == "" {
		return model.Grid{}, "missing code"
	}
	t, err := p.count("target")
	if err != nil {
		return model.Grid{}, err.Error()
	}
	g.Target = t
	g.Geometry, why = areaGeometry(f.Geometry, crs)
	if why != "" {
		return model.Grid{}, why
	}
	return g, ""
}
