package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// NetworkRules say which roads of the loaded extract riders ride.
type NetworkRules struct {
	// Exclude lists highway classes (motorway, trunk_link, …) and tags
	// bicycle=VALUE or access=VALUE whose ways are not ridden.
	Exclude []string
	// Oneway respects oneway=yes/-1; false rides them both ways (e-bikes do).
	Oneway bool
}

// Key is a canonical text of the rules, part of a catchment's cache key.
func (r NetworkRules) Key() string {
	ex := slices.Clone(r.Exclude)
	slices.Sort(ex)
	return fmt.Sprintf("exclude=%s;oneway=%t", strings.Join(ex, ","), r.Oneway)
}

// split returns the excluded classes, bicycle values and access values.
func (r NetworkRules) split() (classes, bicycle, access []string) {
	classes, bicycle, access = []string{}, []string{}, []string{}
	for _, e := range r.Exclude {
		switch k, v, ok := strings.Cut(e, "="); {
		case ok && k == "bicycle":
			bicycle = append(bicycle, v)
		case ok && k == "access":
			access = append(access, v)
		case !ok:
			classes = append(classes, e)
		}
	}
	return
}

// rideable is the WHERE clause of rideable edges with the rules as $2..$4
// (and the extract as $1).
const rideable = `batch_id = $1 AND NOT (class = ANY($2::text[])) AND NOT (bicycle = ANY($3::text[]))
	AND NOT (access = ANY($4::text[]) AND bicycle NOT IN ('yes', 'designated', 'permissive'))`

// NetVertex is a vertex of the rideable network.
type NetVertex struct {
	ID       int64
	Lng, Lat float64
}

// NetworkVertices returns the vertices of the rideable network of extract
// batch (the ends of its rideable edges), by id.
func (s *Store) NetworkVertices(ctx context.Context, batch int64, r NetworkRules) ([]NetVertex, error) {
	c, b, a := r.split()
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT ON (id) id, x, y FROM (
		SELECT source AS id, x1 AS x, y1 AS y FROM osm_edges WHERE `+rideable+`
		UNION ALL SELECT target, x2, y2 FROM osm_edges WHERE `+rideable+`) v ORDER BY id`, batch, c, b, a)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (NetVertex, error) {
		var v NetVertex
		err := r.Scan(&v.ID, &v.Lng, &v.Lat)
		return v, err
	})
}

// NetEdge is a rideable edge with its costs (metres; a negative reverse
// cost means it cannot be ridden backwards).
type NetEdge struct {
	ID, Source, Target int64
	Cost, ReverseCost  float64
}

// edgeCosts is the edges query pgRouting reads: id, source, target, cost and
// reverse_cost in metres.
const edgeCosts = `SELECT id, source, target, length_m AS cost,
	CASE WHEN $5 AND oneway IN ('yes', 'true', '1') THEN -1 ELSE length_m END AS reverse_cost
	FROM osm_edges WHERE ` + rideable

// NetworkEdges returns the rideable edges of extract batch.
func (s *Store) NetworkEdges(ctx context.Context, batch int64, r NetworkRules) ([]NetEdge, error) {
	c, b, a := r.split()
	rows, err := s.Pool.Query(ctx, edgeCosts+` ORDER BY id`, batch, c, b, a, r.Oneway)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (NetEdge, error) {
		var e NetEdge
		err := r.Scan(&e.ID, &e.Source, &e.Target, &e.Cost, &e.ReverseCost)
		return e, err
	})
}

// HasPgRouting reports whether the pgRouting extension is installed.
func (s *Store) HasPgRouting(ctx context.Context) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgrouting')`).Scan(&ok)
	return ok, err
}

// Reach is how far a start vertex reaches: the vertices within the distance
// and their riding distance in metres.
type Reach struct {
	Vertices []int64
	Costs    []float64
}

// DrivingDistance runs pgRouting's pgr_drivingDistance from every start
// vertex over the rideable network of extract batch, up to distM metres, and
// returns what each start reaches.
func (s *Store) DrivingDistance(ctx context.Context, batch int64, r NetworkRules, starts []int64, distM float64) (map[int64]*Reach, error) {
	c, b, a := r.split()
	// The edges query is text for pgRouting; format() quotes every value.
	rows, err := s.Pool.Query(ctx, `SELECT from_v, node, agg_cost FROM pgr_drivingDistance(
		format('SELECT id, source, target, length_m AS cost,
			CASE WHEN %L AND oneway IN (''yes'', ''true'', ''1'') THEN -1 ELSE length_m END AS reverse_cost
			FROM osm_edges WHERE batch_id = %s AND NOT (class = ANY(%L::text[])) AND NOT (bicycle = ANY(%L::text[]))
			AND NOT (access = ANY(%L::text[]) AND bicycle NOT IN (''yes'', ''designated'', ''permissive''))',
			$5::boolean, $1::bigint, $2::text[], $3::text[], $4::text[]),
		$6::bigint[], $7::float8, directed => $5::boolean) ORDER BY from_v, agg_cost, node`,
		batch, c, b, a, r.Oneway, starts, distM)
	if err != nil {
		return nil, fmt.Errorf("pgr_drivingDistance: %w", err)
	}
	out := map[int64]*Reach{}
	var from, node int64
	var cost float64
	_, err = pgx.ForEachRow(rows, []any{&from, &node, &cost}, func() error {
		rc := out[from]
		if rc == nil {
			rc = &Reach{}
			out[from] = rc
		}
		rc.Vertices = append(rc.Vertices, node)
		rc.Costs = append(rc.Costs, cost)
		return nil
	})
	return out, err
}

// Catchment is a site's cached network catchment.
type Catchment struct {
	SiteID   int64
	RadiusM  float64
	Lng, Lat float64 // the site's position it was computed for
	Reach
}

// Catchments returns the cached catchments of extract batch under rules for
// the given sites.
func (s *Store) Catchments(ctx context.Context, batch int64, rules string, siteIDs []int64) ([]Catchment, error) {
	rows, err := s.Pool.Query(ctx, `SELECT site_id, radius_m, ST_X(site_geom), ST_Y(site_geom), vertices, costs
		FROM network_catchments WHERE batch_id = $1 AND rules = $2 AND site_id = ANY($3)`, batch, rules, siteIDs)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Catchment, error) {
		var c Catchment
		err := r.Scan(&c.SiteID, &c.RadiusM, &c.Lng, &c.Lat, &c.Vertices, &c.Costs)
		return c, err
	})
}

// SaveCatchments stores computed catchments, replacing earlier ones of the
// same site, radius, extract and rules.
func (s *Store) SaveCatchments(ctx context.Context, batch int64, rules string, cs []Catchment) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		for _, c := range cs {
			b.Queue(`INSERT INTO network_catchments (batch_id, site_id, radius_m, rules, site_geom, vertices, costs)
				VALUES ($1, $2, $3, $4, ST_SetSRID(ST_MakePoint($5, $6), 4326), $7, $8)
				ON CONFLICT (batch_id, site_id, radius_m, rules) DO UPDATE SET site_geom = EXCLUDED.site_geom,
					vertices = EXCLUDED.vertices, costs = EXCLUDED.costs, computed_at = now()`,
				batch, c.SiteID, c.RadiusM, rules, c.Lng, c.Lat, c.Vertices, c.Costs)
		}
		return tx.SendBatch(ctx, b).Close()
	})
}

// CatchmentEdges returns the edges of extract batch whose both ends are
// among vertices, as line segments [lng1, lat1, lng2, lat2].
func (s *Store) CatchmentEdges(ctx context.Context, batch int64, vertices []int64) ([][4]float64, error) {
	rows, err := s.Pool.Query(ctx, `SELECT x1, y1, x2, y2 FROM osm_edges
		WHERE batch_id = $1 AND source = ANY($2) AND target = ANY($2) ORDER BY id`, batch, vertices)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([4]float64, error) {
		var e [4]float64
		err := r.Scan(&e[0], &e[1], &e[2], &e[3])
		return e, err
	})
}
