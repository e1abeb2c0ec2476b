package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hexcover/hexcover/geo"
	"github.com/hexcover/hexcover/internal/errs"
)

// RiderRangeFeature is one period of a rider's activity range as a GeoJSON
// feature: the convex hull (or the centroid when the hull is degenerate) with
// the figures as properties.
type RiderRangeFeature struct {
	Type       string          `json:"type"`
	Geometry   json.RawMessage `json:"geometry"`
	Properties RangeProps      `json:"properties"`
}

// RangeProps are the figures of a range period.
type RangeProps struct {
	Rider         string    `json:"rider"`
	Period        string    `json:"period"`
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	Days          int       `json:"days"`
	Pings         int64     `json:"pings"`
	ActiveHours   float64   `json:"active_hours"`
	DwellHours    float64   `json:"dwell_hours"`
	CentroidLng   float64   `json:"centroid_lng"`
	CentroidLat   float64   `json:"centroid_lat"`
	GyrationM     float64   `json:"gyration_m"`
	P90M          float64   `json:"p90_m"`
	TopCells      []string  `json:"top_cells"` // res-9 cells by share, hex
	TopCellShares []float64 `json:"top_cell_shares"`
}

// ErrNotFound is returned when the thing asked for does not exist.
var ErrNotFound = errs.E(errs.NotFound, "not found")

// RiderRange returns every stored range period of the rider with this
// pseudonym (or its unambiguous prefix of at least 12 hex characters),
// newest first. It is rider-level data: callers must restrict it to admins
// and audit it.
func (s *Store) RiderRange(ctx context.Context, pid string) ([]RiderRangeFeature, error) {
	if len(pid) < 12 || len(pid) > 64 {
		return nil, ErrNotFound
	}
	for _, c := range pid {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return nil, ErrNotFound
		}
	}
	rows, err := s.Pool.Query(ctx, `WITH r AS (SELECT id, pid FROM riders WHERE pid LIKE $1 || '%' LIMIT 2)
		SELECT r.pid, g.period, g.from_ts, g.to_ts, g.days, g.pings, g.active_seconds / 3600, g.dwell_seconds / 3600,
			ST_X(g.centroid), ST_Y(g.centroid), g.gyration_m, g.p90_m,
			ST_AsEWKB(coalesce(g.hull, g.centroid)),
			coalesce(t.cells, '{}'), coalesce(t.shares, '{}'), (SELECT count(*) FROM r)
		FROM r JOIN rider_ranges g ON g.rider = r.id
		CROSS JOIN LATERAL (SELECT array_agg(to_hex(c.cell) ORDER BY c.share DESC, c.cell) AS cells,
				array_agg(c.share ORDER BY c.share DESC, c.cell) AS shares
			FROM (SELECT cell, share FROM unnest(g.cells, g.cell_share) AS u(cell, share) ORDER BY share DESC, cell LIMIT 10) c) t
		ORDER BY g.from_ts DESC`, pid)
	if err != nil {
		return nil, err
	}
	var out []RiderRangeFeature
	var n int
	for rows.Next() {
		var f RiderRangeFeature
		var ewkb []byte
		p := &f.Properties
		if err := rows.Scan(&p.Rider, &p.Period, &p.From, &p.To, &p.Days, &p.Pings, &p.ActiveHours, &p.DwellHours,
			&p.CentroidLng, &p.CentroidLat, &p.GyrationM, &p.P90M, &ewkb, &p.TopCells, &p.TopCellShares, &n); err != nil {
			rows.Close()
			return nil, err
		}
		g, err := geo.EWKBToGeoJSON(ewkb)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("range of rider %s: %w", p.Rider, err)
		}
		f.Type, f.Geometry = "Feature", g
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if n > 1 {
		return nil, errs.E(errs.Invalid, "rider id prefix is ambiguous; give more characters")
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}
