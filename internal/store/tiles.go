package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// The statements behind internal/tiles. Every one of them is an index lookup:
// hexagon rows by primary key (res, cell, how) with cell = ANY($n), feature
// rows by their GiST index with geom && envelope. Clipping, projection and
// MVT encoding happen in Go.

// HexStat is the activity of one cell, for all hours or summed over a set of
// hours of week.
type HexStat struct {
	Cell         int64
	Pings        int64
	Riders       int // distinct riders over the selected hours, never summed
	RiderSeconds float64
	DwellSeconds float64
}

// HexStats returns the activity of those of cells (all at resolution res)
// that have any. With hows empty the whole-week rows (how = -1) are read;
// otherwise pings and seconds are summed over the given hours of week and
// riders are counted distinct over the union of the same rows' rider key sets.
func (s *Store) HexStats(ctx context.Context, res int, cells []int64, hows []int16) ([]HexStat, error) {
	if len(cells) == 0 {
		return nil, nil
	}
	if len(hows) > 0 {
		return s.hexStatsOver(ctx, res, cells, hows)
	}
	rows, err := s.Pool.Query(ctx, `SELECT cell, pings, riders, rider_seconds, dwell_seconds
		FROM hex_activity WHERE res = $1 AND how = -1 AND cell = ANY($2)`, int16(res), cells)
	if err != nil {
		return nil, err
	}
	out := make([]HexStat, 0, len(cells)/2)
	var h HexStat
	_, err = pgx.ForEachRow(rows, []any{&h.Cell, &h.Pings, &h.Riders, &h.RiderSeconds, &h.DwellSeconds}, func() error {
		out = append(out, h)
		return nil
	})
	return out, err
}

// hexStatsOver is HexStats over hours of week: the hour rows of the cells
// are read in cell order and summed in Go, and each cell's distinct riders
// counted over the union of its rows' rider keys (sorted in Go; a
// count(DISTINCT) over unnested arrays in SQL was slower, and this is the
// admin's tile of an hour list that is none of the rolled-up sets).
func (s *Store) hexStatsOver(ctx context.Context, res int, cells []int64, hows []int16) ([]HexStat, error) {
	rows, err := s.Pool.Query(ctx, `SELECT cell, pings, rider_seconds, dwell_seconds, rider_keys
		FROM hex_activity WHERE res = $1 AND cell = ANY($2) AND how = ANY($3) ORDER BY cell, how`, int16(res), cells, hows)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var (
		out  []HexStat
		keys []int64
		cur  *HexStat
	)
	finish := func() {
		if cur == nil {
			return
		}
		slices.Sort(keys)
		cur.Riders = len(slices.Compact(keys))
		keys = keys[:0]
	}
	for rows.Next() {
		var (
			cell       int64
			pings      int64
			rsec, dsec float64
		)
		raw := rows.RawValues()
		if err := rows.Scan(&cell, &pings, &rsec, &dsec, nil); err != nil {
			return nil, err
		}
		if cur == nil || cur.Cell != cell {
			finish()
			out = append(out, HexStat{Cell: cell})
			cur = &out[len(out)-1]
		}
		cur.Pings += pings
		cur.RiderSeconds += rsec
		cur.DwellSeconds += dsec
		if keys, err = decodeInt8Array(raw[4], keys); err != nil {
			return nil, fmt.Errorf("hex_activity rider_keys: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	finish()
	return out, nil
}

// WholeWeekHexStats returns the whole-week activity (how = -1) of every cell
// of resolution res, in cell order, together with the activity data version
// they belong to (read in the same snapshot). When there are more than limit
// cells it returns none and ok false. It is how internal/tiles keeps one
// resolution of the activity in memory per data version.
func (s *Store) WholeWeekHexStats(ctx context.Context, res, limit int) (stats []HexStat, version int64, ok bool, err error) {
	// One statement, one snapshot: the version row and the cells agree.
	rows, err := s.Pool.Query(ctx, `SELECT v.version, h.cell, h.pings, h.riders, h.rider_seconds, h.dwell_seconds
		FROM (SELECT coalesce((SELECT version FROM data_versions WHERE layer = 'activity'), 0) AS version) v
		LEFT JOIN LATERAL (SELECT cell, pings, riders, rider_seconds, dwell_seconds FROM hex_activity
			WHERE res = $1 AND how = -1 ORDER BY cell LIMIT $2) h ON true`, int16(res), limit+1)
	if err != nil {
		return nil, 0, false, err
	}
	var (
		h                   HexStat
		cell, pings         *int64
		riders              *int32
		riderSecs, dwellSec *float64
	)
	_, err = pgx.ForEachRow(rows, []any{&version, &cell, &pings, &riders, &riderSecs, &dwellSec}, func() error {
		if cell == nil { // no cells at all
			return nil
		}
		h = HexStat{Cell: *cell, Pings: *pings, Riders: int(*riders), RiderSeconds: *riderSecs, DwellSeconds: *dwellSec}
		stats = append(stats, h)
		return nil
	})
	if err != nil {
		return nil, 0, false, err
	}
	if len(stats) > limit {
		return nil, version, false, nil
	}
	return stats, version, true, nil
}

// Feature is one row of a feature layer (areas, grids, sites) with its
// geometry in WGS-84 and its tile properties.
type Feature struct {
	Geometry   orb.Geometry
	Properties map[string]any
}

// featureQueries are the only statements FeaturesInBound runs, by layer;
// layer names never reach SQL text. $1..$4 are the envelope, $5 the
// simplification tolerance in degrees (0 = none), $6 the row limit.
var featureQueries = map[string]string{
	"areas": `SELECT ST_AsBinary(CASE WHEN $5::float8 > 0 THEN ST_SimplifyPreserveTopology(geom, $5) ELSE geom END),
			code, name, name_en, level
		FROM admin_areas WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY code LIMIT $6`,
	"grids": `SELECT ST_AsBinary(CASE WHEN $5::float8 > 0 THEN ST_SimplifyPreserveTopology(geom, $5) ELSE geom END),
			code, name, community_code, street_code, manager, target
		FROM grids WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) ORDER BY code LIMIT $6`,
	"sites": `SELECT ST_AsBinary(geom), ext_id, kind, status, name, capacity, array_to_string(amenities, ','), opening_hours
		FROM sites WHERE geom && ST_MakeEnvelope($1, $2, $3, $4, 4326) AND $5::float8 IS NOT NULL ORDER BY ext_id LIMIT $6`,
}

// FeaturesInBound returns the features of layer ("areas", "grids" or
// "sites") whose bounding box meets b, at most limit of them, ordered by
// their code. A positive tolerance (degrees) simplifies polygons in the
// database with ST_SimplifyPreserveTopology, for low zooms.
func (s *Store) FeaturesInBound(ctx context.Context, layer string, b orb.Bound, tolerance float64, limit int) ([]Feature, error) {
	q, ok := featureQueries[layer]
	if !ok {
		return nil, fmt.Errorf("no feature layer %q", layer)
	}
	rows, err := s.Pool.Query(ctx, q, b.Min[0], b.Min[1], b.Max[0], b.Max[1], tolerance, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Feature
	for rows.Next() {
		var (
			g   []byte
			f   Feature
			err error
		)
		switch layer {
		case "areas":
			var code, name, nameEn, level string
			err = rows.Scan(&g, &code, &name, &nameEn, &level)
			f.Properties = map[string]any{"code": code, "name": name, "name_en": nameEn, "level": level}
		case "grids":
			var code, name, comm, street, manager string
			var target int32
			err = rows.Scan(&g, &code, &name, &comm, &street, &manager, &target)
			f.Properties = map[string]any{"code": code, "name": name, "community_code": comm, "street_code": street,
				"manager": manager, "target": int64(target)}
		case "sites":
			var id, kind, status, name, amenities, hours string
			var capacity int32
			err = rows.Scan(&g, &id, &kind, &status, &name, &capacity, &amenities, &hours)
			f.Properties = map[string]any{"id": id, "kind": kind, "status": status, "name": name,
				"capacity": int64(capacity), "amenities": amenities, "opening_hours": hours}
		}
		if err != nil {
			return nil, err
		}
		if f.Geometry, err = wkb.Unmarshal(g); err != nil {
			return nil, fmt.Errorf("%s: geometry: %w", layer, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// boundsQueries give the extent of each layer's data.
var boundsQueries = map[string]string{
	// hex_cells holds exactly the cells that have activity (at any
	// resolution), so its extent bounds every hexagon drawn.
	"activity": `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(boundary) AS e FROM hex_cells) x`,
	"areas":    `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM admin_areas) x`,
	"grids":    `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM grids) x`,
	"sites":    `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM sites) x`,
	"basemap":  `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) AS e FROM osm_features) x`,
}

// DataBounds returns the extent of a layer's data ("activity", "areas",
// "grids" or "sites"); ok is false when the layer is empty.
func (s *Store) DataBounds(ctx context.Context, layer string) (b orb.Bound, ok bool, err error) {
	q, found := boundsQueries[layer]
	if !found {
		return b, false, fmt.Errorf("no layer %q", layer)
	}
	var minx, miny, maxx, maxy *float64
	if err := s.Pool.QueryRow(ctx, q).Scan(&minx, &miny, &maxx, &maxy); err != nil {
		return b, false, err
	}
	if minx == nil {
		return b, false, nil
	}
	return orb.Bound{Min: orb.Point{*minx, *miny}, Max: orb.Point{*maxx, *maxy}}, true, nil
}

// PresenceSite is an existing site of a presence kind.
type PresenceSite struct {
	ExtID    string
	Kind     string
	Location orb.Point
}

// PresenceSites returns the existing sites whose kind is one of kinds,
// ordered by external id.
func (s *Store) PresenceSites(ctx context.Context, kinds []string) ([]PresenceSite, error) {
	rows, err := s.Pool.Query(ctx, `SELECT ext_id, kind, ST_X(geom), ST_Y(geom) FROM sites
		WHERE status = 'existing' AND kind = ANY($1) ORDER BY ext_id`, kinds)
	if err != nil {
		return nil, err
	}
	var out []PresenceSite
	var p PresenceSite
	var x, y float64
	_, err = pgx.ForEachRow(rows, []any{&p.ExtID, &p.Kind, &x, &y}, func() error {
		p.Location = orb.Point{x, y}
		out = append(out, p)
		return nil
	})
	return out, err
}
