package store

import (
	"context"
	"fmt"
	"time"
)

// Meta describes the loaded city for the map's first view.
type Meta struct {
	Bounds   [4]float64       `json:"bounds"` // minLng, minLat, maxLng, maxLat
	Center   [2]float64       `json:"center"`
	Zoom     int              `json:"zoom"`
	District *AreaName        `json:"district,omitempty"`
	Counts   map[string]int64 `json:"counts"`
	Version  string           `json:"version"` // data version of all layers together
	Empty    bool             `json:"empty"`
	Period   *Period          `json:"period"` // dates of the loaded activity; nil when there is none
}

// Period is the span of the loaded activity in local dates (the
// configured UTC offset, as the import stored them in rider_days).
type Period struct {
	From     string `json:"from"` // YYYY-MM-DD
	To       string `json:"to"`
	Days     int    `json:"days"`     // dates with any data
	Weekdays []int  `json:"weekdays"` // ISO weekdays present, 1 = Monday .. 7 = Sunday, ascending
}

// AreaName is an area's code and names.
type AreaName struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en"`
}

// Meta returns the bounds of the loaded data, the district and row counts.
func (s *Store) Meta(ctx context.Context) (*Meta, error) {
	m := &Meta{Counts: map[string]int64{}, Zoom: 12}
	var minx, miny, maxx, maxy *float64
	err := s.Pool.QueryRow(ctx, `WITH e AS (
			SELECT ST_Extent(geom) AS b FROM admin_areas
			UNION ALL SELECT ST_Extent(geom) FROM grids
			UNION ALL SELECT ST_Extent(geom) FROM sites)
		SELECT ST_XMin(ST_Extent(b)), ST_YMin(ST_Extent(b)), ST_XMax(ST_Extent(b)), ST_YMax(ST_Extent(b)) FROM e`).
		Scan(&minx, &miny, &maxx, &maxy)
	if err != nil {
		return nil, err
	}
	if minx == nil {
		m.Empty = true
		m.Bounds = [4]float64{121.36, 31.20, 121.46, 31.28}
	} else {
		m.Bounds = [4]float64{*minx, *miny, *maxx, *maxy}
	}
	m.Center = [2]float64{(m.Bounds[0] + m.Bounds[2]) / 2, (m.Bounds[1] + m.Bounds[3]) / 2}
	var d AreaName
	err = s.Pool.QueryRow(ctx, `SELECT code, name, name_en FROM admin_areas WHERE level = 'district' ORDER BY code LIMIT 1`).Scan(&d.Code, &d.Name, &d.NameEn)
	if err == nil {
		m.District = &d
	}
	var riders, sites, grids, pings, areas int64
	err = s.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM riders), (SELECT count(*) FROM sites), (SELECT count(*) FROM grids),
		(SELECT coalesce(sum(rows_ok), 0)::bigint FROM ingest_batches WHERE kind = 'pings' AND status = 'done'), (SELECT count(*) FROM admin_areas)`).
		Scan(&riders, &sites, &grids, &pings, &areas)
	if err != nil {
		return nil, err
	}
	m.Counts["riders"], m.Counts["sites"], m.Counts["grids"], m.Counts["pings"], m.Counts["areas"] = riders, sites, grids, pings, areas
	var v int64
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(sum(version), 0)::bigint FROM data_versions`).Scan(&v); err != nil {
		return nil, err
	}
	m.Version = fmt.Sprint(v)
	var from, to *time.Time
	p := &Period{}
	err = s.Pool.QueryRow(ctx, `SELECT min(day), max(day), count(DISTINCT day)::int,
		coalesce(array_agg(DISTINCT extract(isodow FROM day)::int ORDER BY extract(isodow FROM day)::int), '{}')
		FROM rider_days`).Scan(&from, &to, &p.Days, &p.Weekdays)
	if err != nil {
		return nil, err
	}
	if from != nil && to != nil {
		p.From, p.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
		m.Period = p
	}
	return m, nil
}
